"""
The compile itself: a snapshot of Learning Core history (plain data) → a split structure and its definitions.

Pure (no ORM; an import-linter contract keeps it so). :mod:`compiler.snapshot`
reads the database into the dataclasses below; this module walks the course
tree and builds documents with :mod:`compiler.documents`.

One function serves both compile modes:

* **full**: ``previous`` is None and every reachable entity is *fresh* (its data
  is in the snapshot);
* **incremental**: ``previous`` is the stored structure of the preceding
  publish (entries kept as BSON until needed) and the snapshot holds only the
  entities publish N touched (plus newly reachable ones). Every other block
  entry is passed through from ``previous`` as stored bytes. This is exact because a block's entry depends only on
  its own
  version, its version history and its children's membership, and Learning Core
  records every change of those in publish N (version changes, soft deletes,
  and side-effect records up every ancestor of an unpinned child).

Pinned entity-list rows break that last rule (a pinned child changes nothing
in its parent's records), so a snapshot with pinned rows raises
:class:`NeedsFullCompile` in incremental mode and is compiled in full.

When publish N changes no block's *set* of children (content or settings
edits, reorders), the blocks are the previous structure's blocks: the
incremental compile then decodes only the entries it rebuilds and their
children's edit info, so its cost follows the edit, not the course
(ADR 0014). Otherwise it walks the tree, decoding the entries it passes.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from bson import ObjectId

from compiler import documents
from compiler.errors import CompileError, NeedsFullCompile
from lc_modulestore.core.api import DRAFT_BRANCH, PUBLISHED_BRANCH

Key = tuple[str, str]


@dataclass(frozen=True)
class VersionData:
    """One PublishableEntityVersion with what a block entry and definition need."""

    version_id: int
    entity_id: int
    entity_uuid: UUID
    version_num: int
    created: datetime.datetime
    created_by: int
    block_type: str
    settings: Mapping[str, Any]
    content: Mapping[str, Any]
    has_field_data: bool
    #: containers: ``(child entity id, pinned version id or None)`` in order; leaves: None
    rows: tuple[tuple[int, int | None], ...] | None
    #: uuid of the DraftChangeLog that created this version (first set the draft to it)
    created_in: UUID | None = None
    #: uuid of the DraftChangeLog that created the draft version this one replaced (draft branch only)
    previous_created_in: UUID | None = None


@dataclass(frozen=True)
class EntityHistory:
    """Where an entity's history stands as of the compiled log (uuids of PublishLogs or DraftChangeLogs)."""

    update_log: UUID | None  # last log that changed the entity's own version
    previous_log: UUID | None  # the one before that
    touch_log: UUID | None  # last log with any record for the entity (side effects included)


@dataclass(frozen=True)
class Header:
    """The log a structure is compiled from, and its neighbours in the package's history."""

    branch: str
    log_id: int
    log_uuid: UUID
    previous_log_uuid: UUID | None
    original_log_uuid: UUID
    edited_on: datetime.datetime
    edited_by: int


@dataclass
class Snapshot:
    """Everything a compile reads, as plain data."""

    course_key: str
    header: Header
    root: Key
    #: entity id → block key, for every entity whose key the compile may need
    keys: Mapping[int, Key]
    #: entity id → version id as of the log (None = deleted / unpublished), for every fresh entity
    current: Mapping[int, int | None]
    #: version id → data, for every version a fresh block may use
    versions: Mapping[int, VersionData]
    #: entity id → history, for every fresh entity
    history: Mapping[int, EntityHistory]
    #: detached blocks (about, static_tab, course_info) to include besides the tree
    detached: frozenset[Key]
    assets: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: incremental only: entities whose entries must be rebuilt; None = all (full compile)
    fresh: frozenset[int] | None = None


@dataclass(frozen=True)
class DefinitionSpec:
    """A definition to store: the field-data version it comes from and its document."""

    version_id: int
    definition_id: ObjectId
    block_type: str
    document: dict[str, Any]


@dataclass
class BuildResult:
    """A compiled structure document plus what storage needs to know about it."""

    document: dict[str, Any]
    definitions: list[DefinitionSpec]
    has_pins: bool
    rebuilt: int  # block entries built from Learning Core data (the rest were copied from ``previous``)
    log_id: int  # the PublishLog / DraftChangeLog the structure is compiled from (the snapshot's header)


class PreviousStructure(Protocol):
    """The structure an incremental compile patches (``lc_modulestore.api.LazyStructure`` in production)."""

    @property
    def keys(self) -> list[Key]: ...

    def __contains__(self, key: Key) -> bool: ...

    def get(self, key: Key) -> dict[str, Any] | None:
        """The entry as a private, decoded dict (None if absent)."""

    def raw(self, key: Key) -> Any:
        """The entry as stored, for passing through unchanged (the codec copies its bytes when encoding)."""

    def is_key_ordered(self) -> bool:
        """Whether the entries are stored in key order (as every structure the compiler writes)."""

    def patched(self, replaced: Mapping[Key, dict[str, Any]]) -> Sequence[Any]:
        """All entries in stored order, those of ``replaced`` (all already present) replaced: a ``blocks`` list."""


