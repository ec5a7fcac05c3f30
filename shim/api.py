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

:class:`RouterModuleStore` chooses per course between two stores by a callable
it is given; :mod:`lc_modulestore.rollout.router` wires it to the course flags
and shadow reads (ADR 0008, 0009): the shim itself knows no flags.
"""
from __future__ import annotations

import threading

from django.conf import settings
from django.utils.module_loading import import_string

from shim.backends.base import PersistenceBackend, ReadOnlyBackendMixin
from shim.backends.mongo import MongoBackend
from shim.backends.mysql import MySQLPersistenceBackend
from shim.caches import StructureCache, clear_request_caches
from shim.compare import (
    Difference,
    compare_blocks,
    compare_result,
    compare_returned,
    compare_values,
    location_of,
    normalize,
    render,
)
from shim.entries import CourseEntry, CourseSummary
from shim.enums import DETACHED_XBLOCK_TYPES, DIRECT_ONLY_CATEGORIES, ModuleStoreEnum
from shim.exceptions import (
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
from shim.refusals import WRITE_METHODS
from shim.router import RouterModuleStore, course_key_of
from shim.runtime import CourseRuntime
from shim.services import StaticUserService
from shim.split_types import BlockData, BlockKey, EditInfo, structure_from_mongo, structure_to_mongo
from shim.store import ReadOnlySplitModuleStore

DEFAULT_BACKEND = "shim.backends.mysql.MySQLPersistenceBackend"

_lock = threading.Lock()
_store: ReadOnlySplitModuleStore | None = None


def _store_options(overrides: dict) -> dict:
    """The store options from settings (fs root, default branch, key stripping), ``overrides`` applied."""
    branch = getattr(settings, "LC_MODULESTORE_BRANCH", ModuleStoreEnum.Branch.published_only)
    return {
        "fs_root": getattr(settings, "LC_MODULESTORE_FS_ROOT", None),
        "branch_setting_func": lambda: branch,
        "strip_keys": getattr(settings, "LC_MODULESTORE_STRIP_KEYS", True),
        **overrides,
    }


def create_modulestore(**overrides) -> ReadOnlySplitModuleStore:
    """A new store configured from settings (``overrides`` replace store options, e.g. ``services``)."""
    backend_class = import_string(getattr(settings, "LC_MODULESTORE_BACKEND", DEFAULT_BACKEND))
    backend = backend_class(**getattr(settings, "LC_MODULESTORE_BACKEND_OPTIONS", {}))
    return ReadOnlySplitModuleStore(backend, **_store_options(overrides))


def modulestore() -> ReadOnlySplitModuleStore:
    """The process-wide read-only store (created on first use from settings)."""
    global _store
    if _store is None:
        with _lock:
            if _store is None:
                _store = create_modulestore()
    return _store


def create_mongo_modulestore(**overrides) -> ReadOnlySplitModuleStore:
    """
    The same read-only split store over split's collections in MongoDB (``MongoBackend.from_settings()``).

    ``backend_options`` (in ``overrides``) replace the backend's settings
    (``uri``, ``db``, ``database``, ``collection_prefix``, ``collection_separator``).
    """
    backend = MongoBackend.from_settings(**overrides.pop("backend_options", {}))
    return ReadOnlySplitModuleStore(backend, **_store_options(overrides))


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
    "Difference",
    "RouterModuleStore",
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
    "compare_blocks",
    "compare_result",
    "compare_returned",
    "compare_values",
    "location_of",
    "course_key_of",
    "create_mongo_modulestore",
    "normalize",
    "render",
    "clear_request_caches",
    "create_modulestore",
    "modulestore",
    "structure_from_mongo",
    "structure_to_mongo",
]
