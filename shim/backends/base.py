"""
The read half of split's persistence backend, as a protocol.

The store (:mod:`shim.store`) talks only to this interface, so the same store
serves courses whose split documents live in MySQL (compiled from Learning
Core, :mod:`shim.backends.mysql`) or in MongoDB (a later backend). Method names,
arguments and return shapes are those of edx-platform's
``MongoPersistenceBackend`` / ``DjangoFlexPersistenceBackend``:

* course indexes are dicts ``{_id, org, course, run, versions: {branch: ObjectId},
  search_targets, edited_by, edited_on, last_update, schema_version}``;
* structures are converted (:func:`shim.split_types.structure_from_mongo`):
  ``{_id, root: BlockKey, blocks: {BlockKey: BlockData}, ...}``;
* definitions are dicts ``{_id, block_type, fields, edit_info, schema_version}``;
* ids are ``bson.ObjectId``; datetimes are tz-aware UTC.

Every write method of split's backend raises
:class:`~shim.exceptions.ReadOnlyModuleStoreError`: :class:`ReadOnlyBackendMixin`
provides them.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

from bson import ObjectId
from opaque_keys.edx.keys import CourseKey

from shim.exceptions import ReadOnlyModuleStoreError

CourseIndexDoc = dict[str, Any]
Structure = dict[str, Any]
DefinitionDoc = dict[str, Any]


@runtime_checkable
class PersistenceBackend(Protocol):
    """What the read-only store needs from a backend. All methods are reads."""

    def get_course_index(self, key: CourseKey, ignore_case: bool = False) -> CourseIndexDoc | None:
        """The index of the course ``key`` names (org/course/run; branch and version ignored), or None."""

    def find_matching_course_indexes(
        self,
        branch: str | None = None,
        search_targets: dict[str, Any] | None = None,
        org_target: str | None = None,
        course_context: CourseKey | None = None,
        course_keys: Iterable[CourseKey] | None = None,
    ) -> Iterable[CourseIndexDoc]:
        """Indexes that have ``branch``, match every search target (only ``wiki_slug``), ``org`` and keys."""

    def get_structure(self, key: ObjectId, course_context: CourseKey | None = None) -> Structure | None:
        """The converted structure with ``_id == key`` (cached: structures are immutable), or None."""

    def find_structures_by_id(self, ids: list[ObjectId], course_context: CourseKey | None = None) -> list[Structure]:
        """Every converted structure among ``ids`` (missing ids are skipped)."""

    def find_courselike_blocks_by_id(
        self, ids: list[ObjectId], block_type: str, course_context: CourseKey | None = None
    ) -> list[Structure]:
        """Partial structures: ``_id``, ``root`` and only the first block of ``block_type``."""

    def get_definition(self, key: ObjectId, course_context: CourseKey | None = None) -> DefinitionDoc:
        """The definition with ``_id == key``; a missing one raises ``ItemNotFoundError``."""

    def get_definitions(
        self, definitions: Iterable[ObjectId], course_context: CourseKey | None = None
    ) -> list[DefinitionDoc]:
        """Every definition among ``definitions``, in one round trip."""

    def heartbeat(self) -> bool:
        """True, or raise ``HeartbeatFailure``."""

    def check_connection(self) -> bool:
        """Whether the database answers."""

    def ensure_connection(self) -> None:
        """Reconnect if needed."""

    def close_connections(self) -> None:
        """Close connections and forget request-cached indexes."""

    def ensure_indexes(self) -> None:
        """Nothing to do for a read-only backend whose schema is managed elsewhere."""


class ReadOnlyBackendMixin:
    """
    Split backend write methods, each refused with :class:`ReadOnlyModuleStoreError` naming the course.

    Nothing is written: every method raises before touching storage.
    """

    def insert_structure(self, structure: Structure, course_context: CourseKey | None = None) -> None:
        raise ReadOnlyModuleStoreError("insert_structure", course_context)

    def insert_definition(self, definition: DefinitionDoc, course_context: CourseKey | None = None) -> None:
        raise ReadOnlyModuleStoreError("insert_definition", course_context)

    def insert_course_index(self, course_index: CourseIndexDoc, course_context: CourseKey | None = None) -> None:
        raise ReadOnlyModuleStoreError("insert_course_index", course_context or _index_course(course_index))

    def update_course_index(
        self,
        course_index: CourseIndexDoc,
        from_index: CourseIndexDoc | None = None,
        course_context: CourseKey | None = None,
    ) -> None:
        raise ReadOnlyModuleStoreError("update_course_index", course_context or _index_course(course_index))

    def delete_course_index(self, course_key: CourseKey) -> None:
        raise ReadOnlyModuleStoreError("delete_course_index", course_key)

    def _drop_database(self, database: bool = True, collections: bool = True, connections: bool = True) -> None:
        raise ReadOnlyModuleStoreError("_drop_database")


def _index_course(course_index: CourseIndexDoc | None) -> str | None:
    if not course_index:
        return None
    parts = [course_index.get(k) for k in ("org", "course", "run")]
    return "course-v1:" + "+".join(str(p) for p in parts) if all(parts) else None


__all__ = ["CourseIndexDoc", "DefinitionDoc", "PersistenceBackend", "ReadOnlyBackendMixin", "Structure"]