def build_structure(snapshot: Snapshot, *, previous: PreviousStructure | None = None) -> BuildResult:
    """
    Build the structure of ``snapshot`` (full), or patch ``previous`` with it (incremental).

    Raises :class:`NeedsFullCompile` when an incremental patch cannot be exact,
    :class:`CompileError` (naming the course) when the snapshot is inconsistent.
    """
    incremental = previous is not None
    fresh = snapshot.fresh
    key_entity = {key: entity for entity, key in snapshot.keys.items()}

    def is_fresh(key: Key) -> bool:
        if not incremental:
            return True
        entity = key_entity.get(key)
        return entity is not None and fresh is not None and entity in fresh

    has_pins = False
    pinned_version: dict[int, int] = {}

    def live(entity: int) -> bool:
        if entity in snapshot.current:
            return snapshot.current[entity] is not None
        # Incremental: an entity publish N did not touch keeps the state the previous structure shows.
        key = snapshot.keys.get(entity)
        return incremental and key is not None and key in previous and not is_fresh(key)

    def version_of(entity: int) -> int | None:
        current = snapshot.current.get(entity)
        return current if current is not None else pinned_version.get(entity)

    def fresh_children(key: Key, version: int) -> list[Key] | None:
        """A fresh block's children as of the log (None for a leaf)."""
        nonlocal has_pins
        data = snapshot.versions[version]
        if data.rows is None:
            return None
        kids: list[Key] = []
        for child_entity, pinned in data.rows:
            if pinned is not None:
                has_pins = True
                if incremental:
                    raise NeedsFullCompile(f"{snapshot.course_key}: pinned rows in {key[0]}/{key[1]}")
                pinned_version.setdefault(child_entity, pinned)
            elif not live(child_entity):
                continue  # deleted or unpublished as of this log
            child_key = snapshot.keys.get(child_entity)
            if child_key is None:
                raise CompileError(
                    f"Child entity {child_entity} of {key[0]}/{key[1]} in {snapshot.course_key} "
                    "is not in the course's usage-key map"
                )
            kids.append(child_key)
        return kids

    def children_if_same_membership() -> dict[Key, list[Key] | None] | None:
        """
        Incremental: each fresh block's children when publish N changed no block's set of children (so the
        structure holds the same blocks), else None.
        """
        kids_of: dict[Key, list[Key] | None] = {}
        for entity in fresh or ():
            key = snapshot.keys.get(entity)
            if key is None:
                continue  # not in the course tree (reachable only through a changed parent, checked below)
            version = snapshot.current.get(entity)
            if key not in previous or version is None:
                return None
            kids = kids_of[key] = fresh_children(key, version)
            old = previous.get(key)["fields"].get("children")
            if (kids is None) != (old is None) or (kids is not None and set(kids) != {(t, i) for t, i in old}):
                return None
        return kids_of

    # Pass 1: which blocks the structure holds, and (for fresh ones) their children.
    # The common edit (content or settings of existing blocks, a reorder) keeps the previous structure's blocks
    # in the same (key) order: only the fresh ones are built, the rest stay as stored bytes, no walk.
    unchanged = children_if_same_membership() if incremental and previous.is_key_ordered() else None
    patch = unchanged is not None
    children_of: dict[Key, list[Key] | None] = unchanged if unchanged is not None else {}
    if not patch:
        roots = [snapshot.root, *sorted(snapshot.detached)]
        stack = list(reversed(roots))
        while stack:
            key = stack.pop()
            if key in children_of:
                continue
            if is_fresh(key):
                entity = key_entity.get(key)
                if entity is None:
                    raise CompileError(f"Block {key[0]}/{key[1]} of {snapshot.course_key} has no Learning Core entity")
                version = version_of(entity)
                if version is None:
                    if key == snapshot.root:
                        raise CompileError(
                            f"The course root of {snapshot.course_key} is not "
                            f"{'published' if snapshot.header.branch == PUBLISHED_BRANCH else 'in draft'} "
                            f"as of log {snapshot.header.log_id}"
                        )
                    continue  # a detached block deleted as of this log
                kids = fresh_children(key, version)
            else:
                entry = previous.get(key)
                if entry is None:
                    raise NeedsFullCompile(
                        f"{snapshot.course_key}: {key[0]}/{key[1]} is neither fresh nor in the previous structure"
                    )
                if "children" not in entry["fields"]:
                    children_of[key] = None
                    continue
                kids = [(c[0], c[1]) for c in entry["fields"]["children"]]
                for child_key in kids:
                    child_entity = key_entity.get(child_key)
                    if child_entity is not None and is_fresh(child_key) and snapshot.current.get(child_entity) is None:
                        # Deleted, yet its unchanged parent still lists it: only a pinned row does that.
                        raise NeedsFullCompile(f"{snapshot.course_key}: {child_key} deleted under unchanged {key}")
            children_of[key] = kids
            if kids:
                stack.extend(reversed(kids))

    # Pass 2: block entries (fresh ones built, the others passed through as stored) and definitions.
    blocks: dict[Key, Any] = {}
    built: dict[Key, dict[str, Any]] = {}
    definitions: list[DefinitionSpec] = []
    for key, kids in children_of.items():
        if is_fresh(key):
            entity = key_entity[key]
            data = snapshot.versions[version_of(entity)]  # type: ignore[index]
            if not data.has_field_data:
                raise CompileError(
                    f"Version {data.version_num} of {key[0]}/{key[1]} in {snapshot.course_key} has no field data"
                )
            blocks[key] = built[key] = _block_entry(snapshot, key, data, kids, snapshot.history.get(entity))
            definitions.append(_definition(data))
        else:
            blocks[key] = previous.raw(key)
    if incremental:
        # A block publish N did not touch has an untouched subtree (Learning Core records a side effect on
        # every ancestor of a change), so its stored subtree edit is still right: refresh the built ones only.
        documents.with_subtree_edits(
            built,
            members=previous if patch else blocks,
            stored=lambda key: documents.stored_subtree_edit(previous.get(key)["edit_info"]),
        )
    else:
        documents.with_subtree_edits(built)

    header = snapshot.header
    branch = header.branch
    document = documents.structure_document(
        structure=documents.structure_id(branch=branch, log_uuid=header.log_uuid, assets=snapshot.assets),
        root=snapshot.root,
        previous_version=(
            documents.structure_id(branch=branch, log_uuid=header.previous_log_uuid)
            if header.previous_log_uuid
            else None
        ),
        original_version=documents.structure_id(branch=branch, log_uuid=header.original_log_uuid),
        edited_by=header.edited_by,
        edited_on=header.edited_on,
        blocks=previous.patched(built) if patch else blocks,
        assets=snapshot.assets,
    )
    return BuildResult(
        document=document, definitions=definitions, has_pins=has_pins, rebuilt=len(built), log_id=header.log_id
    )


