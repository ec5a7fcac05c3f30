"""The router: each course served from Learning Core or Mongo by its flag; rollback on the very next call."""
from __future__ import annotations

import inspect

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from edx_django_utils.cache import RequestCache
from opaque_keys.edx.keys import CourseKey

from lc_modulestore.models import CourseFlagOverride, OrgFlagOverride
from lc_modulestore.rollout.api import (
    USE_LEARNING_CORE,
    create_router_modulestore,
    set_course_override,
    set_org_override,
)
from shim.api import ReadOnlyModuleStoreError, ReadOnlySplitModuleStore, RouterModuleStore
from shim.enums import ModuleStoreEnum
from tests.mongo.twins import CHANGED_BLOCK, diverge, stores, twin_course

pytestmark = pytest.mark.django_db
A = CourseKey.from_string("course-v1:Org+A+R")
B = CourseKey.from_string("course-v1:Org+B+R")
OTHER = CourseKey.from_string("course-v1:Else+C+R")


def _name(router, course_key) -> str:
    return router.get_item(course_key.make_usage_key(*CHANGED_BLOCK)).display_name


@pytest.fixture
def router(mock_db, tmp_path):
    for key in (A, B, OTHER):
        course = twin_course(str(key), mock_db)
        diverge(course, f"LC {key.course}")
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    return create_router_modulestore(lc_store=lc, mongo_store=mongo, shadow=False)


def test_flag_switches_one_course_while_another_stays(router):
    assert _name(router, A) == _name(router, B) == CHANGED_BLOCK.id  # Mongo's copies
    set_course_override(A, True, force=True, note="test")
    assert _name(router, A) == "LC A"
    assert _name(router, B) == CHANGED_BLOCK.id
    assert router.store_for(A) is router.lc_store and router.store_for(B) is router.mongo_store


def test_rollback_serves_mongo_on_the_very_next_call(router):
    set_course_override(A, True, force=True, note="test")
    assert _name(router, A) == "LC A"
    set_course_override(A, False, note="incident")
    assert _name(router, A) == CHANGED_BLOCK.id


def test_a_change_by_another_process_applies_from_the_next_request(router):
    assert _name(router, A) == CHANGED_BLOCK.id
    # Another process (admin, lc_flag elsewhere) writes the row: this request keeps its answer...
    CourseFlagOverride.objects.create(waffle_flag=USE_LEARNING_CORE.name, course_id=A, override_choice="on",
                                      change_date=timezone.now())
    assert _name(router, A) == CHANGED_BLOCK.id
    RequestCache.clear_all_namespaces()  # ...the next request sees it
    assert _name(router, A) == "LC A"


def test_org_override_and_course_override_precedence(router):
    set_org_override("Org", True, force=True, note="test")
    assert (_name(router, A), _name(router, B), _name(router, OTHER)) == ("LC A", "LC B", CHANGED_BLOCK.id)
    set_course_override(B, False)
    assert (_name(router, A), _name(router, B)) == ("LC A", CHANGED_BLOCK.id)
    set_org_override("Org", None)
    assert _name(router, A) == CHANGED_BLOCK.id


def test_listings_merge_without_duplicates_and_the_flag_picks_the_copy(router):
    set_course_override(A, True, force=True, note="test")
    courses = router.get_courses()
    keys = [c.location.course_key for c in courses]
    assert sorted(map(str, keys)) == sorted(map(str, (A, B, OTHER)))
    heads = {c.location.course_key: c.runtime.course_entry.version_guid for c in courses}
    assert heads[A] == router.lc_store.get_course_index(A)["versions"]["published-branch"]
    assert heads[B] == router.mongo_store.get_course_index(B)["versions"]["published-branch"]
    assert heads[B] != router.lc_store.get_course_index(B)["versions"]["published-branch"]
    summaries = router.get_course_summaries()
    assert sorted(str(s.id) for s in summaries) == sorted(map(str, (A, B, OTHER)))
    assert sorted(map(str, router.get_courses_for_wiki("A"))) in ([], [str(A)])
    assert len(router.get_courses(org="Org")) == 2


def _flag_queries(queries) -> int:
    tables = (CourseFlagOverride._meta.db_table, OrgFlagOverride._meta.db_table)
    return sum(1 for q in queries if any(t in q["sql"] for t in tables))


def test_listings_read_the_flags_of_all_listed_courses_in_one_batch(router):
    set_course_override(A, True, force=True, note="test")
    set_org_override("Else", False)
    RequestCache.clear_all_namespaces()  # a new request: no flag answer cached
    with CaptureQueriesContext(connection) as listing:
        summaries = router.get_course_summaries()
    assert sorted(str(s.id) for s in summaries) == sorted(map(str, (A, B, OTHER)))
    assert _flag_queries(listing.captured_queries) == 2  # course overrides and org overrides, for all three
    with CaptureQueriesContext(connection) as again:
        courses = router.get_courses()
    assert _flag_queries(again.captured_queries) == 0  # same request: answered from the request cache
    heads = {c.location.course_key: c.runtime.course_entry.version_guid for c in courses}
    assert heads[A] == router.lc_store.get_course_index(A)["versions"]["published-branch"]
    assert heads[B] == router.mongo_store.get_course_index(B)["versions"]["published-branch"]


def test_reads_bulk_operations_and_branch_setting_are_routed(router):
    set_course_override(A, True, force=True, note="test")
    usage = A.make_usage_key(*CHANGED_BLOCK)
    with router.bulk_operations(A):
        assert router.has_item(usage)
        assert router.get_parent_location(usage) == A.make_usage_key("vertical", "u0_0_0")
    with router.branch_setting(ModuleStoreEnum.Branch.draft_preferred):
        assert router.get_branch_setting() == ModuleStoreEnum.Branch.draft_preferred
        assert router.lc_store.get_branch_setting() == router.mongo_store.get_branch_setting()
        block = router.get_item(usage)
        assert router.has_changes(block) is False
    assert router.get_course(A).location.course_key == A
    assert router.get_orphans(A) == []
    assert router.get_all_asset_metadata(A, None) == []


def test_writes_refused_for_learning_core_courses_passed_through_for_mongo(router):
    calls = []

    class WritableMongo(ReadOnlySplitModuleStore):
        def update_item(self, block, user_id, **kwargs):
            calls.append((block.location, user_id))
            return block

    router.mongo_store.__class__ = WritableMongo
    set_course_override(A, True, force=True, note="test")
    lc_block = router.get_item(A.make_usage_key(*CHANGED_BLOCK))
    with pytest.raises(ReadOnlyModuleStoreError, match="course-v1:Org\\+A\\+R"):
        router.update_item(lc_block, 7)
    mongo_block = router.get_item(B.make_usage_key(*CHANGED_BLOCK))
    router.update_item(mongo_block, 7)
    assert calls == [(mongo_block.location, 7)]


def test_router_offers_every_public_method_of_the_store():
    missing = [
        name for name, _ in inspect.getmembers(ReadOnlySplitModuleStore, callable)
        if not name.startswith("_") and not hasattr(RouterModuleStore, name)
        and name != "create_runtime"  # the store's own factory for its runtimes, not ModuleStore API
    ]
    assert missing == []
