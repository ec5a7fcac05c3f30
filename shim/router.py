"""
The router: one ModuleStore in front of two, choosing per course between Learning Core and split in Mongo.

Why a router rather than a Mixed-store mapping: the choice changes at run time,
course by course, from the ``lc_modulestore.use_learning_core`` CourseWaffleFlag
(course override > org override > flag), with no restart. The flag answer is
request-cached, so one request sees one backend per course, and a switch — or a
rollback — takes effect from the next request.

Routing rules:

* every course-keyed call (reads of the ModuleStoreRead API, ``bulk_operations``,
  asset reads, ``has_changes`` & co. taking an XBlock) goes to the store the
  flag picks for that course;
* writes go the same way: the Mongo store passes them through (in a deployment,
  Studio's split store), the Learning Core store refuses them; a write naming
  no course (``create_course``) goes to Mongo, where courses are created;
* version-only keys go to the store that holds that structure (Learning Core
  first: its ids are derived from Learning Core history and never clash);
* v1 libraries and deprecated keys always go to Mongo;
* ``branch_setting`` without a course applies to both stores;
* listings (``get_courses``, ``get_course_summaries``, ``get_courses_for_wiki``)
  ask both stores and keep, per course, only the copy from the store the flag
  picks, so a listing shows exactly what ``get_course`` would return.

Shadow reads (ADR 0009): when the course is served from Mongo and ``shadow_enabled``
says so, a read is repeated on the Learning Core store, compared
(:func:`shim.compare.compare_returned`: every block a ``get_course``/``get_item``
returned within its ``depth``, the set of keys of ``get_items``, the parent of
``get_parent_location``) and the outcome (no differences for a match, the
differences, or the Learning Core error) is handed to ``report`` (ADR 0015:
matches are counted too). The response is always Mongo's, and a failing
Learning Core read is reported, never raised.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import CourseLocator, LibraryLocator

from shim.compare import Difference, compare_returned, normalize
from shim.enums import ModuleStoreEnum
from shim.exceptions import ItemNotFoundError
from shim.store import WRITE_METHODS

log = logging.getLogger(__name__)

# Course-keyed reads: (method, position of the argument naming the course, its keyword name).
KEYED_READS: tuple[tuple[str, int, str], ...] = (
    ("get_course", 0, "course_id"),
    ("has_course", 0, "course_id"),
    ("get_course_index", 0, "course_key"),
    ("get_course_index_info", 0, "course_key"),
    ("get_course_history_info", 0, "course_key"),
    ("get_course_errors", 0, "course_key"),
    ("has_item", 0, "usage_key"),
    ("get_item", 0, "usage_key"),
    ("get_items", 0, "course_locator"),
    ("get_parent_location", 0, "location"),
    ("get_orphans", 0, "course_key"),
    ("get_block_original_usage", 0, "usage_key"),
    ("has_changes", 0, "xblock"),
    ("has_published_version", 0, "xblock"),
    ("compute_published_info_internal", 0, "xblock"),
    ("get_all_asset_metadata", 0, "course_key"),
    ("find_asset_metadata", 0, "asset_key"),
    ("get_definition", 0, "course_key"),
    ("get_definitions", 0, "course_key"),
    ("make_course_usage_key", 0, "course_key"),
    ("check_supports", 0, "course_key"),
    ("bulk_operations", 0, "course_id"),
)
# Reads repeated on Learning Core in shadow mode (their results are comparable values or XBlocks).
SHADOWED_READS = frozenset({
    "get_course", "has_course", "has_item", "get_item", "get_items", "get_parent_location", "get_orphans",
    "get_all_asset_metadata", "find_asset_metadata", "has_changes", "has_published_version",
})

ShadowReport = Callable[[CourseKey, str, list[Difference], BaseException | None], None]


def course_key_of(value: Any) -> CourseKey | None:
    """The course a call argument belongs to: a course/usage/asset key, an XBlock, asset metadata, or a list of them."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None:
        return None
    if isinstance(value, CourseKey):
        return value
    for attribute in ("location", "asset_id"):
        inner = getattr(value, attribute, None)
        if inner is not None:
            value = inner
            break
    course_key = getattr(value, "course_key", None)
    return course_key if isinstance(course_key, CourseKey) else None


def _argument(args: tuple, kwargs: dict, position: int | None, keyword: str | None) -> Any:
    if keyword and keyword in kwargs:
        return kwargs[keyword]
    if position is not None and len(args) > position:
        return args[position]
    return None


