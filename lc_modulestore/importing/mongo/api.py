"""
Migrating a course from split in MongoDB into Learning Core.

The course keeps every block id, so every usage key, bookmark, grade and
state row of the LMS still points at the same block after the switch. The
published head becomes Learning Core's published state (one PublishLog);
the draft head is then written over it, so whatever Studio had not yet
published stays an unpublished draft change, exactly as in split.

Field data maps one to one: a block's settings are its structure ``fields``
minus ``children``; its content is its definition's ``fields``. The course's
files come from edx-platform's contentstore (GridFS), every file of the
course, with split's asset metadata where the structure's ``assets`` lists it
(ADR 0026, :mod:`.assets`).

Blocks and definitions are read and checked before the single write
transaction; asset files are streamed into it one at a time, each checked
against its recorded length and md5 as it is read. A broken course fails with
an error naming the course and the block or file, and leaves the database as
it was, with no media file written by the failed run left in storage.

A course that is already in Learning Core is refused, naming it, unless the
caller asks for ``update``: then the course is brought up to date with its
split copy in place, as re-importing an OLX export does. Split's published
head is published only if Learning Core's published state differs from it;
the draft head is laid over it; blocks, asset metadata split no longer has
and files the contentstore no longer has are deleted (an update that reads no
contentstore keeps the stored files split does not list). Migrating an
unchanged course again makes no new versions and no publish.
"""
from __future__ import annotations

import copy
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pymongo
from django.conf import settings as django_settings
from django.db import transaction
from openedx_content.models_api import Container

from lc_modulestore.api import (
    BlockData,
    BlockKey,
    CourseExistsError,
    CourseWriter,
    GenericBlock,
    create_course,
    is_known_block_type,
    load_block_class,
    parse_course_key,
    publish_course,
    published_state_matches,
)
from lc_modulestore.importing.mongo.assets import AssetBytes, CourseAssets
from lc_modulestore.importing.mongo.errors import MongoCourseError
from lc_modulestore.importing.mongo.olx import leaf_olx
from lc_modulestore.importing.mongo.reader import BranchBlocks, SplitCourse, read_split_course
from lc_modulestore.importing.olx.guards import MediaJournal
from lc_modulestore.models_api import LearningCoreCourse

_MAX_TITLE = 500


@dataclass
class MongoMigrationResult:
    """What a migration did, for the command's report and for tests."""

    course_key: str
    published: bool = False
    publish_log_id: int | None = None
    blocks: int = 0
    draft_changes: int = 0
    draft_deletes: int = 0
    skipped_orphans: list[str] = field(default_factory=list)
    generic_olx: int = 0
    assets: int = 0
    assets_without_bytes: int = 0
    # Files copied from the contentstore that split lists no asset metadata for (a course Studio uploaded to).
    assets_from_contentstore: int = 0
    assets_kept: int = 0  # stored files an update kept because it read no contentstore (they are not split's)
    updated: bool = False  # the course existed and was brought up to date (``update=True``)
    unchanged: int = 0  # blocks of the final draft that needed no new version (an update of an unchanged course: all)
    deleted: int = 0  # blocks soft-deleted in Learning Core because split no longer has them (update only)
    assets_deleted: int = 0  # assets neither split nor the contentstore has any more (update only)


