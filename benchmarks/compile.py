"""
``lc_bench compile``: compile timings of synthetic courses by size, next to Learning Core's own publish.

For each size a fresh course is built as drafts (Learning Core's work, not timed
against anything), then, in the same run and the same database:

* ``publish_all_drafts`` of the whole course, timed alone (the target: a full
  compile of the same course must be faster);
* a full compile of that first publish;
* three edits, each published and compiled incrementally and then compiled in
  full from the same publish (the incremental target: ≤ 5 % of full at 10k
  blocks, with a query count that does not grow with the course).

Each compile is repeated ``repeat`` times (its structure row dropped before
each run, so every run does the whole work) and the median is reported.
Courses stay in the database under ``course-v1:LcBenchCompile+S<shape>+<id>``:
use a scratch database.
"""
from __future__ import annotations

import dataclasses
import datetime
import json
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from benchmarks.machine import describe_machine

__all__ = ["CompileReport", "compile_markdown", "merge_compile_reports", "run_compile_benchmark"]

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
T1 = T0 + datetime.timedelta(hours=1)


@dataclasses.dataclass
class CompileReport:
    rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    courses: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    environment: dict[str, Any] = dataclasses.field(default_factory=dict)
    files: list[Path] = dataclasses.field(default_factory=list)


def _compile(course, log_id: int, *, full: bool, repeat: int) -> dict[str, Any]:
    """Compile ``log_id`` ``repeat`` times afresh; the median run's figures (queries counted on every run)."""
    from compiler import api as compiler_api
    from lc_modulestore.models_api import CompiledStructure

    runs = []
    for _ in range(repeat):
        # Drop what an earlier run (or the on-commit trigger) made, so each run does the whole compile.
        CompiledStructure.objects.filter(course=course, publish_log_id=log_id).delete()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = compiler_api.compile_publish_log(log_id, full=full)
            wall_ms = (time.perf_counter() - started) * 1000
        runs.append((wall_ms, result, len(queries.captured_queries)))
    times = sorted(wall for wall, _, _ in runs)
    _, result, all_queries = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
    return {
        "blocks": result.block_count, "rebuilt": result.rebuilt_blocks, "raw_bytes": result.raw_size,
        "stored_bytes": result.stored_size, "median_ms": statistics.median(times), "min_ms": times[0],
        "max_ms": times[-1], "build_ms": statistics.median(r.ms for _, r, _ in runs), "n": len(times),
        "queries": result.queries, "all_queries": all_queries, "full": result.full, "fallback": result.fallback,
    }


