"""
The demo behind ``make demo``: one course through the whole pipeline, read back as the LMS would.
"""
from __future__ import annotations

import time
from collections import Counter
from contextlib import contextmanager, nullcontext
from html import escape
from pathlib import Path

import pymongo
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from lxml import etree

from compiler import api as compiler_api
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, LcModulestoreError
from lc_modulestore.importing.api import import_olx
from lc_modulestore.models_api import CompiledStructure, CourseIndex
from lc_modulestore.rollout.api import (
    USE_LEARNING_CORE,
    FlagChangeRefusedError,
    MongoExportError,
    clear_flag_cache,
    clear_router,
    export_course_to_mongo,
    flag_status,
    mongo_location,
    mongo_stand_in,
    router_modulestore,
    set_course_override,
    verify_course,
)
from shim import api as shim_api

FIXTURE_COURSE = Path(__file__).resolve().parents[3] / "fixtures" / "olx" / "full"


class Command(BaseCommand):
    help = """
Run one course through the whole pipeline on the configured database (SQLite by default):
import the OLX export into Learning Core and publish it, compile both branches into split
documents, export them to a local Mongo stand-in (nx-27017, collections separated by "_";
or --mongo-uri), verify the course against that twin (lc_verify), switch the course's
USE_LEARNING_CORE flag on through the verify gate without --force (as an operator would with
lc_flag), then read the course back through the store the LMS is handed (the
router, once it is installed; else the read-only split store) as the LMS does: print its
outline, render a problem unit to HTML, and print a timing table.

The course is PATH if given, else the shared demo course (settings.LC_DEMO_COURSE_DIR),
else the bundled fixture course. Running it again updates the course in place.

Examples:
    manage.py lc_demo
    manage.py lc_demo ../exports/MyCourse.tar.gz --course-key course-v1:Me+C1+2026
"""

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="OLX export: a directory or .tar.gz (default: see above)")
        parser.add_argument("--course-key", help="course-v1 key (default: from course.xml org/course/url_name)")
        parser.add_argument(
            "--html-out", default=None, help="where to write the rendered unit (default: var/demo/unit.html)"
        )
        parser.add_argument("--mongo-uri", help="a MongoDB to export the twin to (default: start nx-27017)")
        parser.add_argument("--separator", default="_", help="collection separator there (default '_')")

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        source = self._source(options["path"])
        course_key = options["course_key"] or _course_key_from_export(source)
        timings: list[tuple[str, float, str]] = []

        @contextmanager
        def timed(label: str, note: str = ""):
            start = time.perf_counter()
            holder = {"note": note}
            yield holder
            timings.append((label, (time.perf_counter() - start) * 1000, holder["note"]))

        self._step(f"Importing {source} as {course_key} (and publishing)")
        try:
            with timed("import OLX + publish") as t:
                result = import_olx(source, course_key, publish=True, progress=self._progress)
                t["note"] = f"{result.blocks} blocks, {result.assets} assets"
        except LcModulestoreError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"  blocks: {result.blocks} (created {result.created}, updated {result.updated}, "
            f"unchanged {result.unchanged}, deleted {result.deleted}); drafts-only: {result.draft_blocks}; "
            f"assets: {result.assets}; "
            f"published: {'yes, log ' + str(result.publish_log_id) if result.published else 'nothing new'}"
        )

        self._step("Compiling split documents (published and draft branches)")
        for branch in (PUBLISHED_BRANCH, DRAFT_BRANCH):
            with timed(f"compile {branch}") as t:
                compiled = compiler_api.compile_course(course_key, branch=branch, full=True)
            head = _head_structure(course_key, branch)
            if head is None:
                raise CommandError(f"{course_key} has no compiled {branch} after compiling it")
            t["note"] = "already compiled by the publish signal" if compiled.stale else f"{compiled.queries} queries"
            self.stdout.write(
                f"  {branch}: structure {head.objectid} — {head.block_count} blocks, {head.raw_size:,} B BSON → "
                f"{head.stored_size:,} B stored ({head.raw_size / head.stored_size:.1f}×)"
                + (" (compiled on publish, via the Celery task)" if compiled.stale else "")
            )

        stand_in = nullcontext(options["mongo_uri"]) if options["mongo_uri"] else mongo_stand_in()
        with stand_in as uri:
            location = mongo_location(uri=uri, db="lc_demo", separator=options["separator"])
            self._step(f"Exporting {course_key} to Mongo at {location}"
                       + ("" if options["mongo_uri"] else " (nx-27017, a local stand-in)"))
            with timed("export to Mongo") as t:
                client = pymongo.MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=10000)
                try:
                    exported = export_course_to_mongo(course_key, database=client[location.db],
                                                      collection_prefix=location.collection,
                                                      separator=location.separator)
                except MongoExportError as exc:
                    raise CommandError(str(exc)) from exc
                finally:
                    client.close()
                t["note"] = ", ".join(f"{b} {n} blocks" for b, n in exported.blocks.items())
            self._step(f"Verifying {course_key}: Mongo twin against Learning Core (lc_verify)")
            with timed("verify") as t:
                # The twin gets split's documents only; no contentstore (nx-27017 cannot even hold fs.files).
                report = verify_course(course_key, location=location, gridfs_bucket=None)
                t["note"] = f"{report.blocks_compared} blocks"
            self.stdout.write(f"  {report.blocks_compared} block(s) compared on {', '.join(report.branches)}: "
                              + ("agree" if report.passed else f"{report.failure_count} problem(s)"))
            if not report.passed:
                raise CommandError(report.summary())

            self._step(f"Switching {course_key} to Learning Core (flag {USE_LEARNING_CORE.name}), through the gate")
            with timed("flag on"):
                status = flag_status(course_key)
                if status.enabled and status.decided_by == "course override":
                    self.stdout.write("  already on (course override from an earlier run)")
                else:
                    try:  # no --force: the verify just recorded is what lets it through
                        set_course_override(course_key, True, note=f"lc_demo: verified against {location}")
                    except FlagChangeRefusedError as exc:
                        raise CommandError(str(exc)) from exc
                    status = flag_status(course_key)
                clear_flag_cache()
        self.stdout.write(f"  enabled: {'yes' if status.enabled else 'NO'} (decided by the {status.decided_by})")
        if not status.enabled:
            raise CommandError(f"{course_key} is still off after setting a course override; see lc_flag status")

        store, store_name = _lms_store()
        self._step(f"Reading the course as the LMS does, through {store_name} (published branch)")
        key = store.make_course_key(*course_key.split(":", 1)[1].split("+"))
        with timed("get_course(depth=None, lazy=False), cold"):
            with store.bulk_operations(key):
                course = store.get_course(key, depth=None, lazy=False)
                counts = Counter()
                lines = self._outline(course, counts)
        shim_api.clear_request_caches()
        with timed("get_course + full traversal, warm"):
            with store.bulk_operations(key):
                Counter(b.scope_ids.block_type for b in _walk(store.get_course(key, depth=None, lazy=False)))
        for line in lines:
            self.stdout.write(line)
        self.stdout.write("  block counts: " + ", ".join(f"{t} {n}" for t, n in sorted(counts.items())))
        detached = [
            f"{t}/{b.location.block_id}"
            for t in ("about", "course_info", "static_tab")
            for b in store.get_items(key, qualifiers={"category": t})
        ]
        self.stdout.write(f"  detached blocks: {len(detached)} ({', '.join(sorted(detached)[:6])}…)")

        self._step("Rendering a problem unit (student_view)")
        with timed("render unit") as t:
            path, unit = self._render_problem_unit(store, key, options["html_out"])
            t["note"] = str(unit) if unit else "no problem unit"
        self.stdout.write(f"  {unit} → {path}" if unit else "  the course has no unit with a problem")

        self._step("Timings")
        width = max(len(label) for label, _, _ in timings)
        self.stdout.write(f"  {'step'.ljust(width)}  {'ms':>9}  notes")
        for label, ms, note in timings:
            self.stdout.write(f"  {label.ljust(width)}  {ms:9.1f}  {note}")
        self.stdout.write(self.style.SUCCESS(f"Done: {course_key} is served from Learning Core."))
        self.stdout.write(
            "Admin: http://127.0.0.1:8000/admin/lc_modulestore/learningcorecourse/ (manage.py createsuperuser, then "
            "manage.py runserver): the course's flag, heads, verify runs and overrides. Back to Mongo: "
            f"manage.py lc_flag disable {course_key} --note 'demo over'"
        )

    # -- helpers -------------------------------------------------------------
    def _source(self, given: str | None) -> Path:
        if given:
            path = Path(given)
            if not path.exists():
                raise CommandError(f"No OLX export at {path}")
            return path
        shared = Path(settings.LC_DEMO_COURSE_DIR) / "course"
        return shared if shared.is_dir() else FIXTURE_COURSE

    def _step(self, text: str) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(f"==> {text}"))

    def _progress(self, stage: str, done: int, total: int) -> None:
        if self.verbosity >= 2 or (self.verbosity >= 1 and total > 1 and done == total):
            self.stdout.write(f"  {stage}: {done}/{total}")

    def _outline(self, course, counts: Counter) -> list[str]:
        lines = [f"  course {course.display_name!r} ({course.location.block_id})"]
        for chapter in course.get_children():
            counts[chapter.scope_ids.block_type] += 1
            lines.append(f"  ├─ {chapter.scope_ids.block_type} {chapter.display_name!r}")
            for sequential in chapter.get_children():
                counts[sequential.scope_ids.block_type] += 1
                leaves: Counter = Counter()
                units = sequential.get_children()
                for unit in units:
                    counts[unit.scope_ids.block_type] += 1
                    for leaf in _walk(unit, include_self=False):
                        counts[leaf.scope_ids.block_type] += 1
                        leaves[leaf.scope_ids.block_type] += 1
                        _ = leaf.fields and leaf.display_name  # read fields as the LMS collect does
                summary = ", ".join(f"{n} {t}" for t, n in sorted(leaves.items()))
                lines.append(f"  │   ├─ {sequential.display_name!r}: {len(units)} units ({summary})")
        counts["course"] += 1
        return lines

    def _render_problem_unit(self, store, key, html_out: str | None):
        """
        Render the first unit with a problem, child by child, to an HTML file.

        Some real blocks need edx-platform to render (video asks edx-val for its
        URLs); outside it they are named in the page and in the output instead of
        failing the whole demo.
        """
        for unit in store.get_items(key, qualifiers={"category": "vertical"}):
            children = unit.get_children()
            if not any(child.scope_ids.block_type == "problem" for child in children):
                continue
            parts, skipped = [], []
            for child in children:
                try:
                    parts.append(child.render("student_view", {}).body_html())
                except Exception as exc:  # noqa: BLE001 - any block failing outside edx-platform is reported
                    what = f"{child.scope_ids.block_type} {child.location.block_id}"
                    skipped.append(f"{what} ({type(exc).__name__})")
                    parts.append(
                        f"<div class='lc-demo-not-rendered'>{escape(what)}: needs edx-platform to render</div>"
                    )
            path = Path(html_out) if html_out else Path(settings.VAR_DIR) / "demo" / "unit.html"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(unit.display_name or '')}</title>"
                f"</head><body>{''.join(parts)}</body></html>",
                encoding="utf-8",
            )
            if skipped:
                self.stdout.write(f"  not rendered outside edx-platform: {', '.join(skipped)}")
            return path, unit.location
        return None, None


