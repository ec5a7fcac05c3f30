"""``manage.py lc_import_olx PATH --course-key KEY [--publish]``."""
from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from lc_modulestore.api import LcModulestoreError
from lc_modulestore.importing.olx.api import import_olx


class Command(BaseCommand):
    help = (
        "Import an OLX course export (a directory holding course.xml, or a .tar.gz) into Learning Core, "
        "in one transaction; re-importing updates the course in place. drafts/ stay unpublished. "
        "Example: manage.py lc_import_olx /data/course --course-key course-v1:OpenedX+DemoX+DemoCourse --publish"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="OLX course directory or .tar.gz export")
        parser.add_argument("--course-key", required=True, help="course-v1:Org+Course+Run to import as")
        parser.add_argument("--publish", action="store_true", help="publish the imported course (not drafts/)")

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        started = time.monotonic()
        last_stage: list[str] = []

        def progress(stage: str, done: int, total: int) -> None:
            if verbosity < 1 or stage == "read":
                return
            if verbosity >= 2 or done == total:
                end = "\n" if done == total else ""
                self.stderr.write(f"\r  {stage}: {done}/{total}", ending=end)
                self.stderr.flush()
            if not last_stage or last_stage[-1] != stage:
                last_stage.append(stage)

        try:
            result = import_olx(
                options["path"], options["course_key"], publish=options["publish"], progress=progress
            )
        except LcModulestoreError as exc:
            # Name the input path once: errors about the path itself (an archive, a missing path) start with it.
            message = str(exc)
            raise CommandError(message if message.startswith(options["path"]) else f"{options['path']}: {message}"
                               ) from exc
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        if verbosity >= 1:
            elapsed = time.monotonic() - started
            published = f", published (log {result.publish_log_id})" if result.published else (
                ", nothing new to publish" if options["publish"] else "")
            self.stdout.write(self.style.SUCCESS(
                f"Imported {result.course_key} in {elapsed:.1f}s: {result.blocks} blocks "
                f"({result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
                f"{result.deleted} deleted), {result.draft_blocks} draft blocks, {result.assets} assets "
                f"({result.assets_changed} changed){published}"
            ))
        sys.stderr.flush()