def _measure_size(shape: tuple[int, int, int, int], *, seed: int, repeat: int,
                  log: Callable[[str], None]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from lc_modulestore.api import BlockKey, CourseWriter, publish_course
    from lc_modulestore.importing.api import COURSE_ROOT, build_synthetic_course, generate_course_blocks

    sections, subsections, units, components = shape
    key = f"course-v1:LcBenchCompile+S{sections}x{subsections}x{units}x{components}+{uuid.uuid4().hex[:8]}"
    log(f"{key}: building drafts")
    started = time.perf_counter()
    course = build_synthetic_course(key, sections=sections, subsections=subsections, units=units,
                                    components=components, seed=seed, created=T0, publish=False)
    build_ms = (time.perf_counter() - started) * 1000
    # Learning Core's own publish of the whole course, timed alone: the compile it triggers runs in
    # on_commit, after the atomic block this times (and is redone below, measured).
    with transaction.atomic():
        started = time.perf_counter()
        first = publish_course(course, message="bench", published_at=T0)
        publish_ms = (time.perf_counter() - started) * 1000
    log(f"  built in {build_ms / 1000:.0f} s; publish_all_drafts {publish_ms:.0f} ms; compiling")
    rows = [{"operation": "full (first publish)", **_compile(course, first.id, full=True, repeat=repeat)}]

    blocks = {b.key: b for b in generate_course_blocks(sections=sections, subsections=subsections, units=units,
                                                     components=components, seed=seed)}
    writer = CourseWriter(course, created=T1)

    def publish_and_compile(label: str) -> None:
        log_row = publish_course(course, message=label, published_at=T1)
        rows.append({"operation": f"incremental: {label}", **_compile(course, log_row.id, full=False,
                                                                      repeat=repeat)})
        rows.append({"operation": f"full, same publish: {label}", **_compile(course, log_row.id, full=True,
                                                                           repeat=repeat)})

    leaf = next(iter(blocks.values()))
    writer.save_block(dataclasses.replace(leaf, content={**leaf.content, "data": "<p>edited</p>"}))
    publish_and_compile("1 leaf edit")
    sequential = blocks[BlockKey("sequential", "subsection_0_0")]
    writer.save_block(dataclasses.replace(sequential, children=tuple(reversed(sequential.children))))
    publish_and_compile("unit reorder")
    root = blocks[COURSE_ROOT]
    writer.save_block(dataclasses.replace(root, children=root.children[:-1]))
    writer.delete_block(root.children[-1])
    publish_and_compile("section delete")

    full_ms = rows[0]["median_ms"]
    course_row = {"course": key, "blocks": rows[0]["blocks"], "build_ms": build_ms, "publish_ms": publish_ms,
                  "full_ms": full_ms, "full_vs_publish": full_ms / publish_ms}
    for row in rows:
        row.update(course=key, size=rows[0]["blocks"], pct_of_full=100 * row["median_ms"] / full_ms)
    log(f"  full compile {full_ms:.0f} ms; 1-leaf incremental {rows[1]['median_ms']:.0f} ms "
        f"({rows[1]['pct_of_full']:.1f}%)")
    return course_row, rows


def run_compile_benchmark(*, shapes: list[tuple[int, int, int, int]], out: Path | None, repeat: int = 3,
                          seed: int = 0, log: Callable[[str], None] = print) -> CompileReport:
    """Build, publish and compile a course per shape; write compile.md/.json and compile_*.png to ``out``."""
    report = CompileReport(environment=describe_machine())
    for shape in shapes:
        course_row, rows = _measure_size(shape, seed=seed, repeat=repeat, log=log)
        report.courses.append(course_row)
        report.rows.extend(rows)
    if out is not None:
        report.files += _write_report(report, out)
    return report


def merge_compile_reports(sources: list[Path], out: Path) -> CompileReport:
    """
    One report from the ``compile.json`` of several ``lc_bench compile`` runs on the same database (e.g. 1k and
    10k, then 50k alone), written to ``out`` as by a single run; the machine line is the first run's.
    """
    report = CompileReport()
    for source in sources:
        data = json.loads((source / "compile.json").read_text())
        if report.environment and data["environment"].get("sql") != report.environment.get("sql"):
            raise ValueError(f"{source} was measured on {data['environment'].get('sql')}, not on "
                             f"{report.environment.get('sql')}: compile runs merge only on one database")
        report.environment = report.environment or data["environment"]
        report.courses.extend(data["courses"])
        report.rows.extend(data["rows"])
    report.files = _write_report(report, out)
    return report


def _write_report(report: CompileReport, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "compile.md"
    path.write_text("# lc_bench compile\n\n" + compile_markdown(report))
    data = out / "compile.json"
    data.write_text(json.dumps({"environment": report.environment, "courses": report.courses,
                                "rows": report.rows}, indent=1, default=str))
    return [path, data, *_write_plots(report, out)]


def compile_markdown(report: CompileReport) -> str:
    env = report.environment
    lines = [
        f"Machine: {env.get('nproc')} CPUs, {env.get('memory', '?')} RAM, Python {env.get('python')}, "
        f"SQL: {env.get('sql')}" + (f"; load average at start {env['load']}" if env.get("load") else ""),
        "",
        "| course blocks | build drafts s | publish_all_drafts ms | full compile ms | full / publish |",
        "|---:|---:|---:|---:|---:|",
    ]
    for c in report.courses:
        lines.append(f"| {c['blocks']:,} | {c['build_ms'] / 1000:.0f} | {c['publish_ms']:,.0f} "
                     f"| {c['full_ms']:,.0f} | {c['full_vs_publish']:.3f}× |")
    lines += [
        "",
        "Each compile: the whole call (read, build, encode, store, swap the head, prune), median (min–max) of "
        "n runs; *build ms*: its read-and-build part. *queries*: reads that build the documents; *all q*: the "
        "whole call. *rebuilt*: block entries the compile re-derived (the rest passed through as stored).",
        "",
        "| blocks | compile | rebuilt | raw BSON B | stored B | ratio | median ms | min–max ms | build ms "
        "| % of full | queries | all q |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report.rows:
        note = f" (fell back to full: {r['fallback']})" if r["fallback"] else ""
        lines.append(
            f"| {r['size']:,} | {r['operation']}{note} | {r['rebuilt']:,} | {r['raw_bytes']:,} "
            f"| {r['stored_bytes']:,} | {r['raw_bytes'] / r['stored_bytes']:.1f}× | {r['median_ms']:,.1f} "
            f"| {r['min_ms']:,.1f}–{r['max_ms']:,.1f} | {r['build_ms']:,.1f} | {r['pct_of_full']:.1f}% "
            f"| {r['queries']} "
            f"| {r['all_queries']} |"
        )
    return "\n".join(lines) + "\n"


def _write_plots(report: CompileReport, out: Path) -> list[Path]:
    """compile_time.png: ms vs blocks (publish_all_drafts, full compile, each incremental compile), log-log."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    courses = sorted(report.courses, key=lambda c: c["blocks"])
    ax.plot([c["blocks"] for c in courses], [c["publish_ms"] for c in courses], "k--s",
            label="Learning Core publish_all_drafts")
    for operation in dict.fromkeys(r["operation"] for r in report.rows if not r["operation"].startswith("full,")):
        rows = sorted((r for r in report.rows if r["operation"] == operation), key=lambda r: r["size"])
        ax.plot([r["size"] for r in rows], [r["median_ms"] for r in rows], "-o", label=operation)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("blocks in course")
    ax.set_ylabel("ms (median)")
    ax.set_title(f"compile vs publish ({report.environment.get('sql', '')})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = out / "compile_time.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return [path]