def migrate_course_from_mongo(
    course_key: str,
    *,
    mongo_uri: str | None = None,
    db: str | None = None,
    client: Any = None,
    database: Any = None,
    collection_prefix: str | None = None,
    collection_separator: str = ".",
    publish: bool = True,
    asset_bytes: AssetBytes | None = None,
    gridfs_bucket: str | None = None,
    contentstore_db: str | None = None,
    created: datetime.datetime | None = None,
    created_by: int | None = None,
    update: bool = False,
    progress: Callable[[int], None] | None = None,
) -> MongoMigrationResult:
    """
    Create ``course_key`` in Learning Core from its split documents in MongoDB.

    Where to read: a ``database`` object, or a ``client`` plus ``db``, or a
    ``mongo_uri`` plus ``db`` (defaults: ``LC_MODULESTORE_MONGO_URI`` /
    ``LC_MODULESTORE_MONGO_DB`` / ``LC_MODULESTORE_MONGO_COLLECTION``).

    ``publish``: publish split's published head, then lay the draft head over
    it as unpublished changes. Without it everything lands as drafts (the
    draft head, or the published head if there is no draft branch).

    ``gridfs_bucket``: copy every file of the course in edx-platform's
    contentstore, GridFS in the same database (or in ``contentstore_db`` on
    the same server, as edx-platform's ``CONTENTSTORE`` may name its own),
    thumbnails excepted, each checked against its recorded length and md5 as
    it is streamed into the write (:class:`~.assets.CourseAssets`). Without
    it, only split's asset metadata is kept. ``asset_bytes(asset_type,
    filename)`` (instead of a contentstore) may return ``(bytes,
    content_type)`` for an asset split lists.

    ``created_by`` is a local user id (or None); split's user ids are not
    local users, so they are not used for Learning Core's user columns.

    ``update``: if the course is already in Learning Core, bring it up to date
    with split in place (see the module docstring) instead of refusing.

    ``progress(n)`` is called as blocks are written (``n`` blocks each time),
    for a progress bar (``lc_migrate_from_mongo`` draws one with tqdm).

    Raises :class:`MongoCourseError` (course, block or asset file data is broken),
    :class:`~lc_modulestore.core.errors.CourseExistsError` (already in Learning Core
    and ``update`` not given; raised before MongoDB is read), and leaves the
    database unchanged on any error.
    """
    key = parse_course_key(course_key)
    if not update and LearningCoreCourse.objects.filter(course_key=key).exists():
        raise CourseExistsError(
            f"Course {key} already exists in Learning Core; migrate it with update=True "
            "(lc_migrate_from_mongo --update) to bring it up to date with its copy in MongoDB"
        )
    now = created or datetime.datetime.now(tz=datetime.timezone.utc)
    prefix = collection_prefix or getattr(django_settings, "LC_MODULESTORE_MONGO_COLLECTION", "modulestore")
    own_client = None
    if database is None:
        db_name = db or django_settings.LC_MODULESTORE_MONGO_DB
        if client is None:
            own_client = client = pymongo.MongoClient(
                mongo_uri or django_settings.LC_MODULESTORE_MONGO_URI, tz_aware=True, serverSelectionTimeoutMS=10000
            )
        database = client[db_name]
    try:
        split = read_split_course(database, key, prefix=prefix, separator=collection_separator)
        contentstore = None
        if asset_bytes is None and gridfs_bucket:
            contentstore = database.client[contentstore_db] if contentstore_db else database
        # The file documents are listed now; their chunks are read inside the write, one file at a time.
        assets = CourseAssets(split, now=now, contentstore=contentstore, bucket=gridfs_bucket or "fs",
                              asset_bytes=asset_bytes)
        result = MongoMigrationResult(str(key))
        published = _block_data(split, split.published, result) if split.published else None
        draft = _block_data(split, split.draft, result) if split.draft else None
        journal = MediaJournal()
        try:
            with transaction.atomic():
                existing = (
                    LearningCoreCourse.objects.select_for_update().select_related("learning_package")
                    .filter(course_key=key).first()
                ) if update else None
                if existing is None:
                    _write(split, published, draft, assets, result, publish=publish, now=now,
                           created_by=created_by, progress=progress, journal=journal)
                else:
                    _update(existing, split, published, draft, assets, result, publish=publish,
                            now=now, created_by=created_by, progress=progress, journal=journal)
        except BaseException:
            # openedx-core caches ContainerType rows per class; a rollback may have removed one.
            Container.reset_cache()
            journal.remove_orphans()  # media files whose Media rows the rollback removed
            raise
    finally:
        if own_client is not None:
            own_client.close()
    return result


def _write(
    split: SplitCourse,
    published: list[BlockData] | None,
    draft: list[BlockData] | None,
    assets: CourseAssets,
    result: MongoMigrationResult,
    *,
    publish: bool,
    now: datetime.datetime,
    created_by: int | None,
    journal: MediaJournal,
    progress: Callable[[int], None] | None = None,
) -> None:
    root_title = ""
    for branch, blocks in ((split.published, published), (split.draft, draft)):
        if branch is not None and blocks and not root_title:
            root_title = next((b.title for b in blocks if b.key == branch.root), "")
    course = create_course(str(split.course_key), title=root_title or str(split.course_key), created=now,
                           created_by=created_by)
    wiki_slug = (split.index.get("search_targets") or {}).get("wiki_slug")
    if wiki_slug and wiki_slug != course.wiki_slug:
        course.wiki_slug = wiki_slug
        course.save(update_fields=["wiki_slug"])

    if publish and published is not None:
        _save_blocks(course, published, now=now, created_by=created_by, progress=progress)
        log = publish_course(course, message=f"Migrated from split (Mongo) {split.published.structure_id}",
                             published_at=now, published_by=created_by)
        result.published, result.publish_log_id = True, log.pk
        if draft is not None:
            stats, deleted = _save_blocks(course, draft, now=now, created_by=created_by, progress=progress)
            result.draft_changes = stats["created"] + stats["updated"]
            result.draft_deletes = deleted
    else:
        _save_blocks(course, draft if draft is not None else published or [], now=now, created_by=created_by,
                     progress=progress)
    result.blocks = len(draft if draft is not None else published or [])
    _save_assets(course, assets, result, now=now, created_by=created_by, journal=journal)


