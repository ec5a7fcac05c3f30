"""
Split's on-disk documents, built from plain data: ids, block entries, definitions, structures, course index.

Pure: data in, documents out (no ORM; an import-linter contract keeps it so).
Every document is built with a fixed key order and canonical values, so the
same input always encodes to the same BSON bytes:

* dict values (settings, content, asset fields) are key-sorted recursively;
* datetimes are truncated to milliseconds (BSON's precision), so a document
  decoded from storage compares equal to one built fresh;
* ids are ObjectIds derived from Learning Core uuids (:func:`derive_object_id`), a structure's also from
  its asset metadata (ADR 0028).
"""
from __future__ import annotations

import datetime
import hashlib
import struct
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

import bson
from bson import ObjectId
from opaque_keys.edx.locator import AssetLocator

from lc_modulestore.core.api import PUBLISHED_BRANCH

SCHEMA_VERSION = 1

# Namespaces of derived ids. Changing one changes every id of that kind: never do it.
NS_PUBLISHED_STRUCTURE = b"lcms/structure/published-branch"
NS_DRAFT_STRUCTURE = b"lcms/structure/draft-branch"
NS_DEFINITION = b"lcms/definition"
NS_COURSE_INDEX = b"lcms/course-index"

# Extra edit_info keys (ADR 0005). ``_subtree_edited_on``/``_subtree_edited_by`` are read by
# edx-platform's ``EditInfo(**edit_info)``; ``subtree_update_version`` is our own signal.
SUBTREE_EDITED_ON = "_subtree_edited_on"
SUBTREE_EDITED_BY = "_subtree_edited_by"
SUBTREE_UPDATE_VERSION = "subtree_update_version"


def derive_object_id(namespace: bytes, *parts: UUID | bytes | int) -> ObjectId:
    """
    A 12-byte ObjectId derived from ``namespace`` and Learning Core identifiers (uuids, numbers).

    ``blake2b(namespace, 0, parts…)`` truncated to 12 bytes: the same Learning Core
    row always gets the same id, so recompiling a publish reproduces its bytes.
    """
    h = hashlib.blake2b(digest_size=12)
    h.update(namespace)
    h.update(b"\0")
    for part in parts:
        if isinstance(part, UUID):
            h.update(part.bytes)
        elif isinstance(part, int):
            h.update(struct.pack(">q", part))
        else:
            h.update(part)
    return ObjectId(h.digest())


def structure_id(*, branch: str, log_uuid: UUID, assets: Mapping[str, list[dict[str, Any]]] | None = None) -> ObjectId:
    """
    Id of the structure of ``branch`` compiled from the PublishLog / DraftChangeLog with ``log_uuid``.

    ``assets`` (the structure's own asset metadata) is part of the id when there is any (ADR 0028): asset
    metadata changes without a log, and a structure whose ``assets`` changed must not keep an id that caches
    (ours, split's) hold the old contents under. No assets: the id of the log alone, as before.
    """
    namespace = NS_PUBLISHED_STRUCTURE if branch == PUBLISHED_BRANCH else NS_DRAFT_STRUCTURE
    digest = assets_digest(assets or {})
    return derive_object_id(namespace, log_uuid, digest) if digest else derive_object_id(namespace, log_uuid)


