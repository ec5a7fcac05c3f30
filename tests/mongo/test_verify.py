"""lc_verify: Mongo and Learning Core compared through their stores; the gate lc_flag enable checks."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from edx_django_utils.cache import RequestCache

from lc_modulestore.rollout.api import latest_verify_run
from lc_modulestore.rollout.verify import verify_course
from shim.backends.mongo import MongoBackend
from shim.store import ReadOnlySplitModuleStore
from tests.mongo.twins import CHANGED_BLOCK, diverge, stores, twin_course

pytestmark = pytest.mark.django_db
KEY = "course-v1:Org+V+R"


def test_twins_pass_and_record_a_passing_run(mock_db, tmp_path):
    twin_course(KEY, mock_db, sections=2, units=2)
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    report = verify_course(KEY, mongo_store=mongo, lc_store=lc)
    assert report.passed, report.summary()
    assert report.branches == ["published-branch", "draft-branch"]
    assert report.blocks_compared == 2 * (1 + 2 + 2 + 4 + 8)
    run = latest_verify_run(KEY)
    assert run.passed and run.finished is not None and run.diff_count == 0


def test_verify_reads_each_head_once_per_branch_not_once_per_block(mock_db, tmp_path):
    twin_course(KEY, mock_db, sections=2, units=2)
    lc, _ = stores(mock_db, tmp_path=tmp_path)
    backend = MongoBackend(database=mock_db)  # no structure cache: every structure read is a round trip
    mongo = ReadOnlySplitModuleStore(backend, strip_keys=True, fs_root=str(tmp_path))
    report = verify_course(KEY, mongo_store=mongo, lc_store=lc, record=False)
    assert report.passed, report.summary()
    assert report.blocks_compared == 2 * 17
    # Per branch compared: its head, and the other head for has_changes; definitions in one $in per branch.
    assert backend.calls["get_structure"] == 2 * 2
    assert backend.calls["get_definitions"] == 2 and backend.calls["get_definition"] == 0


def test_a_changed_field_is_reported_with_both_values(mock_db, tmp_path):
    course = twin_course(KEY, mock_db)
    diverge(course, "Changed in LC")
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    report = verify_course(KEY, mongo_store=mongo, lc_store=lc)
    assert not report.passed
    location = f"block-v1:Org+V+R+type@html+block@{CHANGED_BLOCK.id}"
    display = [d for d in report.differences if d.field == "display_name"]
    assert {(d.location, d.mongo, d.learning_core) for d in display} == {(location, CHANGED_BLOCK.id, "Changed in LC")}
    run = latest_verify_run(KEY)
    assert not run.passed and run.diff_count == len(report.differences)
    assert "display_name" in run.summary and "Changed in LC" in run.summary


def test_missing_block_branch_and_course_are_differences(mock_db, tmp_path):
    twin_course(KEY, mock_db)
    mock_db["modulestore.structures"].update_many({}, {"$pull": {"blocks": {"block_id": "p0_0_0_1"}}})
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    report = verify_course(KEY, mongo_store=mongo, lc_store=lc, record=False)
    fields = {(d.location.split("@")[-1], d.field) for d in report.differences}
    assert ("p0_0_0_1", "(block on published-branch)") in fields
    assert ("u0_0_0", "(has_changes)") in fields  # its child is gone from both Mongo branches
    mock_db["modulestore.active_versions"].delete_many({})
    RequestCache.clear_all_namespaces()  # a new request: indexes are request-cached
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    report = verify_course(KEY, mongo_store=mongo, lc_store=lc, record=False)
    assert [(d.field, d.mongo, d.learning_core) for d in report.differences] == [("(course)", False, True)]


@pytest.mark.mongo_wire
def test_command_on_a_real_socket_gates_lc_flag_enable(nx_db):
    uri, database = nx_db
    course = twin_course(KEY, database, separator="_")
    args = ["--mongo-uri", uri, "--db", database.name, "--separator", "_"]
    out = StringIO()
    call_command("lc_verify", KEY, *args, stdout=out)
    assert "agree" in out.getvalue()
    call_command("lc_flag", "enable", KEY, stdout=StringIO())  # allowed: the run passed
    call_command("lc_flag", "disable", KEY, stdout=StringIO())

    diverge(course, "Drifted")
    out = StringIO()
    with pytest.raises(CommandError, match="difference"):
        call_command("lc_verify", KEY, *args, stdout=out)
    assert "display_name" in out.getvalue() and "'Drifted'" in out.getvalue()
    with pytest.raises(CommandError, match="failed with"):
        call_command("lc_flag", "enable", KEY, stdout=StringIO())
