"""
Split's bulk-operations scope, read-only: one course's index and structures read once per scope.

:class:`BulkReadsMixin` is the read half of split's ``SplitBulkWriteMixin``. A
``bulk_operations(course_key)`` block reads the course index once at its
outermost entry; every read inside sees that version, each structure it reads
is fetched (or unpickled) once, and blocks built inside are memoised by the
runtime. Scopes nest, are per thread, and never write (there is nothing to
flush and no signal to emit).

The store that mixes it in provides ``backend`` and ``_thread`` (a
``threading.local``).
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opaque_keys.edx.locator import LibraryLocator

from shim.backends.base import CourseIndexDoc, Structure

if TYPE_CHECKING:
    from shim.runtime import CourseRuntime


@dataclass
class BulkRecord:
    """
    One course's ``bulk_operations`` scope: the index read at entry, structures and blocks seen inside.

    ``structures`` is split's ``SplitBulkWriteRecord.structures``: each structure
    the scope reads is fetched (or unpickled from the structure cache) once, so
    per-block calls inside one scope (``get_parent_location``, ``has_changes``,
    ``has_published_version`` for every block of a course) do not each pay for
    the whole structure again (and ``shim.outline`` derives each structure
    object's parent map once).
    """

    depth: int = 0
    index: CourseIndexDoc | None = None
    index_loaded: bool = False
    runtimes: dict[str, CourseRuntime] = field(default_factory=dict)
    structures: dict[Any, Structure] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.depth > 0


def course_identity(course_key) -> tuple | None:
    """``(org, course, run)`` of a course or v1 library key (run ``library``), None for version-only keys."""
    if isinstance(course_key, LibraryLocator):
        return (course_key.org, course_key.library, "library") if course_key.org and course_key.library else None
    org = getattr(course_key, "org", None)
    course = getattr(course_key, "course", None)
    run = getattr(course_key, "run", None)
    return (org, course, run) if org and course and run else None


class BulkReadsMixin:
    """``bulk_operations`` and the lookups of the open scope, for a store with ``backend`` and ``_thread``."""

    def _records(self) -> dict[tuple, BulkRecord]:
        if not hasattr(self._thread, "records"):
            self._thread.records = {}
        return self._thread.records

    def _active_record(self, course_key, ignore_case: bool = False) -> BulkRecord | None:
        identity = course_identity(course_key)
        if identity is None:
            return None
        records = self._records()
        record = records.get(identity)
        if record is None and ignore_case:
            lowered = tuple(part.lower() for part in identity)
            record = next(
                (r for k, r in records.items() if tuple(p.lower() for p in k) == lowered), None
            )
        return record if record is not None and record.active else None

    @contextlib.contextmanager
    def bulk_operations(self, course_id, emit_signals: bool = True, ignore_case: bool = False) -> Iterator[None]:
        """
        A read scope for one course: the index is read once at the outermost entry and every read
        inside sees that version; blocks built inside are memoised. Nestable; never writes.
        """
        identity = course_identity(course_id)
        if identity is None:
            yield
            return
        record = self._active_record(course_id, ignore_case) or self._records().setdefault(identity, BulkRecord())
        record.depth += 1
        try:
            if record.depth == 1:
                record.index = self.backend.get_course_index(course_id.for_branch(None), ignore_case)
                record.index_loaded = True
            yield
        finally:
            record.depth -= 1
            if record.depth == 0:
                for key, value in list(self._records().items()):
                    if value is record:
                        del self._records()[key]

    def _is_in_bulk_operation(self, course_key, ignore_case: bool = False) -> bool:
        return self._active_record(course_key, ignore_case) is not None


__all__ = ["BulkReadsMixin", "BulkRecord", "course_identity"]
