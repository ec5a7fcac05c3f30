"""
The one compile pipeline, for both branches: reads (:mod:`compiler.snapshot`) → pure transform
(:mod:`compiler.transform`) → one write transaction (:mod:`compiler.storage`).

A branch differs only in its :class:`Plan`: which log it compiles to, which structure an incremental compile
patches, and how to read its snapshots. Everything else (the stale check, the incremental-or-full choice, query
counting, repair, retries of transient database errors, the result) is here once.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection

from compiler import snapshot, storage
from compiler.errors import CompileError, NeedsFullCompile, TransientCompileError
from compiler.transform import BuildResult, Snapshot, build_structure
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, LazyStructure
from lc_modulestore.models_api import LearningCoreCourse

log = logging.getLogger(__name__)

#: MySQL/MariaDB error codes a compile may simply run again after: lock wait timeout, deadlock.
TRANSIENT_MYSQL_CODES = frozenset({1205, 1213})


@dataclass(frozen=True, kw_only=True)
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
    repaired: bool = False  # --full: the stored structure and definitions were rewritten from a fresh build
    definitions_written: int = 0  # definition rows inserted or rewritten
    block_count: int = 0
    rebuilt_blocks: int = 0
    raw_size: int = 0
    stored_size: int = 0
    ms: float = 0.0
    queries: int = 0
    attempts: int = 1  # 1 + how many times a transient database error made the compile start again


@dataclass(frozen=True, kw_only=True)
class Plan:
    """How one branch of one course compiles (see :func:`published_plan`, :func:`draft_plan`)."""

    course: LearningCoreCourse
    branch: str
    log_id: int  # the log to compile to (the draft branch installs its snapshot's own, possibly newer, log)
    previous_log_id: int | None  # the log whose structure an incremental compile patches
    full_snapshot: Callable[[], Snapshot]
    incremental_snapshot: Callable[[LazyStructure], Snapshot]


def published_plan(course: LearningCoreCourse, log_id: int) -> Plan:
    """The published branch as of PublishLog ``log_id``, patching the structure of the publish before it."""
    return Plan(
        course=course,
        branch=PUBLISHED_BRANCH,
        log_id=log_id,
        previous_log_id=snapshot.predecessor_publish_log_id(course, log_id),
        full_snapshot=lambda: snapshot.full_published_snapshot(course, log_id),
        incremental_snapshot=lambda previous: snapshot.incremental_published_snapshot(
            course, log_id, previous_blocks=previous.keys
        ),
    )


def draft_plan(course: LearningCoreCourse) -> Plan:
    """
    The draft branch from the current drafts, patching the draft structure served now (a debounced compile may
    cover several draft logs).
    """
    latest = snapshot.latest_draft_log(course)
    if latest is None:
        raise CompileError(f"Course {course.course_key} has no draft changes to compile")
    head = storage.head_log_id(course, DRAFT_BRANCH)
    return Plan(
        course=course,
        branch=DRAFT_BRANCH,
        log_id=latest.pk,
        previous_log_id=head,
        full_snapshot=lambda: snapshot.draft_snapshot(course),
        incremental_snapshot=lambda previous: snapshot.incremental_draft_snapshot(
            course, head, previous_blocks=previous.keys
        ),
    )


class QueryCounter:
    """
    Counts the SQL statements run through a connection (``connection.execute_wrapper``), keeping none of them.

    ``django.test.utils.CaptureQueriesContext`` would turn on the debug cursor in production Celery workers and
    keep every statement's text, structure INSERTs of up to 4 MB included.
    """

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def compile_branch(*, course: LearningCoreCourse, make_plan: Callable[[], Plan], full: bool = False,
                   repair: bool = False) -> CompileResult:
    """
    Compile one branch of ``course``, starting again (bounded, with backoff) when the database refuses for a while.

    ``make_plan`` is called for each attempt, so a retry sees the logs as they are then. ``repair`` (implies
    ``full``) rebuilds and rewrites what is stored for the log even when it is already the head.
    """
    attempts = max(1, int(getattr(settings, "LC_MODULESTORE_COMPILE_ATTEMPTS", 4)))
    delay = float(getattr(settings, "LC_MODULESTORE_COMPILE_RETRY_DELAY", 0.5))
    branch = "?"
    for attempt in range(1, attempts + 1):
        try:
            plan = make_plan()
            branch = plan.branch
            return _compile(plan, full=full or repair, repair=repair, attempt=attempt)
        except OperationalError as exc:
            if not is_transient(exc):
                raise
            if connection.in_atomic_block or attempt == attempts:
                # Inside a caller's transaction nothing can be retried here: the whole transaction is gone.
                raise TransientCompileError(
                    f"Compile of {branch} of {course.course_key} failed after {attempt} attempt(s): {exc}"
                ) from exc
            log.warning("Compile of %s of %s met %s; attempt %d of %d in %.1fs",
                        branch, course.course_key, exc, attempt + 1, attempts, delay * 2 ** (attempt - 1))
            time.sleep(delay * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # pragma: no cover


def is_transient(exc: BaseException) -> bool:
    """Whether a database error goes away by itself: SQLite's lock errors, MySQL's deadlock / lock wait timeout."""
    if not isinstance(exc, OperationalError):
        return False
    if exc.args and isinstance(exc.args[0], int):
        return exc.args[0] in TRANSIENT_MYSQL_CODES
    message = str(exc).lower()
    return "database is locked" in message or "database table is locked" in message


def _compile(plan: Plan, *, full: bool, repair: bool, attempt: int) -> CompileResult:
    started = time.perf_counter()
    course, branch = plan.course, plan.branch
    head = storage.head_structure(course, branch)
    head_log = storage.log_id_of(head) if head is not None else None
    if head_log is not None and (head_log > plan.log_id or (head_log == plan.log_id and not repair and (
        head.objectid == snapshot.structure_id_now(course, branch=branch, log_id=plan.log_id)
    ))):
        # Same log but another id: only the asset metadata changed since (ADR 0028); compile it.
        current = head if head_log == plan.log_id else None
        return _result(plan, log_id=plan.log_id, structure=current, installed=storage.Installed(
            structure=current, moved=False, stale=True), full=full, fallback="", ms=0.0, queries=0, attempt=attempt)
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        build, fallback = (None, "") if full else _patch(plan)
        is_full = build is None
        if build is None:
            build = build_structure(plan.full_snapshot())
        ms = (time.perf_counter() - started) * 1000
        reads = counter.count  # reads and build; the install writes come after
        installed = storage.install(
            course=course,
            branch=branch,
            log_id=build.log_id,
            build=build,
            full=is_full,
            compile_ms=ms,
            compile_queries=reads,
            repair=repair,
        )
    return _result(plan, log_id=build.log_id, structure=installed.structure, installed=installed, full=is_full,
                   fallback=fallback, ms=ms, queries=reads, attempt=attempt)


def _patch(plan: Plan) -> tuple[BuildResult | None, str]:
    """
    ``(build, "")`` patching the structure of the plan's previous log (incremental), or ``(None, why not)`` when
    only a full compile can be exact: no such structure, pinned rows in it, or the transform's own refusal.
    """
    previous_row = (
        storage.structure_row(plan.course, plan.branch, plan.previous_log_id) if plan.previous_log_id else None
    )
    if previous_row is None:
        return None, f"no structure for the previous {'publish' if plan.branch == PUBLISHED_BRANCH else 'draft log'}"
    if previous_row.has_pins:
        return None, "pinned rows in the previous structure"
    previous = storage.lazily_decoded(previous_row)
    try:
        return build_structure(plan.incremental_snapshot(previous), previous=previous), ""
    except NeedsFullCompile as exc:
        return None, str(exc)


def _result(plan: Plan, *, log_id: int, structure: Any, installed: storage.Installed, full: bool, fallback: str,
            ms: float, queries: int, attempt: int) -> CompileResult:
    return CompileResult(
        course_key=str(plan.course.course_key),
        branch=plan.branch,
        log_id=log_id,
        structure_id=structure.objectid if structure else None,
        installed=installed.moved,
        stale=installed.stale,
        full=full,
        fallback=fallback,
        repaired=installed.repaired,
        definitions_written=installed.definitions_written,
        block_count=structure.block_count if structure else 0,
        rebuilt_blocks=structure.rebuilt_blocks if structure else 0,
        raw_size=structure.raw_size if structure else 0,
        stored_size=structure.stored_size if structure else 0,
        ms=ms,
        queries=queries,
        attempts=attempt,
    )


__all__ = [
    "TRANSIENT_MYSQL_CODES",
    "CompileResult",
    "Plan",
    "QueryCounter",
    "compile_branch",
    "draft_plan",
    "is_transient",
    "published_plan",
]
