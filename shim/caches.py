"""
The shim's caches: decoded structures by id (immutable) and course indexes per request.

* :class:`StructureCache`: compiled structures never change once written, so a
  decoded structure is cached by its id, first in a bounded in-process LRU
  (no unpickling on a hit), then in the Django cache alias
  ``course_structure_cache`` (shared between processes; ``zlib(pickle)`` like
  split's ``CourseStructureCache``, skipped for entries of 2 MB or more).
  No invalidation is ever needed. Cached structures are shared: readers must
  not mutate them (the store never does). A backend whose own storage is already
  the cheapest shared form passes ``shared=False`` (the MySQL backend: its row is
  compressed BSON decoded block by block, ADR 0025; pickling every block for
  the shared cache would cost more than the row saves).
* :data:`course_index_cache`: a request cache (edx-django-utils), cleared at the
  end of every request by ``RequestCacheMiddleware``, or by
  :func:`clear_request_caches`.
"""
from __future__ import annotations

import logging
import pickle
import threading
import zlib
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.core.cache import InvalidCacheBackendError, caches
from edx_django_utils.cache import RequestCache

log = logging.getLogger(__name__)

STRUCTURE_CACHE_ALIAS = "course_structure_cache"
# split does not put structures of 2 MB or more (compressed) in the shared cache.
MAX_SHARED_CACHE_BYTES = 2 * 1024 * 1024
COURSE_INDEX_NAMESPACE = "lc_modulestore.course_index_cache"


def course_index_cache() -> RequestCache:
    """The per-request cache of course index documents."""
    return RequestCache(COURSE_INDEX_NAMESPACE)


def clear_request_caches() -> None:
    """Forget request-scoped state (course indexes of every backend): what the end of a request does."""
    from shim.backends.mongo import COURSE_INDEX_CACHE_NAMESPACE as MONGO_INDEX_NAMESPACE

    course_index_cache().clear()
    RequestCache(MONGO_INDEX_NAMESPACE).clear()


class StructureCache:
    """Decoded structures by structure id: an in-process LRU in front of the shared Django cache."""

    def __init__(self, max_entries: int | None = None, *, shared: bool = True) -> None:
        self.max_entries = (
            max_entries if max_entries is not None else getattr(settings, "LC_MODULESTORE_STRUCTURE_LRU_SIZE", 64)
        )
        self.shared = shared
        self._lru: OrderedDict[str, dict[str, Any]] = OrderedDict()
        # The last structure cached per lineage (course, branch): the next one decoded there can reuse it.
        self._latest: OrderedDict[Any, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def _shared(self):
        if not self.shared:
            return None
        try:
            return caches[STRUCTURE_CACHE_ALIAS]
        except InvalidCacheBackendError:
            return None

    @staticmethod
    def _key(structure_id: Any) -> str:
        return f"lc_modulestore.structure.{structure_id}"

    def get(self, structure_id: Any, course_context: Any = None) -> dict[str, Any] | None:
        """The cached structure, or None."""
        key = str(structure_id)
        with self._lock:
            if key in self._lru:
                self._lru.move_to_end(key)
                return self._lru[key]
        shared = self._shared()
        if shared is None:
            return None
        blob = shared.get(self._key(key))
        if blob is None:
            return None
        try:
            structure = pickle.loads(zlib.decompress(blob))
        except Exception:  # noqa: BLE001 - any bad entry is dropped, as split does
            log.warning("Structure cache: bad entry for %s (course %s), dropped", key, course_context)
            shared.delete(self._key(key))
            return None
        self._remember(key, structure)
        return structure

    def latest(self, lineage: Any) -> dict[str, Any] | None:
        """The structure last cached for ``lineage`` (a course and branch), if it is still in process."""
        with self._lock:
            return self._latest.get(lineage)

    def set(self, structure_id: Any, structure: dict[str, Any], course_context: Any = None, *,
            lineage: Any = None) -> None:
        """Cache ``structure`` in-process and, when small enough, in the shared cache; ``lineage``: see latest."""
        key = str(structure_id)
        self._remember(key, structure)
        if lineage is not None and self.max_entries > 0:
            with self._lock:
                self._latest[lineage] = structure
                self._latest.move_to_end(lineage)
                while len(self._latest) > self.max_entries:
                    self._latest.popitem(last=False)
        shared = self._shared()
        if shared is None:
            return
        blob = zlib.compress(pickle.dumps(structure, 4), 1)
        if len(blob) < MAX_SHARED_CACHE_BYTES:
            shared.set(self._key(key), blob, None)
        else:
            log.info("Structure %s of %s is %d bytes compressed: not shared-cached", key, course_context, len(blob))

    def _remember(self, key: str, structure: dict[str, Any]) -> None:
        if self.max_entries <= 0:
            return
        with self._lock:
            self._lru[key] = structure
            self._lru.move_to_end(key)
            while len(self._lru) > self.max_entries:
                self._lru.popitem(last=False)

    def clear_local(self) -> None:
        """Drop the in-process LRU and latest structures (tests, cold benchmarks; the shared cache is left alone)."""
        with self._lock:
            self._lru.clear()
            self._latest.clear()


__all__ = [
    "COURSE_INDEX_NAMESPACE",
    "MAX_SHARED_CACHE_BYTES",
    "STRUCTURE_CACHE_ALIAS",
    "StructureCache",
    "clear_request_caches",
    "course_index_cache",
]
