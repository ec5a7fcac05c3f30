"""
``lc_bench visible``: publish → LMS-visible for a leaf edit, through the lowest-layer mount (ADR 0019).

One edit per run, on an html leaf of a compiled course whose ``use_learning_core`` flag is on:

1. the leaf is saved as a draft in Learning Core (untimed);
2. ``publish_course`` runs inside a transaction and returns: **t0**, Learning Core's publish returning;
3. the transaction commits: the on-commit handler compiles the publish log (a Celery task, eager in the
   standalone settings, so in this process), the compiler's on-commit ``course_published`` reaches the
   mount, which sends edx-platform's ``SignalHandler.course_published``: **t1**, delivered to a receiver;
4. the next read (a new request) sees the edit: **t2**. Runs alternate between the two ways the LMS can read:
   edx-platform's split in the mount (the default mount) and the project's own store (the fast path), each over
   its own backend primed with the course, so every read is the first read of a new structure, as in an LMS
   process that served the course before the edit.

Reported per run: t1 − t0 (compile and notification), t2 − t0 (LMS-visible), against a 100 ms target, and
the garbage collector's share of t2 − t0 (``gc.callbacks``: its time, and how many full collections ran), so a
slow run shows whether a collection of the whole process fell inside it.
Needs ``../shared/edx-platform`` (edx-platform's split and SignalHandler); the Mongo side is an empty
mongomock database (no course of this run is served from it).
"""
from __future__ import annotations

import gc
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from django.db import transaction
from edx_django_utils.cache import RequestCache
from opaque_keys.edx.keys import CourseKey

from benchmarks.machine import commit, describe_machine

__all__ = ["TARGET_MS", "measure_publish_to_visible"]

TARGET_MS = 100.0


def measure_publish_to_visible(course_key: str, *, repeat: int = 5, log: Callable[[str], None] = print
                               ) -> dict[str, Any]:
    from tests.edx_platform.edx import AVAILABLE, edx_split_store

    if not AVAILABLE:
        raise RuntimeError("edx-platform's xmodule snapshot (../shared/edx-platform) is absent")
    from xmodule.modulestore.django import SignalHandler
    from xmodule.modulestore.split_mongo.mongo_connection import MongoPersistenceBackend

    from lc_modulestore.api import BlockData, BlockKey, CourseWriter, get_course, publish_course
    from lc_modulestore.rollout.api import set_course_override
    from lc_modulestore.rollout.mount import LearningCoreSplitModuleStore
    from shim.api import MySQLPersistenceBackend, ReadOnlySplitModuleStore

    key = CourseKey.from_string(course_key)
    set_course_override(course_key, True, force=True, note="lc_bench visible: compiled course, no Mongo original")
    handler = SignalHandler(LearningCoreSplitModuleStore)
    with tempfile.TemporaryDirectory(prefix="lc-bench-visible-") as fs_root:
        store = edx_split_store(None, fs_root=fs_root, cls=LearningCoreSplitModuleStore,
                                split_backend=MongoPersistenceBackend, signal_handler=handler)
        ours = ReadOnlySplitModuleStore(MySQLPersistenceBackend(), fs_root=fs_root, strip_keys=True)
        readers = {"edx split (mount)": store, "ours": ours}
        RequestCache.clear_all_namespaces()
        found = next(b.location for b in store.get_items(key, qualifiers={"category": "html"}))
        leaf = key.make_usage_key("html", found.block_id)  # as the LMS asks: no branch, no version
        blocks = len(store.get_items(key))
        RequestCache.clear_all_namespaces()
        ours.get_items(key.for_branch("published-branch"))  # this process has served the course before
        delivered: list[float] = []

        def receiver(sender, course_key, **kwargs):
            delivered.append(time.perf_counter())

        collections: list[tuple[int, float, float]] = []  # (generation, start, seconds) of each collection
        started: list[float] = []

        def collector(phase, info):
            if phase == "start":
                started.append(time.perf_counter())
            elif started:
                start = started.pop()
                collections.append((info["generation"], start, time.perf_counter() - start))

        SignalHandler.course_published.connect(receiver, weak=False, dispatch_uid="lc_bench.visible")
        gc.callbacks.append(collector)
        course = get_course(course_key)
        runs = []
        try:
            for run in range(2 * repeat):
                reader = list(readers)[run % 2]
                title = f"Edited {run} {time.time_ns()}"
                writer = CourseWriter(course, created=datetime.now(timezone.utc))
                writer.save_block(BlockData(BlockKey("html", leaf.block_id), title=title,
                                            settings={"display_name": title},
                                            content={"data": f"<p>{title}</p>"},
                                            olx=f"<html display_name='{title}'><![CDATA[<p>{title}</p>]]></html>"))
                delivered.clear()
                collections.clear()  # no gc.collect() first: an LMS process does not collect before a request
                with transaction.atomic():
                    publish_course(course)
                    t0 = time.perf_counter()
                t_commit = time.perf_counter()
                RequestCache.clear_all_namespaces()  # the LMS's next request
                seen = readers[reader].get_item(leaf).display_name
                t2 = time.perf_counter()
                if seen != title or len(delivered) != 1:
                    raise RuntimeError(f"run {run}: read {seen!r} (wanted {title!r}), {len(delivered)} signal(s)")
                timed = [(generation, seconds) for generation, start, seconds in collections if t0 <= start < t2]
                gc_ms = sum(seconds for _generation, seconds in timed) * 1000
                full = sum(1 for generation, _seconds in timed if generation == 2)
                runs.append({"reader": reader, "delivered_ms": (delivered[0] - t0) * 1000,
                             "visible_ms": (t2 - t0) * 1000, "commit_ms": (t_commit - t0) * 1000,
                             "gc_ms": gc_ms, "full_collections": full})
                log(f"  run {run + 1}/{2 * repeat} ({reader}): delivered {runs[-1]['delivered_ms']:.0f} ms, "
                    f"visible {runs[-1]['visible_ms']:.0f} ms, of which garbage collection {gc_ms:.0f} ms "
                    f"({full} full)")
        finally:
            gc.callbacks.remove(collector)
            SignalHandler.course_published.disconnect(dispatch_uid="lc_bench.visible")
    by_reader = {
        name: {
            "delivered_median_ms": statistics.median(r["delivered_ms"] for r in runs if r["reader"] == name),
            "visible_median_ms": statistics.median(r["visible_ms"] for r in runs if r["reader"] == name),
            "visible_max_ms": max(r["visible_ms"] for r in runs if r["reader"] == name),
            "full_collections": sum(r["full_collections"] for r in runs if r["reader"] == name),
        }
        for name in readers
    }
    return {
        "course": course_key, "blocks": blocks, "runs": runs, "target_ms": TARGET_MS, "readers": by_reader,
        "delivered_median_ms": statistics.median(r["delivered_ms"] for r in runs),
        "visible_median_ms": by_reader["edx split (mount)"]["visible_median_ms"],
        "environment": {**describe_machine(), "commit": commit()},
    }
