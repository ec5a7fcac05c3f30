"""
Test support: hand-built split documents written into the compiled-document tables.

Until the compiler lands, tests need CourseIndex / CompiledStructure /
CompiledDefinition rows whose foreign keys point at real Learning Core rows.
:func:`build_course` creates a Learning Core course with one component per
block (for the BlockFieldData a definition hangs off), publishes it (the
PublishLog of the published structure), and writes the documents given here,
in split's exact on-disk format. It is deliberately small: the documents'
content is whatever the test says, not compiled from Learning Core.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from openedx_content.models_api import DraftChangeLog

from lc_modulestore.api import (
    BlockData,
    BlockKey,
    CourseWriter,
    create_course,
    encode_definition,
    encode_structure,
    publish_course,
)
from lc_modulestore.models import BlockFieldData, CompiledDefinition, CompiledStructure, CourseIndex

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@dataclass
class WrittenDocuments:
    """Every document the builder wrote in this test, in split's on-disk form (for backends other than MySQL)."""

    indexes: dict[tuple[str, str, str], dict] = field(default_factory=dict)
    structures: dict[ObjectId, dict] = field(default_factory=dict)
    definitions: dict[ObjectId, dict] = field(default_factory=dict)

    def clear(self) -> None:
        self.indexes.clear()
        self.structures.clear()
        self.definitions.clear()


WRITTEN = WrittenDocuments()


@dataclass
class Block:
    """One block of a hand-built structure: settings (``children`` as ``[type, id]`` pairs) and content."""

    type: str
    id: str
    fields: dict[str, Any] = field(default_factory=dict)
    content: dict[str, Any] = field(default_factory=dict)
    edit_info: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> BlockKey:
        return BlockKey(self.type, self.id)


def children(*keys: tuple[str, str]) -> list[list[str]]:
    return [list(k) for k in keys]


@dataclass
class BuiltCourse:
    course: Any
    index: CourseIndex
    published_id: ObjectId | None
    draft_id: ObjectId | None
    definitions: dict[BlockKey, ObjectId]

    @property
    def course_key(self):
        return self.course.course_key


def _structure_document(structure_id, blocks, definitions, *, root, edit_info, assets=None, previous=None):
    document = {
        "_id": structure_id,
        "root": list(root),
        "previous_version": previous,
        "original_version": previous or structure_id,
        "edited_by": -1,
        "edited_on": NOW,
        "schema_version": 1,
        "blocks": [
            {
                "block_type": b.type,
                "block_id": b.id,
                "definition": definitions[b.key],
                "fields": b.fields,
                "defaults": b.defaults,
                "asides": [],
                "edit_info": {**edit_info, **b.edit_info},
            }
            for b in blocks
        ],
    }
    if assets is not None:
        document["assets"] = assets
    return document


def _write_structure(course, branch, document, *, publish_log=None, draft_change_log=None) -> CompiledStructure:
    WRITTEN.structures[document["_id"]] = document
    encoded = encode_structure(document)
    return CompiledStructure.objects.create(
        objectid=str(document["_id"]),
        course=course,
        branch=branch,
        publish_log=publish_log,
        draft_change_log=draft_change_log,
        data=encoded.data,
        checksum=encoded.checksum,
        raw_size=encoded.raw_size,
        stored_size=len(encoded.data),
        block_count=len(document["blocks"]),
        compiled_at=NOW,
    )


