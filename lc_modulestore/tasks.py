"""
Celery tasks: compile a course after Learning Core publishes or changes drafts.

Both tasks are idempotent: compiling a log that is already the head (or older
than the head) does nothing, and a draft task always compiles the *latest*
draft log, so several queued draft tasks collapse into one compile.
"""
from __future__ import annotations

import logging
from dataclasses import asdict

from celery import shared_task

from compiler.api import CompileError, LogNotFoundError, compile_drafts_of_package, compile_publish_log

log = logging.getLogger(__name__)


@shared_task(name="lc_modulestore.compile_publish_log")
def compile_publish_log_task(publish_log_id: int) -> dict:
    """Compile the published branch as of PublishLog ``publish_log_id``; returns the CompileResult as a dict."""
    try:
        result = compile_publish_log(publish_log_id)
    except LogNotFoundError as exc:  # a package that is not a course (e.g. a library): nothing to compile
        log.info("Not compiling: %s", exc)
        return {"skipped": str(exc)}
    except CompileError as exc:  # e.g. a course published before its root exists; the next publish retries
        log.warning("Not compiling PublishLog %s: %s", publish_log_id, exc)
        return {"skipped": str(exc)}
    return asdict(result)


@shared_task(name="lc_modulestore.compile_drafts")
def compile_drafts_task(learning_package_id: int) -> dict:
    """Compile the draft branch of the course in ``learning_package_id`` from its latest DraftChangeLog."""
    try:
        result = compile_drafts_of_package(learning_package_id)
    except CompileError as exc:  # e.g. an import still under way (no course root yet)
        log.info("Not compiling the drafts of learning package %s: %s", learning_package_id, exc)
        return {"skipped": str(exc)}
    return (
        asdict(result) if result is not None else {"skipped": f"learning package {learning_package_id} holds no course"}
    )