def _sid(branch: str, log_uuid: UUID | None) -> ObjectId | None:
    return documents.structure_id(branch=branch, log_uuid=log_uuid) if log_uuid else None


def _block_entry(
    snapshot: Snapshot, key: Key, data: VersionData, kids: list[Key] | None, history: EntityHistory | None
) -> dict[str, Any]:
    history = history or EntityHistory(None, None, None)
    if snapshot.header.branch == PUBLISHED_BRANCH:
        edit_info = documents.block_edit_info(
            edited_on=data.created,
            edited_by=data.created_by,
            update_version=_sid(PUBLISHED_BRANCH, history.update_log),
            previous_version=_sid(PUBLISHED_BRANCH, history.previous_log),
            source_version=_sid(DRAFT_BRANCH, data.created_in),
            subtree_update_version=_sid(PUBLISHED_BRANCH, history.touch_log),
        )
    else:
        edit_info = documents.block_edit_info(
            edited_on=data.created,
            edited_by=data.created_by,
            update_version=_sid(DRAFT_BRANCH, data.created_in),
            previous_version=_sid(DRAFT_BRANCH, data.previous_created_in),
            source_version=None,
            subtree_update_version=_sid(DRAFT_BRANCH, history.touch_log),
        )
    return documents.block_entry(
        block_type=key[0],
        block_id=key[1],
        definition=documents.definition_id(entity_uuid=data.entity_uuid, version_num=data.version_num),
        settings=data.settings,
        children=kids,
        edit_info=edit_info,
    )


def _definition(data: VersionData) -> DefinitionSpec:
    definition = documents.definition_id(entity_uuid=data.entity_uuid, version_num=data.version_num)
    return DefinitionSpec(
        version_id=data.version_id,
        definition_id=definition,
        block_type=data.block_type,
        document=documents.definition_document(
            definition=definition,
            block_type=data.block_type,
            content=data.content,
            edited_on=data.created,
            edited_by=data.created_by,
            previous_version=(
                documents.definition_id(entity_uuid=data.entity_uuid, version_num=data.version_num - 1)
                if data.version_num > 1
                else None
            ),
            original_version=documents.definition_id(entity_uuid=data.entity_uuid, version_num=1),
        ),
    )


def history_from_records(
    records: list[tuple[int, int, int | None, int | None]], log_uuids: Mapping[int, UUID]
) -> tuple[dict[int, int | None], dict[int, EntityHistory]]:
    """
    Fold ``(entity_id, log_id, old_version_id, new_version_id)`` records (in log order) into
    each entity's current version and :class:`EntityHistory`.
    """
    current: dict[int, int | None] = {}
    changes: dict[int, list[int]] = {}
    touch: dict[int, int] = {}
    for entity, log, old, new in records:
        current[entity] = new
        touch[entity] = log
        if old != new:
            changes.setdefault(entity, []).append(log)
    history = {}
    for entity, log in touch.items():
        changed = changes.get(entity, [])
        history[entity] = EntityHistory(
            update_log=log_uuids[changed[-1]] if changed else None,
            previous_log=log_uuids[changed[-2]] if len(changed) > 1 else None,
            touch_log=log_uuids[log],
        )
    return current, history
