"""manage.py lc_bench compile|read: compile timings of a synthetic course; read paths on MySQL vs Mongo."""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import time
import uuid
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from compiler import api as compiler_api
from fixtures.synthetic import COURSE_ROOT, build_synthetic_course, generate_course_blocks, parse_shape
from lc_modulestore.api import BlockKey, CourseWriter, publish_course
from lc_modulestore.models import CompiledStructure

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


@dataclasses.dataclass
class _Counted:
    """A CompileResult plus the queries of the whole call (writes and pruning included)."""

    result: compiler_api.CompileResult
    all_queries: int

    def __getattr__(self, name: str):
        return getattr(self.result, name)


class Command(BaseCommand):
    help = (
        "Benchmarks.\n\n"
        "compile: build a synthetic course (fixtures.synthetic: root → sections → subsections → units →\n"
        "components) in a fresh learning package, publish it, then time a full compile, a one-leaf-edit\n"
        "incremental compile and a forced full compile of the same publish; prints blocks, bytes\n"
        "(raw BSON / stored zlib), ms, queries. Use a scratch database: the course stays.\n\n"
        "read: the LMS's hot read paths (full traversal, get_item + content, get_items by category,\n"
        "parent walks, has_course/has_item), cold and warm, through the same ReadOnlySplitModuleStore over\n"
        "the MySQL backend and over the Mongo backend, on synthetic courses of --sizes blocks (built once and\n"
        "reused: key course-v1:LcBench+S<shape>+seed0) and the demo course; also the traversal floor\n"
        "(codec + bare XBlock runtime). Without --mongo-uri an nx-27017 stand-in is started and every Mongo\n"
        "figure is labelled as such. Writes results.md, results.json and read_<scenario>.png to --out.\n\n"
        "Examples:\n"
        "  LC_VAR_DIR=/tmp/bench manage.py migrate && LC_VAR_DIR=/tmp/bench manage.py lc_bench compile --shape 10x5x4x5\n"
        "  LC_DATABASE_URL=mysql://u:p@127.0.0.1:3306/lcms manage.py lc_bench read --sizes 1000,10000 \\\n"
        "      --mongo-uri mongodb://127.0.0.1:27017 --db lc_bench --out var/bench --repeat 5"
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser) -> None:
        parser.add_argument("what", choices=["compile", "read"])
        parser.add_argument("--shape", default="10x5x4x5",
                            help="SECTIONSxSUBSECTIONSxUNITSxCOMPONENTS (default 10x5x4x5 = 1,000 components)")
        parser.add_argument("--seed", type=int, default=0)
        read = parser.add_argument_group("read")
        read.add_argument("--sizes", default="1000,10000,50000",
                          help="comma-separated course sizes in blocks (default 1000,10000,50000)")
        read.add_argument("--mongo-uri", default=None,
                          help="a MongoDB to read the Mongo twin from (default: start an nx-27017 stand-in)")
        read.add_argument("--db", default=None,
                          help="Mongo database for the twin (default: a temporary one, dropped at the end)")
        read.add_argument("--out", default="var/bench", help="directory for results.md/.json and PNGs")
        read.add_argument("--repeat", type=int, default=5, help="runs per scenario and backend (default 5)")
        read.add_argument("--no-demo", action="store_true", help="skip the demo course")

    def handle(self, *args, **options) -> None:
        if options["what"] == "read":
            return self._read(options)
        try:
            sections, subsections, units, components = parse_shape(options["shape"])
        except ValueError as exc:
            raise CommandError(f"--shape: {exc}") from None
        seed = options["seed"]
        key = f"course-v1:Bench+C{sections * subsections * units * components}+{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        course = build_synthetic_course(key, sections=sections, subsections=subsections, units=units,
                                        components=components, seed=seed, created=T0, publish=False)
        build_ms = (time.perf_counter() - started) * 1000
        # Learning Core's own publish of the whole course, timed alone: the compile it triggers runs in
        # on_commit, after the atomic block this times (and is then redone below, measured).
        with transaction.atomic():
            started = time.perf_counter()
            first = publish_course(course, message="bench", published_at=T0)
            publish_ms = (time.perf_counter() - started) * 1000
        rows = [("full (first publish)", self._compile(course, first.id, full=True))]
        blocks = {b.key: b for b in generate_course_blocks(sections=sections, subsections=subsections, units=units,
                                                         components=components, seed=seed)}
        writer = CourseWriter(course, created=T0 + datetime.timedelta(hours=1))

        leaf = next(iter(blocks.values()))
        writer.save_block(dataclasses.replace(leaf, content={**leaf.content, "data": "<p>edited</p>"}))
        rows += self._publish_and_compile(course, "incremental: 1 leaf edit")

        sequential = blocks[BlockKey("sequential", "subsection_0_0")]
        writer.save_block(dataclasses.replace(sequential, children=tuple(reversed(sequential.children))))
        rows += self._publish_and_compile(course, "incremental: unit reorder")

        root = blocks[COURSE_ROOT]
        doomed = root.children[-1]
        writer.save_block(dataclasses.replace(root, children=root.children[:-1]))
        writer.delete_block(doomed)
        rows += self._publish_and_compile(course, "incremental: section delete")

        full = rows[0][1]
        self.stdout.write(f"{key}: {full.block_count} blocks; database {connection.vendor}")
        self.stdout.write(f"build drafts (Learning Core): {build_ms:.0f} ms; publish_all_drafts: {publish_ms:.0f} ms; "
                          f"full compile: {full.ms:.0f} ms ({full.ms / publish_ms:.2f}x publish)")
        self.stdout.write(f"{'compile':<34}{'blocks':>8}{'rebuilt':>9}{'raw B':>11}{'stored B':>10}{'ratio':>7}"
                          f"{'ms':>8}{'%full':>7}{'queries':>9}{'all q':>7}")
        for label, r in rows:
            self.stdout.write(
                f"{label:<34}{r.block_count:>8}{r.rebuilt_blocks:>9}{r.raw_size:>11}{r.stored_size:>10}"
                f"{r.raw_size / r.stored_size:>6.1f}x{r.ms:>8.0f}{100 * r.ms / full.ms:>6.1f}%{r.queries:>9}"
                f"{r.all_queries:>7}" + (f"  (fell back to full: {r.fallback})" if r.fallback else "")
            )

    def _publish_and_compile(self, course, label: str) -> list:
        log = publish_course(course, message=label, published_at=T0 + datetime.timedelta(hours=1))
        return [(label, self._compile(course, log.id, full=False)),
                (label.replace("incremental", "  full, same publish"), self._compile(course, log.id, full=True))]

    def _read(self, options) -> None:
        from benchmarks.api import NxServerError, markdown, run_read_benchmark

        try:
            sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        except ValueError:
            raise CommandError(f"--sizes must be comma-separated integers, not {options['sizes']!r}") from None
        if not sizes or min(sizes) < 10:
            raise CommandError("--sizes: every size must be at least 10 blocks")
        if options["repeat"] < 1:
            raise CommandError("--repeat must be at least 1")
        try:
            report = run_read_benchmark(
                sizes=sizes, out=Path(options["out"]), repeat=options["repeat"], mongo_uri=options["mongo_uri"],
                mongo_db=options["db"], demo=not options["no_demo"], seed=options["seed"],
                log=lambda message: self.stdout.write(message),
            )
        except NxServerError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(markdown(report))
        for path in report.files:
            self.stdout.write(f"wrote {path}")

    def _compile(self, course, log_id: int, *, full: bool):
        """Compile ``log_id`` afresh (dropping a structure the on-commit trigger may have made already)."""
        CompiledStructure.objects.filter(course=course, publish_log_id=log_id).delete()
        with CaptureQueriesContext(connection) as queries:
            result = compiler_api.compile_publish_log(log_id, full=full)
        # all_queries: the whole compile incl. writes and pruning (result.queries counts the read/build part).
        return _Counted(result, len(queries.captured_queries))
