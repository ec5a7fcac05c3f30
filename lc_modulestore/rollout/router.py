"""
The router as the LMS uses it during the migration: the shim's :class:`~shim.api.RouterModuleStore`
wired to the course flags and shadow reads of this room.

``router_modulestore()`` is what the LMS should call ``modulestore()``: the
read-only store over Learning Core and the same store over
``MongoBackend.from_settings()``, choosing per course by the
``lc_modulestore.use_learning_core`` flag (ADR 0008), with per-course shadow
reads (ADR 0009). The shim knows nothing of flags; this module is where they meet.
"""
from __future__ import annotations

import threading

from django.conf import settings

from lc_modulestore.rollout.serving import routes_to_learning_core, routes_to_learning_core_for
from lc_modulestore.rollout.shadow import record_shadow_read, shadow_reads_enabled
from shim.api import ReadOnlySplitModuleStore, RouterModuleStore, create_modulestore, create_mongo_modulestore

_lock = threading.Lock()
_router: RouterModuleStore | None = None


def create_router_modulestore(
    *, lc_store: ReadOnlySplitModuleStore | None = None, mongo_store=None, shadow: bool = True, **options
) -> RouterModuleStore:
    """
    A new router: Learning Core store from settings, Mongo store over ``MongoBackend.from_settings()``.

    Courses are routed by the ``lc_modulestore.use_learning_core`` course flag
    (listings in one batch), except that a course with no compiled Learning
    Core index stays on Mongo whatever turned the flag on, and is counted
    (:mod:`lc_modulestore.rollout.serving`: never route to nothing). With ``shadow`` the ``lc_modulestore.shadow_reads``
    course flag turns on shadow reads per course, and mismatches are logged and
    counted (:mod:`lc_modulestore.rollout.shadow`). ``options`` go to
    :class:`RouterModuleStore` and replace any of these.
    """
    options.setdefault("use_learning_core", routes_to_learning_core)
    options.setdefault("use_learning_core_for", routes_to_learning_core_for)
    if shadow:
        options.setdefault("shadow_max_blocks", getattr(settings, "LC_MODULESTORE_SHADOW_MAX_BLOCKS", 100))
        options.setdefault("shadow_enabled", shadow_reads_enabled)
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


def clear_router() -> None:
    """Forget the process-wide router (tests, settings changes)."""
    global _router
    with _lock:
        _router = None


__all__ = ["clear_router", "create_router_modulestore", "router_modulestore"]
