"""
Split's exception classes (same names as ``xmodule.modulestore.exceptions``), plus the read-only refusal.

Callers written against split catch these by name; inside edx-platform an
adapter can map them onto the real classes one to one.
"""
from __future__ import annotations

from lc_modulestore.api import LcModulestoreError


class ItemNotFoundError(LcModulestoreError):
    """No course, branch or block at that key."""


class ItemWriteConflictError(LcModulestoreError):
    """Split's write conflict (never raised here: nothing is written)."""


class MultipleCourseBlocksFound(LcModulestoreError):
    pass


class MultipleLibraryBlocksFound(LcModulestoreError):
    pass


class InsufficientSpecificationError(LcModulestoreError):
    """A key that names neither a branch nor a version where one is needed."""


class OverSpecificationError(LcModulestoreError):
    pass


class InvalidLocationError(LcModulestoreError):
    pass


class NoPathToItem(LcModulestoreError):
    pass


class ReferentialIntegrityError(LcModulestoreError):
    pass


class DuplicateItemError(LcModulestoreError):
    pass


class DuplicateCourseError(LcModulestoreError):
    pass


class InvalidBranchSetting(LcModulestoreError):
    pass


class UnsupportedRevisionError(LcModulestoreError, ValueError):
    """A ``revision=`` the draft/published store does not understand."""


class VersionConflictError(LcModulestoreError):
    """The key's version is not the head of its branch. ``requestedLocation`` and ``currentHeadVersionGuid``."""

    def __init__(self, requestedLocation, currentHeadVersionGuid):  # noqa: N803 (split's names)
        super().__init__(f"Requested {requestedLocation}, but current head is {currentHeadVersionGuid}")
        self.requestedLocation = requestedLocation
        self.currentHeadVersionGuid = currentHeadVersionGuid


class HeartbeatFailure(LcModulestoreError):
    """The backend's database cannot be reached. ``service`` names it."""

    def __init__(self, msg: str, service: str) -> None:
        super().__init__(msg)
        self.service = service


class ReadOnlyModuleStoreError(LcModulestoreError, NotImplementedError):
    """
    A write on the read-only store or backend.

    Learning Core courses are edited in Learning Core and compiled; the
    modulestore view of them never writes. The message names the operation and
    the course.
    """

    def __init__(self, operation: str, course: object = None) -> None:
        where = f" of course {course}" if course is not None else ""
        super().__init__(
            f"{operation}{where} refused: Learning Core courses are read-only through the modulestore; "
            "edit them in Learning Core and recompile"
        )
        self.operation = operation
        self.course = course


__all__ = [
    "DuplicateCourseError",
    "DuplicateItemError",
    "HeartbeatFailure",
    "InsufficientSpecificationError",
    "InvalidBranchSetting",
    "InvalidLocationError",
    "ItemNotFoundError",
    "ItemWriteConflictError",
    "MultipleCourseBlocksFound",
    "MultipleLibraryBlocksFound",
    "NoPathToItem",
    "OverSpecificationError",
    "ReadOnlyModuleStoreError",
    "ReferentialIntegrityError",
    "UnsupportedRevisionError",
    "VersionConflictError",
]
