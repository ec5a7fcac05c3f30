"""manage.py lc_bench compile: time full and incremental compiles of a synthetic course."""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import uuid

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
        "Example:\n"
        "  LC_VAR_DIR=/tmp/bench manage.py migrate && LC_VAR_DIR=/tmp/bench manage.py lc_bench compile --shape 10x5x4x5"
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser) -> None:
        parser.add_argument("what", choices=["compile"])
        parser.add_argument("--shape", default="10x5x4x5",
                            help="SECTIONSxSUBSECTIONSxUNITSxCOMPONENTS (default 10x5x4x5 = 1,000 components)")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **options) -> None:
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

    def _compile(self, course, log_id: int, *, full: bool):
        """Compile ``log_id`` afresh (dropping a structure the on-commit trigger may have made already)."""
        CompiledStructure.objects.filter(course=course, publish_log_id=log_id).delete()
        return compiler_api.compile_publish_log(log_id, full=full)
