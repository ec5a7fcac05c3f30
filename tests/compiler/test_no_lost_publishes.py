"""
Issue 17 item 3 and issue 15 items 7-8: failures are recorded, transient ones retried, lagging heads caught up,
``lc_compile --all`` goes on past failures; the compile pipeline counts queries without keeping them.
"""
from __future__ import annotations

import io
import re

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django_celery_results.models import TaskResult

from compiler import api, pipeline, storage
from lc_modulestore import tasks
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, CourseWriter, create_course, publish_course
from lc_modulestore.models import CourseIndex
from lc_modulestore.settings.celery import app
from tests.compiler.helpers import T0, build_course, leaf

pytestmark = pytest.mark.django_db


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def no_triggers(monkeypatch):
    """Compiles 'lost' on the way: the receivers enqueue nothing."""
    monkeypatch.setattr(tasks.compile_publish_log_task, "delay", lambda *a, **k: None)
    monkeypatch.setattr(tasks.compile_drafts_task, "apply_async", lambda *a, **k: None)


def _unrooted_published_course():
    course = create_course("course-v1:Org+NoRoot+R", title="N", created=T0)
    CourseWriter(course, created=T0).save_block(leaf("html", "loose"))
    return course, publish_course(course, published_at=T0)


# -- the pipeline ---------------------------------------------------------------------------------------


def test_compiles_count_queries_without_keeping_their_text(settings):
    settings.DEBUG = False
    build_course()
    connection.queries_log.clear()
    result = api.compile_course("course-v1:Org+C+R", branch=PUBLISHED_BRANCH)
    assert result.installed and result.queries > 0
    # CaptureQueriesContext turned the debug cursor on and kept every statement (structure INSERTs included)
    assert len(connection.queries_log) == 0 and not connection.force_debug_cursor


def test_compile_results_are_built_with_keywords_only():
    with pytest.raises(TypeError):
        api.CompileResult("course-v1:Org+C+R", PUBLISHED_BRANCH, 1, None, False, True, False, "")  # noqa


def test_both_branches_run_through_one_pipeline(monkeypatch):
    seen = []
    real = pipeline.compile_branch
    monkeypatch.setattr(pipeline, "compile_branch", lambda **kw: seen.append(kw["make_plan"]().branch) or real(**kw))
    build_course()
    api.compile_course("course-v1:Org+C+R", branch=PUBLISHED_BRANCH)
    api.compile_course("course-v1:Org+C+R", branch=DRAFT_BRANCH)
    assert seen == [PUBLISHED_BRANCH, DRAFT_BRANCH]


# -- retries of transient database errors -----------------------------------------------------------


def _locked_install(monkeypatch, *, failures: int, error: Exception):
    calls = []
    real = storage.install

    def install(**kwargs):
        calls.append(1)
        if len(calls) <= failures:
            raise error
        return real(**kwargs)

    monkeypatch.setattr(storage, "install", install)
    return calls


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("error", [OperationalError("database is locked"),
                                   OperationalError(1213, "Deadlock found when trying to get lock"),
                                   OperationalError(1205, "Lock wait timeout exceeded")], ids=str)
def test_a_transient_database_error_is_retried(monkeypatch, settings, no_triggers, error):
    settings.LC_MODULESTORE_COMPILE_RETRY_DELAY = 0
    build_course()
    calls = _locked_install(monkeypatch, failures=2, error=error)
    result = api.compile_course("course-v1:Org+C+R", branch=PUBLISHED_BRANCH)
    assert result.installed and result.attempts == 3 and len(calls) == 3
    assert CourseIndex.objects.get().published_structure.publish_log_id == result.log_id


@pytest.mark.django_db(transaction=True)
def test_retries_are_bounded_and_end_in_a_named_error(monkeypatch, settings, no_triggers):
    settings.LC_MODULESTORE_COMPILE_RETRY_DELAY = 0
    settings.LC_MODULESTORE_COMPILE_ATTEMPTS = 3
    build_course()
    calls = _locked_install(monkeypatch, failures=99, error=OperationalError("database is locked"))
    with pytest.raises(api.TransientCompileError, match=r"published-branch of course-v1:Org\+C\+R.*3 attempt"):
        api.compile_course("course-v1:Org+C+R", branch=PUBLISHED_BRANCH)
    assert len(calls) == 3


def test_a_permanent_database_error_is_not_retried(monkeypatch, settings):
    build_course()
    calls = _locked_install(monkeypatch, failures=99, error=OperationalError("no such table: x"))
    with pytest.raises(OperationalError, match="no such table"):
        api.compile_course("course-v1:Org+C+R", branch=PUBLISHED_BRANCH)
    assert len(calls) == 1


# -- tasks ------------------------------------------------------------------------------------------------