def _lms_store():
    """The store the LMS is handed: the router when installed (it asks the flag per course), else the split store."""
    shim_api.clear_existing_modulestores()
    clear_router()
    return router_modulestore(), "the router (flag on → Learning Core)"


def _head_structure(course_key: str, branch: str) -> CompiledStructure | None:
    index = CourseIndex.objects.filter(course__course_key=course_key).select_related(head_field(branch)).first()
    return getattr(index, head_field(branch)) if index else None


def head_field(branch: str) -> str:
    return "published_structure" if branch == PUBLISHED_BRANCH else "draft_structure"


def _walk(block, include_self: bool = True):
    if include_self:
        yield block
    for child in block.get_children():
        yield from _walk(child)


def _course_key_from_export(source: Path) -> str:
    """course-v1:{org}+{course}+{url_name} from the export's course.xml (tarballs: the fixture's convention)."""
    course_xml = source / "course.xml"
    if not course_xml.is_file():
        raise CommandError(f"{source} has no course.xml; pass --course-key")
    root = etree.parse(str(course_xml)).getroot()
    org, course, run = root.get("org"), root.get("course"), root.get("url_name")
    if not (org and course and run):
        raise CommandError(f"{course_xml}: <course> needs org, course and url_name attributes; pass --course-key")
    return f"course-v1:{org}+{course}+{run}"
