"""
``lc_bench read``: the LMS's hot read paths, one store, two storage backends.

The same :class:`shim.store.ReadOnlySplitModuleStore` runs once over
:class:`~shim.backends.mysql.MySQLPersistenceBackend` (compiled documents in
the SQL database) and once over :class:`~shim.backends.mongo.MongoBackend`
(the same documents in split's Mongo collections), so a difference between
the two is storage and decoding, not a second read path.

Every operation is one simulated request: request caches are cleared before it.
*Cold* additionally clears the structure caches (the MySQL backend's in-process
LRU and the ``course_structure_cache`` alias both backends use); *warm* primes
them by serving the same operation once, untimed, first: every cache then holds what that
request reads (a structure decoded block by block, ADR 0025, holds the blocks read, which an
untimed ``get_course`` would not decode). Backends alternate run by run (and
the order flips every run) so load drift on a shared machine hits both alike.

Per operation we record wall time, SQL queries (``CaptureQueriesContext``),
Mongo round trips (``MongoBackend.round_trips``); one extra untimed pass per
scenario/backend/mode records bytes read and peak traced memory (tracemalloc
slows code down several-fold, so it never overlaps a timed run).
"""
from __future__ import annotations

import gc
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from edx_django_utils.cache import RequestCache
from opaque_keys.edx.keys import CourseKey
from pymongo import monitoring

from benchmarks.floor import read_fields
from shim import api as shim_api

__all__ = ["SCENARIOS", "BackendUnderTest", "Measurement", "ReadBenchmark", "answer_differences", "summarize"]

#: Operations per run for the per-item scenarios (each a separate timed request on a different leaf).
ITEMS_PER_RUN = 5


@dataclass
class BackendUnderTest:
    """One backend behind its own store; ``bytes_counter`` is switched on for the accounting pass."""

    name: str
    store: Any
    backend: Any
    bytes_counter: Callable[[], Any]

    def round_trips(self) -> int | None:
        return getattr(self.backend, "round_trips", None)


@dataclass
class Measurement:
    course: str
    blocks: int
    scenario: str
    mode: str
    backend: str
    seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    round_trips: list[int] = field(default_factory=list)
    bytes_read: int | None = None
    peak_bytes: int | None = None


# -- scenarios: each takes (store, course_key, item) and does one request's reads ----------------------------------
def _traverse(store, course_key, _item) -> int:
    """``get_course(depth=None, lazy=False)`` and visit every block reading every field (block-structure collect)."""
    course = store.get_course(course_key, depth=None, lazy=False)
    stack, visited = [course], 0
    while stack:
        block = stack.pop()
        read_fields(block)
        visited += 1
        if block.has_children:
            stack.extend(block.get_children())
    return visited


def _get_item(store, _course_key, usage_key) -> int:
    """Courseware render of one leaf: ``get_item`` then its content and settings."""
    return read_fields(store.get_item(usage_key))


def _get_items(store, course_key, _item) -> int:
    """``get_items`` by category (problems: what grading and the instructor dashboard ask for)."""
    return len(store.get_items(course_key, qualifiers={"category": "problem"}))


def _path_to_location(store, _course_key, usage_key) -> int:
    """``get_parent_location`` from a leaf up to the root (``path_to_location``)."""
    steps, location = 0, usage_key
    while location is not None:
        location = store.get_parent_location(location)
        steps += 1
    return steps


def _has(store, course_key, usage_key) -> int:
    """``has_course`` then ``has_item`` of a leaf (access checks)."""
    return int(bool(store.has_course(course_key))) + int(store.has_item(usage_key))


#: name → (function, uses a random leaf per operation)
SCENARIOS: dict[str, tuple[Callable[..., int], bool]] = {
    "traversal": (_traverse, False),
    "get_item": (_get_item, True),
    "get_items": (_get_items, False),
    "path_to_location": (_path_to_location, True),
    "has_item": (_has, True),
}


#: Blocks of a traversal compared field by field in the answer check (breadth first; the rest by key set).
ANSWER_BLOCKS = 500


