"""
Shadow reads (ADR 0009): the switch per course, and where mismatches go.

The router (:class:`shim.router.RouterModuleStore`) calls
:func:`shadow_reads_enabled` for courses it serves from Mongo and, when a read
disagrees or the Learning Core read fails, :func:`record_shadow_read`. This
module decides nothing about how to compare (that is :mod:`shim.compare`).

Every mismatch is logged (one WARNING line per difference: course, method,
block, field) and stored as :class:`~lc_modulestore.models.ShadowMismatch`
rows, at most :data:`MAX_ROWS_PER_READ` per read so one broken course cannot
flood the table. Recording never raises: a shadow read must not break the
response it shadows.
"""
from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from opaque_keys.edx.keys import CourseKey

from .flags import SHADOW_READS
from .models import ShadowMismatch

log = logging.getLogger("lc_modulestore.shadow")
MAX_ROWS_PER_READ = 20
_VALUE_LIMIT = 2000


def shadow_reads_enabled(course_key: CourseKey) -> bool:
    """Whether reads of ``course_key`` served from Mongo are shadowed on Learning Core (request-cached flag)."""
    return SHADOW_READS.is_enabled(course_key)


def _text(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _VALUE_LIMIT else text[:_VALUE_LIMIT] + "…"


def record_shadow_read(course_key: CourseKey, method: str, differences: list, error: BaseException | None) -> int:
    """Log and store one shadow read's mismatches (or its Learning Core error); returns the rows written."""
    rows = []
    if error is not None:
        log.warning("shadow read mismatch course=%s method=%s learning core failed: %r", course_key, method, error)
        rows.append(ShadowMismatch(course_key=course_key, method=method, error=_text(error)[:_VALUE_LIMIT]))
    for diff in differences:
        log.warning(
            "shadow read mismatch course=%s method=%s block=%s field=%s mongo=%s learning_core=%s",
            course_key, method, diff.location, diff.field, _text(diff.mongo)[:200], _text(diff.learning_core)[:200],
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


def shadow_mismatch_count(course_key: CourseKey | str) -> int:
    """How many shadow mismatches are stored for the course."""
    return ShadowMismatch.objects.filter(course_key=course_key).count()


__all__ = ["MAX_ROWS_PER_READ", "record_shadow_read", "shadow_mismatch_count", "shadow_reads_enabled"]
