"""manage.py lc_export_mongo: give a Learning Core course a MongoDB twin in split's own collections."""
from __future__ import annotations

import pymongo
from django.core.management.base import CommandError, CommandParser
from pymongo.errors import PyMongoError
from tqdm import tqdm

from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, LcModulestoreError
from lc_modulestore.management.base import LcCommand
from lc_modulestore.rollout.api import add_location_arguments, export_course_to_mongo, location_from_options

_BRANCHES = {"published": (PUBLISHED_BRANCH,), "draft": (DRAFT_BRANCH,), "both": (PUBLISHED_BRANCH, DRAFT_BRANCH)}


class Command(LcCommand):
    help = (
        "Write a course's compiled split documents (course index, branch head structures, their definitions) into "
        "MongoDB exactly as split stores them, so the course can be read from Mongo too: for the router, lc_verify "
        "and benchmarks. Upserts by _id, so running it again after a new compile just moves the heads. Never "
        "overwrites an index Studio owns for the same course (another _id) unless --replace-foreign-index. Where to "
        "write comes from the LC_MODULESTORE_MONGO_* settings unless given here.\n\n"
        "Examples:\n"
        "  manage.py lc_export_mongo course-v1:edX+DemoX+Demo_Course --mongo-uri mongodb://127.0.0.1:27017\n"
        "  manage.py lc_export_mongo course-v1:Org+C+R --mongo-uri mongodb://127.0.0.1:27018 --db twin "
        "--collection modulestore --separator _ --branch published   # nx-27017 rejects dotted names"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course_key", metavar="COURSE_KEY", help="course-v1:Org+Course+Run (compiled)")
        add_location_arguments(parser)
        parser.add_argument("--branch", choices=sorted(_BRANCHES), help="which heads (default: every compiled one)")
        parser.add_argument("--keep-lc-edit-info", action="store_true",
                            help="keep our _subtree_* / subtree_update_version edit_info keys (split stores none)")
        parser.add_argument("--replace-foreign-index", action="store_true",
                            help="replace an existing index of the same course with another _id")

    def handle(self, *args, **options) -> None:
        location = location_from_options(options)
        db, prefix = location.db, location.collection
        client = pymongo.MongoClient(location.uri, tz_aware=True, serverSelectionTimeoutMS=10000)
        bar = tqdm(file=self.stderr, disable=options["verbosity"] < 1, leave=False, desc="export", unit="doc")
        try:
            result = export_course_to_mongo(
                options["course_key"],
                database=client[db],
                collection_prefix=prefix,
                separator=location.separator,
                progress=bar,
                branches=_BRANCHES[options["branch"]] if options["branch"] else None,
                keep_lc_edit_info=options["keep_lc_edit_info"],
                replace_foreign_index=options["replace_foreign_index"],
            )
        except LcModulestoreError as exc:
            raise CommandError(str(exc)) from exc
        except PyMongoError as exc:
            raise CommandError(f"MongoDB error while exporting {options['course_key']} to {db}: {exc}") from exc
        finally:
            bar.close()
            client.close()
        heads = ", ".join(f"{b} {s} ({result.blocks[b]} blocks)" for b, s in result.heads.items())
        self.stdout.write(self.style.SUCCESS(
            f"{result.course_key} → {location}: index {result.index_id}; {heads}; "
            f"{result.definitions} definition(s)"
        ))
