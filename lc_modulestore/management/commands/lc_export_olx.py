"""``manage.py lc_export_olx KEY PATH [--branch published|draft]``."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lc_modulestore.api import LcModulestoreError
from lc_modulestore.exporting.api import export_olx


class Command(BaseCommand):
    help = (
        "Export a course from Learning Core as a Studio-style OLX course (a new or empty directory, or a "
        ".tar.gz when PATH ends so), assets included, to hand it back to Studio or Mongo. "
        "Example: manage.py lc_export_olx course-v1:OpenedX+DemoX+DemoCourse /tmp/demo.tar.gz --branch published"
    )

    def add_arguments(self, parser):
        parser.add_argument("course_key", help="course-v1:Org+Course+Run to export")
        parser.add_argument("path", help="empty directory, or a file ending .tar.gz")
        parser.add_argument("--branch", choices=["published", "draft"], default="published",
                            help="published (default): Studio's export, the published tree plus drafts/ for the "
                                 "units changed or never published since; draft: the draft state as the tree, "
                                 "no drafts/")

    def handle(self, *args, **options):
        try:
            result = export_olx(options["course_key"], options["path"], branch=options["branch"])
        except LcModulestoreError as exc:
            raise CommandError(f"{options['course_key']}: {exc}") from exc
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(
                f"Exported {result.course_key} ({result.branch}) to {result.path}: {result.blocks} blocks, "
                f"{result.assets} assets"
            ))
