"""
Public API of the compiler: Learning Core history → split documents in MySQL.

Commands, tasks and tests use only these names. A compile reads a snapshot
(:mod:`compiler.snapshot`), builds documents (:mod:`compiler.transform`) and
installs them (:mod:`compiler.storage`) in one transaction.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from compiler import documents, snapshot, storage
from compiler.errors import CompileError, LogNotFoundError, NeedsFullCompile
from compiler.transform import build_structure
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, course_published, decode_definition, get_course
from lc_modulestore.models_api import CompiledDefinition, CourseIndex, LearningCoreCourse

log = logging.getLogger(__name__)

BRANCHES = (PUBLISHED_BRANCH, DRAFT_BRANCH)


@dataclass(frozen=True)
class CompileResult:
    """What one compile did."""

    course_key: str
    branch: str
    log_id: int | None  # PublishLog (published) or DraftChangeLog (draft) id
    structure_id: str | None
    installed: bool  # the course index now serves this structure (moved by this call)
    stale: bool  # skipped: the head was already this log or a newer one
    full: bool
    fallback: str  # why an incremental compile ran in full ("" if it did not)
    block_count: int = 0
    rebuilt_blocks: int = 0
    raw_size: int = 0
    stored_size: int = 0
    ms: float = 0.0
    queries: int = 0


def compile_publish_log(log_id: int, *, full: bool = False) -> CompileResult:
    """
    Compile the published branch as of PublishLog ``log_id`` and make it the head (unless a newer head exists).

    Incremental when the course's head is the structure of the publish just
    before this one (and had no pinned rows), full otherwise or when ``full``.
    Sends ``course_published`` on commit when the head moved.
    """
    target = snapshot.publish_target(log_id)
    return _compile_published(target.course, log_id, full=full)


def compile_course(course_key: str, *, branch: str, full: bool = False) -> CompileResult:
    """Compile ``branch`` (``published-branch`` or ``draft-branch``) of a course from its latest log."""
    course = get_course(course_key)
    if branch == PUBLISHED_BRANCH:
        latest = snapshot.latest_publish_log_id(course)
        if latest is None:
            raise CompileError(f"Course {course.course_key} has never been published")
        return _compile_published(course, latest, full=full)
    if branch == DRAFT_BRANCH:
        return _compile_drafts(course, full=full)
    raise CompileError(f"Unknown branch {branch!r} for {course.course_key} (use {PUBLISHED_BRANCH} or {DRAFT_BRANCH})")


def compile_drafts(course_key: str, *, full: bool = False) -> CompileResult:
    """
    Compile the draft branch of a course from its current drafts, tied to its latest DraftChangeLog.

    Incremental from the draft structure served now (the draft logs since its own), unless ``full``.
    """
    return _compile_drafts(get_course(course_key), full=full)


def compile_drafts_of_package(learning_package_id: int) -> CompileResult | None:
    """:func:`compile_drafts` for the course stored in a learning package (None if it holds no course)."""
    course = LearningCoreCourse.objects.filter(learning_package_id=learning_package_id).first()
    return _compile_drafts(course) if course is not None else None


def _compile_published(course: LearningCoreCourse, log_id: int, *, full: bool) -> CompileResult:
    started = time.perf_counter()
    head = storage.head_log_id(course, PUBLISHED_BRANCH)
    if head is not None and head >= log_id:
        return CompileResult(str(course.course_key), PUBLISHED_BRANCH, log_id, None, False, True, full, "")
    with CaptureQueriesContext(connection) as queries:
        build, fallback = None, ""
        if not full:
            previous_id = snapshot.predecessor_publish_log_id(course, log_id)
            build, fallback = _patch(
                course, PUBLISHED_BRANCH, previous_id,
                lambda previous: snapshot.incremental_published_snapshot(course, log_id, previous_blocks=previous.keys),
            )
        is_full = build is None
        if build is None:
            build = build_structure(snapshot.full_published_snapshot(course, log_id))
        ms = (time.perf_counter() - started) * 1000
        installed = storage.install(
            course=course,
            branch=PUBLISHED_BRANCH,
            log_id=log_id,
            build=build,
            full=is_full,
            compile_ms=ms,
            compile_queries=len(queries),  # reads and build; the install writes come after
        )
    if installed.moved:
        _send_course_published_on_commit(course)
    return _result(course, PUBLISHED_BRANCH, log_id, installed, full=is_full, fallback=fallback, ms=ms,
                   queries=len(queries))


def _compile_drafts(course: LearningCoreCourse, *, full: bool = False) -> CompileResult:
    started = time.perf_counter()
    latest = snapshot.latest_draft_log(course)
    if latest is None:
        raise CompileError(f"Course {course.course_key} has no draft changes to compile")
    head = storage.head_log_id(course, DRAFT_BRANCH)
    if head is not None and head >= latest.pk:
        return CompileResult(str(course.course_key), DRAFT_BRANCH, latest.pk, None, False, True, True, "")
    with CaptureQueriesContext(connection) as queries:
        build, fallback = None, ""
        if not full:
            # From the structure the draft branch serves now: a debounced compile may cover several draft logs.
            build, fallback = _patch(
                course, DRAFT_BRANCH, head,
                lambda previous: snapshot.incremental_draft_snapshot(course, head, previous_blocks=previous.keys),
            )
        is_full = build is None
        if build is None:
            build = build_structure(snapshot.draft_snapshot(course))
        log_id = build.log_id
        ms = (time.perf_counter() - started) * 1000
        installed = storage.install(
            course=course,
            branch=DRAFT_BRANCH,
            log_id=log_id,
            build=build,
            full=is_full,
            compile_ms=ms,
            compile_queries=len(queries),  # reads and build; the install writes come after
        )
    return _result(course, DRAFT_BRANCH, log_id, installed, full=is_full, fallback=fallback, ms=ms,
                   queries=len(queries))


def _patch(course: LearningCoreCourse, branch: str, previous_log_id: int | None, make_snapshot) -> tuple:
    """
    ``(build, "")`` patching the structure of ``previous_log_id`` (incremental), or ``(None, why not)`` when only a
    full compile can be exact: no such structure, pinned rows in it, or the transform's own refusal.
    """
    previous_row = storage.structure_row(course, branch, previous_log_id) if previous_log_id else None
    if previous_row is None:
        return None, f"no structure for the previous {'publish' if branch == PUBLISHED_BRANCH else 'draft log'}"
    if previous_row.has_pins:
        return None, "pinned rows in the previous structure"
    previous = storage.lazily_decoded(previous_row)
    try:
        return build_structure(make_snapshot(previous), previous=previous), ""
    except NeedsFullCompile as exc:
        return None, str(exc)


def _result(
    course: LearningCoreCourse,
    branch: str,
    log_id: int,
    installed: storage.Installed,
    *,
    full: bool,
    fallback: str,
    ms: float,
    queries: int,
) -> CompileResult:
    row = installed.structure
    return CompileResult(
        course_key=str(course.course_key),
        branch=branch,
        log_id=log_id,
        structure_id=row.objectid if row else None,
        installed=installed.moved,
        stale=installed.stale,
        full=full,
        fallback=fallback,
        block_count=row.block_count if row else 0,
        rebuilt_blocks=row.rebuilt_blocks if row else 0,
        raw_size=row.raw_size if row else 0,
        stored_size=row.stored_size if row else 0,
        ms=ms,
        queries=queries,
    )


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
    row = getattr(index, storage.head_field(branch)) if index else None
    if row is None:
        raise CompileError(f"Course {course.course_key} has no compiled {branch} structure; run lc_compile")
    return storage.decoded(row)


def definition_documents(definition_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Decoded definitions by id (24-hex strings); missing ids are absent from the result."""
    rows = CompiledDefinition.objects.filter(objectid__in=definition_ids)
    return {row.objectid: decode_definition(row.data, what=row.objectid) for row in rows}


def _oid(hex_id: str):
    from bson import ObjectId

    return ObjectId(hex_id)


__all__ = [
    "BRANCHES",
    "CompileError",
    "CompileResult",
    "LogNotFoundError",
    "compile_course",
    "compile_drafts",
    "compile_drafts_of_package",
    "compile_publish_log",
    "course_index_document",
    "definition_documents",
    "structure_document",
]
