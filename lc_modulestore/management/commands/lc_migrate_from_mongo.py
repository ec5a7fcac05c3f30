"""
``manage.py lc_migrate_from_mongo``: create a Learning Core course from a split course in MongoDB.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from pymongo.errors import PyMongoError
from tqdm import tqdm

from lc_modulestore.api import LcModulestoreError
from lc_modulestore.importing.api import migrate_course_from_mongo
from lc_modulestore.rollout.api import add_location_arguments, location_from_options


class Command(BaseCommand):
    help = (
        "Copy a split course from MongoDB into Learning Core, keeping every block id. With --publish, split's "
        "published head is published and the draft head's differences stay unpublished drafts; without it, "
        "everything lands as drafts. All or nothing: on any error the database is unchanged. A course already in "
        "Learning Core is refused unless --update is given; then it is brought up to date with split in place "
        "(only changed blocks get new versions; a publish only if split's published head differs). Where to read "
        "comes from the LC_MODULESTORE_MONGO_* settings unless given here.\n\n"
        "Examples:\n"
        "  manage.py lc_migrate_from_mongo course-v1:edX+DemoX+2024 --mongo-uri mongodb://mongo:27017 "
        "--db edxapp --publish\n"
        "  manage.py lc_migrate_from_mongo course-v1:Org+C+R --mongo-uri mongodb://127.0.0.1:27018 --db twin "
        "--separator _ --publish   # nx-27017 rejects dotted names"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course_key", help="course-v1:Org+Course+Run")
        add_location_arguments(parser)
        parser.add_argument("--publish", action="store_true", help="Publish split's published head")
        parser.add_argument(
            "--gridfs-bucket", default="fs",
            help="GridFS bucket of edx-platform's contentstore in the same database, read for asset bytes, each "
                 "checked against its md5 (default: fs; '' keeps asset metadata only)",
        )
        parser.add_argument(
            "--contentstore-db",
            help="database of edx-platform's contentstore (CONTENTSTORE['DOC_STORE_CONFIG']['db']) on the same "
                 "server, when it is not split's (default: --db)",
        )
        parser.add_argument("--user", help="Username recorded as creator/publisher in Learning Core")
        parser.add_argument(
            "--update", action="store_true",
            help="If the course is already in Learning Core, update it in place from split instead of refusing",
        )

    def handle(self, *args, **options) -> None:
        created_by = None
        if options["user"]:
            try:
                created_by = get_user_model().objects.get(username=options["user"]).pk
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user {options['user']!r}") from None
        location = location_from_options(options)
        db = location.db
        bar = tqdm(file=self.stderr, disable=options["verbosity"] < 1, leave=False, desc="migrate", unit="block")
        try:
            result = migrate_course_from_mongo(
                options["course_key"],
                mongo_uri=location.uri,
                db=db,
                collection_prefix=location.collection,
                collection_separator=location.separator,
                progress=bar.update,
                publish=options["publish"],
                gridfs_bucket=options["gridfs_bucket"] or None,
                contentstore_db=options["contentstore_db"],
                created_by=created_by,
                update=options["update"],
            )
        except LcModulestoreError as exc:
            raise CommandError(str(exc)) from exc
        except PyMongoError as exc:
            raise CommandError(f"MongoDB error while reading {options['course_key']} from {location}: {exc}") from exc
        finally:
            bar.close()
        published = f"published (publish log {result.publish_log_id})" if result.published else "not published"
        updated = (f"updated in place ({result.unchanged} block(s) unchanged, {result.deleted} deleted, "
                   f"{result.assets_deleted} asset(s) dropped), " if result.updated else "")
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.course_key}: {updated}{result.blocks} blocks, {published}, {result.draft_changes} "
                f"unpublished draft change(s), {result.draft_deletes} draft deletion(s), {result.assets} asset(s) "
                f"({result.assets_from_contentstore} from the contentstore without split metadata, "
                f"{result.assets_without_bytes} metadata only"
                + (f", {result.assets_kept} stored file(s) kept: no contentstore read" if result.assets_kept else "")
                + ")"
            )
        )
        if result.skipped_orphans:
            self.stdout.write(
                self.style.WARNING(f"Left out {len(result.skipped_orphans)} orphan block(s): "
                                   + ", ".join(result.skipped_orphans))
            )
        if options["verbosity"] > 1:
            self.stdout.write(f"{result.generic_olx} leaf block(s) got generic OLX (their class could not export)")