class RouterModuleStore:
    """
    Routes each course's calls to ``lc_store`` or ``mongo_store`` by ``use_learning_core(course_key)``.

    The shim knows no flags: ``use_learning_core`` is given (in production
    :mod:`lc_modulestore.rollout.router` passes the request-cached course flag);
    listings ask ``use_learning_core_for(keys)`` (one batch for every listed
    course) when given, else ``use_learning_core`` per course. ``shadow_enabled(course_key)`` and
    ``report(course_key, method, differences, error)`` switch on and receive
    shadow reads (both None: no shadow reads); ``report`` gets every compared
    read, a match as no differences and no error. ``shadow_max_blocks`` bounds a
    deep read's comparison (breadth first; None: every returned block).
    """

    def __init__(
        self,
        lc_store: Any,
        mongo_store: Any,
        *,
        use_learning_core: Callable[[CourseKey], bool],
        use_learning_core_for: Callable[[list[CourseKey]], dict[CourseKey, bool]] | None = None,
        shadow_enabled: Callable[[CourseKey], bool] | None = None,
        report: ShadowReport | None = None,
        shadow_max_blocks: int | None = 100,
    ) -> None:
        self.lc_store = lc_store
        self.mongo_store = mongo_store
        self.use_learning_core = use_learning_core
        self.use_learning_core_for = use_learning_core_for
        self.shadow_enabled = shadow_enabled
        self.report = report
        self.shadow_max_blocks = shadow_max_blocks

    # ----------------------------------------------------------------------------------------- choosing ----
    def store_for(self, course_key: CourseKey | None) -> Any:
        """The store serving ``course_key`` now (Mongo for keys Learning Core never serves)."""
        if not isinstance(course_key, CourseKey) or isinstance(course_key, LibraryLocator):
            return self.mongo_store
        if not isinstance(course_key, CourseLocator) or course_key.deprecated:
            return self.mongo_store
        if course_key.org is None:  # version-only: whoever holds the structure
            version = course_key.version_guid
            if version is not None and self.lc_store.backend.get_structure(version) is not None:
                return self.lc_store
            return self.mongo_store
        return self.lc_store if self.use_learning_core(course_key) else self.mongo_store

    def _shadowing(self, course_key: CourseKey | None, store: Any) -> bool:
        if store is not self.mongo_store or self.shadow_enabled is None or self.report is None:
            return False
        if not isinstance(course_key, CourseLocator) or course_key.org is None or course_key.deprecated:
            return False
        try:
            return bool(self.shadow_enabled(course_key))
        except Exception:  # noqa: BLE001 - shadow mode must never break a read
            log.exception("Shadow-read switch failed for %s; not shadowing", course_key)
            return False

    def _shadow(self, name: str, course_key: CourseKey, subject: Any, args: tuple, kwargs: dict,
                mongo_result: Any) -> None:
        """
        Repeat ``name`` on Learning Core, compare, report. Never raises.

        ``subject`` is what the call was about (its usage key, course key or block): differences in a value
        answer (a parent, ``has_item``, ``has_changes``) are reported under it, not under the course.
        """
        try:
            lc_args = args
            if name in ("has_changes", "has_published_version") and args:
                # These take an XBlock: give Learning Core its own block at the same location.
                lc_args = (self.lc_store.get_item(args[0].location), *args[1:])
            lc_result = getattr(self.lc_store, name)(*lc_args, **kwargs)
            # get_course/get_item(key, depth=0): the blocks within ``depth`` are what the call handed back.
            depth = kwargs["depth"] if "depth" in kwargs else (args[1] if len(args) > 1 else 0)
            location = normalize(getattr(subject, "location", subject))
            diffs = compare_returned(name, str(location), mongo_result, lc_result, depth=depth,
                                     max_blocks=self.shadow_max_blocks)
            error = None
        except Exception as exc:  # noqa: BLE001 - reported as a shadow failure, never raised
            diffs, error = [], exc
        try:  # every compared read, so matches are counted too (empty diffs, no error)
            self.report(course_key.for_branch(None), name, diffs, error)
        except Exception:  # noqa: BLE001
            log.exception("Shadow-read report failed for %s %s", course_key, name)

    def _route(self, name: str, position: int | None, keyword: str | None, args: tuple, kwargs: dict) -> Any:
        subject = _argument(args, kwargs, position, keyword)
        course_key = course_key_of(subject)
        store = self.store_for(course_key)
        result = getattr(store, name)(*args, **kwargs)
        if name in SHADOWED_READS and self._shadowing(course_key, store):
            self._shadow(name, course_key, subject, args, kwargs, result)
        return result

    # ------------------------------------------------------------------------------------- branch setting ----
    @contextlib.contextmanager
    def branch_setting(self, branch_setting: str, course_id=None) -> Iterator[None]:
        """The setting on the course's store, or on both stores when no course is named."""
        stores = [self.store_for(course_key_of(course_id))] if course_id is not None else self._stores()
        with contextlib.ExitStack() as stack:
            for store in stores:
                stack.enter_context(store.branch_setting(branch_setting, course_id))
            yield

    def get_branch_setting(self, course_id=None) -> str:
        store = self.store_for(course_key_of(course_id)) if course_id is not None else self.mongo_store
        return store.get_branch_setting(course_id)

    def _stores(self) -> list[Any]:
        return [self.mongo_store] if self.lc_store is self.mongo_store else [self.mongo_store, self.lc_store]

    # ------------------------------------------------------------------------------------------ listings ----
    def _winners(self, items: list[tuple[Any, Any]], key_of: Callable[[Any], CourseKey]) -> list[Any]:
        """
        Of ``(store, item)`` pairs, each course once: from the store the flag picks for it.

        The flags of all listed courses are read in one batch
        (``use_learning_core_for``), not one query per course.
        """
        keyed = []
        for store, item in items:
            plain = key_of(item)
            plain = plain.for_branch(None).version_agnostic() if getattr(plain, "org", None) else plain
            keyed.append((store, item, plain))
        decided: dict[CourseKey, bool] = {}
        if self.use_learning_core_for is not None:
            eligible = list(dict.fromkeys(
                k for _, _, k in keyed
                if isinstance(k, CourseLocator) and not k.deprecated and k.org is not None
            ))
            decided = self.use_learning_core_for(eligible) if eligible else {}
        chosen, seen = [], set()
        for store, item, plain in keyed:
            if plain in decided:
                serving = self.lc_store if decided[plain] else self.mongo_store
            else:
                serving = self.store_for(plain)
            if plain in seen or serving is not store:
                continue
            seen.add(plain)
            chosen.append(item)
        return chosen

    def get_courses(self, **kwargs: Any) -> list:
        """Root blocks of every course, each from the store that serves it."""
        items = [(s, c) for s in self._stores() for c in s.get_courses(**kwargs)]
        return self._winners(items, lambda c: c.location.course_key)

    def get_course_summaries(self, **kwargs: Any) -> list:
        """Course summaries from both stores, one per course, from the store that serves it."""
        items = [(s, c) for s in self._stores() for c in s.get_course_summaries(**kwargs)]
        return self._winners(items, lambda c: c.id)

    def get_courses_for_wiki(self, wiki_slug: str, **kwargs: Any) -> list:
        """Keys of the courses using ``wiki_slug``, each once, from the store that serves it."""
        items = [(s, k) for s in self._stores() for k in s.get_courses_for_wiki(wiki_slug, **kwargs)]
        return self._winners(items, lambda k: k)

    # ----------------------------------------------------------------------------------- infrastructure ----
    def make_course_key(self, org: str, course: str, run: str) -> CourseLocator:
        return CourseLocator(org, course, run)

    def get_modulestore_type(self, course_key=None) -> str:
        return ModuleStoreEnum.Type.split

    def get_errored_courses(self) -> dict:
        errors: dict = {}
        for store in self._stores():
            errors.update(store.get_errored_courses())
        return errors

    def heartbeat(self) -> dict[str, bool]:
        """Both stores' heartbeats, named by where they read."""
        return {
            "split (learning core)": all(self.lc_store.heartbeat().values()),
            "split (mongo)": all(self.mongo_store.heartbeat().values()),
        }

    def close_connections(self) -> None:
        for store in self._stores():
            store.close_connections()

    def ensure_indexes(self) -> None:
        for store in self._stores():
            store.ensure_indexes()


