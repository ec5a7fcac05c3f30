"""
The lowest-layer mount: edx-platform's own split store, with only its persistence backend routed (ADR 0019).

Named in edx-platform's ``MODULESTORE`` setting (the split entry of Mixed's ``stores``)::

    "ENGINE": "lc_modulestore.rollout.mount.LearningCoreSplitModuleStore"

:class:`LearningCoreSplitModuleStore` *is* split's ``DraftVersioningModuleStore``: every method, cache,
runtime and XBlock field path is edx-platform's own. The one thing it changes is ``db_connection``:
a :class:`RoutingPersistenceBackend` that sends each call, per course and per request, to

* the project's :class:`~shim.backends.mysql.MySQLPersistenceBackend` (documents compiled from
  Learning Core) when ``lc_modulestore.use_learning_core`` is on for the course;
* split's own backend otherwise (``DjangoFlexPersistenceBackend`` as split builds it, or the class the
  ``split_backend`` option names), with the very arguments split passed.

Writes to a course Learning Core serves are refused (:class:`ReadOnlyModuleStoreError`) before anything
is written, in the database or in split's bulk-operation record; writes to every other course go to
Mongo as today. Reads of a Mongo-served course whose ``lc_modulestore.shadow_reads`` flag is on
(:data:`SHADOWED_METHODS`) are repeated on Learning Core, outside any bulk operation the served read is
in, compared as the router compares them (every block a deep read returned, the parent, …) and recorded
(:mod:`lc_modulestore.rollout.shadow`); the answer is the serving side's. Turning the course flag off
again serves the next request from Mongo.

When a published-branch compile lands (the project's ``course_published``, sent on commit), the store
sends edx-platform's ``SignalHandler.course_published`` through its own signal handler, as split does
after a publish, so CourseOverview, block structures and the outline rebuild.

This module imports ``xmodule`` at the top: it is for edx-platform's processes only, and nothing the
standalone app imports names it.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.utils.module_loading import import_string
from edx_django_utils.cache import RequestCache
from opaque_keys.edx.locator import CourseLocator, LibraryLocator
from xmodule.modulestore.split_mongo.split_draft import DraftVersioningModuleStore

from lc_modulestore.api import course_published
from lc_modulestore.rollout.flags import use_learning_core, use_learning_core_for
from lc_modulestore.rollout.shadow import record_shadow_read, shadow_reads_enabled
from shim.api import MySQLPersistenceBackend, ReadOnlyModuleStoreError, compare_returned, normalize

log = logging.getLogger(__name__)

#: Request cache of the structure ids this backend handed out from Learning Core indexes.
LC_VERSIONS_NAMESPACE = "lc_modulestore.mount.learning_core_versions"


def _course_of(course_context: Any) -> CourseLocator | None:
    """The plain course key a call is about, or None (no context, version-only keys, libraries)."""
    if not isinstance(course_context, CourseLocator) or isinstance(course_context, LibraryLocator):
        return None
    if not (course_context.org and course_context.course and course_context.run):
        return None
    return CourseLocator(course_context.org, course_context.course, course_context.run)


def _arg(args: tuple, kwargs: dict, position: int, name: str) -> Any:
    """The argument split passed at ``position`` or as ``name`` (None when it passed neither)."""
    return args[position] if len(args) > position else kwargs.get(name)


def _index_course(index: dict | None) -> CourseLocator | None:
    if not index or not all(index.get(k) for k in ("org", "course", "run")):
        return None
    return CourseLocator(index["org"], index["course"], index["run"])


class RoutingPersistenceBackend:
    """
    Split's ``db_connection``, routed per course: Learning Core where the course flag is on, else split's own.

    Calls about no course (``course_context`` None, version-only keys) go to split's backend first and to
    Learning Core only for what split's backend does not hold (Learning Core structure ids are derived from
    its history and never clash with Mongo's).
    """

    def __init__(
        self,
        *,
        split_backend: Any,
        learning_core_backend: Any = None,
        use_learning_core: Callable[[Any], bool] = use_learning_core,
        use_learning_core_for: Callable[[Iterable[Any]], dict] = use_learning_core_for,
    ) -> None:
        self.split_backend = split_backend
        self.learning_core_backend = (
            learning_core_backend if learning_core_backend is not None else MySQLPersistenceBackend()
        )
        self._use_learning_core = use_learning_core
        self._use_learning_core_for = use_learning_core_for
        self._forced = threading.local()

    # -- choosing ------------------------------------------------------------------------------------
    def serves_learning_core(self, course_context: Any) -> bool:
        """Whether Learning Core serves the course ``course_context`` names, in this request."""
        course = _course_of(course_context)
        if course is None:
            return False
        forced = getattr(self._forced, "courses", {})
        if course in forced:
            return forced[course]
        return bool(self._use_learning_core(course))

    @contextlib.contextmanager
    def forced(self, course_key: Any, *, learning_core: bool) -> Iterator[None]:
        """Within the block (this thread only), serve ``course_key`` from Learning Core or not (shadow reads)."""
        course = _course_of(course_key)
        courses = dict(getattr(self._forced, "courses", {}))
        previous = self._forced.__dict__.get("courses")
        courses[course] = learning_core
        self._forced.courses = courses
        try:
            yield
        finally:
            if previous is None:
                del self._forced.courses
            else:
                self._forced.courses = previous

    def _for(self, course_context: Any) -> Any:
        return self.learning_core_backend if self.serves_learning_core(course_context) else self.split_backend

    @staticmethod
    def _lc_versions() -> set:
        cache = RequestCache(LC_VERSIONS_NAMESPACE)
        found = cache.get_cached_response("ids")
        if found.is_found:
            return found.value
        ids: set = set()
        cache.set("ids", ids)
        return ids

    def _remember(self, index: dict | None) -> dict | None:
        if index:
            self._lc_versions().update(str(v) for v in index.get("versions", {}).values())
        return index

    def holds_learning_core(self, course_context: Any) -> bool:
        """
        Whether a write to ``course_context`` would change Learning Core content: a course it serves, or a
        version-only key naming one of the structures it handed out in this request.
        """
        if self.serves_learning_core(course_context):
            return True
        version = getattr(course_context, "version_guid", None)
        return _course_of(course_context) is None and version is not None and str(version) in self._lc_versions()

    def refuse_if_learning_core(self, operation: str, course: Any) -> None:
        """Raise :class:`ReadOnlyModuleStoreError` (naming ``operation`` and the course) for Learning Core content."""
        if self.holds_learning_core(course):
            raise ReadOnlyModuleStoreError(operation, _course_of(course) or course)

    # Every call reaches split's backend with the very arguments split passed (positional stay positional),
    # so a Mongo-served course sees exactly today's calls; ``_arg`` only reads the one that routes.

    # -- course indexes --------------------------------------------------------------------------------
    def get_course_index(self, *args, **kwargs):
        key = _arg(args, kwargs, 0, "key")
        if self.serves_learning_core(key):
            return self._remember(self.learning_core_backend.get_course_index(*args, **kwargs))
        return self.split_backend.get_course_index(*args, **kwargs)

    def find_matching_course_indexes(self, *args, **kwargs):
        """Split's indexes of the courses it serves, then Learning Core's of the courses Learning Core serves."""
        if _arg(args, kwargs, 4, "course_keys") is not None:  # an iterator would be read twice
            if len(args) > 4:
                args = (*args[:4], list(args[4]), *args[5:])
            else:
                kwargs["course_keys"] = list(kwargs["course_keys"])
        mongo = list(self.split_backend.find_matching_course_indexes(*args, **kwargs))
        lc = list(self.learning_core_backend.find_matching_course_indexes(*args, **kwargs))
        courses = {c for c in (_index_course(i) for i in mongo + lc) if c is not None}
        served = self._use_learning_core_for(courses) if courses else {}
        forced = getattr(self._forced, "courses", {})
        served = {course: forced.get(course, answer) for course, answer in served.items()}
        kept = [i for i in mongo if not served.get(_index_course(i), False)]
        kept += [self._remember(i) for i in lc if served.get(_index_course(i), False)]
        return kept

    # -- structures --------------------------------------------------------------------------------------
    def get_structure(self, *args, **kwargs):
        key, course_context = _arg(args, kwargs, 0, "key"), _arg(args, kwargs, 1, "course_context")
        if self.serves_learning_core(course_context) or (
            _course_of(course_context) is None and str(key) in self._lc_versions()
        ):
            return self.learning_core_backend.get_structure(*args, **kwargs)
        structure = self.split_backend.get_structure(*args, **kwargs)
        if structure is None and _course_of(course_context) is None:
            return self.learning_core_backend.get_structure(*args, **kwargs)
        return structure

    def _by_id(self, method: str, context_at: int, args: tuple, kwargs: dict):
        course_context = _arg(args, kwargs, context_at, "course_context")
        if _course_of(course_context) is not None:
            return getattr(self._for(course_context), method)(*args, **kwargs)
        ids = list(_arg(args, kwargs, 0, "ids"))
        known = self._lc_versions()
        if not any(str(i) in known for i in ids):  # the usual case: split's call, unchanged
            found = list(getattr(self.split_backend, method)(*args, **kwargs))
            lc_ids = [i for i in ids if str(i) not in {str(s["_id"]) for s in found}]
        else:
            rest = (*args[1:],) if args else ()
            mongo_ids = [i for i in ids if str(i) not in known]
            call_kwargs = {k: v for k, v in kwargs.items() if k != "ids"}
            found = list(getattr(self.split_backend, method)(mongo_ids, *rest, **call_kwargs)) if mongo_ids else []
            have = {str(s["_id"]) for s in found}
            lc_ids = [i for i in ids if str(i) in known or str(i) not in have]
        if lc_ids:
            rest = (*args[1:],) if args else ()
            call_kwargs = {k: v for k, v in kwargs.items() if k != "ids"}
            found += getattr(self.learning_core_backend, method)(lc_ids, *rest, **call_kwargs)
        return found

    def find_structures_by_id(self, *args, **kwargs):
        return self._by_id("find_structures_by_id", 1, args, kwargs)

    def find_courselike_blocks_by_id(self, *args, **kwargs):
        return self._by_id("find_courselike_blocks_by_id", 2, args, kwargs)

    # -- definitions -------------------------------------------------------------------------------------
    def get_definition(self, *args, **kwargs):
        course_context = _arg(args, kwargs, 1, "course_context")
        if self.serves_learning_core(course_context):
            return self.learning_core_backend.get_definition(*args, **kwargs)
        definition = self.split_backend.get_definition(*args, **kwargs)
        if definition is None and _course_of(course_context) is None:
            return self.learning_core_backend.get_definition(*args, **kwargs)
        return definition

    def get_definitions(self, *args, **kwargs):
        return self._for(_arg(args, kwargs, 1, "course_context")).get_definitions(*args, **kwargs)

    # -- writes: split's own backend, except for courses Learning Core serves -----------------------------
    def insert_structure(self, *args, **kwargs):
        self.refuse_if_learning_core("insert_structure", _arg(args, kwargs, 1, "course_context"))
        return self.split_backend.insert_structure(*args, **kwargs)

    def insert_definition(self, *args, **kwargs):
        self.refuse_if_learning_core("insert_definition", _arg(args, kwargs, 1, "course_context"))
        return self.split_backend.insert_definition(*args, **kwargs)

    def insert_course_index(self, *args, **kwargs):
        course = _arg(args, kwargs, 1, "course_context") or _index_course(_arg(args, kwargs, 0, "course_index"))
        self.refuse_if_learning_core("insert_course_index", course)
        return self.split_backend.insert_course_index(*args, **kwargs)

    def update_course_index(self, *args, **kwargs):
        course = _arg(args, kwargs, 2, "course_context") or _index_course(_arg(args, kwargs, 0, "course_index"))
        self.refuse_if_learning_core("update_course_index", course)
        return self.split_backend.update_course_index(*args, **kwargs)

    def delete_course_index(self, *args, **kwargs):
        self.refuse_if_learning_core("delete_course_index", _arg(args, kwargs, 0, "course_key"))
        return self.split_backend.delete_course_index(*args, **kwargs)

    # -- infrastructure: split's backend answers, Learning Core's is kept in step -------------------------
    def heartbeat(self):
        result = self.split_backend.heartbeat()
        self.learning_core_backend.heartbeat()
        return result

    def check_connection(self):
        return self.split_backend.check_connection() and self.learning_core_backend.check_connection()

    def ensure_connection(self):
        self.split_backend.ensure_connection()
        self.learning_core_backend.ensure_connection()

    def close_connections(self):
        self.split_backend.close_connections()
        self.learning_core_backend.close_connections()

    def ensure_indexes(self):
        return self.split_backend.ensure_indexes()

    def _drop_database(self, database=True, collections=True, connections=True):
        return self.split_backend._drop_database(database, collections, connections)

    def __getattr__(self, name: str) -> Any:
        # Anything else split's backend has (e.g. ``structures``, ``with_mysql_subclass``) is split's.
        return getattr(self.__dict__["split_backend"], name)


_SHADOWING = threading.local()
_CURRENT_STORE: Callable[[], Any] = lambda: None


def _forward_course_published(sender: Any = None, course_key: Any = None, **kwargs: Any) -> None:
    """The project's ``course_published`` receiver: the newest mounted store tells the LMS."""
    store = _CURRENT_STORE()
    if store is not None:
        store._learning_core_course_published(sender, course_key=course_key, **kwargs)