def test_a_failed_compile_task_is_recorded_as_failure():
    _, log = _unrooted_published_course()
    outcome = tasks.compile_publish_log_task.apply(args=[log.id], throw=False)
    assert outcome.state == "FAILURE"
    assert re.search(r"NoRoot", str(outcome.result))
    row = TaskResult.objects.get(task_id=outcome.id)
    assert row.status == "FAILURE" and "course-v1:Org+NoRoot+R" in row.result


def test_compile_tasks_carry_names_queue_retries_and_time_limits():
    for task in (tasks.compile_publish_log_task, tasks.compile_drafts_task, tasks.compile_stale_task):
        assert task.name.startswith("lc_modulestore.compile_")
        route = app.amqp.router.route({}, task.name)
        assert route["queue"].name == django_settings.LC_MODULESTORE_COMPILE_QUEUE == "lc_modulestore.compile"
        assert api.TransientCompileError in task.autoretry_for
        assert 0 < task.max_retries <= 10 and task.retry_backoff
        assert 0 < task.soft_time_limit < task.time_limit
    assert {t.name for t in (tasks.compile_publish_log_task, tasks.compile_drafts_task, tasks.compile_stale_task)} == {
        "lc_modulestore.compile_publish_log", "lc_modulestore.compile_drafts", "lc_modulestore.compile_stale"}
    schedule = django_settings.CELERY_BEAT_SCHEDULE["lc_modulestore.compile_stale"]
    assert schedule["task"] == "lc_modulestore.compile_stale" and schedule["schedule"] > 0


# -- lagging heads ----------------------------------------------------------------------------------------


def test_stale_finds_and_compiles_every_lagging_head(no_triggers):
    course, writer = build_course()
    other, _ = build_course("course-v1:Org+Other+R")
    api.compile_course(str(other.course_key), branch=PUBLISHED_BRANCH)
    api.compile_course(str(other.course_key), branch=DRAFT_BRANCH)
    lagging = {(h.course_key, h.branch) for h in api.stale_heads()}
    assert lagging == {("course-v1:Org+C+R", PUBLISHED_BRANCH), ("course-v1:Org+C+R", DRAFT_BRANCH)}
    out, _ = _run("lc_compile", "--stale")
    assert "course-v1:Org+C+R" in out and "Org+Other+R" not in out
    assert api.stale_heads() == []
    writer.save_block(leaf("html", "p0_0_0_0", text="edited"))
    log = publish_course(course)
    assert {(h.branch, h.latest_log_id) for h in api.stale_heads()} >= {(PUBLISHED_BRANCH, log.id)}
    assert tasks.compile_stale_task.delay().get()["compiled"]
    assert storage.head_log_id(course, PUBLISHED_BRANCH) == log.id and api.stale_heads() == []
    out, _ = _run("lc_compile", "--stale")
    assert "No course lags" in out


def test_the_stale_task_fails_naming_what_it_could_not_compile(no_triggers):
    build_course()
    _unrooted_published_course()
    outcome = tasks.compile_stale_task.apply(throw=False)
    assert outcome.state == "FAILURE" and "course-v1:Org+NoRoot+R" in str(outcome.result)
    assert CourseIndex.objects.get(course__course_key="course-v1:Org+C+R").published_structure is not None


# -- lc_compile --all -----------------------------------------------------------------------------------


def test_lc_compile_all_goes_on_past_failures_and_lists_them():
    create_course("course-v1:Org+A+Never", title="N", created=T0)  # sorted first: never published
    build_course("course-v1:Org+B+R")
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("lc_compile", "--all", stdout=out, stderr=io.StringIO())
    assert "1 of 2 compile(s) failed" in str(failed.value)
    assert re.search(r"^  course-v1:Org\+A\+Never published-branch: .*never been published$", str(failed.value), re.M)
    assert api.structure_document("course-v1:Org+B+R")  # compiled after the failure
    for line in out.getvalue().splitlines():
        assert "never been published" not in line  # no error glued onto a progress line


def test_lc_compile_all_shows_a_progress_bar(monkeypatch):
    build_course("course-v1:Org+A+R")
    build_course("course-v1:Org+B+R")
    _, err = _run("lc_compile", "--all", "--branch", "both")
    assert "0/4" in err and "compile/s" in err  # tqdm's counter, on stderr


@pytest.mark.parametrize("courses", [1, 4])
def test_finding_lagging_heads_is_one_query_whatever_the_number_of_courses(courses, django_assert_num_queries,
                                                                          no_triggers):
    for n in range(courses):
        build_course(f"course-v1:Org+Q{n}+R")
    with django_assert_num_queries(1):
        lagging = api.stale_heads()
    assert len(lagging) == 2 * courses
