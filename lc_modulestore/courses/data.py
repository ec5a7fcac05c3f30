"""
What importers hand to :class:`~lc_modulestore.courses.authoring.CourseWriter`: plain data, no ORM.

An importer's job is to translate its source (an OLX export, split in MongoDB,
a generator) into :class:`BlockData` and :class:`AssetData`; the writer alone
decides what becomes a new version, what is deleted and what is left alone, and
reports it as :class:`BlockSync` / :class:`AssetSync`.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lc_modulestore.core.keys import BlockKey

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



@dataclass(frozen=True)
class AssetData:
    """
    One course asset as a source has it.

    ``data`` is the file's bytes, or None when the source knows only the
    metadata (split keeps bytes in a separate contentstore a migration may not
    reach): then the metadata is saved and any bytes stored earlier stay.
    A source that holds the file on disk gives ``read`` (returns the bytes) and
    ``digest`` (openedx-core's hash of them) instead of ``data``: an unchanged
    asset is then recognised without reading the file whole.
    ``edited_on``/``edited_by`` are kept only for metadata-only assets, as split
    records them; an asset with bytes is stamped with the writer's own time.
    """

    path: str
    content_type: str
    data: bytes | None = None
    read: Callable[[], bytes] | None = None
    digest: str | None = None
    asset_type: str = "asset"
    locked: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    edited_on: datetime | None = None
    edited_by: int | None = None


@dataclass
class BlockSync:
    """What one :meth:`~lc_modulestore.courses.authoring.CourseWriter.sync_blocks` pass did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0  # live blocks soft-deleted because the pass did not name them
    versioned: set[BlockKey] = field(default_factory=set)  # blocks that got a new version


@dataclass
class AssetSync:
    """What one :meth:`~lc_modulestore.courses.authoring.CourseWriter.sync_assets` pass did."""

    total: int = 0  # assets the source listed
    changed: int = 0  # saved (new or different) plus deleted
    without_bytes: int = 0  # saved from metadata alone
    deleted: int = 0  # stored assets the source no longer lists (``drop_missing``)


__all__ = ["AssetData", "AssetSync", "BlockData", "BlockSync", "entity_code"]
