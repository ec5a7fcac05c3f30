"""
Split's item reads, case by case (after test_split_modulestore.SplitModuleItemTests, in our words).

GreekHero: root head12345, chapters chapter1/chapter2/chapter3/chap, problems problem1/problem3_2/problem32.
"""
from __future__ import annotations

import datetime
import re

import pytest
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import BlockUsageLocator, CourseLocator

from shim.enums import ModuleStoreEnum
from shim.exceptions import InsufficientSpecificationError, ItemNotFoundError
from shim.split_types import BlockKey
from tests.shim.courses import build_greek_hero, build_tree

pytestmark = pytest.mark.django_db

DRAFT = ModuleStoreEnum.BranchName.draft
PUBLISHED = ModuleStoreEnum.BranchName.published


@pytest.fixture
def greek():
    return build_greek_hero()


def _draft_key():
    return CourseLocator("testx", "GreekHero", "run", branch=DRAFT)


def _ids(blocks):
    return sorted(b.location.block_id for b in blocks)


def test_get_items_counts_every_block_then_by_category(store, greek):
    locator = _draft_key()
    assert len(store.get_items(locator)) == 8
    assert len(store.get_items(locator)) == 8  # a second read answers the same
    assert _ids(store.get_items(locator, qualifiers={"category": "chapter"})) == [
        "chap", "chapter1", "chapter2", "chapter3"
    ]
    assert store.get_items(locator, qualifiers={"category": "garbage"}) == []


def test_get_items_by_name_is_exact_or_any_of_a_list(store, greek):
    locator = _draft_key()
    assert _ids(store.get_items(locator, qualifiers={"name": "chapter1"})) == ["chapter1"]  # not "chap"
    assert _ids(store.get_items(locator, qualifiers={"name": ["chapter1", "chapter2"]})) == ["chapter1", "chapter2"]
    assert store.get_items(locator, qualifiers={"name": "chapter"}) == []


def test_get_items_with_settings_regex_matches_two_hera_chapters(store, greek):
    matches = store.get_items(_draft_key(), qualifiers={"category": "chapter"},
                              settings={"display_name": re.compile(r"Hera")})
    assert _ids(matches) == ["chapter2", "chapter3"]


def test_get_items_exists_true_and_false_partition_the_course(store, greek):
    locator = _draft_key()
    assert _ids(store.get_items(locator, settings={"group_access": {"$exists": True}})) == ["problem3_2"]
    assert len(store.get_items(locator, settings={"group_access": {"$exists": False}})) == 7


def test_get_items_callable_in_and_nin_criteria(store, greek):
    locator = _draft_key()
    assert _ids(store.get_items(locator, settings={"max_attempts": lambda v: v > 2})) == ["problem1"]
    assert _ids(store.get_items(locator, qualifiers={"category": {"$in": ["course", "garbage"]}})) == ["head12345"]
    assert len(store.get_items(locator, qualifiers={"category": {"$nin": ["problem"]}})) == 5


def test_get_items_list_values_match_any_element_and_children_qualifier(store, greek):
    locator = _draft_key()
    # children is a settings field; the qualifier is moved there for the caller
    parents = store.get_items(locator, qualifiers={"children": BlockKey("problem", "problem32")})
    assert _ids(parents) == ["chapter2", "chapter3"]
    # children are BlockKeys (tuples) in memory: a plain list criterion does not equal one, as in split
    assert store.get_items(locator, qualifiers={"children": ["problem", "problem32"]}) == []


def test_get_items_content_matchers_read_definitions(store, greek):
    locator = _draft_key()
    assert _ids(store.get_items(locator, content={"data": re.compile("Hera")})) == ["problem32"]
    assert _ids(store.get_items(locator, qualifiers={"category": "problem"},
                                content={"data": {"$exists": True}})) == ["problem1", "problem32", "problem3_2"]


def test_get_items_name_with_category_keeps_splits_literal_matching(store, greek):
    # split only renames 'category' after the 'name' shortcut, so both together match nothing
    assert store.get_items(_draft_key(), qualifiers={"name": "chapter1", "category": "chapter"}) == []
    assert _ids(store.get_items(_draft_key(), qualifiers={"name": "chapter1", "block_type": "chapter"})) == ["chapter1"]


def test_get_items_include_orphans_false_drops_orphans_keeps_detached(store):
    built = build_tree()
    everything = store.get_items(built.course_key)
    assert "orphan_html" in _ids(everything) and "overview" in _ids(everything)
    in_tree = store.get_items(built.course_key, include_orphans=False)
    assert "orphan_html" not in _ids(in_tree)
    assert "overview" in _ids(in_tree)  # about blocks are detached, not orphans
    assert len(in_tree) == len(everything) - 1