def _update(
    course: LearningCoreCourse,
    split: SplitCourse,
    published: list[BlockData] | None,
    draft: list[BlockData] | None,
    assets: CourseAssets,
    result: MongoMigrationResult,
    *,
    publish: bool,
    now: datetime.datetime,
    created_by: int | None,
    journal: MediaJournal,
    progress: Callable[[int], None] | None = None,
) -> None:
    """
    Bring an existing course up to date with split's heads: what :func:`_write` makes, without starting over.

    Every pass saves only blocks that changed and soft-deletes the ones split
    no longer has, so an unchanged course gets no new versions; the published
    head is published only when Learning Core's published state differs from it.
    """
    result.updated = True
    final = draft if draft is not None else published or []
    live_before = CourseWriter(course, created=now, created_by=created_by).live_blocks()
    if publish and published is not None:
        if not published_state_matches(course, published):
            _save_blocks(course, published, now=now, created_by=created_by, progress=progress)
            log = publish_course(course, message=f"Updated from split (Mongo) {split.published.structure_id}",
                                 published_at=now, published_by=created_by)
            result.published, result.publish_log_id = True, log.pk
        # The draft head, or the published head again: drafts Learning Core has that split lacks are undone.
        stats, deleted = _save_blocks(course, final, now=now, created_by=created_by, progress=progress)
        result.draft_changes, result.draft_deletes = stats["created"] + stats["updated"], deleted
    else:
        stats, _deleted = _save_blocks(course, final, now=now, created_by=created_by, progress=progress)
    result.unchanged = stats["unchanged"]
    result.deleted = len(live_before - {b.key for b in final})
    result.blocks = len(final)
    wiki_slug = (split.index.get("search_targets") or {}).get("wiki_slug")
    if wiki_slug and wiki_slug != course.wiki_slug:
        course.wiki_slug = wiki_slug
        course.save(update_fields=["wiki_slug"])
    assets.keep_stored_files(course)  # without a contentstore, files copied from it earlier are not "gone"
    _save_assets(course, assets, result, now=now, created_by=created_by, journal=journal, drop_others=True)


def _save_assets(
    course: LearningCoreCourse,
    assets: CourseAssets,
    result: MongoMigrationResult,
    *,
    now: datetime.datetime,
    created_by: int | None,
    journal: MediaJournal,
    drop_others: bool = False,
) -> None:
    """
    Upsert the course's files and split's asset metadata through ``CourseWriter.sync_assets``, one at a time.

    Each media file written is journaled, so a failure later in the
    transaction (a file whose bytes do not match its md5) leaves none behind.
    ``drop_others``: delete the course's asset rows no longer listed (an update).
    """
    writer = CourseWriter(course, created=now, created_by=created_by)
    synced = writer.sync_assets(assets, drop_missing=drop_others, saved=lambda stored: journal.record(stored.media))
    result.assets += synced.total
    result.assets_without_bytes += synced.without_bytes - assets.counts.kept  # kept files keep their bytes
    result.assets_from_contentstore += assets.counts.files_without_metadata
    result.assets_kept += assets.counts.kept
    result.assets_deleted += synced.deleted


def _save_blocks(
    course: LearningCoreCourse,
    blocks: list[BlockData],
    *,
    now: datetime.datetime,
    created_by: int | None,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, int], int]:
    """
    Save ``blocks`` (bottom-up) as one draft change; soft-delete live blocks not among them.

    ``progress(n)`` is the caller's tick: told how many more blocks were written since the last call.
    """
    reported = 0

    def report(done: int, total: int) -> None:
        nonlocal reported
        if progress is not None:
            progress(done - reported)
        reported = done

    synced = CourseWriter(course, created=now, created_by=created_by).sync_blocks(blocks, progress=report)
    return {"created": synced.created, "updated": synced.updated, "unchanged": synced.unchanged}, synced.deleted


def _block_data(split: SplitCourse, branch: BranchBlocks, result: MongoMigrationResult) -> list[BlockData]:
    """BlockData for every block of a branch head, in save order."""
    out: list[BlockData] = []
    for key in branch.ordered:
        entry = branch.entries[key]
        fields = copy.deepcopy(entry.get("fields") or {})
        children = [BlockKey(*child) for child in fields.pop("children", None) or []]
        content = copy.deepcopy(split.definitions[entry["definition"]].get("fields") or {})
        cls = load_block_class(key.type)
        known = is_known_block_type(key.type) and not issubclass(cls, GenericBlock)
        is_container = bool(cls.has_children) if known else "children" in (entry.get("fields") or {})
        if children and not is_container:
            raise MongoCourseError(
                f"Course {split.course_key}: block {key.type}/{key.id} has children in split, but its XBlock class "
                f"{cls.__name__} cannot have children"
            )
        olx = None
        if not is_container:
            olx, by_class = leaf_olx(split.course_key, key, fields, content)
            result.generic_olx += 0 if by_class else 1
        title = fields.get("display_name")
        out.append(
            BlockData(
                key=key,
                title=(title if isinstance(title, str) else "")[:_MAX_TITLE],
                settings=fields,
                content=content,
                children=tuple(children),
                is_container=is_container,
                olx=olx,
            )
        )
    result.skipped_orphans.extend(
        f"{k.type}/{k.id}" for k in branch.skipped if f"{k.type}/{k.id}" not in result.skipped_orphans
    )
    return out


__all__ = ["AssetBytes", "MongoCourseError", "MongoMigrationResult", "migrate_course_from_mongo"]
