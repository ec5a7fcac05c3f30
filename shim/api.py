"""
Public API of the read-only split ModuleStore over Learning Core courses.

``modulestore()`` is the process-wide store, configured from settings the way
edx-platform's ``xmodule.modulestore.django.modulestore()`` is:

* ``LC_MODULESTORE_BACKEND``: dotted path of the persistence backend class
  (default ``shim.backends.mysql.MySQLPersistenceBackend``);
* ``LC_MODULESTORE_BACKEND_OPTIONS``: keyword arguments for it;
* ``LC_MODULESTORE_FS_ROOT``: root of the per-course resource filesystems;
* ``LC_MODULESTORE_BRANCH``: default branch setting (``published-only``, as the LMS);
* ``LC_MODULESTORE_STRUCTURE_LRU_SIZE``: decoded structures kept in-process;
* ``LC_MODULESTORE_STRIP_KEYS``: return keys without branch and version, as the
  LMS gets them from edx-platform's Mixed store (default True here; the store
  class itself defaults to split's versioned keys).
"""
from __future__ import annotations

import threading

from django.conf import settings
from django.utils.module_loading import import_string

from .backends.base import PersistenceBackend, ReadOnlyBackendMixin
from .backends.mysql import MySQLPersistenceBackend
from .caches import StructureCache, clear_request_caches
from .enums import DETACHED_XBLOCK_TYPES, DIRECT_ONLY_CATEGORIES, ModuleStoreEnum
from .exceptions import (
    DuplicateCourseError,
    DuplicateItemError,
    HeartbeatFailure,
    InsufficientSpecificationError,
    InvalidBranchSetting,
    InvalidLocationError,
    ItemNotFoundError,
    ItemWriteConflictError,
    MultipleCourseBlocksFound,
    NoPathToItem,
    ReadOnlyModuleStoreError,
    UnsupportedRevisionError,
    VersionConflictError,
)
from .runtime import CourseRuntime, StaticUserService
from .split_types import BlockData, BlockKey, EditInfo, structure_from_mongo, structure_to_mongo
from .store import WRITE_METHODS, CourseEntry, CourseSummary, ReadOnlySplitModuleStore

DEFAULT_BACKEND = "shim.backends.mysql.MySQLPersistenceBackend"

_lock = threading.Lock()
_store: ReadOnlySplitModuleStore | None = None


def create_modulestore(**overrides) -> ReadOnlySplitModuleStore:
    """A new store configured from settings (``overrides`` replace store options, e.g. ``services``)."""
    backend_class = import_string(getattr(settings, "LC_MODULESTORE_BACKEND", DEFAULT_BACKEND))
    backend = backend_class(**getattr(settings, "LC_MODULESTORE_BACKEND_OPTIONS", {}))
    branch = getattr(settings, "LC_MODULESTORE_BRANCH", ModuleStoreEnum.Branch.published_only)
    options = {
        "fs_root": getattr(settings, "LC_MODULESTORE_FS_ROOT", None),
        "branch_setting_func": lambda: branch,
        "strip_keys": getattr(settings, "LC_MODULESTORE_STRIP_KEYS", True),
        **overrides,
    }
    return ReadOnlySplitModuleStore(backend, **options)


def modulestore() -> ReadOnlySplitModuleStore:
    """The process-wide read-only store (created on first use from settings)."""
    global _store
    if _store is None:
        with _lock:
            if _store is None:
                _store = create_modulestore()
    return _store


def clear_existing_modulestores() -> None:
    """Forget the process-wide store (tests, settings changes)."""
    global _store
    with _lock:
        _store = None


__all__ = [
    "DETACHED_XBLOCK_TYPES",
    "DIRECT_ONLY_CATEGORIES",
    "WRITE_METHODS",
    "BlockData",
    "BlockKey",
    "CourseEntry",
    "CourseRuntime",
    "CourseSummary",
    "DuplicateCourseError",
    "DuplicateItemError",
    "EditInfo",
    "HeartbeatFailure",
    "InsufficientSpecificationError",
    "InvalidBranchSetting",
    "InvalidLocationError",
    "ItemNotFoundError",
    "ItemWriteConflictError",
    "ModuleStoreEnum",
    "MultipleCourseBlocksFound",
    "MySQLPersistenceBackend",
    "NoPathToItem",
    "PersistenceBackend",
    "ReadOnlyBackendMixin",
    "ReadOnlyModuleStoreError",
    "ReadOnlySplitModuleStore",
    "StaticUserService",
    "StructureCache",
    "UnsupportedRevisionError",
    "VersionConflictError",
    "clear_existing_modulestores",
    "clear_request_caches",
    "create_modulestore",
    "modulestore",
    "structure_from_mongo",
    "structure_to_mongo",
]