def sorted_assets(assets: Mapping[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """``assets`` as a structure stores them: types sorted, each type's entries sorted by filename."""
    return {t: sorted(assets[t], key=lambda a: a["filename"]) for t in sorted(assets)}


def assets_digest(assets: Mapping[str, list[dict[str, Any]]]) -> bytes:
    """A digest of the stored form of ``assets`` (b"" when there are none): equal metadata, equal digest."""
    listed = {t: entries for t, entries in sorted_assets(assets).items() if entries}
    if not listed:
        return b""
    return hashlib.blake2b(bson.encode({"assets": canonical(listed)}), digest_size=16).digest()


def definition_id(*, entity_uuid: UUID, version_num: int) -> ObjectId:
    """Id of the definition of one entity version (its content-scope fields)."""
    return derive_object_id(NS_DEFINITION, entity_uuid, version_num)


def course_index_id(*, learning_package_uuid: UUID) -> ObjectId:
    """Id of the course index of the course stored in this learning package."""
    return derive_object_id(NS_COURSE_INDEX, learning_package_uuid)


def canonical(value: Any) -> Any:
    """``value`` with dicts key-sorted (recursively), tuples as lists and datetimes at millisecond precision."""
    if isinstance(value, Mapping):
        return {str(k): canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, datetime.datetime):
        return bson_datetime(value)
    return value


def bson_datetime(value: datetime.datetime | None) -> datetime.datetime | None:
    """A datetime as BSON stores it: UTC, tz-aware, whole milliseconds."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    value = value.astimezone(datetime.timezone.utc)
    return value.replace(microsecond=value.microsecond - value.microsecond % 1000)


def block_edit_info(
    *,
    edited_on: datetime.datetime,
    edited_by: int,
    update_version: ObjectId | None,
    previous_version: ObjectId | None,
    source_version: ObjectId | None,
    subtree_update_version: ObjectId | None,
) -> dict[str, Any]:
    """
    A block's ``edit_info``: split's seven keys (EditInfo.to_storable order) plus our subtree signal.

    ``_subtree_edited_on``/``_subtree_edited_by`` are filled in later, once the
    whole tree is known (:func:`with_subtree_edits`).
    """
    return {
        "previous_version": previous_version,
        "update_version": update_version,
        "source_version": source_version,
        "edited_on": bson_datetime(edited_on),
        "edited_by": edited_by,
        "original_usage": None,
        "original_usage_version": None,
        SUBTREE_UPDATE_VERSION: subtree_update_version,
    }


def block_entry(
    *,
    block_type: str,
    block_id: str,
    definition: ObjectId,
    settings: Mapping[str, Any],
    children: Sequence[tuple[str, str]] | None,
    edit_info: dict[str, Any],
) -> dict[str, Any]:
    """
    One entry of a structure's ``blocks`` list (``BlockData.to_storable()`` plus ``block_type``/``block_id``).

    ``fields`` holds the settings plus, for containers only, ``children`` as ``[[type, id], …]``.
    """
    fields = dict(settings)
    if children is not None:
        fields["children"] = [[t, i] for t, i in children]
    return {
        "block_type": block_type,
        "block_id": block_id,
        "definition": definition,
        "fields": canonical(fields),
        "defaults": {},
        "asides": [],
        "edit_info": edit_info,
    }


def with_subtree_edits(
    blocks: dict[tuple[str, str], dict[str, Any]],
    *,
    members: Mapping[tuple[str, str], Any] | None = None,
    stored: Callable[[tuple[str, str]], tuple[datetime.datetime, int]] | None = None,
) -> None:
    """
    Set ``_subtree_edited_on``/``_subtree_edited_by`` on every block of ``blocks`` (in place).

    Split derives them on read as the latest ``edited_on`` in the block's
    subtree (with that edit's ``edited_by``); we store the same values so the
    reader needs no walk. Ties are broken by the larger ``edited_by``.

    Incremental compiles pass only the rebuilt blocks: ``members`` are all the
    structure's blocks and ``stored(key)`` gives the subtree edit already stored
    for a block that was passed through.
    """
    members = blocks if members is None else members
    memo: dict[tuple[str, str], tuple[datetime.datetime, int]] = {}

    def latest(key: tuple[str, str], path: frozenset) -> tuple[datetime.datetime, int]:
        if key in memo:
            return memo[key]
        if key not in blocks:
            memo[key] = stored(key)  # type: ignore[misc]
            return memo[key]
        block = blocks[key]
        info = block["edit_info"]
        best = (info["edited_on"], info["edited_by"])
        for child in block["fields"].get("children", ()):
            child_key = (child[0], child[1])
            if child_key in members and child_key not in path:
                best = max(best, latest(child_key, path | {key}))
        memo[key] = best
        return best

    for key in sorted(blocks):
        latest(key, frozenset())
    for key, block in blocks.items():
        on, by = memo[key]
        block["edit_info"][SUBTREE_EDITED_ON] = on
        block["edit_info"][SUBTREE_EDITED_BY] = by


def stored_subtree_edit(edit_info: Mapping[str, Any]) -> tuple[datetime.datetime, int]:
    """The ``(_subtree_edited_on, _subtree_edited_by)`` a stored block entry carries."""
    return edit_info[SUBTREE_EDITED_ON], edit_info[SUBTREE_EDITED_BY]


def definition_document(
    *,
    definition: ObjectId,
    block_type: str,
    content: Mapping[str, Any],
    edited_on: datetime.datetime,
    edited_by: int,
    previous_version: ObjectId | None,
    original_version: ObjectId,
) -> dict[str, Any]:
    """A definition document (split's ``definitions`` collection): the content-scope fields of one version."""
    return {
        "_id": definition,
        "block_type": block_type,
        "fields": canonical(content),
        "edit_info": {
            "edited_by": edited_by,
            "edited_on": bson_datetime(edited_on),
            "previous_version": previous_version,
            "original_version": original_version,
        },
        "schema_version": SCHEMA_VERSION,
    }


def asset_key_path(filename: str) -> str:
    """
    The asset key path split stores as ``filename``: edx-platform's contentstore
    turns ``/`` into ``_`` and every other character asset keys refuse (spaces,
    parentheses…) into ``_`` (``AssetLocator.clean_keeping_underscores``).
    """
    return AssetLocator.clean_keeping_underscores(filename.replace("/", "_"))


def asset_storable(
    *,
    asset_type: str,
    filename: str,
    internal_name: str,
    locked: bool,
    contenttype: str,
    metadata: Mapping[str, Any],
    edited_on: datetime.datetime,
    edited_by: int,
) -> dict[str, Any]:
    """
    One asset in split's ``AssetMetadata.to_storable()`` shape.

    ``metadata`` may carry ``pathname``, ``thumbnail``, ``curr_version``,
    ``prev_version``, ``created_by(_email)``, ``created_on``,
    ``edited_by_email``; anything else goes to ``fields``.
    """
    known = {
        "pathname", "thumbnail", "curr_version", "prev_version",
        "created_by", "created_by_email", "created_on", "edited_by_email",
    }
    return {
        "filename": asset_key_path(filename),
        "asset_type": asset_type,
        "pathname": metadata.get("pathname"),
        "internal_name": internal_name,
        "locked": locked,
        "contenttype": contenttype,
        "thumbnail": metadata.get("thumbnail"),
        "fields": canonical({k: v for k, v in metadata.items() if k not in known}),
        "edit_info": {
            "curr_version": metadata.get("curr_version"),
            "prev_version": metadata.get("prev_version"),
            "created_by": metadata.get("created_by", edited_by),
            "created_by_email": metadata.get("created_by_email"),
            "created_on": bson_datetime(metadata.get("created_on") or edited_on),
            "edited_by": edited_by,
            "edited_by_email": metadata.get("edited_by_email"),
            "edited_on": bson_datetime(edited_on),
        },
    }


def structure_document(
    *,
    structure: ObjectId,
    root: tuple[str, str],
    previous_version: ObjectId | None,
    original_version: ObjectId,
    edited_by: int,
    edited_on: datetime.datetime,
    blocks: Mapping[tuple[str, str], Any] | Sequence[Any],
    assets: Mapping[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """
    A structure document in split's on-disk form: ``blocks`` (entries by key) becomes a list sorted by key.

    An entry may be a stored one (an incremental compile passes unchanged entries through as their bytes),
    and ``blocks`` may already be the list, in key order (an incremental compile's patched previous blocks).
    """
    return {
        "_id": structure,
        "root": [root[0], root[1]],
        "previous_version": previous_version,
        "original_version": original_version,
        "edited_by": edited_by,
        "edited_on": bson_datetime(edited_on),
        "blocks": [blocks[key] for key in sorted(blocks)] if isinstance(blocks, Mapping) else blocks,
        "schema_version": SCHEMA_VERSION,
        "assets": sorted_assets(assets),
    }


def course_index_document(
    *,
    index_id: ObjectId,
    org: str,
    course: str,
    run: str,
    edited_by: int,
    edited_on: datetime.datetime,
    last_update: datetime.datetime,
    versions: Mapping[str, ObjectId],
    wiki_slug: str,
) -> dict[str, Any]:
    """The v1 course index (``active_versions``) dict, as ``SplitModulestoreCourseIndex.as_v1_schema()`` gives."""
    return {
        "_id": index_id,
        "org": org,
        "course": course,
        "run": run,
        "edited_by": edited_by,
        "edited_on": bson_datetime(edited_on),
        "last_update": bson_datetime(last_update),
        "versions": {branch: versions[branch] for branch in sorted(versions)},
        "search_targets": {"wiki_slug": wiki_slug},
        "schema_version": SCHEMA_VERSION,
    }