#: Read methods whose answers are shadowed on Learning Core for a Mongo-served course with shadow reads on.
SHADOWED_METHODS = ("get_course", "get_item", "get_items", "get_parent_location", "has_item", "get_orphans")


class LearningCoreSplitModuleStore(DraftVersioningModuleStore):
    """
    edx-platform's ``DraftVersioningModuleStore`` whose ``db_connection`` is a :class:`RoutingPersistenceBackend`.

    Options (``MODULESTORE[...]['OPTIONS']``, beside split's own): ``split_backend``, the dotted path of
    split's backend class when not ``DjangoFlexPersistenceBackend`` (built with ``DOC_STORE_CONFIG``);
    ``learning_core_backend``, a backend instance (default ``MySQLPersistenceBackend()``); ``shadow``
    (default True), shadow reads for courses whose ``lc_modulestore.shadow_reads`` flag is on;
    ``shadow_max_blocks`` (default 100, None for all), the blocks a deep shadowed read compares, nearest first.
    """

    def __init__(self, contentstore, doc_store_config, *args, split_backend=None, learning_core_backend=None,
                 shadow=True, shadow_max_blocks=100, **kwargs):
        super().__init__(contentstore, doc_store_config, *args, **kwargs)
        mongo = self.db_connection
        if split_backend is not None:
            mongo = (import_string(split_backend) if isinstance(split_backend, str) else split_backend)(
                **doc_store_config
            )
        self.db_connection = RoutingPersistenceBackend(split_backend=mongo, learning_core_backend=learning_core_backend)
        self.shadow = shadow
        self.shadow_max_blocks = shadow_max_blocks
        # One receiver per process, forwarding to the newest store: edx-platform's course_published is a
        # process-wide signal, so a store rebuilt (clear_existing_modulestores) must not make it fire twice.
        global _CURRENT_STORE
        _CURRENT_STORE = weakref.ref(self)
        course_published.connect(_forward_course_published, dispatch_uid="lc_modulestore.rollout.mount")

    # -- publish notifications -----------------------------------------------------------------------------
    def _learning_core_course_published(self, sender: Any = None, course_key: Any = None, **kwargs: Any) -> None:
        """
        A published-branch compile landed (after commit): tell the LMS as split does after a publish.

        Only for a course Learning Core serves: a Mongo-served course's content did not change. The
        Learning Core backend's request-cached index is dropped first, so the receivers read the new head.
        """
        if course_key is None or not self.db_connection.serves_learning_core(course_key):
            return
        self.db_connection.learning_core_backend.close_connections()
        if self.signal_handler is not None:
            self.signal_handler.send("course_published", course_key=_course_of(course_key))

    # -- writes ------------------------------------------------------------------------------------------------
    # Split changes a course in memory first (its bulk-operation record: a new structure version, definitions,
    # the index) and writes all of it when the outermost bulk operation ends, even one left by an exception.
    # So a write is refused where split records it, not only where the backend would write it: a refusal at the
    # backend alone would leave the record dirty, and every later read of the course in this thread would end
    # its bulk operation by writing (refused again), failing the read. ``_get_index_if_valid`` is the first
    # step of most writes; ``copy`` (``publish``) and the asset writes reach ``version_structure`` without it.
    def _get_index_if_valid(self, course_key, force=False):
        self.db_connection.refuse_if_learning_core("write", course_key)
        return super()._get_index_if_valid(course_key, force)

    def version_structure(self, course_key, structure, user_id):
        self.db_connection.refuse_if_learning_core("version_structure", course_key)
        return super().version_structure(course_key, structure, user_id)

    def update_structure(self, course_key, structure):
        self.db_connection.refuse_if_learning_core("update_structure", course_key)
        return super().update_structure(course_key, structure)

    def update_definition(self, course_key, definition):
        self.db_connection.refuse_if_learning_core("update_definition", course_key)
        return super().update_definition(course_key, definition)

    def insert_course_index(self, course_key, index_entry):
        self.db_connection.refuse_if_learning_core("insert_course_index", course_key)
        return super().insert_course_index(course_key, index_entry)

    def update_course_index(self, course_key, updated_index_entry):
        self.db_connection.refuse_if_learning_core("update_course_index", course_key)
        return super().update_course_index(course_key, updated_index_entry)

    # -- shadow reads ------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _own_bulk_records(self) -> Iterator[None]:
        """
        Within the block (this thread only), split's bulk-operation records start empty, then are put back.

        Split answers a course's index and structures from its record while a bulk operation is open (as the
        LMS's publish listeners and block-structure collect run): a shadow read sharing it would be served
        the Mongo side's index again and compare Mongo with Mongo, and would leave Learning Core structures
        in the served side's record.
        """
        active = self._active_bulk_ops
        served = active.records
        active.records = type(served)(served.default_factory)
        try:
            yield
        finally:
            active.records = served

    def _shadowed(self, method: str, key: Any, call: Callable[[], Any], depth: Any = None) -> Any:
        """
        ``call()`` (split's read), and for a Mongo-served course with shadow reads on the same read on Learning
        Core, compared as the router compares (``compare_returned``: every block within ``depth``, the keys of
        ``get_items``, the value of the others) and recorded, matching or not. The answer is always the
        serving side's; a failing Learning Core read is recorded, never raised.
        """
        if getattr(_SHADOWING, "active", False):  # a read split makes inside a shadowed read: not shadowed again
            return call()
        course_key = getattr(key, "course_key", key)
        course = _course_of(course_key)
        _SHADOWING.active = True
        try:
            result = call()
        finally:
            _SHADOWING.active = False
        if not self.shadow or course is None or self.db_connection.serves_learning_core(course):
            return result
        if getattr(course_key, "version_guid", None) is not None:
            return result  # a key pinned to one of Mongo's structures names nothing in Learning Core
        if not shadow_reads_enabled(course):
            return result
        differences, error = [], None
        try:
            _SHADOWING.active = True
            with self._own_bulk_records(), self.db_connection.forced(course, learning_core=True):
                other = call()
            differences = compare_returned(method, str(normalize(key)), result, other, depth=depth,
                                           max_blocks=self.shadow_max_blocks)
        except Exception as exc:  # noqa: BLE001 - a shadow read never breaks the read it shadows
            error = exc
        finally:
            _SHADOWING.active = False
        record_shadow_read(course, method, differences, error)
        return result

    def get_course(self, course_key, depth=0, **kwargs):
        return self._shadowed("get_course", course_key, lambda: super(LearningCoreSplitModuleStore, self).get_course(
            course_key, depth=depth, **kwargs), depth=depth)

    def get_item(self, usage_key, depth=0, **kwargs):
        return self._shadowed("get_item", usage_key, lambda: super(LearningCoreSplitModuleStore, self).get_item(
            usage_key, depth=depth, **kwargs), depth=depth)

    def get_items(self, course_locator, **kwargs):
        return self._shadowed("get_items", course_locator, lambda: super(LearningCoreSplitModuleStore, self).get_items(
            course_locator, **kwargs))

    def get_parent_location(self, location, revision=None, **kwargs):
        return self._shadowed("get_parent_location", location, lambda: super(
            LearningCoreSplitModuleStore, self).get_parent_location(location, revision=revision, **kwargs))

    def has_item(self, usage_key, revision=None):
        return self._shadowed("has_item", usage_key, lambda: super(LearningCoreSplitModuleStore, self).has_item(
            usage_key, revision=revision))

    def get_orphans(self, course_key, **kwargs):
        return self._shadowed("get_orphans", course_key, lambda: super(LearningCoreSplitModuleStore, self).get_orphans(
            course_key, **kwargs))


__all__ = ["LC_VERSIONS_NAMESPACE", "SHADOWED_METHODS", "LearningCoreSplitModuleStore", "RoutingPersistenceBackend"]