def build_course(
    course_key: str,
    published: list[Block] | None,
    draft: list[Block] | None = None,
    *,
    root: tuple[str, str] = ("course", "course"),
    assets: dict[str, list[dict]] | None = None,
    wiki_slug: str | None = None,
) -> BuiltCourse:
    """
    Write a course whose published (and, if given, draft) branch hold exactly these blocks.

    Blocks with the same key share one definition across branches (content from
    the first mention). Default edit_info: draft blocks ``update_version`` = the draft
    structure; published blocks ``source_version`` = the draft structure (so
    ``has_changes`` is False unless a block's ``edit_info`` says otherwise).
    """
    lc_course = create_course(course_key, title=course_key, created=NOW)
    if wiki_slug is not None:
        lc_course.wiki_slug = wiki_slug
        lc_course.save(update_fields=["wiki_slug"])
    writer = CourseWriter(lc_course, created=NOW)
    every: dict[BlockKey, Block] = {}
    for b in (published or []) + (draft or []):
        every.setdefault(b.key, b)
    definitions: dict[BlockKey, ObjectId] = {}
    for key, b in every.items():
        version = writer.save_block(BlockData(key, title=key.id))
        definitions[key] = ObjectId()
        document = {
            "_id": definitions[key],
            "block_type": key.type,
            "fields": b.content,
            "edit_info": {"edited_by": -1, "edited_on": NOW, "previous_version": None,
                          "original_version": definitions[key]},
            "schema_version": 1,
        }
        WRITTEN.definitions[definitions[key]] = document
        CompiledDefinition.objects.create(
            field_data=BlockFieldData.objects.get(entity_version=version),
            objectid=str(definitions[key]),
            block_type=key.type,
            data=encode_definition(document),
        )
    draft_log = DraftChangeLog.objects.filter(learning_package_id=lc_course.learning_package_id).latest("id")
    publish_log = publish_course(lc_course, published_at=NOW)
    draft_id = ObjectId() if draft is not None else None
    published_id = ObjectId() if published is not None else None
    draft_row = published_row = None
    if draft is not None:
        info = {"edited_on": NOW, "edited_by": -1, "update_version": draft_id, "previous_version": None,
                "source_version": None, "original_usage": None, "original_usage_version": None}
        draft_row = _write_structure(
            lc_course, "draft-branch",
            _structure_document(draft_id, draft, definitions, root=root, edit_info=info, assets=assets),
            draft_change_log=draft_log,
        )
    if published is not None:
        info = {"edited_on": NOW, "edited_by": -1, "update_version": published_id, "previous_version": None,
                "source_version": draft_id, "original_usage": None, "original_usage_version": None}
        published_row = _write_structure(
            lc_course, "published-branch",
            _structure_document(published_id, published, definitions, root=root, edit_info=info, assets=assets),
            publish_log=publish_log,
        )
    index = CourseIndex.objects.create(
        course=lc_course, objectid=str(ObjectId()), published_structure=published_row, draft_structure=draft_row,
        edited_by=-1, edited_on=NOW, last_update=NOW,
    )
    versions = {"published-branch": published_id, "draft-branch": draft_id}
    WRITTEN.indexes[(lc_course.org, lc_course.course, lc_course.run)] = {
        "_id": ObjectId(index.objectid), "org": lc_course.org, "course": lc_course.course, "run": lc_course.run,
        "edited_by": -1, "edited_on": NOW, "last_update": NOW, "schema_version": 1,
        "versions": {branch: oid for branch, oid in versions.items() if oid is not None},
        "search_targets": {"wiki_slug": lc_course.wiki_slug} if lc_course.wiki_slug else {},
    }
    return BuiltCourse(lc_course, index, published_id, draft_id, definitions)


def republish(built: BuiltCourse, blocks: list[Block], *, assets=None) -> ObjectId:
    """Publish again in Learning Core and move the published head to a new structure of ``blocks``."""
    writer = CourseWriter(built.course, created=NOW)
    root_key = next(iter(built.definitions))
    writer.save_block(BlockData(root_key, title=f"{root_key.id} again {ObjectId()}"))
    publish_log = publish_course(built.course, published_at=NOW)
    for b in blocks:
        assert b.key in built.definitions, "republish reuses the course's definitions"
    new_id = ObjectId()
    info = {"edited_on": NOW, "edited_by": -1, "update_version": new_id, "previous_version": built.published_id,
            "source_version": built.draft_id, "original_usage": None, "original_usage_version": None}
    row = _write_structure(
        built.course, "published-branch",
        _structure_document(new_id, blocks, built.definitions, root=("course", "course"), edit_info=info,
                            assets=assets, previous=built.published_id),
        publish_log=publish_log,
    )
    built.index.published_structure = row
    built.index.save(update_fields=["published_structure"])
    course = built.course
    WRITTEN.indexes[(course.org, course.course, course.run)]["versions"]["published-branch"] = new_id
    built.published_id = new_id
    return new_id
