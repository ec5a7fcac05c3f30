"""
Public API of the compiler: Learning Core history → split documents in MySQL.

Commands, tasks and tests use only these names. A thin face over one pipeline
(:mod:`compiler.pipeline`): a compile reads a snapshot (:mod:`compiler.snapshot`),
builds documents (:mod:`compiler.transform`) and installs them
(:mod:`compiler.storage`) in one transaction.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from compiler import documents, pipeline, snapshot, storage
from compiler.errors import (
    CompileError,
    LogNotFoundError,
    NeverPublishedError,
    NoRootYetError,
    TransientCompileError,
)
from compiler.pipeline import CompileResult
from compiler.snapshot import LaggingHead
from lc_modulestore.api import (
    DRAFT_BRANCH,
    PUBLISHED_BRANCH,
    CorruptDocumentError,
    LcModulestoreError,
    course_published,
    decode_definition,
    get_course,
)
from lc_modulestore.models_api import CompiledDefinition, CourseIndex, LearningCoreCourse

log = logging.getLogger(__name__)

BRANCHES = (PUBLISHED_BRANCH, DRAFT_BRANCH)


def compile_publish_log(log_id: int, *, full: bool = False, repair: bool = False) -> CompileResult:
    """
    Compile the published branch as of PublishLog ``log_id`` and make it the head (unless a newer head exists).

    Incremental when the course's head is the structure of the publish just
    before this one (and had no pinned rows), full otherwise or when ``full``.
    ``repair`` rebuilds and rewrites the structure of this log and its definitions even when it is the head.
    Sends ``course_published`` on commit when the head moved.
    """
    target = snapshot.publish_target(log_id)
    return _published(target.course, log_id, full=full, repair=repair)


def compile_course(course_key: str, *, branch: str, full: bool = False, repair: bool | None = None) -> CompileResult:
    """
    Compile ``branch`` (``published-branch`` or ``draft-branch``) of a course from its latest log.

    ``full`` compiles in full and, unless ``repair=False``, also repairs: it rewrites the stored structure and
    every definition it references even when the head looks current (``lc_compile --full``), because a damaged
    row is exactly what a current-looking head can hide.
    """
    course = get_course(course_key)
    repair = full if repair is None else repair
    if branch == PUBLISHED_BRANCH:
        latest = snapshot.latest_publish_log_id(course)
        if latest is None:
            raise NeverPublishedError(f"Course {course.course_key} has never been published")
        return _published(course, latest, full=full, repair=repair)
    if branch == DRAFT_BRANCH:
        return _drafts(course, full=full, repair=repair)
    raise CompileError(f"Unknown branch {branch!r} for {course.course_key} (use {PUBLISHED_BRANCH} or {DRAFT_BRANCH})")


def compile_drafts(course_key: str, *, full: bool = False) -> CompileResult:
    """
    Compile the draft branch of a course from its current drafts, tied to its latest DraftChangeLog.

    Incremental from the draft structure served now (the draft logs since its own), unless ``full``.
    """
    return _drafts(get_course(course_key), full=full)


def compile_drafts_of_package(learning_package_id: int) -> CompileResult | None:
    """:func:`compile_drafts` for the course stored in a learning package (None if it holds no course)."""
    course = LearningCoreCourse.objects.filter(learning_package_id=learning_package_id).first()
    return _drafts(course) if course is not None else None


@dataclass(frozen=True, kw_only=True)
class StaleCompile:
    """What :func:`compile_stale` did for one lagging branch: its result, or the error that stopped it."""

    lagging: LaggingHead
    result: CompileResult | None = None
    error: str = ""


def stale_heads() -> list[LaggingHead]:
    """Every course branch whose served head lags its newest PublishLog / DraftChangeLog (one query)."""
    return snapshot.lagging_heads()


def compile_stale(*, on_each: Callable[[StaleCompile], None] | None = None) -> list[StaleCompile]:
    """
    Compile every lagging branch (:func:`stale_heads`), going on past failures: a publish whose compile was lost
    (never enqueued, failed for good) is caught up here. ``on_each`` sees each outcome as it happens (progress).
    """
    outcomes = []
    for lagging in stale_heads():
        try:
            outcome = StaleCompile(lagging=lagging, result=compile_course(lagging.course_key, branch=lagging.branch))
        except LcModulestoreError as exc:
            log.warning("Could not compile stale %s of %s: %s", lagging.branch, lagging.course_key, exc)
            outcome = StaleCompile(lagging=lagging, error=str(exc))
        outcomes.append(outcome)
        if on_each is not None:
            on_each(outcome)
    return outcomes


def _published(course: LearningCoreCourse, log_id: int, *, full: bool, repair: bool = False) -> CompileResult:
    result = pipeline.compile_branch(
        course=course, make_plan=lambda: pipeline.published_plan(course, log_id), full=full, repair=repair
    )
    if result.installed:
        _send_course_published_on_commit(course)
    return result


def _drafts(course: LearningCoreCourse, *, full: bool = False, repair: bool = False) -> CompileResult:
    return pipeline.compile_branch(course=course, make_plan=lambda: pipeline.draft_plan(course), full=full,
                                   repair=repair)


def _send_course_published_on_commit(course: LearningCoreCourse) -> None:
    course_key = course.course_key

    def send() -> None:
        for receiver, response in course_published.send_robust(sender=CompileResult, course_key=course_key):
            if isinstance(response, Exception):
                log.error("course_published receiver %r failed for %s: %r", receiver, course_key, response)

    transaction.on_commit(send)


# -- reading what was compiled (commands, tests, the read side's conformance checks) -----------------


def course_index_document(index: CourseIndex) -> dict[str, Any]:
    """The v1 course index dict (``active_versions`` shape) of a CourseIndex row."""
    course = index.course
    versions = {}
    if index.published_structure_id:
        versions[PUBLISHED_BRANCH] = _oid(index.published_structure.objectid)
    if index.draft_structure_id:
        versions[DRAFT_BRANCH] = _oid(index.draft_structure.objectid)
    return documents.course_index_document(
        index_id=_oid(index.objectid),
        org=course.org,
        course=course.course,
        run=course.run,
        edited_by=index.edited_by,
        edited_on=index.edited_on,
        last_update=index.last_update,
        versions=versions,
        wiki_slug=course.wiki_slug,
    )


def structure_document(course_key: str, *, branch: str = PUBLISHED_BRANCH) -> dict[str, Any]:
    """The decoded head structure of ``branch`` of a course (CompileError if none is compiled)."""
    course = get_course(course_key)
    index = CourseIndex.objects.filter(course=course).first()
    row = storage.served_head(index, branch) if index else None
    if row is None:
        raise CompileError(f"Course {course.course_key} has no compiled {branch} structure; run lc_compile")
    return storage.decoded(row)


def definition_documents(definition_ids: list[str], *, course_key: str = "") -> dict[str, dict[str, Any]]:
    """
    Decoded definitions by id (24-hex strings); missing ids are absent from the result. A damaged row raises
    CorruptDocumentError naming the definition (and ``course_key`` when given).
    """
    rows = CompiledDefinition.objects.filter(objectid__in=definition_ids)
    of = f" of course {course_key}" if course_key else ""
    return {
        row.objectid: decode_definition(row.data, row.checksum, what=f"{row.objectid} ({row.block_type}){of}")
        for row in rows
    }


def _oid(hex_id: str):
    from bson import ObjectId

    return ObjectId(hex_id)


__all__ = [
    "BRANCHES",
    "CompileError",
    "CompileResult",
    "CorruptDocumentError",
    "LaggingHead",
    "LogNotFoundError",
    "NeverPublishedError",
    "NoRootYetError",
    "StaleCompile",
    "TransientCompileError",
    "compile_course",
    "compile_drafts",
    "compile_drafts_of_package",
    "compile_publish_log",
    "compile_stale",
    "stale_heads",
    "course_index_document",
    "definition_documents",
    "structure_document",
]
