"""
Orchestration of ``lc_bench read``: courses, the Mongo twin, both stores, the floor, the report files.
"""
from __future__ import annotations

import contextlib
import gc
import json
import statistics
import tempfile
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from opaque_keys.edx.keys import CourseKey

from benchmarks.courses import course_key_for, ensure_compiled, ensure_synthetic_course
from benchmarks.floor import load_stored_course, measure_decode
from benchmarks.machine import commit, describe_machine
from benchmarks.mongo_copy import copy_course_to_mongo
from benchmarks.nx import NX_LABEL, nx_server
from benchmarks.read import (
    BackendUnderTest,
    MongoReplyBytes,
    ReadBenchmark,
    clear_request_caches,
    clear_structure_caches,
    mysql_bytes_counter,
    summarize,
)
from benchmarks.report import write_plots, write_table
from benchmarks.results import ReadReport
from shim import api as shim_api
from shim.backends.mongo import MongoBackend

__all__ = ["DEMO_COURSE_KEY", "ReadReport", "merge_read_reports", "run_read_benchmark"]

DEMO_COURSE_KEY = "course-v1:LcBench+Demo+2026"


def _environment(mongo_label: str, mongo_client: Any) -> dict[str, Any]:
    env = {**describe_machine(), "mongo": mongo_label}
    with contextlib.suppress(Exception):
        env["mongo_server_version"] = mongo_client.server_info().get("version")
    return env


def _demo_course(log: Callable[[str], None]) -> str | None:
    """Import the demo course once (skipped when the corpus is not there)."""
    from lc_modulestore.importing.olx.api import import_olx
    from lc_modulestore.models_api import LearningCoreCourse

    source = Path(getattr(settings, "LC_DEMO_COURSE_DIR", ""))
    if not (source / "course").is_dir() and not (source / "course.xml").is_file():
        log(f"demo course not found at {source}: skipped")
        return None
    if not LearningCoreCourse.objects.filter(course_key=DEMO_COURSE_KEY).exists():
        log("importing the demo course")
        import_olx(source, DEMO_COURSE_KEY, publish=True)
    ensure_compiled(DEMO_COURSE_KEY)
    return DEMO_COURSE_KEY


def _structure_memory(backend: Any, course_key: CourseKey) -> int:
    """
    Traced bytes a cached head structure holds once every block is decoded (what a warm traversal keeps):
    allocated while loading and decoding, still alive after.
    """
    clear_request_caches()
    index = backend.get_course_index(course_key)
    head = next(iter(index["versions"].values()))
    if hasattr(backend.structure_cache, "clear_local"):
        backend.structure_cache.clear_local()
    with contextlib.suppress(Exception):
        caches["course_structure_cache"].clear()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        structure = backend.get_shared_structure(head, course_key)
        structure["blocks"].items()  # every block decoded, as after a traversal
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del structure
    return held


def _lower_bound(label: str, key: str, course_key: CourseKey, traversal: dict, repeat: int,
                 mysql_backend: Any) -> dict[str, Any]:
    """Decoding the stored bytes alone (structure and every definition), next to the traversals it bounds."""
    stored = load_stored_course(key)
    floors = []
    for _ in range(repeat):
        gc.collect()
        floors.append(measure_decode(stored))
    floor_s = statistics.median(f.seconds for f in floors)
    return {
        "course": label, "blocks": floors[0].blocks, "floor_ms": floor_s * 1000,
        "floor_min_ms": min(f.seconds for f in floors) * 1000,
        "floor_max_ms": max(f.seconds for f in floors) * 1000,
        "stored_bytes": stored.stored_bytes,
        "cached_structure_bytes": _structure_memory(mysql_backend, course_key),
        **{f"{mode}_{backend}_ratio": traversal[(mode, backend)]["median_ms"] / (floor_s * 1000)
           for mode in ("cold", "warm") for backend in ("mysql", "edx_split", "mongo")
           if (mode, backend) in traversal},
        "us_per_block_cold_mysql": traversal[("cold", "mysql")]["median_ms"] * 1000 / floors[0].blocks,
        "us_per_block_floor": floor_s * 1e6 / floors[0].blocks,
    }


