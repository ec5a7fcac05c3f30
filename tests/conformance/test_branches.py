"""Draft and published: branch settings, revisions, has_changes, versions (split_draft's semantics)."""
from __future__ import annotations

import pytest
from bson import ObjectId
from opaque_keys.edx.locator import BlockUsageLocator, CourseLocator

from shim.enums import ModuleStoreEnum
from shim.exceptions import (
    InvalidBranchSetting,
    ItemNotFoundError,
    UnsupportedRevisionError,
    VersionConflictError,
)
from tests.shim.courses import build_greek_hero
from tests.shim.documents import Block, build_course, children

pytestmark = pytest.mark.django_db

COURSE = CourseLocator("testx", "GreekHero", "run")
Rev = ModuleStoreEnum.RevisionOption


@pytest.fixture
def greek():
    return build_greek_hero()


def test_default_reads_published_branch(store, greek):
    block = store.get_item(COURSE.make_usage_key("chapter", "chapter3"))
    assert block.display_name == "Hera cuckolds Zeus"
    assert block.location.branch == "published-branch"


def test_draft_preferred_setting_reads_draft_until_the_block_exits(store, greek):
    usage = COURSE.make_usage_key("chapter", "chapter3")
    with store.branch_setting(ModuleStoreEnum.Branch.draft_preferred, COURSE):
        assert store.get_branch_setting() == "draft-preferred"
        assert store.get_item(usage).display_name == "Hera cuckolds Zeus (draft)"
        with store.branch_setting(ModuleStoreEnum.Branch.published_only, COURSE):
            assert store.get_item(usage).display_name == "Hera cuckolds Zeus"
        assert store.get_item(usage).location.branch == "draft-branch"
    assert store.get_item(usage).location.branch == "published-branch"


def test_branch_setting_func_gives_the_default(backend, tmp_path, greek):
    from shim.store import ReadOnlySplitModuleStore
    preview = ReadOnlySplitModuleStore(backend, fs_root=str(tmp_path),
                                       branch_setting_func=lambda: ModuleStoreEnum.Branch.draft_preferred)
    assert preview.get_item(COURSE.make_usage_key("chapter", "chapter3")).location.branch == "draft-branch"


def test_unknown_branch_setting_is_refused(store):
    with pytest.raises(InvalidBranchSetting):
        with store.branch_setting("sideways"):
            pass


def test_revision_overrides_setting_and_a_branch_on_the_key_wins(store, greek):
    usage = COURSE.make_usage_key("chapter", "chapter3")
    assert store.get_item(usage, revision=Rev.draft_only).location.branch == "draft-branch"
    with store.branch_setting(ModuleStoreEnum.Branch.draft_preferred):
        assert store.get_item(usage, revision=Rev.published_only).location.branch == "published-branch"
        assert store.get_item(usage.for_branch("published-branch")).location.branch == "published-branch"
    assert store.has_item(usage, revision=Rev.draft_only)
    with pytest.raises(UnsupportedRevisionError):
        store.get_item(usage, revision=Rev.all)
    with pytest.raises(UnsupportedRevisionError):
        store.get_item(usage, revision="sideways")


def test_items_only_in_draft(store):
    published = [Block("course", "course", fields={"children": children(("chapter", "c1"))}), Block("chapter", "c1")]
    draft = [Block("course", "course", fields={"children": children(("chapter", "c1"), ("chapter", "new"))}),
             Block("chapter", "c1"), Block("chapter", "new", edit_info={"update_version": ObjectId()})]
    built = build_course("course-v1:Org+Drafty+Run", published, draft)
    new = built.course_key.make_usage_key("chapter", "new")
    assert not store.has_item(new)
    assert store.has_item(new, revision=Rev.draft_only)
    with pytest.raises(ItemNotFoundError):
        store.get_item(new)
    draft_block = store.get_item(new, revision=Rev.draft_only)
    assert not store.has_published_version(draft_block)
    assert store.has_changes(draft_block)
    assert store.has_changes(store.get_course(built.course_key))  # a new child is a change below the root
    c1 = store.get_item(built.course_key.make_usage_key("chapter", "c1"))
    assert store.has_published_version(c1) and not store.has_changes(c1)


def test_has_changes_follows_source_and_update_versions_down_the_tree(store, greek):
    chapter3 = store.get_item(COURSE.make_usage_key("chapter", "chapter3"))
    assert store.has_changes(chapter3)  # the draft was edited after publishing
    chapter1 = store.get_item(COURSE.make_usage_key("chapter", "chapter1"))
    assert not store.has_changes(chapter1)
    assert store.has_changes(store.get_course(COURSE))  # chapter3 is below the root
    problem32 = store.get_item(COURSE.make_usage_key("problem", "problem32"))
    assert not store.has_changes(problem32)


def test_a_course_without_published_branch(store):
    built = build_course("course-v1:Org+Unpub+Run", None, [Block("course", "course")])
    with pytest.raises(ItemNotFoundError):
        store.get_course(built.course_key)
    root = store.get_course(built.course_key, revision=Rev.draft_only)
    assert not store.has_published_version(root)
    assert store.has_course(built.course_key)


def test_version_conflict_when_key_names_an_old_head(store, greek):
    stale = CourseLocator("testx", "GreekHero", "run", branch="published-branch", version_guid=ObjectId())
    with pytest.raises(VersionConflictError):
        store.get_item(BlockUsageLocator(stale, "chapter", "chapter1"))
    current = stale.replace(version_guid=greek.published_id)
    assert store.get_item(BlockUsageLocator(current, "chapter", "chapter1")).display_name == "Hercules"


def test_unknown_version_guid_is_item_not_found(store, greek):
    with pytest.raises(ItemNotFoundError):
        store.get_course(CourseLocator(version_guid=ObjectId()))


def test_compute_published_info(store, greek):
    block = store.get_item(COURSE.make_usage_key("chapter", "chapter1"), revision=Rev.draft_only)
    store.compute_published_info_internal(block)
    assert block._published_by == -1 and block._published_on is not None
