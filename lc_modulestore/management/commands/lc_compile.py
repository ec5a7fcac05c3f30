"""manage.py lc_compile: compile Learning Core courses into split documents, now."""
from __future__ import annotations

from django.core.management.base import CommandError
from tqdm import tqdm

from compiler import api as compiler_api
from lc_modulestore import tasks
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, LcModulestoreError
from lc_modulestore.management.base import LcCommand
from lc_modulestore.models_api import LearningCoreCourse

BRANCH_CHOICES = {"published": [PUBLISHED_BRANCH], "draft": [DRAFT_BRANCH], "both": [PUBLISHED_BRANCH, DRAFT_BRANCH]}


class Command(LcCommand):
    help = (
        "Compile Learning Core courses into split-format structures and definitions and move their course "
        "index heads.\n\n"
        "Publishes are normally compiled by a Celery task on every Learning Core publish; use this to "
        "(re)build a course by hand, after a failed task, or to time a compile.\n"
        "The published branch compiles the latest PublishLog (incrementally from the previous structure when "
        "it can); the draft branch compiles the current drafts (incrementally from the draft structure served "
        "now when it can). --full rebuilds either in full and repairs: it rewrites the stored structure and every "
        "damaged definition it references, even when the head looks current.\n"
        "--stale compiles every course branch whose head lags its latest publish or draft change (what the "
        "periodic task lc_modulestore.compile_stale does).\n"
        "With several courses a failure does not stop the others: the failures are listed at the end and the "
        "command exits non-zero.\n\n"
        "Examples:\n"
        "  manage.py lc_compile course-v1:edX+DemoX+Demo_Course\n"
        "  manage.py lc_compile --all --branch both\n"
        "  manage.py lc_compile course-v1:edX+DemoX+Demo_Course --full --branch published   # repair\n"
        "  manage.py lc_compile --stale\n"
        "  manage.py lc_compile --all --async        # queue Celery tasks instead of compiling here"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("course_keys", nargs="*", metavar="COURSE_KEY", help="course-v1:Org+Course+Run keys")
        parser.add_argument("--all", action="store_true", help="every Learning Core course")
        parser.add_argument("--stale", action="store_true",
                            help="every course branch whose head lags its latest publish / draft change")
        parser.add_argument("--branch", choices=sorted(BRANCH_CHOICES), default="published",
                            help="which branch to compile (default: published; ignored with --stale)")
        parser.add_argument("--full", action="store_true",
                            help="rebuild in full and rewrite what is stored (repair), even when the head is current")
        parser.add_argument("--async", dest="run_async", action="store_true",
                            help="queue the compiles as Celery tasks (lc_modulestore.compile_*) and return")

    def handle(self, *args, **options) -> None:
        keys = list(options["course_keys"])
        if sum([bool(keys), options["all"], options["stale"]]) > 1:
            raise CommandError("Give COURSE_KEYs, --all or --stale, only one of them")
        branches = BRANCH_CHOICES[options["branch"]]
        if options["stale"]:
            jobs = [(lag.course_key, lag.branch) for lag in compiler_api.stale_heads()]
            if not jobs and options["verbosity"] >= 1:
                self.stdout.write("No course lags its latest publish or draft change.")
        elif options["all"]:
            keys = [
                str(k) for k in LearningCoreCourse.objects.order_by("course_key").values_list("course_key", flat=True)
            ]
            jobs = [(key, branch) for key in keys for branch in branches]
        elif keys:
            jobs = [(key, branch) for key in keys for branch in branches]
        else:
            raise CommandError("Give at least one COURSE_KEY, --all or --stale")
        if options["run_async"] and options["stale"]:
            tasks.compile_stale_task.delay()
            self.stdout.write("queued lc_modulestore.compile_stale")
            return
        if options["run_async"]:
            self._enqueue(list(dict.fromkeys(key for key, _ in jobs)), branches)
            return
        rows, failures = [], []
        show = options["verbosity"] >= 1 and len(jobs) > 1
        with tqdm(total=len(jobs), disable=not show, file=self.stderr, unit="compile", leave=False) as bar:
            for key, branch in jobs:
                bar.set_description(f"{key} {branch.replace('-branch', '')}")
                try:
                    rows.append(compiler_api.compile_course(key, branch=branch, full=options["full"]))
                except LcModulestoreError as exc:
                    failures.append((key, branch, str(exc)))
                bar.update()
        self._summary(rows, verbosity=options["verbosity"])
        if failures:
            if len(jobs) == 1:
                key, branch, error = failures[0]
                raise CommandError(f"Could not compile {branch} of {key}: {error}")
            lines = [f"  {key} {branch}: {error}" for key, branch, error in failures]
            raise CommandError(f"{len(failures)} of {len(jobs)} compile(s) failed:\n" + "\n".join(lines))


    def _enqueue(self, keys: list[str], branches: list[str]) -> None:
        for key in keys:
            course = LearningCoreCourse.objects.filter(course_key=key).first()
            if course is None:
                raise CommandError(f"No Learning Core course {key}")
            if PUBLISHED_BRANCH in branches:
                log_id = course.learning_package.publishlog_set.order_by("-pk").values_list("pk", flat=True).first()
                if log_id is None:
                    raise CommandError(f"Course {key} has never been published")
                tasks.compile_publish_log_task.delay(log_id)
            if DRAFT_BRANCH in branches:
                tasks.compile_drafts_task.delay(course.learning_package_id)
            self.stdout.write(f"queued {key} ({', '.join(branches)})")

    def _summary(self, rows, *, verbosity: int) -> None:
        if verbosity < 1 or not rows:
            return
        header = ("course", "branch", "log", "mode", "blocks", "rebuilt", "defs written", "stored B", "raw B", "ratio",
                  "ms", "queries")
        table = [header]
        for r in rows:
            mode = "stale" if r.stale else ("repaired" if r.repaired else ("full" if r.full else "incremental"))
            ratio = f"{r.raw_size / r.stored_size:.1f}x" if r.stored_size else "-"
            table.append(
                (
                    r.course_key,
                    r.branch.replace("-branch", ""),
                    str(r.log_id),
                    mode,
                    str(r.block_count),
                    str(r.rebuilt_blocks),
                    str(r.definitions_written),
                    str(r.stored_size),
                    str(r.raw_size),
                    ratio,
                    f"{r.ms:.0f}",
                    str(r.queries),
                )
            )
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        self.stdout.write("")
        for i, row in enumerate(table):
            line = "  ".join(cell.ljust(w) if j < 4 else cell.rjust(w) for j, (cell, w) in enumerate(zip(row, widths)))
            self.stdout.write(self.style.MIGRATE_HEADING(line) if i == 0 else line)
        fallbacks = [r for r in rows if r.fallback]
        for r in fallbacks:
            if verbosity >= 2:
                self.stdout.write(f"{r.course_key}: full compile because {r.fallback}")