def _answer(scenario: str, store, course_key, item) -> tuple[str, Any, Any]:
    """``(method, what was asked, the answer)`` of one scenario, for comparing stores (untimed)."""
    if scenario == "traversal":
        return "get_course", course_key, store.get_course(course_key, depth=None, lazy=False)
    if scenario == "get_item":
        return "get_item", item, store.get_item(item)
    if scenario == "get_items":
        return "get_items", course_key, store.get_items(course_key, qualifiers={"category": "problem"})
    if scenario == "path_to_location":
        path, location = [], item
        while location is not None:
            location = store.get_parent_location(location)
            path.append(location)
        return "get_parent_location", item, path
    return "has_item", item, (bool(store.has_course(course_key)), store.has_item(item))


def answer_differences(scenario: str, backends: list[BackendUnderTest], course_key, item) -> dict[str, list[str]]:
    """
    What each backend's answer differs in from the first backend's (``shim.compare``, as shadow reads compare),
    by backend name; empty lists when every store answered the same. Untimed, after the timed runs.
    """
    clear_request_caches()
    method, asked, expected = _answer(scenario, backends[0].store, course_key, item)
    found = {}
    for b in backends[1:]:
        clear_request_caches()
        _method, _asked, answer = _answer(scenario, b.store, course_key, item)
        depth = None if scenario == "traversal" else 0
        differences = shim_api.compare_returned(method, str(asked), answer, expected, depth=depth,
                                                max_blocks=ANSWER_BLOCKS)
        if scenario == "traversal":  # beyond the blocks compared field by field: the same blocks at all
            keys = {shim_api.location_of(x) for x in b.store.get_items(course_key)}
            if keys != {shim_api.location_of(x) for x in backends[0].store.get_items(course_key)}:
                differences.append(f"{b.name}: the course holds other blocks")
        found[b.name] = [str(d) for d in differences]
    return found


def clear_request_caches() -> None:
    """End of a request: the shim's course-index cache and every request-cache namespace (runtimes, Mongo index)."""
    shim_api.clear_request_caches()
    RequestCache.clear_all_namespaces()


def clear_structure_caches(backends: list[BackendUnderTest]) -> None:
    """Cold start: forget decoded structures in-process and in the shared ``course_structure_cache`` alias."""
    for b in backends:
        structure_cache = getattr(b.backend, "structure_cache", None)
        if hasattr(structure_cache, "clear_local"):
            structure_cache.clear_local()
    try:
        caches["course_structure_cache"].clear()
    except Exception:  # noqa: BLE001 - no such alias configured: nothing shared to clear
        pass


