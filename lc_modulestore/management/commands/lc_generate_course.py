"""``manage.py lc_generate_course KEY --shape 4x5x3x4 [--seed N] [--publish]``."""
from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from lc_modulestore.api import LcModulestoreError
from lc_modulestore.importing.api import build_synthetic_course, parse_shape


class Command(BaseCommand):
    help = (
        "Create a synthetic course in Learning Core: SECTIONSxSUBSECTIONSxUNITSxCOMPONENTS of mixed "
        "html/problem/video blocks, deterministic by --seed. "
        "Example: manage.py lc_generate_course course-v1:Org+Synth+2026 --shape 4x5x3x4 --publish"
    )

    def add_arguments(self, parser):
        parser.add_argument("course_key", help="course-v1:Org+Course+Run (must not exist yet)")
        parser.add_argument(
            "--shape", default="2x3x2x4", help="SECTIONSxSUBSECTIONSxUNITSxCOMPONENTS (default 2x3x2x4)"
        )
        parser.add_argument("--seed", type=int, default=0, help="random seed for block types and settings")
        parser.add_argument("--publish", action="store_true", help="publish the course after creating it")
        parser.add_argument("--no-settings", action="store_true", help="only display names, no dates or grading")

    def handle(self, *args, **options):
        try:
            sections, subsections, units, components = parse_shape(options["shape"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        now = datetime.datetime.now(tz=datetime.timezone.utc)
        try:
            course = build_synthetic_course(
                options["course_key"],
                sections=sections,
                subsections=subsections,
                units=units,
                components=components,
                seed=options["seed"],
                created=now,
                publish=options["publish"],
                with_settings=not options["no_settings"],
            )
        except LcModulestoreError as exc:
            raise CommandError(f"{options['course_key']}: {exc}") from exc
        if options["verbosity"] >= 1:
            blocks = course.blocks.count()
            state = "published" if options["publish"] else "draft only"
            self.stdout.write(self.style.SUCCESS(f"Created {course.course_key}: {blocks} blocks ({state})"))
