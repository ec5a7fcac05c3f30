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

``router_modulestore()`` is what the LMS should use during the migration: a
:class:`RouterModuleStore` over that store and the same store over
``MongoBackend.from_settings()``, choosing per course by the
``lc_modulestore.use_learning_core`` flag (ADR 0008), with per-course shadow
reads (ADR 0009).
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
from .compare import Difference, compare_blocks, compare_result, compare_values, location_of, render
from .router import RouterModuleStore, course_key_of
from .runtime import CourseRuntime, StaticUserService
from .split_types import BlockData, BlockKey, EditInfo, structure_from_mongo, structure_to_mongo
from .store import WRITE_METHODS, CourseEntry, CourseSummary, ReadOnlySplitModuleStore

DEFAULT_BACKEND = "shim.backends.mysql.MySQLPersistenceBackend"

_lock = threading.Lock()
_store: ReadOnlySplitModuleStore | None = None
_router: RouterModuleStore | None = None


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
    from .backends.mongo import MongoBackend

    backend = MongoBackend.from_settings(**overrides.pop("backend_options", {}))
    return ReadOnlySplitModuleStore(backend, **_store_options(overrides))


def create_router_modulestore(
    *, lc_store: ReadOnlySplitModuleStore | None = None, mongo_store=None, shadow: bool = True, **options
) -> RouterModuleStore:
    """
    A new router: Learning Core store from settings, Mongo store over ``MongoBackend.from_settings()``.

    With ``shadow`` the ``lc_modulestore.shadow_reads`` course flag turns on
    shadow reads per course, and mismatches are logged and counted
    (:mod:`lc_modulestore.shadow`). ``options`` go to :class:`RouterModuleStore`.
    """
    if shadow and "shadow_enabled" not in options:
        from lc_modulestore.shadow import record_shadow_read, shadow_reads_enabled

        options["shadow_enabled"] = shadow_reads_enabled
        options.setdefault("report", record_shadow_read)
    return RouterModuleStore(
        lc_store if lc_store is not None else create_modulestore(),
        mongo_store if mongo_store is not None else create_mongo_modulestore(),
        **options,
    )


def router_modulestore() -> RouterModuleStore:
    """The process-wide router (created on first use from settings): what the LMS should call ``modulestore()``."""
    global _router
    if _router is None:
        with _lock:
            if _router is None:
                _router = create_router_modulestore()
    return _router


def clear_existing_modulestores() -> None:
    """Forget the process-wide stores (tests, settings changes)."""
    global _store, _router
    with _lock:
        _store = None
        _router = None


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
    "compare_values",
    "location_of",
    "course_key_of",
    "create_mongo_modulestore",
    "create_router_modulestore",
    "render",
    "router_modulestore",
    "clear_request_caches",
    "create_modulestore",
    "modulestore",
    "structure_from_mongo",
    "structure_to_mongo",
]