def run_read_benchmark(
    *,
    sizes: list[int],
    out: Path,
    repeat: int = 5,
    mongo_uri: str | None = None,
    mongo_db: str | None = None,
    demo: bool = True,
    seed: int = 0,
    arguments: str = "",
    edx_platform: bool = True,
    scenarios: list[str] | None = None,
    log: Callable[[str], None] = print,
) -> ReadReport:
    """
    Build (or reuse) each course, copy it to Mongo, run every scenario on every store, write the report.

    Three columns, in the same run: the project's store over the SQL backend, edx-platform's own split store
    over that same backend and documents (where the shared snapshot is, ``edx_platform``), and the project's
    store over the Mongo twin.
    """
    import pymongo

    out.mkdir(parents=True, exist_ok=True)
    report = ReadReport()
    with contextlib.ExitStack() as stack:
        if mongo_uri is None:
            log("starting nx-27017 (no --mongo-uri)")
            mongo_uri = stack.enter_context(nx_server())
            report.mongo_label = NX_LABEL
            separator = "_"  # nx-27017 rejects dotted collection names
        else:
            report.mongo_label = f"MongoDB at {mongo_uri.split('@')[-1]}"
            separator = "."
        listener = MongoReplyBytes()
        client = pymongo.MongoClient(mongo_uri, tz_aware=True, event_listeners=[listener],
                                     serverSelectionTimeoutMS=5000)
        stack.callback(client.close)
        database = client.get_database(mongo_db or f"lc_bench_{uuid.uuid4().hex[:8]}")
        if mongo_db is None:
            stack.callback(client.drop_database, database.name)
        report.environment = _environment(report.mongo_label, client)
        report.environment["commit"] = commit()
        report.environment["arguments"] = arguments
        fs_root = stack.enter_context(tempfile.TemporaryDirectory(prefix="lc-bench-fs-"))

        mysql_backend = shim_api.MySQLPersistenceBackend()
        mongo_backend = MongoBackend(database=database, collection_prefix="modulestore",
                                     collection_separator=separator,
                                     structure_cache=caches["course_structure_cache"])
        store_options = {"fs_root": fs_root, "strip_keys": True}
        backends = [
            BackendUnderTest("mysql", shim_api.ReadOnlySplitModuleStore(mysql_backend, **store_options),
                             mysql_backend, mysql_bytes_counter),
            BackendUnderTest("mongo", shim_api.ReadOnlySplitModuleStore(mongo_backend, **store_options),
                             mongo_backend, listener.counting),
        ]
        sql = _sql_label()
        labels = {"mysql": f"ours over {sql}", "mongo": f"ours over {report.mongo_label}"}
        if edx_platform:
            edx = _edx_platform_backend(fs_root, log)
            if edx is not None:
                backends.insert(1, edx)
                labels["edx_split"] = f"edx-platform's split over {sql}"
        report.environment["backends"] = labels
        bench = ReadBenchmark(backends, repeat=repeat, seed=seed, scenarios=scenarios, log=log)

        courses: list[tuple[str, str]] = []
        for size in sizes:
            log(f"course of ~{size} blocks: {course_key_for(size, seed)}")
            course, built = ensure_synthetic_course(size, seed)
            log(f"  {'built' if built else 'reused'}")
            courses.append((f"synthetic {size}", str(course.course_key)))
        if demo:
            key = _demo_course(log)
            if key:
                courses.append(("demo course", key))

        for label, key in courses:
            exporter = copy_course_to_mongo(key, database, collection_prefix="modulestore",
                                            collection_separator=separator)
            log(f"{label}: copied to Mongo ({exporter}); measuring")
            course_key = CourseKey.from_string(key)
            measured = bench.run_course(label, course_key)
            report.rows.extend(summarize(m) for m in measured)
            report.answers.extend(
                {"course": label, "scenario": scenario, "backend": backend, "differences": differences}
                for (course, scenario), by_backend in bench.answers.items() if course == label
                for backend, differences in by_backend.items()
            )
            traversal = {(r["mode"], r["backend"]): r for r in report.rows
                         if r["course"] == label and r["scenario"] == "traversal"}
            if traversal:  # the lower bound is read beside the traversal it bounds
                report.floors.append(_lower_bound(label, key, course_key, traversal, repeat, mysql_backend))
            clear_structure_caches(backends)
            # Written after every course, so a long run that fails later keeps what it measured.
            report.files = _write_report(report, out)
            log(f"{label}: done; report so far in {out}")
    return report


def _sql_label() -> str:
    """What the SQL backend is: SQLite or MariaDB/MySQL (with its version)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        return "SQLite"
    with connection.cursor() as cursor:
        cursor.execute("SELECT VERSION()")
        version = cursor.fetchone()[0]
    return ("MariaDB " if "mariadb" in version.lower() else "MySQL ") + version.split("-")[0]


def _edx_platform_backend(fs_root: str, log: Callable[[str], None]) -> BackendUnderTest | None:
    """edx-platform's own ``DraftVersioningModuleStore`` over its own ``MySQLPersistenceBackend``, or None."""
    from tests.edx_platform.edx import AVAILABLE, edx_split_store

    if not AVAILABLE:
        log("edx-platform's xmodule snapshot (../shared/edx-platform) is absent: no edx-platform split column")
        return None
    backend = shim_api.MySQLPersistenceBackend()
    store = edx_split_store(backend, fs_root=Path(fs_root) / "edx", branch="published-only")
    return BackendUnderTest("edx_split", store, backend, mysql_bytes_counter)


def _write_report(report: ReadReport, out: Path) -> list[Path]:
    """results.md, the plots and results.json for the courses measured so far (overwritten each time)."""
    out.mkdir(parents=True, exist_ok=True)
    files = [*write_table(report, out), *write_plots(report, out)]
    (out / "results.json").write_text(json.dumps(
        {"environment": report.environment, "rows": report.rows, "floors": report.floors,
         "answers": report.answers}, indent=1, default=str))
    return [*files, out / "results.json"]


def merge_read_reports(sources: list[Path], out: Path) -> ReadReport:
    """
    One report from the ``results.json`` of several ``lc_bench read`` runs (e.g. 1k and 10k, then 50k alone):
    their rows and floors in order, written to ``out`` as by a single run. The machine line is the first run's.
    """
    report = ReadReport()
    for source in sources:
        data = json.loads((source / "results.json").read_text())
        report.environment = report.environment or data["environment"]
        report.rows.extend(data["rows"])
        report.floors.extend(data["floors"])
        report.answers.extend(data.get("answers", []))
    report.files = _write_report(report, out)
    return report
