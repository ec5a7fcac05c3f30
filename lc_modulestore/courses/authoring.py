"""
Writing courses into Learning Core: the one place that creates entities, versions and field data.

Every importer (OLX, split in MongoDB, synthetic generators, tests) goes
through :class:`CourseWriter`, so the rules live in one place:

* a block is a Component (leaf) or a Container; containers use Learning Core's
  Section/Subsection/Unit when their children fit those types, otherwise the
  generic :class:`BlockContainer`; the course root is a :class:`CourseRoot`;
* each new entity version gets its :class:`BlockFieldData` in the same
  transaction, and a new version is made only when something changed;
* block ids live in the usage-key map (:class:`CourseBlock`), entity codes are
  derived from them (ADR 0003).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from openedx_content import api as content_api
from openedx_content.models_api import (
    ComponentVersionMedia,
    Container,
    Draft,
    PublishableEntity,
    PublishableEntityVersion,
    Section,
    Subsection,
    Unit,
)
from openedx_django_lib.fields import create_hash_digest

from lc_modulestore.core.branches import DETACHED_BLOCK_TYPES
from lc_modulestore.core.errors import BlockNotFoundError, BlockShapeError
from lc_modulestore.core.keys import BlockKey
from lc_modulestore.courses.data import AssetData, AssetSync, BlockData, BlockSync, entity_code
from lc_modulestore.courses.models import (
    BlockContainer,
    BlockFieldData,
    CourseAsset,
    CourseBlock,
    CourseRoot,
    LearningCoreCourse,
)
from lc_modulestore.courses.signals import course_assets_changed

XBLOCK_NAMESPACE = "xblock.v1"


class CourseWriter:
    """
    Saves blocks of one course as draft changes, bottom-up (children before parents).

    Holds a cache of the usage-key map so a large import does not look each
    child up again. Callers wrap a whole import in ``transaction.atomic()`` and,
    usually, ``content_api.bulk_draft_changes_for(...)``.
    """

    def __init__(self, course: LearningCoreCourse, *, created: datetime, created_by: int | None = None) -> None:
        self.course = course
        self.created = created
        self.created_by = created_by
        self._blocks: dict[BlockKey, CourseBlock] = {
            BlockKey(b.block_type, b.block_id): b for b in CourseBlock.objects.filter(course=course)
        }
        self._container_type_of: dict[int, type[Container] | None] = {}
        self.stats = {"created": 0, "updated": 0, "unchanged": 0}
        self._syncing_assets = False  # sync_assets tells receivers once, at its end

    # -- lookups -----------------------------------------------------------
    def block(self, key: BlockKey) -> CourseBlock:
        try:
            return self._blocks[key]
        except KeyError:
            raise BlockNotFoundError(f"Block {key.type}/{key.id} is not in course {self.course.course_key}") from None

    def has_block(self, key: BlockKey) -> bool:
        return key in self._blocks

    def _kind(self, entity_id: int) -> type[Container] | None:
        """The Container subclass of an entity, or None for a Component."""
        if entity_id not in self._container_type_of:
            try:
                container = Container.objects.select_related("container_type").get(pk=entity_id)
            except Container.DoesNotExist:
                self._container_type_of[entity_id] = None
            else:
                self._container_type_of[entity_id] = Container.subclass_for_type_code(
                    container.container_type.type_code
                )
        return self._container_type_of[entity_id]

    def _container_class_for(self, data: BlockData, child_entities: list[int]) -> type[Container]:
        if data.key.type == "course":
            return CourseRoot
        kinds = [self._kind(e) for e in child_entities]
        if data.key.type == "chapter" and all(k is Subsection for k in kinds):
            return Section
        if data.key.type == "sequential" and all(k is Unit for k in kinds):
            return Subsection
        if data.key.type == "vertical" and all(k is None for k in kinds):
            return Unit
        return BlockContainer

    # -- writes --------------------------------------------------------------
    def save_block(self, data: BlockData) -> PublishableEntityVersion | None:
        """
        Save one block as a draft: create it, or add a version if anything changed.

        Returns the new entity version, or None when the block was unchanged.
        Children must already be saved. The version and its field data are saved in one
        transaction, so Learning Core's on-commit events never see a version without field data.
        """
        with transaction.atomic():
            return self._save_block(data)

    def _save_block(self, data: BlockData) -> PublishableEntityVersion | None:
        child_entities = [self.block(child).entity_id for child in data.children]
        existing = self._blocks.get(data.key)
        if existing is None:
            version = self._create(data, child_entities)
            self.stats["created"] += 1
        else:
            version = self._update(existing, data, child_entities)
            self.stats["updated" if version else "unchanged"] += 1
        if version is not None:
            BlockFieldData.objects.create(
                entity_version=version,
                block_type=data.key.type,
                settings=data.settings,
                content=data.content,
                children=[list(child) for child in data.children],
            )
        return version

    def _create(self, data: BlockData, child_entities: list[int]) -> PublishableEntityVersion:
        package_id = self.course.learning_package_id
        if data.is_container:
            cls = self._container_class_for(data, child_entities)
            container, container_version = content_api.create_container_and_version(
                package_id,
                entity_code(data.key, container=True),
                title=data.title,
                container_cls=cls,
                entities=_entities(child_entities),
                created=self.created,
                created_by=self.created_by,
            )
            entity_id = container.publishable_entity_id
            self._container_type_of[entity_id] = cls
            version = container_version.publishable_entity_version
            if cls is CourseRoot:
                self.course.root_id = entity_id
                self.course.save(update_fields=["root"])
        else:
            component_type = content_api.get_or_create_component_type(XBLOCK_NAMESPACE, data.key.type)
            component, component_version = content_api.create_component_and_version(
                package_id,
                component_type,
                entity_code(data.key, container=False),
                data.title,
                self.created,
                self.created_by,
                media=self._olx_media(data),
            )
            entity_id = component.publishable_entity_id
            self._container_type_of[entity_id] = None
            version = component_version.publishable_entity_version
        self._blocks[data.key] = CourseBlock.objects.create(
            course=self.course,
            block_type=data.key.type,
            block_id=data.key.id,
            entity_id=entity_id,
            detached=data.key.type in DETACHED_BLOCK_TYPES,
        )
        return version

    def _update(
        self, existing: CourseBlock, data: BlockData, child_entities: list[int]
    ) -> PublishableEntityVersion | None:
        kind = self._kind(existing.entity_id)
        if data.is_container != (kind is not None):
            was = "container" if kind is not None else "leaf"
            raise BlockShapeError(
                f"Block {data.key.type}/{data.key.id} of {self.course.course_key} is a {was} in Learning Core "
                f"and cannot become a {'container' if data.is_container else 'leaf'}"
            )
        draft = Draft.objects.select_related("version").filter(entity_id=existing.entity_id).first()
        current = draft.version if draft else None
        if current is not None and not self._changed(current, data):
            return None
        if kind is not None:
            if kind is not BlockContainer and self._container_class_for(data, child_entities) is not kind:
                raise BlockShapeError(
                    f"Block {data.key.type}/{data.key.id} of {self.course.course_key} is a Learning Core "
                    f"{kind.type_code}; its new children do not fit that container type"
                )
            container_version = content_api.create_next_container_version(
                existing.entity_id,
                title=data.title,
                entities=_entities(child_entities),
                created=self.created,
                created_by=self.created_by,
            )
            return container_version.publishable_entity_version
        component_version = content_api.create_next_component_version(
            existing.entity_id,
            media_to_replace=self._olx_media(data),
            created=self.created,
            title=data.title,
            created_by=self.created_by,
        )
        return component_version.publishable_entity_version

    @staticmethod
    def _changed(current: PublishableEntityVersion, data: BlockData) -> bool:
        try:
            fields = current.block_field_data
        except BlockFieldData.DoesNotExist:
            return True
        return (
            current.title != data.title
            or fields.settings != data.settings
            or fields.content != data.content
            or [tuple(c) for c in fields.children] != [tuple(c) for c in data.children]
            or (data.olx is not None and _current_olx(current) != data.olx)
        )

    def _olx_media(self, data: BlockData) -> dict:
        if data.olx is None:
            return {}
        media_type = content_api.get_or_create_media_type(f"application/vnd.openedx.xblock.v1.{data.key.type}+xml")
        media = content_api.get_or_create_text_media(
            self.course.learning_package_id, media_type.id, text=data.olx, created=self.created
        )
        return {"block.xml": media}

    def live_blocks(self) -> set[BlockKey]:
        """The course's blocks whose draft is not deleted."""
        live = Draft.objects.filter(entity__course_block__course=self.course, version__isnull=False).values_list(
            "entity__course_block__block_type", "entity__course_block__block_id"
        )
        return {BlockKey(block_type, block_id) for block_type, block_id in live}

    def sync_blocks(
        self, blocks: Sequence[BlockData], *, progress: Callable[[int, int], None] | None = None
    ) -> BlockSync:
        """
        Make the course's draft exactly ``blocks``: save each (bottom-up), soft-delete every other live block.

        One draft change set (``bulk_draft_changes_for``). Blocks that did not
        change get no new version, so syncing the same blocks twice changes
        nothing. ``progress(done, total)`` is called every 50 blocks and at the end.
        """
        result = BlockSync()
        wanted = {b.key for b in blocks}
        before = dict(self.stats)
        with content_api.bulk_draft_changes_for(
            self.course.learning_package_id, changed_by=self.created_by, changed_at=self.created
        ):
            for done, data in enumerate(blocks, 1):
                if self.save_block(data) is not None:
                    result.versioned.add(data.key)
                if progress is not None and (done % 50 == 0 or done == len(blocks)):
                    progress(done, len(blocks))
            for block_key in self.live_blocks() - wanted:
                self.delete_block(block_key)
                result.deleted += 1
        result.created, result.updated, result.unchanged = (
            self.stats[name] - before[name] for name in ("created", "updated", "unchanged")
        )
        return result

    def sync_assets(
        self,
        assets: Iterable[AssetData],
        *,
        drop_missing: bool = True,
        asset_types: frozenset[str] | None = None,
        progress: Callable[[int], None] | None = None,
        saved: Callable[[CourseAsset], None] | None = None,
    ) -> AssetSync:
        """
        Bring the course's assets in line with ``assets`` (an iterable, so a source can read one file at a time).

        An asset with bytes is saved only when it is new or its bytes, content
        type, lock or metadata differ; a metadata-only one is always upserted
        (:meth:`save_asset_metadata`). ``drop_missing``: delete stored assets
        not listed, among ``asset_types`` (None: every type).
        ``progress(done)`` is called every 20 assets; ``saved(asset)`` after each
        asset whose bytes were stored (an importer journals the media files it wrote).
        When anything may have changed, :data:`~lc_modulestore.courses.signals.course_assets_changed` is sent
        once, after the transaction commits (ADR 0028: the compiler learns of it from nothing else).
        """
        self._syncing_assets = True
        try:
            result = self._sync_assets(assets, drop_missing=drop_missing, asset_types=asset_types,
                                       progress=progress, saved=saved)
        finally:
            self._syncing_assets = False
        if result.changed or result.without_bytes:  # a metadata-only upsert may have changed something
            self._assets_changed()
        return result

    def _sync_assets(
        self,
        assets: Iterable[AssetData],
        *,
        drop_missing: bool,
        asset_types: frozenset[str] | None,
        progress: Callable[[int], None] | None,
        saved: Callable[[CourseAsset], None] | None,
    ) -> AssetSync:
        result = AssetSync()
        stored = CourseAsset.objects.filter(course=self.course).select_related("media")
        if asset_types is not None:
            stored = stored.filter(asset_type__in=asset_types)
        existing = {(a.asset_type, a.path): a for a in stored}
        for asset in assets:
            result.total += 1
            current = existing.pop((asset.asset_type, asset.path), None)
            if asset.data is None and asset.read is None:
                self.save_asset_metadata(
                    asset.path,
                    asset_type=asset.asset_type,
                    content_type=asset.content_type,
                    locked=asset.locked,
                    metadata=asset.metadata,
                    edited_on=asset.edited_on,
                    edited_by=asset.edited_by,
                )
                result.without_bytes += 1
            elif not (
                current is not None
                and current.media is not None
                and current.media.hash_digest == (asset.digest or create_hash_digest(asset.data))
                and (current.content_type, current.locked, current.metadata)
                == (asset.content_type, asset.locked, asset.metadata)
            ):
                stored_asset = self.save_asset(
                    asset.path, asset.data if asset.data is not None else asset.read(),
                    content_type=asset.content_type, locked=asset.locked, metadata=asset.metadata,
                )
                if saved is not None:
                    saved(stored_asset)
                result.changed += 1
            if progress is not None and result.total % 20 == 0:
                progress(result.total)
        if drop_missing:
            for stale in existing.values():
                stale.delete()
                result.deleted += 1
                result.changed += 1
        return result

    def delete_block(self, key: BlockKey) -> None:
        """Soft-delete a block's draft (it disappears from the next publish)."""
        content_api.soft_delete_draft(self.block(key).entity_id, deleted_by=self.created_by)

    def save_asset(
        self,
        path: str,
        data: bytes,
        *,
        content_type: str,
        locked: bool = False,
        metadata: dict[str, Any] | None = None,
    ) -> CourseAsset:
        """Store a static file as Learning Core Media and upsert its asset metadata."""
        media_type = content_api.get_or_create_media_type(content_type or "application/octet-stream")
        media = content_api.get_or_create_file_media(
            self.course.learning_package_id, media_type.id, data=data, created=self.created
        )
        asset, _ = CourseAsset.objects.update_or_create(
            course=self.course,
            asset_type="asset",
            path=path,
            defaults={
                "media": media,
                "content_type": content_type,
                "locked": locked,
                "metadata": metadata or {},
                "edited_on": self.created,
                "edited_by": self.created_by if self.created_by is not None else -1,
            },
        )
        self._assets_changed()
        return asset

    def save_asset_metadata(
        self,
        path: str,
        *,
        asset_type: str = "asset",
        content_type: str,
        locked: bool = False,
        metadata: dict[str, Any] | None = None,
        edited_on: datetime | None = None,
        edited_by: int | None = None,
    ) -> CourseAsset:
        """
        Upsert an asset's metadata when its bytes are not available (e.g. split's ``structure['assets']``).

        Split keeps asset metadata in the structure and the bytes in a separate
        contentstore; a migration that cannot reach the bytes still keeps what
        split knows. Bytes saved earlier (:meth:`save_asset`) are left in place.
        """
        asset, _ = CourseAsset.objects.update_or_create(
            course=self.course,
            asset_type=asset_type,
            path=path,
            defaults={
                "content_type": content_type,
                "locked": locked,
                "metadata": metadata or {},
                "edited_on": edited_on or self.created,
                "edited_by": edited_by if edited_by is not None else (
                    self.created_by if self.created_by is not None else -1
                ),
            },
        )
        self._assets_changed()
        return asset

    def _assets_changed(self) -> None:
        """Send :data:`course_assets_changed` once the current transaction commits (not inside a sync)."""
        if self._syncing_assets:
            return
        course = self.course
        transaction.on_commit(lambda: course_assets_changed.send(sender=CourseWriter, course=course))


def _entities(entity_ids: list[int]) -> list[PublishableEntity]:
    """PublishableEntity rows for ``entity_ids``, in that order (one query)."""
    by_id = PublishableEntity.objects.in_bulk(entity_ids)
    return [by_id[e] for e in entity_ids]


def _current_olx(version: PublishableEntityVersion) -> str | None:
    """The block.xml text of a component version (None for containers)."""
    row = (
        ComponentVersionMedia.objects.select_related("media")
        .filter(component_version_id=version.pk, path="block.xml")
        .first()
    )
    return row.media.text if row else None


__all__ = ["AssetData", "AssetSync", "BlockData", "BlockSync", "CourseWriter", "XBLOCK_NAMESPACE", "entity_code"]