def test_get_items_returns_blocks_with_branch_and_version_keys(store, greek):
    items = store.get_items(_draft_key(), qualifiers={"name": "problem1"})
    key = items[0].location
    assert key.branch == DRAFT and key.version_guid == greek.draft_id


def test_get_items_wrong_kind_or_deprecated_key_returns_nothing(store, greek):
    assert store.get_items(CourseKey.from_string("testx/GreekHero/run")) == []
    assert store.get_items("course-v1:testx+GreekHero+run") == []


def test_has_item_on_branches_and_missing_things(store, greek):
    course = CourseLocator("testx", "GreekHero", "run")
    assert store.has_item(BlockUsageLocator(course.for_branch(DRAFT), "problem", "problem1"))
    assert store.has_item(BlockUsageLocator(course, "chapter", "chapter1"))  # published by default
    assert not store.has_item(BlockUsageLocator(course, "chapter", "nope"))
    assert not store.has_item(BlockUsageLocator(course.for_branch(DRAFT), "problem", "problem1").replace(
        block_type="html"))
    assert not store.has_item(BlockUsageLocator(CourseLocator("testx", "Nope", "run"), "course", "head12345"))
    assert store.has_item(BlockUsageLocator(CourseLocator("testx", "GreekHero", "run", version_guid=greek.draft_id),
                                            "chapter", "chapter3"))


def test_has_item_deprecated_key_is_false(store, greek):
    old = CourseKey.from_string("testx/GreekHero/run").make_usage_key("chapter", "chapter1")
    assert store.has_item(old) is False


def test_lookup_course_without_branch_or_version_is_insufficient(store, greek):
    # split's _lookup_course: a full course key needs a branch (the draft/published layer always adds one)
    with pytest.raises(InsufficientSpecificationError):
        store._lookup_course(CourseLocator("testx", "GreekHero", "run"))


def test_get_item_returns_the_block_with_its_fields(store, greek):
    block = store.get_item(BlockUsageLocator(_draft_key(), "problem", "problem1"))
    assert block.display_name == "Problem 1"
    assert block.max_attempts == 3
    assert block.data.startswith("<problem>")
    assert block.location.course_key.version_guid == greek.draft_id
    root = store.get_item(BlockUsageLocator(_draft_key(), "course", "head12345"))
    assert root.display_name == "The Ancient Greek Hero"
    assert root.start == datetime.datetime(2013, 2, 14, 5, 0, tzinfo=datetime.timezone.utc)
    assert [c.block_id for c in root.children] == ["chapter1", "chapter2", "chapter3"]


def test_get_item_by_version_without_branch(store, greek):
    key = CourseLocator(version_guid=greek.published_id)
    block = store.get_item(BlockUsageLocator(key, "chapter", "chapter3"))
    assert block.display_name == "Hera cuckolds Zeus"


def test_get_item_missing_block_course_or_branch_raises_item_not_found(store, greek):
    with pytest.raises(ItemNotFoundError):
        store.get_item(BlockUsageLocator(_draft_key(), "chapter", "nope"))
    with pytest.raises(ItemNotFoundError):
        store.get_item(BlockUsageLocator(CourseLocator("testx", "Nope", "run", branch=DRAFT), "course", "x"))
    with pytest.raises(ItemNotFoundError):
        store.get_item(BlockUsageLocator(CourseLocator("testx", "GreekHero", "run", branch="library"),
                                         "course", "head12345"))


def test_get_item_deprecated_or_non_locator_key_raises_item_not_found(store, greek):
    old = CourseKey.from_string("testx/GreekHero/run").make_usage_key("chapter", "chapter1")
    with pytest.raises(ItemNotFoundError):
        store.get_item(old)
    with pytest.raises(ItemNotFoundError):
        store.get_item("block-v1:testx+GreekHero+run+type@chapter+block@chapter1")


def test_depth_and_lazy_never_change_what_is_returned(store, greek):
    usage = BlockUsageLocator(_draft_key(), "chapter", "chapter1")

    def snapshot(block):
        return (str(block.location), block.display_name,
                tuple((str(c.location), c.display_name, c.data) for c in block.get_children()))

    shapes = {snapshot(store.get_item(usage, depth=depth, lazy=lazy))
              for depth in (0, 1, None) for lazy in (True, False)}
    assert len(shapes) == 1
