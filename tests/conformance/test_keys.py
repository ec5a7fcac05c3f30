"""Key edge cases: deprecated, library, version-only and mismatched keys behave as split's do."""
from __future__ import annotations

import pytest
from bson import ObjectId
from opaque_keys.edx.keys import CourseKey, UsageKey
from opaque_keys.edx.locator import BlockUsageLocator, CourseLocator, LibraryLocator, LibraryUsageLocator

from shim.exceptions import ItemNotFoundError
from tests.shim.courses import build_greek_hero

pytestmark = pytest.mark.django_db

DEPRECATED_COURSE = CourseKey.from_string("testx/GreekHero/run")
DEPRECATED_USAGE = UsageKey.from_string("i4x://testx/GreekHero/chapter/chapter1")
LIBRARY = LibraryLocator("testx", "GreekHero")
LIBRARY_USAGE = LibraryUsageLocator(LIBRARY, "problem", "problem1")


@pytest.fixture(autouse=True)
def greek():
    return build_greek_hero()


def test_deprecated_keys(store):
    assert DEPRECATED_USAGE.deprecated and DEPRECATED_COURSE.deprecated
    with pytest.raises(ItemNotFoundError):
        store.get_course(DEPRECATED_COURSE)
    with pytest.raises(ItemNotFoundError):
        store.get_item(DEPRECATED_USAGE)
    with pytest.raises(ItemNotFoundError):
        store.get_parent_location(DEPRECATED_USAGE)
    with pytest.raises(ItemNotFoundError):
        store.get_orphans(DEPRECATED_COURSE)
    with pytest.raises(ItemNotFoundError):
        store.get_course_index_info(DEPRECATED_COURSE)
    assert store.has_item(DEPRECATED_USAGE) is False
    assert store.has_course(DEPRECATED_COURSE) is False
    assert store.get_items(DEPRECATED_COURSE) == []


def test_library_keys_find_nothing_in_a_course_store(store):
    with pytest.raises(ItemNotFoundError):
        store.get_course(LIBRARY)
    with pytest.raises(ItemNotFoundError):
        store.get_item(LIBRARY_USAGE)  # read on the 'library' branch, which courses do not have
    assert store.has_item(LIBRARY_USAGE) is False
    assert store.has_course(LIBRARY) is False
    with pytest.raises(ItemNotFoundError):
        store.get_items(LIBRARY)


def test_version_only_keys_read_that_structure(store, greek):
    by_version = CourseLocator(version_guid=greek.draft_id)
    assert store.get_item(BlockUsageLocator(by_version, "chapter", "chapter3")).display_name.endswith("(draft)")
    assert store.has_item(BlockUsageLocator(by_version, "chapter", "chapter3"))
    assert not store.has_item(BlockUsageLocator(CourseLocator(version_guid=ObjectId()), "chapter", "chapter3"))
    assert store.has_course(by_version) is None  # no index for a version-only key


def test_branch_and_current_version_together_are_accepted(store, greek):
    key = CourseLocator("testx", "GreekHero", "run", branch="draft-branch", version_guid=greek.draft_id)
    assert store.get_course(key).location.version_guid == greek.draft_id


def test_keys_are_case_sensitive_unless_told(store):
    with pytest.raises(ItemNotFoundError):
        store.get_course(CourseLocator("TESTX", "greekhero", "run"))
    assert store.has_course(CourseLocator("TESTX", "greekhero", "RUN"), ignore_case=True) == CourseLocator(
        "testx", "GreekHero", "run")


def test_non_key_arguments(store):
    assert store.has_item("block-v1:testx+GreekHero+run+type@chapter+block@chapter1") is False
    assert store.has_course("course-v1:testx+GreekHero+run") is False
    assert store.get_items(None) == []
    with pytest.raises(ItemNotFoundError):
        store.get_course("course-v1:testx+GreekHero+run")


def test_ccx_course_usage_key():
    ccx_locator = pytest.importorskip("ccx_keys.locator")
    from shim.store import ReadOnlySplitModuleStore

    ccx = ccx_locator.CCXLocator.from_course_locator(CourseLocator("org", "course", "run"), "1")
    usage = ReadOnlySplitModuleStore(backend=None).make_course_usage_key(ccx)
    assert isinstance(usage, ccx_locator.CCXBlockUsageLocator)
    assert (usage.block_type, usage.block_id) == ("course", "course")