class ReadBenchmark:
    """Run every scenario on ``backends`` for one course; results accumulate in :attr:`measurements`."""

    def __init__(self, backends: list[BackendUnderTest], *, repeat: int, seed: int = 0,
                 scenarios: list[str] | None = None, log: Callable[[str], None] = lambda _m: None) -> None:
        self.backends = backends
        self.repeat = repeat
        self.seed = seed
        self.scenarios = scenarios or list(SCENARIOS)
        self.log = log
        self.measurements: list[Measurement] = []
        #: (course, scenario) → {backend: differences from the first backend's answer} (empty: equal)
        self.answers: dict[tuple[str, str], dict[str, list[str]]] = {}

    def leaves(self, course_key: CourseKey) -> list[Any]:
        """Usage keys of every childless block (read once from the first backend's store)."""
        store = self.backends[0].store
        return [b.location for b in store.get_items(course_key) if not b.has_children and b.category != "course"]

    def run_course(self, label: str, course_key: CourseKey) -> list[Measurement]:
        clear_request_caches()
        clear_structure_caches(self.backends)
        leaves = self.leaves(course_key)
        blocks = len(self.backends[0].store.get_items(course_key))
        rng = random.Random(self.seed)
        results: dict[tuple[str, str, str], Measurement] = {}
        for scenario in self.scenarios:
            for mode in ("cold", "warm"):
                for b in self.backends:
                    results[(scenario, mode, b.name)] = Measurement(label, blocks, scenario, mode, b.name)
        for run in range(self.repeat):
            order = self.backends if run % 2 == 0 else list(reversed(self.backends))
            for scenario in self.scenarios:
                fn, per_item = SCENARIOS[scenario]
                items = [rng.choice(leaves) for _ in range(ITEMS_PER_RUN)] if per_item else [None]
                for mode in ("cold", "warm"):
                    for b in order:
                        m = results[(scenario, mode, b.name)]
                        for item in items:
                            self._measure_once(b, fn, course_key, item, mode, m)
            self.log(f"  {label}: run {run + 1}/{self.repeat} done")
        for (scenario, mode, _name), m in results.items():
            fn, per_item = SCENARIOS[scenario]
            b = next(x for x in self.backends if x.name == m.backend)
            self._account(b, fn, course_key, leaves[0] if per_item else None, mode, m)
        for scenario in self.scenarios:
            _fn, per_item = SCENARIOS[scenario]
            self.answers[(label, scenario)] = answer_differences(
                scenario, self.backends, course_key, leaves[0] if per_item else None
            )
        self.measurements.extend(results.values())
        return list(results.values())

    def _prepare(self, b: BackendUnderTest, fn, course_key: CourseKey, item, mode: str) -> None:
        if mode == "cold":
            clear_structure_caches(self.backends)
        else:
            clear_request_caches()
            fn(b.store, course_key, item)  # the same request once before (untimed): the caches hold what it reads
        clear_request_caches()
        if hasattr(b.backend, "reset_counts"):
            b.backend.reset_counts()

    def _measure_once(self, b, fn, course_key, item, mode: str, m: Measurement) -> None:
        self._prepare(b, fn, course_key, item, mode)
        gc.collect()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            fn(b.store, course_key, item)
            elapsed = time.perf_counter() - started
        m.seconds.append(elapsed)
        m.queries.append(len(queries.captured_queries))
        trips = b.round_trips()
        m.round_trips.append(trips if trips is not None else len(queries.captured_queries))

    def _account(self, b, fn, course_key, item, mode: str, m: Measurement) -> None:
        """Untimed: bytes the backend fetched and the operation's peak traced memory."""
        self._prepare(b, fn, course_key, item, mode)
        gc.collect()
        with b.bytes_counter() as counted:
            tracemalloc.start()
            try:
                fn(b.store, course_key, item)
                m.peak_bytes = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        m.bytes_read = counted.total


# -- byte counters --------------------------------------------------------------------------------------------------
class _Total:
    total = 0


@contextmanager
def mysql_bytes_counter() -> Iterator[_Total]:
    """Count the stored bytes the MySQL backend decodes (compressed structures, their entry indexes, definitions)."""
    from shim.backends import mysql as mysql_backend

    total = _Total()
    real_structure, real_definition = mysql_backend.decode_structure_lazily, mysql_backend.decode_definition

    def structure(data, *args, **kwargs):
        total.total += len(data) + len(kwargs.get("entry_index") or b"")
        return real_structure(data, *args, **kwargs)

    def definition(data, *args, **kwargs):
        total.total += len(data)
        return real_definition(data, *args, **kwargs)

    with mock.patch.object(mysql_backend, "decode_structure_lazily", structure), \
            mock.patch.object(mysql_backend, "decode_definition", definition):
        yield total


class MongoReplyBytes(monitoring.CommandListener):
    """A pymongo command listener that sums the BSON size of replies while :attr:`active`."""

    def __init__(self) -> None:
        self.active: _Total | None = None

    def started(self, event) -> None:
        pass

    def succeeded(self, event) -> None:
        if self.active is not None:
            import bson

            self.active.total += len(bson.encode(event.reply))

    def failed(self, event) -> None:
        pass

    @contextmanager
    def counting(self) -> Iterator[_Total]:
        self.active = _Total()
        try:
            yield self.active
        finally:
            self.active = None


# -- summaries ------------------------------------------------------------------------------------------------------
def _quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], statistics.median(values), q[2]


def summarize(m: Measurement) -> dict[str, Any]:
    q1, median, q3 = _quartiles(m.seconds)
    return {
        "course": m.course, "blocks": m.blocks, "scenario": m.scenario, "mode": m.mode, "backend": m.backend,
        "n": len(m.seconds), "median_ms": median * 1000, "q1_ms": q1 * 1000, "q3_ms": q3 * 1000,
        "min_ms": min(m.seconds) * 1000, "max_ms": max(m.seconds) * 1000,
        "queries": statistics.median(m.queries), "round_trips": statistics.median(m.round_trips),
        "bytes_read": m.bytes_read, "peak_kib": (m.peak_bytes or 0) / 1024,
    }