def _routed(name: str, position: int | None, keyword: str | None) -> Callable:
    def call(self: RouterModuleStore, *args: Any, **kwargs: Any) -> Any:
        return self._route(name, position, keyword, args, kwargs)

    call.__name__ = name
    call.__doc__ = f"``{name}`` on the store that serves the course named by ``{keyword}``."
    return call


for _name, _position, _keyword in KEYED_READS:
    setattr(RouterModuleStore, _name, _routed(_name, _position, _keyword))
for _name, _position, _keyword in WRITE_METHODS:
    # A write that names no course (create_course, create_library, _drop_database) goes to Mongo.
    setattr(RouterModuleStore, _name, _routed(_name, _position, _keyword))

_routed_get_course = RouterModuleStore.get_course


def _get_course(self: RouterModuleStore, *args: Any, **kwargs: Any) -> Any:
    """
    The course block, or None when the serving store has no such course.

    The router stands where edx-platform's Mixed store stands, and Mixed turns
    split's ``ItemNotFoundError`` from ``get_course`` into None: the LMS tests
    for None (``get_course_by_id`` answers 404), so an exception here would be a 500.
    """
    try:
        return _routed_get_course(self, *args, **kwargs)
    except ItemNotFoundError:
        return None


_get_course.__name__ = "get_course"
RouterModuleStore.get_course = _get_course  # type: ignore[method-assign]

__all__ = ["KEYED_READS", "SHADOWED_READS", "RouterModuleStore", "course_key_of"]
