"""manage.py lc_bench compile: time full and incremental compiles of a synthetic course."""
from __future__ import annotations

import argparse
import datetime
import time
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from openedx_content import api as content_api

from compiler import api as compiler_api
from lc_modulestore.api import BlockData, BlockKey, CourseWriter, create_course, publish_course
from lc_modulestore.models import CompiledStructure

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def _leaf(block_type: str, block_id: str, text: str) -> BlockData:
    return BlockData(
        BlockKey(block_type, block_id),
        title=block_id,
        settings={"display_name": block_id, "weight": 1.0, "max_attempts": 3},
        content={"data": f"<{block_type}><p>{text}</p></{block_type}>"},
        olx=f"<{block_type} url_name='{block_id}'/>",
    )


def _container(block_type: str, block_id: str, children: list[BlockKey], settings: dict | None = None) -> BlockData:
    return BlockData(BlockKey(block_type, block_id), title=block_id,
                     settings={"display_name": block_id, **(settings or {})}, children=children, is_container=True)


class Command(BaseCommand):
    help = (
        "Benchmarks.\n\n"
        "compile: build a synthetic course (root → sections → subsections → units → components) in a fresh\n"
        "learning package, publish it, then time a full compile, a one-leaf-edit incremental compile and a\n"
        "forced full compile of the same publish; prints blocks, bytes (raw BSON / stored zlib), ms, queries.\n"
        "Use a scratch database: the course stays.\n\n"
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

    def handle(self, *args, **options) -> None:
        try:
            shape = [int(p) for p in options["shape"].split("x")]
            sections, subsections, units, components = shape
        except ValueError:
            raise CommandError(f"--shape {options['shape']!r}: expected four numbers like 10x5x4x5") from None
        key = f"course-v1:Bench+C{sections * subsections * units * components}+{uuid.uuid4().hex[:8]}"
        course = create_course(key, title="Benchmark", created=T0)
        writer = CourseWriter(course, created=T0)
        started = time.perf_counter()
        with transaction.atomic(), content_api.bulk_draft_changes_for(course.learning_package_id):
            chapters = []
            for a in range(sections):
                seqs = []
                for b in range(subsections):
                    unit_keys = []
                    for c in range(units):
                        leaves = []
                        for d in range(components):
                            block = _leaf("problem" if d % 2 else "html", f"p{a}_{b}_{c}_{d}", "lorem ipsum " * 20)
                            writer.save_block(block)
                            leaves.append(block.key)
                        writer.save_block(_container("vertical", f"u{a}_{b}_{c}", leaves))
                        unit_keys.append(BlockKey("vertical", f"u{a}_{b}_{c}"))
                    writer.save_block(_container("sequential", f"s{a}_{b}", unit_keys,
                                                 {"due": T0, "graded": True, "format": "Homework"}))
                    seqs.append(BlockKey("sequential", f"s{a}_{b}"))
                writer.save_block(_container("chapter", f"c{a}", seqs))
                chapters.append(BlockKey("chapter", f"c{a}"))
            writer.save_block(_container("course", "course", chapters, {"start": T0}))
        self.stdout.write(f"{key}: built in {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        first = publish_course(course)
        self.stdout.write(f"first publish (Learning Core) in {time.perf_counter() - started:.1f}s")
        rows = [("full", self._compile(course, first.id, full=True))]
        writer.created = T0 + datetime.timedelta(hours=1)
        writer.save_block(_leaf("html", "p0_0_0_0", "edited"))
        second = publish_course(course)
        rows.append(("incremental (1 leaf)", self._compile(course, second.id, full=False)))
        rows.append(("same publish, full", self._compile(course, second.id, full=True)))
        self.stdout.write(f"{'compile':<22}{'blocks':>8}{'rebuilt':>9}{'raw B':>10}{'stored B':>10}{'ratio':>7}"
                          f"{'ms':>8}{'queries':>9}")
        for label, r in rows:
            self.stdout.write(f"{label:<22}{r.block_count:>8}{r.rebuilt_blocks:>9}{r.raw_size:>10}{r.stored_size:>10}"
                              f"{r.raw_size / r.stored_size:>6.1f}x{r.ms:>8.0f}{r.queries:>9}")

    def _compile(self, course, log_id: int, *, full: bool):
        """Compile ``log_id`` afresh (dropping a structure the on-commit trigger may have made already)."""
        CompiledStructure.objects.filter(course=course, publish_log_id=log_id).delete()
        return compiler_api.compile_publish_log(log_id, full=full)
