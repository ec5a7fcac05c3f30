"""
Writing an OLX course into Learning Core, in one transaction, through
:class:`~lc_modulestore.courses.authoring.CourseWriter`.

The published outline ``P`` is what the export's main tree holds; the draft
outline ``D`` is ``P`` with ``drafts/`` laid over it (a draft block replaces the
block of the same key, or is inserted into its parent at
``index_in_children_list``). Without ``publish``, ``D`` becomes the draft.
With ``publish``, ``P`` is written and published first, but only if the
course's published state differs from ``P``, and then ``D`` is written as
draft-only changes. So importing the same export twice makes no new versions
and no publish. Blocks that the export no longer has are soft-deleted.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from openedx_content.models_api import Container

from lc_modulestore.api import (
    AssetData,
    BlockData,
    BlockKey,
    CourseWriter,
    OlxError,
    create_course,
    parse_course_key,
    publish_course,
    published_state_matches,
)
from lc_modulestore.importing.olx.fields import FieldRealizer
from lc_modulestore.importing.olx.guards import MediaJournal, course_import_lock
from lc_modulestore.importing.olx.paths import media_digest
from lc_modulestore.importing.olx.reader import COURSE_ROOT_KEY, OlxCourse, open_course_dir, read_course_dir
from lc_modulestore.models_api import BlockFieldData, LearningCoreCourse

#: ``progress(stage, done, total)``: called as blocks and assets are written.
Progress = Callable[[str, int, int], None]


@dataclass
class ImportResult:
    """What an import did."""

    course_key: str
    blocks: int  # blocks in the draft outline, detached blocks included
    draft_blocks: int  # blocks read from drafts/
    assets: int
    created: int = 0  # block entities created
    updated: int = 0  # new versions of existing blocks (a publish with drafts/ may version a block twice)
    unchanged: int = 0  # blocks of the draft outline that got no new version
    deleted: int = 0  # blocks soft-deleted because the export no longer has them
    assets_changed: int = 0
    published: bool = False  # a PublishLog was made
    publish_log_id: int | None = None
    # Values kept as written because no import rule fits their field, and blocks kept as error blocks:
    # each names the file, the block and the field (never an import failure, as in edx-platform).
    warnings: list[str] = field(default_factory=list)


def import_olx(
    path: str | Path,
    course_key: str,
    *,
    publish: bool = False,
    created: datetime.datetime | None = None,
    created_by: int | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """
    Import the OLX course at ``path`` (a directory or a ``.tar.gz``) as ``course_key``.

    Creates the course if it does not exist, otherwise updates it in place. All
    or nothing: any error (:class:`~lc_modulestore.core.errors.OlxError` naming the
    file and line, or another :class:`~lc_modulestore.core.errors.LcModulestoreError`)
    leaves the database as it was, and removes the media files it wrote. A
    second import of a course while one runs is refused
    (:class:`~lc_modulestore.importing.olx.guards.ImportRunningError`).
    """
    key = parse_course_key(course_key)
    now = created or datetime.datetime.now(tz=datetime.timezone.utc)
    report = progress or (lambda stage, done, total: None)
    journal = MediaJournal()
    with course_import_lock(str(key)), open_course_dir(path) as course_dir:
        report("read", 0, 1)
        olx = read_course_dir(course_dir)
        report("read", 1, 1)
        try:
            with transaction.atomic():
                return _import(olx, key, publish=publish, now=now, created_by=created_by, report=report,
                               journal=journal)
        except BaseException:
            # openedx-core caches ContainerType rows per class; a rollback may have removed one.
            Container.reset_cache()
            journal.remove_orphans()  # files whose Media rows the rollback removed
            raise


def _import(
    olx: OlxCourse, key, *, publish: bool, now, created_by, report: Progress, journal: MediaJournal
) -> ImportResult:
    realizer = FieldRealizer(olx, key, known_video_ids=_known_video_ids(key))
    try:
        published_tree = [realizer.block_data(node) for node in olx.blocks()]
        detached = [realizer.detached_data(block) for block in olx.detached]
        draft_blocks = {data.key: data for root in olx.drafts for data in map(realizer.block_data, root.node.walk())}
    finally:
        realizer.close()
    published = published_tree + detached
    draft = _overlay_drafts(olx, published_tree, draft_blocks, realizer.renamed) + detached

    try:
        course = LearningCoreCourse.objects.select_related("learning_package").get(course_key=key)
    except LearningCoreCourse.DoesNotExist:
        course = create_course(str(key), title=published_tree[-1].title or str(key), created=now, created_by=created_by)
    result = ImportResult(str(key), blocks=len(draft), draft_blocks=len(draft_blocks), assets=len(olx.assets),
                          warnings=[str(w) for w in realizer.warnings])

    live_before = CourseWriter(course, created=now, created_by=created_by).live_blocks()
    versioned: set[BlockKey] = set()

    def write(blocks: list[BlockData], stage: str) -> None:
        writer = CourseWriter(course, created=now, created_by=created_by)
        synced = writer.sync_blocks(blocks, progress=lambda done, total: report(stage, done, total))
        versioned.update(synced.versioned)
        result.created += synced.created
        result.updated += synced.updated

    if publish and not published_state_matches(course, published):
        write(published, "blocks")  # also drops draft-only blocks; the draft pass brings them back
        log = publish_course(course, message="OLX import", published_at=now, published_by=created_by)
        result.published, result.publish_log_id = True, log.pk
        write(draft, "drafts")
    else:
        write(draft, "blocks")

    draft_keys = {data.key for data in draft}
    result.unchanged = len(draft_keys - versioned)
    result.deleted = len(live_before - draft_keys)
    result.assets_changed = _save_assets(olx, course, now=now, created_by=created_by, report=report, journal=journal)
    if olx.wiki_slug and course.wiki_slug != olx.wiki_slug:
        course.wiki_slug = olx.wiki_slug
        course.save(update_fields=["wiki_slug"])
    return result


def _known_video_ids(key) -> dict[BlockKey, str]:
    """The edx_video_id each video block of the course has in its current draft (empty for a new course)."""
    rows = BlockFieldData.objects.filter(
        block_type="video",
        entity_version__draft__isnull=False,
        entity_version__entity__course_block__course__course_key=key,
    ).values_list("entity_version__entity__course_block__block_id", "settings")
    return {BlockKey("video", block_id): s["edx_video_id"] for block_id, s in rows if s.get("edx_video_id")}


def _overlay_drafts(
    olx: OlxCourse,
    published_tree: list[BlockData],
    draft_blocks: dict[BlockKey, BlockData],
    renamed: dict[BlockKey, BlockKey],
) -> list[BlockData]:
    """The draft outline in save order: ``published_tree`` with drafts/ applied (``renamed``: error blocks)."""
    by_key = {data.key: data for data in published_tree}
    by_key.update(draft_blocks)
    for root in sorted(olx.drafts, key=lambda r: r.index):
        parent = by_key.get(root.parent)
        if parent is None:
            raise OlxError(
                f"draft {root.node.key.type}/{root.node.key.id} names parent {root.parent.type}/{root.parent.id}, "
                "which is not in the course",
                file=str(root.node.file.relative_to(olx.course_dir)),
                line=root.node.line,
            )
        children = list(parent.children)
        root_key = renamed.get(root.node.key, root.node.key)
        if root_key not in children:
            if root.node.key in children:  # the draft of a published block its class now refuses
                children[children.index(root.node.key)] = root_key
            else:
                index = root.index if 0 <= root.index <= len(children) else len(children)
                children.insert(index, root_key)
            by_key[root.parent] = BlockData(**{**parent.__dict__, "children": tuple(children)})
    ordered: list[BlockData] = []
    seen: set[BlockKey] = set()

    def visit(block_key: BlockKey) -> None:
        if block_key in seen:
            return
        seen.add(block_key)
        data = by_key[block_key]
        for child in data.children:
            visit(child)
        ordered.append(data)

    visit(COURSE_ROOT_KEY)
    return ordered


def _save_assets(
    olx: OlxCourse, course: LearningCoreCourse, *, now, created_by, report: Progress, journal: MediaJournal
) -> int:
    """Store static/ files as Media with their asset metadata; drop assets the export no longer has."""
    total = len(olx.assets)
    assets = (
        AssetData(asset.path, asset.content_type, read=asset.file.read_bytes, digest=media_digest(asset.file),
                  locked=asset.locked, metadata=asset.metadata)  # streamed: unchanged files are not read whole
        for asset in olx.assets
    )
    synced = CourseWriter(course, created=now, created_by=created_by).sync_assets(
        assets, asset_types=frozenset({"asset"}), progress=lambda done: report("assets", done, total),
        saved=lambda stored: journal.record(stored.media),
    )
    if total and total % 20:
        report("assets", total, total)
    return synced.changed


__all__ = ["ImportResult", "Progress", "import_olx"]
