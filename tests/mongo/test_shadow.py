"""Shadow reads: served from Mongo, compared with Learning Core, mismatches logged and counted, never raised."""
from __future__ import annotations

import logging
from io import StringIO

import pytest
from django.core.management import call_command
from opaque_keys.edx.keys import CourseKey

from lc_modulestore.models import ShadowMismatch, ShadowReadCount
from lc_modulestore.rollout.api import SHADOW_READS, create_router_modulestore, set_course_override
from lc_modulestore.rollout.shadow import (
    record_shadow_read,
    shadow_mismatch_count,
    shadow_read_totals,
    shadow_reads_enabled,
)
from tests.mongo.twins import CHANGED_BLOCK, diverge, stores, twin_course

pytestmark = pytest.mark.django_db
A = CourseKey.from_string("course-v1:Org+A+R")
B = CourseKey.from_string("course-v1:Org+B+R")


@pytest.fixture
def router(mock_db, tmp_path):
    for key in (A, B):
        diverge(twin_course(str(key), mock_db), f"LC {key.course}")  # an injected mismatch in each course
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    return create_router_modulestore(
        lc_store=lc, mongo_store=mongo, shadow_enabled=shadow_reads_enabled, report=record_shadow_read
    )


def test_shadow_counts_the_injected_mismatch_and_serves_mongo(router, caplog):
    call_command("lc_flag", "enable", str(A), "--shadow", stdout=StringIO())  # no verify gate for shadowing
    with caplog.at_level(logging.WARNING, logger="lc_modulestore.rollout.shadow"):
        block = router.get_item(A.make_usage_key(*CHANGED_BLOCK))
    assert block.display_name == CHANGED_BLOCK.id  # Mongo's answer
    rows = list(ShadowMismatch.objects.filter(course_key=A))
    assert [(r.method, r.location, r.field, r.mongo_value, r.learning_core_value) for r in rows] == [
        ("get_item", str(A.make_usage_key(*CHANGED_BLOCK)), "display_name", repr(CHANGED_BLOCK.id), "'LC A'")
    ]
    assert "field=display_name" in caplog.text and str(A) in caplog.text
    # Same answers are not mismatches; a course without the flag is not shadowed.
    router.get_item(A.make_usage_key("vertical", "u0_0_0"))
    router.get_item(B.make_usage_key(*CHANGED_BLOCK))
    assert shadow_mismatch_count(A) == 1 and shadow_mismatch_count(B) == 0


def test_matching_reads_are_counted_with_the_mismatched_ones_per_course_and_method(router):
    set_course_override(A, True, flag=SHADOW_READS)
    for block in (("vertical", "u0_0_0"), ("sequential", "s0_0"), CHANGED_BLOCK):  # the last one differs
        router.get_item(A.make_usage_key(*block))
    assert router.has_item(A.make_usage_key(*CHANGED_BLOCK))
    router.get_item(B.make_usage_key(*CHANGED_BLOCK))  # B is not shadowed: not counted
    counts = {(c.method, c.reads, c.matched, c.mismatched) for c in ShadowReadCount.objects.filter(course_key=A)}
    assert counts == {("get_item", 3, 2, 1), ("has_item", 1, 1, 0)}
    totals = shadow_read_totals(A)
    assert (totals.reads, totals.matched, totals.mismatched) == (4, 3, 1)
    assert str(totals) == "4 read(s) compared: 3 matched, 1 mismatched"
    assert shadow_read_totals(B).reads == 0 and str(shadow_read_totals(B)) == "no reads compared"
    assert shadow_mismatch_count(A) == 1  # the one mismatching read's row; matches store no rows


def test_a_failing_learning_core_read_is_counted_not_raised(router, monkeypatch):
    set_course_override(A, True, flag=SHADOW_READS)

    def broken(*args, **kwargs):
        raise RuntimeError("LC exploded")

    monkeypatch.setattr(router.lc_store, "has_item", broken)
    assert router.has_item(A.make_usage_key(*CHANGED_BLOCK)) is True
    row = ShadowMismatch.objects.get(course_key=A)
    assert row.method == "has_item" and "LC exploded" in row.error
    assert (shadow_read_totals(A).reads, shadow_read_totals(A).mismatched) == (1, 1)


def test_courses_served_from_learning_core_are_not_shadowed(router):
    set_course_override(A, True, flag=SHADOW_READS)
    set_course_override(A, True, force=True, note="test")
    assert router.get_item(A.make_usage_key(*CHANGED_BLOCK)).display_name == "LC A"
    assert shadow_mismatch_count(A) == 0


def test_listing_and_item_reads_of_a_twin_match(mock_db, tmp_path):
    twin_course(str(A), mock_db, sections=2)
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    router = create_router_modulestore(
        lc_store=lc, mongo_store=mongo, shadow_enabled=lambda key: True, report=record_shadow_read
    )
    router.get_course(A, depth=None)
    router.get_items(A)
    router.get_parent_location(A.make_usage_key(*CHANGED_BLOCK))
    router.get_all_asset_metadata(A, None)
    assert shadow_mismatch_count(A) == 0
    assert shadow_read_totals(A).reads == 4 and shadow_read_totals(A).mismatched == 0


