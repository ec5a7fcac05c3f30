"""
Shadow reads in the lowest-layer mount, where the Mongo and Learning Core copies of a course really differ.

The Mongo copy has one unit moved: ``v1`` is a child of ``seq2`` there, of ``seq1`` in Learning Core. The
course is served from Mongo (flag off) with ``lc_modulestore.shadow_reads`` on, through edx-platform's
``modulestore()`` (Mixed over the mount, as the LMS builds it), so each shadowed read answers Mongo's
and records what Learning Core answered differently (``ShadowReadCount`` / ``ShadowMismatch``).
"""
from __future__ import annotations

import pytest

from lc_modulestore.models import ShadowMismatch, ShadowReadCount
from lc_modulestore.rollout.api import set_course_override, shadow_read_totals
from lc_modulestore.rollout.flags import SHADOW_READS
from tests.edx_platform.test_mixed_mount import (  # noqa: F401
    CALLS,
    KEY,
    edit_mongo_blocks,
    lms_modulestore,
    mongo_db,
    new_request,
    recording_mongo_backend,
    set_flag,
    split_store,
)

pytestmark = pytest.mark.django_db
UNIT = KEY.make_usage_key("vertical", "v1")
SEQ1, SEQ2 = KEY.make_usage_key("sequential", "seq1"), KEY.make_usage_key("sequential", "seq2")
BACKEND = f"{recording_mongo_backend.__module__}.recording_mongo_backend"


def move_unit_to_seq2(block) -> bool:
    """In split's Mongo document: ``v1`` leaves ``seq1``'s children and becomes ``seq2``'s first child."""
    if block["block_type"] != "sequential" or block["block_id"] not in ("seq1", "seq2"):
        return False
    children = block["fields"]["children"]
    if block["block_id"] == "seq1":
        children.remove(["vertical", "v1"])
    else:
        children.insert(0, ["vertical", "v1"])
    return True


@pytest.fixture
def shadowed(mongo_db, tmp_path):  # noqa: F811
    """Mongo serves the course (its ``v1`` moved), shadow reads on, edx-platform's ``modulestore()`` built."""
    assert edit_mongo_blocks(mongo_db, move_unit_to_seq2)
    set_flag(False)
    set_course_override(KEY, True, force=True, note="shadow tests", flag=SHADOW_READS)
    new_request()
    CALLS.clear()
    with lms_modulestore(tmp_path, split_backend=BACKEND) as mixed:
        yield mixed
    CALLS.clear()


def rows(method):
    return [(r.location, r.field, r.mongo_value, r.learning_core_value, r.error)
            for r in ShadowMismatch.objects.filter(course_key=KEY, method=method)]


def counted(method):
    counter = ShadowReadCount.objects.get(course_key=KEY, method=method)
    return counter.reads, counter.mismatched


def test_a_differing_parent_is_recorded_and_mongos_parent_served(shadowed):
    served = shadowed.get_parent_location(UNIT)
    assert served == SEQ2  # Mongo's answer (Mixed strips branch and version)
    assert "get_course_index" in [c[0] for c in CALLS]
    assert rows("get_parent_location") == [
        (str(UNIT), "get_parent_location()", repr(SEQ2), repr(SEQ1), ""),
    ]
    assert counted("get_parent_location") == (1, 1)
    # a block whose parent is the same on both sides is counted as a match, with no row
    assert shadowed.get_parent_location(KEY.make_usage_key("html", "h1")) == UNIT
    assert counted("get_parent_location") == (2, 1) and len(rows("get_parent_location")) == 1


def test_a_deep_read_records_the_children_that_differ_below_the_root(shadowed):
    """``get_course(depth=None)``: every returned block is compared, not just the course block (which agrees)."""
    course = shadowed.get_course(KEY, depth=None)
    chapter = course.get_children()[0]
    assert [s.location.block_id for s in chapter.get_children()] == ["seq1", "seq2"]
    assert [u.location.block_id for u in chapter.get_children()[1].get_children()][0] == "v1"  # served: Mongo's
    found = {(location, field) for location, field, *_ in rows("get_course")}
    assert {(str(SEQ1), "children"), (str(SEQ2), "children")} <= found
    assert counted("get_course") == (1, 1)


def test_a_shadow_read_inside_a_bulk_operation_still_reads_learning_core(shadowed):
    """
    Split keeps a course's index and structures in its bulk-operation record: the Learning Core read of a
    shadowed call inside ``bulk_operations`` (as the LMS's course publish listeners and block-structure
    collect run) must not be answered from the Mongo side's record, nor leave its own there.
    """
    with shadowed.bulk_operations(KEY):
        assert shadowed.get_parent_location(UNIT) == SEQ2
        seq1 = shadowed.get_item(SEQ1, depth=1)
        assert "v1" not in [c.block_id for c in seq1.children]  # served: Mongo's
        assert shadowed.get_parent_location(UNIT) == SEQ2  # the served side's record is Mongo's still
    assert rows("get_parent_location")[0][1:4] == ("get_parent_location()", repr(SEQ2), repr(SEQ1))
    assert [(location, field) for location, field, *_ in rows("get_item")] == [(str(SEQ1), "children")]
    assert counted("get_parent_location") == (2, 2) and counted("get_item") == (1, 1)
    new_request()
    assert shadowed.get_parent_location(UNIT) == SEQ2


def test_no_shadow_reads_without_the_flag_and_for_a_learning_core_course(shadowed):
    set_course_override(KEY, False, force=True, note="shadow tests", flag=SHADOW_READS)
    new_request()
    assert shadowed.get_parent_location(UNIT) == SEQ2
    assert shadow_read_totals(KEY).reads == 0
    set_course_override(KEY, True, force=True, note="shadow tests", flag=SHADOW_READS)
    set_flag(True)  # Learning Core serves it: nothing to shadow, Learning Core's parent served
    CALLS.clear()
    assert shadowed.get_parent_location(UNIT) == SEQ1
    assert shadow_read_totals(KEY).reads == 0 and CALLS == []


def test_has_item_and_get_orphans_are_shadowed_too(shadowed):
    assert shadowed.has_item(UNIT) and shadowed.get_orphans(KEY) == []
    assert counted("has_item") == (1, 0) and counted("get_orphans") == (1, 0)
    assert not rows("has_item") and not rows("get_orphans")
