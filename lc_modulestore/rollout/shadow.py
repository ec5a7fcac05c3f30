"""
Shadow reads (ADR 0009): the switch per course, and where mismatches go.

The router (:class:`shim.router.RouterModuleStore`) calls
:func:`shadow_reads_enabled` for courses it serves from Mongo and
:func:`record_shadow_read` after every shadowed read, matching or not. This
module decides nothing about how to compare (that is :mod:`shim.compare`).

Every read is counted per course and method
(:class:`~lc_modulestore.models.ShadowReadCount`: reads compared, reads that
disagreed), so an operator sees "N reads, all matched" rather than silence
(ADR 0015). Every mismatch is logged (one WARNING line per difference: course,
method, block, field) and stored as :class:`~lc_modulestore.models.ShadowMismatch`
rows, at most :data:`MAX_ROWS_PER_READ` per read so one broken course cannot
flood the table. Recording never raises: a shadow read must not break the
response it shadows.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from opaque_keys.edx.keys import CourseKey

from lc_modulestore.rollout.differences import LIST_LIMIT, STORED_LIMIT, is_presence, presence_text, shorten
from lc_modulestore.rollout.flags import SHADOW_READS
from lc_modulestore.rollout.models import ShadowMismatch, ShadowReadCount

log = logging.getLogger("lc_modulestore.rollout.shadow")
MAX_ROWS_PER_READ = 20
_VALUE_LIMIT = STORED_LIMIT  # stored whole (up to this), shortened only where listed (admin, lc_shadow_report)


def shadow_reads_enabled(course_key: CourseKey) -> bool:
    """Whether reads of ``course_key`` served from Mongo are shadowed on Learning Core (request-cached flag)."""
    return SHADOW_READS.is_enabled(course_key)


def _text(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _VALUE_LIMIT else text[:_VALUE_LIMIT] + "…"


def record_shadow_read(course_key: CourseKey, method: str, differences: list, error: BaseException | None) -> int:
    """
    Count one shadow read, and log and store its mismatches (or its Learning Core error).

    No differences and no error is a matching read: counted, nothing else.
    Returns the mismatch rows written.
    """
    _count_read(course_key, method, mismatched=bool(differences) or error is not None)
    if not differences and error is None:
        return 0
    rows = []
    if error is not None:
        log.warning("shadow read mismatch course=%s method=%s learning core failed: %r", course_key, method, error)
        rows.append(ShadowMismatch(course_key=course_key, method=method, error=_text(error)[:_VALUE_LIMIT]))
    for diff in differences:
        if is_presence(diff.field):
            log.warning("shadow read mismatch course=%s method=%s block=%s %s", course_key, method, diff.location,
                        presence_text(diff.field, diff.mongo, diff.learning_core))
        else:
            log.warning(
                "shadow read mismatch course=%s method=%s block=%s field=%s mongo=%s learning_core=%s",
                course_key, method, diff.location, diff.field, shorten(_text(diff.mongo), LIST_LIMIT),
                shorten(_text(diff.learning_core), LIST_LIMIT),
            )
        if len(rows) < MAX_ROWS_PER_READ:
            rows.append(ShadowMismatch(
                course_key=course_key, method=method, location=diff.location[:255], field=diff.field[:255],
                mongo_value=_text(diff.mongo), learning_core_value=_text(diff.learning_core),
            ))
    try:
        with transaction.atomic():  # a savepoint inside a request's transaction: a failure here rolls back only this
            ShadowMismatch.objects.bulk_create(rows)
    except Exception:  # noqa: BLE001 - never break the shadowed read
        log.exception("Could not store %d shadow mismatch row(s) for %s", len(rows), course_key)
        return 0
    return len(rows)


def _count_read(course_key: CourseKey, method: str, *, mismatched: bool) -> None:
    """Add one read (and maybe one mismatched read) to the course's counter for ``method``; never raises."""
    increments = {"reads": F("reads") + 1, "mismatched": F("mismatched") + int(mismatched), "last_read": timezone.now()}
    counter = ShadowReadCount.objects.filter(course_key=course_key, method=method)
    try:
        with transaction.atomic():  # a savepoint, as for the mismatch rows
            if counter.update(**increments):
                return
            try:
                with transaction.atomic():
                    ShadowReadCount.objects.create(course_key=course_key, method=method, reads=1,
                                                   mismatched=int(mismatched))
            except IntegrityError:  # another request made the row first: count on it
                counter.update(**increments)
    except Exception:  # noqa: BLE001 - never break the shadowed read
        log.exception("Could not count a shadow read of %s (%s)", course_key, method)


@dataclass(frozen=True)
class ShadowReadTotals:
    """A course's shadow reads so far, over every method."""

    reads: int
    mismatched: int

    @property
    def matched(self) -> int:
        return self.reads - self.mismatched

    def __str__(self) -> str:
        if not self.reads:
            return "no reads compared"
        return f"{self.reads:,} read(s) compared: {self.matched:,} matched, {self.mismatched:,} mismatched"


def shadow_read_totals(course_key: CourseKey | str) -> ShadowReadTotals:
    """How many of the course's reads were shadowed, and how many of those disagreed (or failed)."""
    sums = ShadowReadCount.objects.filter(course_key=course_key).aggregate(reads=Sum("reads"),
                                                                         mismatched=Sum("mismatched"))
    return ShadowReadTotals(reads=sums["reads"] or 0, mismatched=sums["mismatched"] or 0)


def shadow_mismatch_count(course_key: CourseKey | str) -> int:
    """How many shadow mismatches are stored for the course."""
    return ShadowMismatch.objects.filter(course_key=course_key).count()


__all__ = [
    "MAX_ROWS_PER_READ",
    "ShadowReadTotals",
    "record_shadow_read",
    "shadow_mismatch_count",
    "shadow_read_totals",
    "shadow_reads_enabled",
]
