"""
The verify gate means something (issue 15, findings 1, 2 and 9).

* a course in neither store, a branch on one side only, or 0 blocks compared fails the verify, naming what;
* a run records where it looked and the heads it compared; ``lc_flag enable`` (CLI, API) refuses a pass
  whose heads moved since, naming the side;
* where Mongo lives is four settings read by every command, the router and the gate, so a ``_``-separated
  twin (nx-27017) is reachable without per-command options.
"""
from __future__ import annotations

import copy
from io import StringIO

import pytest
from bson import ObjectId
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from edx_django_utils.cache import RequestCache
from opaque_keys.edx.keys import CourseKey

from compiler import api as compiler_api
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH
from lc_modulestore.models import CourseFlagOverride
from lc_modulestore.rollout.api import (
    FlagChangeRefusedError,
    clear_router,
    latest_verify_run,
    router_modulestore,
    set_course_override,
)
from lc_modulestore.rollout.mongo_export.api import export_course_to_mongo
from lc_modulestore.rollout.verify import verify_course
from tests.compiler.helpers import build_course
from tests.mongo.twins import diverge, stores, twin_course

pytestmark = pytest.mark.django_db
KEY = "course-v1:Org+G+R"


def test_a_course_in_neither_store_fails_and_names_what_is_missing(mock_db, tmp_path):
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    report = verify_course("course-v1:No+Such+Course", mongo_store=mongo, lc_store=lc)
    assert not report.passed
    assert report.problems == [
        f"course-v1:No+Such+Course is in neither Mongo (at {report.location}) nor Learning Core"]
    run = latest_verify_run("course-v1:No+Such+Course")
    assert not run.passed and run.diff_count == 1 and "NOT VERIFIED" in run.summary
    with pytest.raises(FlagChangeRefusedError, match="failed with 1 difference"):
        set_course_override("course-v1:No+Such+Course", True)


def test_a_branch_on_one_side_only_is_named(mock_db, tmp_path):
    twin_course(KEY, mock_db)
    mock_db["modulestore.active_versions"].update_many({}, {"$unset": {f"versions.{DRAFT_BRANCH}": ""}})
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    report = verify_course(KEY, mongo_store=mongo, lc_store=lc, record=False)
    assert not report.passed
    assert f"{KEY} branch draft-branch: in Learning Core only, missing from Mongo" in report.summary()


def test_zero_blocks_compared_is_not_a_pass(mock_db, tmp_path):
    build_course(KEY)
    compiler_api.compile_course(KEY, branch=PUBLISHED_BRANCH)  # no draft head on either side
    export_course_to_mongo(KEY, database=mock_db)
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    report = verify_course(KEY, mongo_store=mongo, lc_store=lc, branches=(DRAFT_BRANCH,))
    assert report.differences == [] and report.blocks_compared == 0
    assert not report.passed and "0 blocks of" in report.problems[0]
    assert not latest_verify_run(KEY).passed


def test_a_run_records_where_it_looked_and_the_heads_it_compared(mock_db, tmp_path):
    twin_course(KEY, mock_db)
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    report = verify_course(KEY, mongo_store=mongo, lc_store=lc)
    run = latest_verify_run(KEY)
    assert run.passed and run.blocks_compared == report.blocks_compared > 0
    index = mock_db["modulestore.active_versions"].find_one({})
    mongo_heads = {b: str(v) for b, v in index["versions"].items()}
    assert run.heads["mongo"] == mongo_heads and run.heads["learning_core"] == mongo_heads  # twins: same ids
    assert set(run.mongo_location) == {"uri", "db", "collection", "separator", "contentstore"}
    assert run.mongo_location["contentstore"] == {"db": "edxapp", "bucket": "fs"}  # where asset files were looked for
    assert "Mongo heads: published-branch " in run.summary


# ---- on a real socket: the settings, the router and the gate ---------------------------------------------------


def _edit_in_mongo(database, separator: str, block_id: str, display_name: str) -> str:
    """What Studio does on an edit: a new published structure with one field changed, and the index moved to it."""
    index_collection = database[f"modulestore{separator}active_versions"]
    structures = database[f"modulestore{separator}structures"]
    index = index_collection.find_one({})
    structure = copy.deepcopy(structures.find_one({"_id": index["versions"][PUBLISHED_BRANCH]}))
    structure["previous_version"], structure["_id"] = structure["_id"], ObjectId()
    for block in structure["blocks"]:
        if block["block_id"] == block_id:
            block["fields"]["display_name"] = display_name
    structures.insert_one(structure)
    index_collection.update_one({"_id": index["_id"]}, {"$set": {f"versions.{PUBLISHED_BRANCH}": structure["_id"]}})
    RequestCache.clear_all_namespaces()
    return str(structure["_id"])


@pytest.fixture
def nx_settings(nx_db):
    uri, database = nx_db
    with override_settings(LC_MODULESTORE_MONGO_URI=uri, LC_MODULESTORE_MONGO_DB=database.name,
                           LC_MODULESTORE_MONGO_SEPARATOR="_"):
        clear_router()
        yield database
    clear_router()


@pytest.mark.mongo_wire
def test_the_router_reaches_a_twin_through_the_separator_setting(nx_settings):
    twin_course(KEY, nx_settings, separator="_")
    course = router_modulestore().get_course(CourseKey.from_string(KEY))  # served from Mongo: the flag is off
    assert course is not None and course.location.block_id == "course"
    assert router_modulestore().mongo_store.backend.collection_separator == "_"