def test_a_deep_read_compares_every_returned_block_not_just_the_root(mock_db, tmp_path):
    """Issue 15 finding 5: get_course(depth=None) reported a match while a chapter below the root differed."""
    course = twin_course(str(A), mock_db, sections=2)
    diverge(course, "Edited below the root")
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    router = create_router_modulestore(
        lc_store=lc, mongo_store=mongo, shadow_enabled=lambda key: True, report=record_shadow_read
    )
    router.get_course(A, depth=0)  # only the root returned: it agrees
    assert shadow_mismatch_count(A) == 0
    router.get_course(A, depth=None)
    rows = list(ShadowMismatch.objects.filter(course_key=A, method="get_course"))
    assert [(r.location, r.field) for r in rows] == [(str(A.make_usage_key(*CHANGED_BLOCK)), "display_name")]
    router.get_item(A.make_usage_key("vertical", "u0_0_0"), depth=1)
    assert ShadowMismatch.objects.filter(course_key=A, method="get_item", field="display_name").count() == 1
    router.get_item(A.make_usage_key("sequential", "s0_0"), depth=1)  # the changed block is two levels down
    assert ShadowMismatch.objects.filter(course_key=A, method="get_item").count() == 1


def test_get_items_compares_the_set_of_keys_and_get_parent_location_the_parent(mock_db, tmp_path):
    twin_course(str(A), mock_db)
    mock_db["modulestore.structures"].update_many({}, {"$pull": {"blocks": {"block_id": "p0_0_0_1"}}})
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    router = create_router_modulestore(
        lc_store=lc, mongo_store=mongo, shadow_enabled=lambda key: True, report=record_shadow_read
    )
    router.get_items(A)
    row = ShadowMismatch.objects.get(course_key=A, method="get_items")
    assert row.location.endswith("block@p0_0_0_1") and row.field == "(block)"
    router.get_parent_location(A.make_usage_key("html", "p0_0_0_0"))  # the parent, compared as a key
    assert ShadowReadCount.objects.get(course_key=A, method="get_parent_location").reads == 1
    assert not ShadowMismatch.objects.filter(course_key=A, method="get_parent_location").exists()


def move_unit_in_mongo(database, unit: str, source: str, target: str) -> None:
    """Move ``unit`` from sequential ``source`` to ``target`` in Mongo only, as Studio would: new structure versions."""
    from bson import ObjectId

    structures, indexes = database["modulestore.structures"], database["modulestore.active_versions"]
    replaced = {}
    for structure in list(structures.find()):
        blocks = {(b["block_type"], b["block_id"]): b for b in structure["blocks"]}
        blocks["sequential", source]["fields"]["children"].remove(["vertical", unit])
        blocks["sequential", target]["fields"]["children"].append(["vertical", unit])
        old = structure["_id"]
        structure.update(_id=ObjectId(), previous_version=old)
        structures.insert_one(structure)
        replaced[old] = structure["_id"]
    for index in list(indexes.find()):
        versions = {branch: replaced.get(v, v) for branch, v in index["versions"].items()}
        indexes.update_one({"_id": index["_id"]}, {"$set": {"versions": versions}})


def test_get_parent_location_records_a_parent_that_differs_and_serves_mongos(mock_db, tmp_path):
    """The unit ``u0_0_0`` sits under ``s0_1`` in Mongo, under ``s0_0`` in Learning Core."""
    twin_course(str(A), mock_db, subsections=2)
    move_unit_in_mongo(mock_db, "u0_0_0", "s0_0", "s0_1")
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    router = create_router_modulestore(
        lc_store=lc, mongo_store=mongo, shadow_enabled=lambda key: True, report=record_shadow_read
    )
    unit = A.make_usage_key("vertical", "u0_0_0")
    assert router.get_parent_location(unit) == A.make_usage_key("sequential", "s0_1")  # Mongo's answer
    assert lc.get_parent_location(unit) == A.make_usage_key("sequential", "s0_0")
    row = ShadowMismatch.objects.get(course_key=A, method="get_parent_location")
    assert row.location == str(unit.for_branch(None))  # the block asked about, not the course
    s0_0, s0_1 = A.make_usage_key("sequential", "s0_0"), A.make_usage_key("sequential", "s0_1")
    assert (row.field, row.mongo_value, row.learning_core_value) == ("get_parent_location()", repr(s0_1), repr(s0_0))
    counter = ShadowReadCount.objects.get(course_key=A, method="get_parent_location")
    assert (counter.reads, counter.mismatched) == (1, 1)
    # the unit's own children did not move: their parent agrees, counted as a match
    assert router.get_parent_location(A.make_usage_key("html", "p0_0_0_0")) == unit
    counter.refresh_from_db()
    assert (counter.reads, counter.mismatched) == (2, 1)
    assert ShadowMismatch.objects.filter(course_key=A, method="get_parent_location").count() == 1


def test_lc_shadow_report_lists_counts_and_shortened_mismatches(router):
    set_course_override(A, True, flag=SHADOW_READS)
    router.get_item(A.make_usage_key(*CHANGED_BLOCK))
    router.get_item(A.make_usage_key("vertical", "u0_0_0"))
    ShadowMismatch.objects.create(course_key=A, method="get_item", location="x", field="data",
                                  mongo_value=repr("m" * 5000), learning_core_value="'y'")
    out = StringIO()
    call_command("lc_shadow_report", stdout=out)
    text = out.getvalue()
    assert f"{A}: 2 read(s) compared: 1 matched, 1 mismatched" in text
    assert "get_item display_name" in text and "(5,002 chars)" in text and "m" * 5000 not in text


def test_a_deep_read_compares_at_most_shadow_max_blocks(mock_db, tmp_path):
    """The cost is bounded: breadth first, only the nearest blocks of a whole-course read are compared."""
    course = twin_course(str(A), mock_db, sections=2)
    diverge(course, "Deep down")  # a leaf: four levels below the root
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    router = create_router_modulestore(lc_store=lc, mongo_store=mongo, shadow_enabled=lambda key: True,
                                       report=record_shadow_read, shadow_max_blocks=3)
    router.get_course(A, depth=None)
    assert shadow_mismatch_count(A) == 0 and shadow_read_totals(A).reads == 1
