"""manage.py lc_bench compile|read: compile timings of a synthetic course; read paths on MySQL vs Mongo."""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import uuid
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from compiler import api as compiler_api
from fixtures.synthetic import build_synthetic_course, generate_course_blocks, parse_shape
from lc_modulestore.api import CourseWriter, publish_course
from lc_modulestore.models import CompiledStructure

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


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
        key = f"course-v1:Bench+C{sections * subsections * units * components}+{uuid.uuid4().hex[:8]}"
        course = build_synthetic_course(key, sections=sections, subsections=subsections, units=units,
                                        components=components, seed=options["seed"], created=T0)
        first = course.learning_package.publishlog_set.order_by("-pk").first()
        rows = [("full", self._compile(course, first.id, full=True))]
        leaf = generate_course_blocks(sections=sections, subsections=subsections, units=units,
                                      components=components, seed=options["seed"])[0]
        writer = CourseWriter(course, created=T0 + datetime.timedelta(hours=1))
        writer.save_block(dataclasses.replace(leaf, content={**leaf.content, "data": "<p>edited</p>"}))
        second = publish_course(course)
        rows.append(("incremental (1 leaf)", self._compile(course, second.id, full=False)))
        rows.append(("same publish, full", self._compile(course, second.id, full=True)))
        self.stdout.write(f"{key}: {rows[0][1].block_count} blocks")
        self.stdout.write(f"{'compile':<22}{'blocks':>8}{'rebuilt':>9}{'raw B':>10}{'stored B':>10}{'ratio':>7}"
                          f"{'ms':>8}{'queries':>9}")
        for label, r in rows:
            self.stdout.write(f"{label:<22}{r.block_count:>8}{r.rebuilt_blocks:>9}{r.raw_size:>10}{r.stored_size:>10}"
                              f"{r.raw_size / r.stored_size:>6.1f}x{r.ms:>8.0f}{r.queries:>9}")

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
        return compiler_api.compile_publish_log(log_id, full=full)