@pytest.mark.mongo_wire
def test_the_command_fails_on_a_course_that_is_nowhere(nx_settings):
    out = StringIO()
    with pytest.raises(CommandError, match="not verified: course-v1:No\\+Such\\+Course is in neither Mongo"):
        call_command("lc_verify", "course-v1:No+Such+Course", stdout=out, stderr=StringIO())
    assert "0 block(s) compared on no branch" in out.getvalue()
    with pytest.raises(CommandError, match="failed with 1 difference"):
        call_command("lc_flag", "enable", "course-v1:No+Such+Course", stdout=StringIO())


@pytest.mark.mongo_wire
def test_enable_refuses_a_pass_once_mongo_moved(nx_settings):
    database = nx_settings
    twin_course(KEY, database, separator="_")
    call_command("lc_verify", KEY, stdout=StringIO(), stderr=StringIO())  # every location part from settings
    run = latest_verify_run(KEY)
    assert run.passed and run.mongo_location["separator"] == "_" and run.mongo_location["db"] == database.name

    moved_to = _edit_in_mongo(database, "_", "c0", "Edited in Studio")
    with pytest.raises(CommandError, match=f"Mongo moved since that verify \\(published-branch .* → {moved_to}\\)"):
        call_command("lc_flag", "enable", KEY, stdout=StringIO())
    with pytest.raises(FlagChangeRefusedError, match="is no longer current"):
        set_course_override(KEY, True)
    assert not CourseFlagOverride.objects.exists()
    with pytest.raises(CommandError, match="difference"):  # the edit is what verify now finds
        call_command("lc_verify", KEY, "--no-record", stdout=StringIO(), stderr=StringIO())


@pytest.mark.mongo_wire
def test_enable_refuses_a_pass_once_learning_core_moved_and_accepts_a_current_one(nx_settings):
    database = nx_settings
    course = twin_course(KEY, database, separator="_")
    call_command("lc_verify", KEY, stdout=StringIO(), stderr=StringIO())
    diverge(course, "Published in Learning Core since")
    with pytest.raises(CommandError, match="Learning Core moved since that verify"):
        call_command("lc_flag", "enable", KEY, stdout=StringIO())
    export_course_to_mongo(KEY, database=database, separator="_")  # the twin catches up
    RequestCache.clear_all_namespaces()
    call_command("lc_verify", KEY, stdout=StringIO(), stderr=StringIO())
    out = StringIO()
    call_command("lc_flag", "enable", KEY, stdout=out)
    assert "use_learning_core on for" in out.getvalue() and not CourseFlagOverride.objects.get().forced


@pytest.mark.mongo_wire
def test_status_all_is_an_operators_view(nx_settings):
    """Issue 15 finding 8: there was no view of every course; status named neither heads nor whether a pass held."""
    database = nx_settings
    course = twin_course(KEY, database, separator="_")
    call_command("lc_verify", KEY, stdout=StringIO(), stderr=StringIO())
    out = StringIO()
    call_command("lc_flag", "status", "--all", stdout=out)
    text = out.getvalue()
    head = latest_verify_run(KEY).heads["learning_core"][PUBLISHED_BRANCH]
    assert f"{KEY}: flag off: Mongo" in text
    assert f"Learning Core heads: published-branch {head}" in text and "current with the latest publish" in text
    assert f"Mongo heads:         published-branch {head}" in text
    assert "passed; heads still current" in text and "no reads compared" in text
    diverge(course, "Moved on")
    out = StringIO()
    call_command("lc_flag", "status", "--all", stdout=out)
    assert "NOT CURRENT: Learning Core moved since that verify" in out.getvalue()


@pytest.mark.mongo_wire
def test_migrate_takes_the_separator_as_an_option_and_from_the_settings(nx_db):
    """Issue 15 finding 8: lc_migrate_from_mongo had no --separator, so it could not read the stand-in."""
    uri, database = nx_db
    twin_course(KEY, database, separator="_")
    out, err = StringIO(), StringIO()
    call_command("lc_migrate_from_mongo", KEY, "--mongo-uri", uri, "--db", database.name, "--separator", "_",
                 "--update", "--publish", stdout=out, stderr=err)
    assert "updated in place" in out.getvalue()
    assert "migrate" in err.getvalue() and "block" in err.getvalue()  # the tqdm bar
    with override_settings(LC_MODULESTORE_MONGO_URI=uri, LC_MODULESTORE_MONGO_DB=database.name,
                           LC_MODULESTORE_MONGO_SEPARATOR="_"):
        out = StringIO()
        call_command("lc_migrate_from_mongo", KEY, "--update", "--publish", stdout=out)
    assert "updated in place" in out.getvalue()


@pytest.mark.mongo_wire
def test_verify_and_export_draw_progress_bars_on_stderr(nx_settings):
    twin_course(KEY, nx_settings, separator="_")
    err = StringIO()
    call_command("lc_export_mongo", KEY, stdout=StringIO(), stderr=err)
    assert "export" in err.getvalue() and "doc" in err.getvalue()
    err = StringIO()
    call_command("lc_verify", KEY, stdout=StringIO(), stderr=err)
    assert "verify published-branch" in err.getvalue() and "block" in err.getvalue()
    err = StringIO()
    call_command("lc_verify", KEY, "-v", "0", stdout=StringIO(), stderr=err)
    assert err.getvalue() == ""
