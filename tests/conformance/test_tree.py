"""Parents, children, orphans, original usage: split's structure walks, case by case."""
from __future__ import annotations

import pytest
from bson import ObjectId
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import BlockUsageLocator, CourseLocator

from shim.enums import ModuleStoreEnum
from shim.exceptions import ItemNotFoundError
from tests.shim.courses import build_greek_hero, build_tree
from tests.shim.documents import Block, build_course, children

pytestmark = pytest.mark.django_db

DRAFT = ModuleStoreEnum.BranchName.draft


@pytest.fixture
def greek():
    return build_greek_hero()


def _usage(block_type, block_id, branch=DRAFT):
    return BlockUsageLocator(CourseLocator("testx", "GreekHero", "run", branch=branch), block_type, block_id)


def test_parent_is_the_parent_with_a_path_to_root_even_if_not_least(store, greek):
    # problem1 is listed by 'chap' (an orphan; alphabetically first) and 'chapter1' (in the tree)
    parent = store.get_parent_location(_usage("problem", "problem1"))
    assert parent == _usage("chapter", "chapter1")


def test_parent_is_alphabetically_least_among_valid_parents(store, greek):
    # problem32 is a child of chapter2 and chapter3, both in the tree
    assert store.get_parent_location(_usage("problem", "problem32")).block_id == "chapter2"


def test_parent_of_root_and_of_orphan_is_none(store, greek):
    assert store.get_parent_location(_usage("course", "head12345")) is None
    assert store.get_parent_location(_usage("chapter", "chap")) is None


def test_parent_keeps_the_branch_of_the_key(store, greek):
    parent = store.get_parent_location(_usage("chapter", "chapter1"))
    assert parent.block_type == "course" and parent.block_id == "head12345"
    assert parent.branch == DRAFT


def test_parent_location_draft_preferred_revision_reads_draft(store, greek):
    key = _usage("chapter", "chapter1").for_branch(None)
    parent = store.get_parent_location(key, revision=ModuleStoreEnum.RevisionOption.draft_preferred)
    assert parent.branch == DRAFT
    parent = store.get_parent_location(key)
    assert parent.branch == ModuleStoreEnum.BranchName.published


def test_parent_location_bad_keys(store, greek):
    with pytest.raises(ItemNotFoundError):
        store.get_parent_location(CourseKey.from_string("testx/GreekHero/run").make_usage_key("chapter", "x"))
    with pytest.raises(ItemNotFoundError):
        store.get_parent_location(BlockUsageLocator(CourseLocator("testx", "Nope", "run", branch=DRAFT), "a", "b"))


def test_children_and_get_parent_are_wired(store, greek):
    chapter = store.get_item(_usage("chapter", "chapter1"))
    kids = chapter.get_children()
    assert [k.location.block_id for k in kids] == ["problem1", "problem3_2"]
    assert kids[1].get_parent().location.block_id == "chapter1"
    assert kids[1].parent.block_id == "chapter1"


def test_block_parent_field_is_the_last_listing_parent_like_splits_runtime(store, greek):
    # split's runtime maps child -> parent over the whole structure, the last listing parent winning;
    # get_parent_location applies the path-to-root rule instead
    problem1 = store.get_item(_usage("problem", "problem1"))
    assert problem1.parent.block_id == "chap"
    assert store.get_parent_location(_usage("problem", "problem1")).block_id == "chapter1"


def test_orphans_are_unreferenced_non_root_non_detached_blocks(store, greek):
    orphans = store.get_orphans(CourseLocator("testx", "GreekHero", "run", branch=DRAFT))
    assert [o.block_id for o in orphans] == ["chap"]
    built = build_tree()
    tree_orphans = store.get_orphans(built.course_key)
    assert [(o.block_type, o.block_id) for o in tree_orphans] == [("html", "orphan_html")]
    assert tree_orphans[0].branch == ModuleStoreEnum.BranchName.published


def test_orphans_bad_key(store, greek):
    with pytest.raises(ItemNotFoundError):
        store.get_orphans(CourseKey.from_string("testx/GreekHero/run"))


def test_block_original_usage(store):
    original = "block-v1:lib+L+library+type@problem+block@orig"
    version = ObjectId()
    blocks = [
        Block("course", "course", fields={"children": children(("problem", "copy"), ("problem", "own"))}),
        Block("problem", "copy", edit_info={"original_usage": original, "original_usage_version": version}),
        Block("problem", "own"),
    ]
    built = build_course("course-v1:Org+Copies+Run", blocks, blocks)
    usage, got_version = store.get_block_original_usage(built.course_key.make_usage_key("problem", "copy"))
    assert str(usage) == original and got_version == version
    assert store.get_block_original_usage(built.course_key.make_usage_key("problem", "own")) == (None, None)
    assert store.get_block_original_usage(built.course_key.make_usage_key("problem", "gone")) == (None, None)


def test_detached_blocks_are_readable_and_parentless(store):
    built = build_tree()
    about = store.get_item(built.course_key.make_usage_key("about", "overview"))
    assert about.data == "<p>About this course</p>"
    assert about.get_parent() is None
    assert store.get_parent_location(built.course_key.make_usage_key("about", "overview")) is None


def test_path_to_location_walk_like_the_lms(store):
    # xmodule.modulestore.search.path_to_location: bulk scope, has_item, parents up to the root
    built = build_tree()
    key = built.course_key
    usage = key.make_usage_key("problem", "p1")
    path = []
    with store.bulk_operations(key):
        assert store.has_item(usage)
        location = usage
        while location is not None:
            path.append((location.block_type, location.block_id))
            location = store.get_parent_location(location)
    assert path == [("problem", "p1"), ("vertical", "v1"), ("sequential", "s1"), ("chapter", "c1"),
                    ("course", "course")]
