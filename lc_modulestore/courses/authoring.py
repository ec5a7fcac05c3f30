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

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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
    Published,
    PublishLog,
    Section,
    Subsection,
    Unit,
)

from lc_modulestore.core.branches import DETACHED_BLOCK_TYPES
from lc_modulestore.core.errors import BlockNotFoundError, BlockShapeError, CourseExistsError, CourseNotFoundError
from lc_modulestore.core.keys import BlockKey, parse_course_key
from lc_modulestore.courses.models import (
    BlockContainer,
    BlockFieldData,
    CourseAsset,
    CourseBlock,
    CourseRoot,
    LearningCoreCourse,
)

XBLOCK_NAMESPACE = "xblock.v1"
_CODE_RE = re.compile(r"^[\w.-]+\Z")
_MAX_CODE = 200


@dataclass(frozen=True)
class BlockData:
    """What an importer knows about one block: enough to make (or skip) a new version."""

    key: BlockKey
    title: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    content: dict[str, Any] = field(default_factory=dict)
    children: Sequence[BlockKey] = ()
    is_container: bool = False
    olx: str | None = None  # a leaf's OLX, stored as its Component's block.xml


def entity_code(key: BlockKey, *, container: bool) -> str:
    """
    The Learning Core code for a block: readable, valid, and unique where Learning Core needs it.

    Component codes are unique per component type, so the block id alone will
    do; container codes are unique across all container types of a package, so
    they carry the block type. Ids with characters Learning Core codes forbid
    (``secret:magic``) are made safe and suffixed with a hash of the real id.
    """
    base = f"{key.type}.{key.id}" if container else key.id
    if _CODE_RE.match(base) and len(base) <= _MAX_CODE:
        return base
    digest = hashlib.blake2b(base.encode(), digest_size=5).hexdigest()
    return f"{re.sub(r'[^\w.-]', '_', base)[: _MAX_CODE - 11]}.{digest}"


def create_course(
    course_key: str, *, title: str, created: datetime, created_by: int | None = None
) -> LearningCoreCourse:
    """Create the learning package and course record for ``course_key`` (no blocks yet)."""
    key = parse_course_key(course_key)
    if LearningCoreCourse.objects.filter(course_key=key).exists():
        raise CourseExistsError(f"Course {key} already exists in Learning Core")
    with transaction.atomic():
        package = content_api.create_learning_package(str(key), title, created=created)
        return LearningCoreCourse.objects.create(
            course_key=key,
            org=key.org,
            course=key.course,
            run=key.run,
            learning_package=package,
            wiki_slug=f"{key.org}.{key.course}.{key.run}",
            created=created,
            created_by=created_by if created_by is not None else -1,
        )


def get_course(course_key: str) -> LearningCoreCourse:
    """The course record for ``course_key``, or :class:`CourseNotFoundError`."""
    key = parse_course_key(course_key)
    try:
        return LearningCoreCourse.objects.select_related("learning_package").get(course_key=key)
    except LearningCoreCourse.DoesNotExist:
        raise CourseNotFoundError(f"No Learning Core course {key}") from None


def publish_course(
    course: LearningCoreCourse,
    *,
    message: str = "",
    published_at: datetime | None = None,
    published_by: int | None = None,
) -> PublishLog:
    """Publish every draft change of the course (one PublishLog)."""
    return content_api.publish_all_drafts(
        course.learning_package_id, message=message, published_at=published_at, published_by=published_by
    )


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
        return asset


def published_state_matches(course: LearningCoreCourse, blocks: Iterable[BlockData]) -> bool:
    """
    True if publishing ``blocks`` would change nothing: every block published as is, nothing else published.

    Re-importing an unchanged source (OLX or split) checks this first, so it
    makes no new versions and no empty publish.
    """
    blocks = list(blocks)
    if not blocks:
        return False
    rows = {
        BlockKey(r.block_type, r.block_id): r
        for r in CourseBlock.objects.filter(course=course).only("block_type", "block_id", "entity_id")
    }
    published = {
        p.entity_id: p.version
        for p in Published.objects.filter(entity__course_block__course=course).select_related("version")
    }
    wanted_entities = set()
    for data in blocks:
        row = rows.get(data.key)
        if row is None or published.get(row.entity_id) is None:
            return False
        wanted_entities.add(row.entity_id)
    if any(version is not None and entity not in wanted_entities for entity, version in published.items()):
        return False
    version_ids = [published[rows[data.key].entity_id].pk for data in blocks]
    fields = {f.entity_version_id: f for f in BlockFieldData.objects.filter(entity_version_id__in=version_ids)}
    olx = {
        m.component_version_id: m.media.text
        for m in ComponentVersionMedia.objects.filter(component_version_id__in=version_ids, path="block.xml")
        .select_related("media")
    }
    for data in blocks:
        version = published[rows[data.key].entity_id]
        stored = fields.get(version.pk)
        if (
            stored is None
            or version.title != data.title
            or stored.settings != data.settings
            or stored.content != data.content
            or [tuple(c) for c in stored.children] != [tuple(c) for c in data.children]
            or (data.olx is not None and olx.get(version.pk) != data.olx)
        ):
            return False
    return True


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


def blocks_of(course: LearningCoreCourse, keys: Iterable[BlockKey]) -> dict[BlockKey, CourseBlock]:
    """The usage-key map rows for ``keys`` (missing keys are absent from the result)."""
    wanted = set(keys)
    rows = CourseBlock.objects.filter(course=course, block_type__in={k.type for k in wanted})
    return {k: r for r in rows if (k := BlockKey(r.block_type, r.block_id)) in wanted}


__all__ = [
    "BlockData",
    "CourseWriter",
    "create_course",
    "entity_code",
    "get_course",
    "publish_course",
    "published_state_matches",
    "blocks_of",
]
