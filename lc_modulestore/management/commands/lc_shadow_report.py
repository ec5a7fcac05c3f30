"""manage.py lc_shadow_report: what shadow reads found, per course: reads compared, matched, and the mismatches."""
from __future__ import annotations

from django.core.management.base import CommandError, CommandParser

from lc_modulestore.api import LcModulestoreError, parse_course_key
from lc_modulestore.management.base import LcCommand
from lc_modulestore.rollout.overview import shadow_report


class Command(LcCommand):
    help = (
        "Report shadow reads (ADR 0009): for every shadowed course (or one), how many reads were compared, how "
        "many matched, which method/field disagreed most, and the latest mismatches with both values shortened "
        "(the admin's mismatch page shows them whole). Read-only.\n\n"
        "Examples:\n"
        "  manage.py lc_shadow_report\n"
        "  manage.py lc_shadow_report course-v1:edX+DemoX+2024 --limit 50"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course_key", nargs="?", metavar="COURSE_KEY", help="one course (default: every one)")
        parser.add_argument("--limit", type=int, default=20, help="latest mismatches shown per course")

    def handle(self, *args, **options) -> None:
        try:
            key = parse_course_key(options["course_key"]) if options["course_key"] else None
        except LcModulestoreError as exc:
            raise CommandError(str(exc)) from exc
        lines = shadow_report(course_key=key, limit=options["limit"])
        if not lines:
            self.stdout.write("No shadow reads recorded (turn them on with lc_flag enable COURSE --shadow).")
        for line in lines:
            self.stdout.write(line)
