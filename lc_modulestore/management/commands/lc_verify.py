"""manage.py lc_verify: compare a course as Mongo and Learning Core serve it; the gate for lc_flag enable."""
from __future__ import annotations

from django.core.management.base import CommandError, CommandParser
from pymongo.errors import PyMongoError
from tqdm import tqdm

from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, LcModulestoreError
from lc_modulestore.management.base import LcCommand
from lc_modulestore.rollout.api import add_location_arguments, location_from_options, verify_course

_BRANCHES = {"published": (PUBLISHED_BRANCH,), "draft": (DRAFT_BRANCH,), "both": (PUBLISHED_BRANCH, DRAFT_BRANCH)}


class Command(LcCommand):
    help = (
        "Read a course through the Mongo (split) store and the Learning Core store and compare them block by block: "
        "the blocks of each branch, their order, every settings/content/children field (inherited values too), "
        "parents, orphans, has_changes / has_published_version and asset metadata; then the course's asset files, "
        "GridFS in edx-platform's contentstore against the files Learning Core stores, by length, md5 (of the "
        "bytes, on both sides) and content type. Structure and definition ids "
        "and edit_info versions are ignored: they always differ. Prints each difference (block, field, Mongo value, "
        "Learning Core value), records a VerifyRun with where Mongo was read and the heads compared (lc_flag enable "
        "needs a passing run whose heads are still current) and exits 1 on any difference. A course found on "
        "neither side, or 0 blocks compared, fails too, and so do asset files in Learning Core with no "
        "contentstore collection to compare them with. Mongo's location comes from the LC_MODULESTORE_MONGO_* "
        "settings unless given here. A progress bar goes to stderr (-v 0 hides it).\n\n"
        "Examples:\n"
        "  manage.py lc_verify course-v1:edX+DemoX+2024 --mongo-uri mongodb://mongo:27017 --db edxapp\n"
        "  manage.py lc_verify course-v1:Org+C+R --branch published --collection modulestore --separator _"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course_key", metavar="COURSE_KEY", help="course-v1:Org+Course+Run")
        add_location_arguments(parser)
        parser.add_argument(
            "--gridfs-bucket", default="fs",
            help="GridFS bucket of edx-platform's contentstore, whose files are compared with Learning Core's "
                 "(default: fs; '' leaves asset files out, as lc_migrate_from_mongo --gridfs-bucket '' does)",
        )
        parser.add_argument(
            "--contentstore-db",
            help="database of edx-platform's contentstore (CONTENTSTORE['DOC_STORE_CONFIG']['db']) on the same "
                 "server, when it is not split's (default: --db)",
        )
        parser.add_argument("--branch", choices=sorted(_BRANCHES), default="both")
        parser.add_argument("--max-diffs", type=int, default=1000, help="stop after this many differences")
        parser.add_argument("--no-record", action="store_true", help="do not record a VerifyRun (a dry look)")

    def handle(self, *args, **options) -> None:
        location = location_from_options(options)
        try:
            report = verify_course(
                options["course_key"],
                location=location,
                progress=lambda **kw: tqdm(file=self.stderr, disable=options["verbosity"] < 1, leave=False, **kw),
                branches=_BRANCHES[options["branch"]],
                max_differences=options["max_diffs"],
                record=not options["no_record"],
                gridfs_bucket=options["gridfs_bucket"] or None,
                contentstore_db=options["contentstore_db"],
            )
        except LcModulestoreError as exc:
            raise CommandError(str(exc)) from exc
        except PyMongoError as exc:
            raise CommandError(f"MongoDB error while verifying {options['course_key']} at {location}: {exc}") from exc
        self.stdout.write(report.summary(limit=options["max_diffs"]))
        if report.problems:
            raise CommandError(f"{report.course_key}: not verified: " + "; ".join(report.problems))
        if not report.passed:
            raise CommandError(f"{report.course_key}: {len(report.differences)} difference(s) between Mongo and "
                               "Learning Core; not ready to switch")
        self.stdout.write(self.style.SUCCESS(f"{report.course_key}: Mongo and Learning Core agree"))
