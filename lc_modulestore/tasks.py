"""
Celery tasks: compile a course after Learning Core publishes or changes drafts, and catch up what lags.

Both compile tasks are idempotent: compiling a log that is already the head (or older
than the head) does nothing, and a draft task always compiles the *latest*
draft log, so several queued draft tasks collapse into one compile.

A compile that fails raises, so django-celery-results records it as FAILURE (where the runbook looks);
only a package that holds no course (a library) or a course with no root yet (an import under way) is a
clean no-op SUCCESS. Transient database errors (``TransientCompileError``: SQLite locked, MySQL deadlock or
lock wait) are retried with backoff, a bounded number of times. Every task has soft and hard time limits.
They are routed by name (``lc_modulestore.compile_*``, Celery's ``task_routes``; a task-level ``queue`` is
deprecated) to the queue ``LC_MODULESTORE_COMPILE_QUEUE``: the standalone settings' ``CELERY_TASK_ROUTES``,
edx-platform's routes from the plugin settings. ``lc_modulestore.compile_stale`` (periodic, see
``CELERY_BEAT_SCHEDULE`` in the standalone settings) compiles whatever still lags.
"""
from __future__ import annotations

import logging
from dataclasses import asdict

from celery import shared_task
from django.conf import settings

from compiler.api import (
    LogNotFoundError,
    NeverPublishedError,
    NoRootYetError,
    TransientCompileError,
    compile_course,
    compile_drafts_of_package,
    compile_publish_log,
    compile_stale,
)

log = logging.getLogger(__name__)


def _setting(name: str, default):
    return getattr(settings, name, default)


#: Options every compile task shares (read once, when the tasks are declared).
COMPILE_TASK_OPTIONS = {
    "autoretry_for": (TransientCompileError,),
    "max_retries": _setting("LC_MODULESTORE_COMPILE_TASK_MAX_RETRIES", 5),
    "retry_backoff": _setting("LC_MODULESTORE_COMPILE_TASK_RETRY_BACKOFF", 5),
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "soft_time_limit": _setting("LC_MODULESTORE_COMPILE_SOFT_TIME_LIMIT", 600),
    "time_limit": _setting("LC_MODULESTORE_COMPILE_TIME_LIMIT", 660),
}


@shared_task(name="lc_modulestore.compile_publish_log", **COMPILE_TASK_OPTIONS)
def compile_publish_log_task(publish_log_id: int) -> dict:
    """Compile the published branch as of PublishLog ``publish_log_id``; returns the CompileResult as a dict."""
    try:
        result = compile_publish_log(publish_log_id)
    except LogNotFoundError as exc:  # a package that is not a course (e.g. a library): nothing to compile
        log.info("Not compiling: %s", exc)
        return {"skipped": str(exc)}
    return asdict(result)


@shared_task(name="lc_modulestore.compile_drafts", **COMPILE_TASK_OPTIONS)
def compile_drafts_task(learning_package_id: int) -> dict:
    """Compile the draft branch of the course in ``learning_package_id`` from its latest DraftChangeLog."""
    try:
        result = compile_drafts_of_package(learning_package_id)
    except NoRootYetError as exc:  # an import still under way: its last draft change compiles the course
        log.info("Not compiling the drafts of learning package %s: %s", learning_package_id, exc)
        return {"skipped": str(exc)}
    if result is None:
        return {"skipped": f"learning package {learning_package_id} holds no course"}
    return asdict(result)


@shared_task(name="lc_modulestore.compile_course", **COMPILE_TASK_OPTIONS)
def compile_course_task(course_key: str, branch: str) -> dict:
    """
    Compile ``branch`` of ``course_key`` from its latest log (a no-op when the head is current).

    Enqueued after a change no Learning Core log records (asset metadata, ADR 0028). A course never
    published, or with no root yet, is a clean skip: its first publish or draft change compiles it.
    """
    try:
        result = compile_course(course_key, branch=branch)
    except (NeverPublishedError, NoRootYetError) as exc:
        log.info("Not compiling %s of %s: %s", branch, course_key, exc)
        return {"skipped": str(exc)}
    return asdict(result)


@shared_task(name="lc_modulestore.compile_stale", **COMPILE_TASK_OPTIONS)
def compile_stale_task() -> dict:
    """
    Compile every course branch whose head lags its newest publish / draft log (``lc_compile --stale``).

    Raises (FAILURE, naming each) when any could not be compiled, after compiling all the others.
    """
    outcomes = compile_stale()
    failed = [f"{o.lagging.course_key} {o.lagging.branch}: {o.error}" for o in outcomes if o.error]
    if failed:
        raise StaleCompileFailed(f"{len(failed)} of {len(outcomes)} stale compile(s) failed: " + "; ".join(failed))
    return {"compiled": [asdict(o.result) for o in outcomes if o.result is not None]}


class StaleCompileFailed(Exception):
    """Some lagging course branches could not be compiled (each named in the message)."""
