"""
The MySQL backend: split documents compiled from Learning Core, read from our own tables.

Rows (see ``lc_modulestore.compiled.models``):

* ``CourseIndex`` (one per course) → split's ``active_versions`` document, its
  branch heads being the ids of ``published_structure`` / ``draft_structure``;
* ``CompiledStructure.data`` → ``zlib(bson(structure))``, checked against its
  checksum before decoding, then served as split's in-memory form whose blocks are
  decoded one by one as they are read (:mod:`shim.stored_blocks`, ADR 0025);
* ``CompiledDefinition.data`` → ``bson(definition)``, checked against its checksum and refused without ``fields``.

A structure asked for in the context of a course must belong to that course (ADR 0020).

Reads return split's shapes (ObjectIds, tz-aware datetimes). Writes are refused.

Decoded structures are cached and shared, so split's methods (``get_structure``,
``find_structures_by_id``, ``find_courselike_blocks_by_id``) hand every caller a private copy
(:func:`shim.split_types.private_copy`): edx-platform's split changes what it reads in place. The
project's own store, which never does, reads the shared objects through ``get_shared_structure`` /
``find_shared_structures_by_id`` (and keeps what it derives from them per structure).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from bson import ObjectId
from django.db import DatabaseError, connection
from django.db.models import Q
from django.db.models.functions import Lower
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import LibraryLocator

from lc_modulestore.api import (
    DRAFT_BRANCH,
    PUBLISHED_BRANCH,
    CorruptDocumentError,
    decode_definition,
    decode_structure_lazily,
)
from lc_modulestore.models_api import CompiledDefinition, CompiledStructure, CourseIndex
from shim.backends.base import CourseIndexDoc, DefinitionDoc, ReadOnlyBackendMixin, Structure
from shim.caches import StructureCache, course_index_cache
from shim.exceptions import HeartbeatFailure, ItemNotFoundError
from shim.split_types import private_copy
from shim.stored_blocks import structure_from_stored

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_INDEX_VALUES = (
    "objectid",
    "course__course_key",
    "course__org",
    "course__course",
    "course__run",
    "course__wiki_slug",
    "published_structure__objectid",
    "draft_structure__objectid",
    "edited_by",
    "edited_on",
    "last_update",
    "course_id",
    "published_structure__course_id",
    "draft_structure__course_id",
)
_BRANCH_COLUMNS = {PUBLISHED_BRANCH: "published_structure", DRAFT_BRANCH: "draft_structure"}


def _course_of(key: CourseKey | str) -> tuple[str, str, str]:
    """``(org, course, run)`` of a course key or its string, case-folded (indexes may be looked up ignoring case)."""
    key = CourseKey.from_string(key) if isinstance(key, str) else key
    return (str(key.org).lower(), str(key.course).lower(), str(key.run).lower())


def _lineage(row: dict[str, Any]) -> tuple[str, str]:
    """A structure row's course and branch: structures of one lineage share most of their stored entries."""
    return (row["course__course_key"], row["branch"])


def _index_doc(row: dict[str, Any]) -> CourseIndexDoc:
    """Split's ``active_versions`` document for one ``values()`` row."""
    versions = {}
    for branch, column in _BRANCH_COLUMNS.items():
        if row[f"{column}__objectid"] and row[f"{column}__course_id"] != row["course_id"]:
            # An index row pointing at another course's structure would serve that course under this key.
            raise CorruptDocumentError(
                f"Course index of {row['course__course_key']} points its {branch} at structure "
                f"{row[f'{column}__objectid']} of another course; recompile with lc_compile --full"
            )
        if row[f"{column}__objectid"]:
            versions[branch] = ObjectId(row[f"{column}__objectid"])
    doc = {
        "_id": ObjectId(row["objectid"]),
        "org": row["course__org"],
        "course": row["course__course"],
        "run": row["course__run"],
        "edited_by": row["edited_by"],
        "edited_on": row["edited_on"],
        "last_update": row["last_update"],
        "versions": versions,
        "schema_version": SCHEMA_VERSION,
        "search_targets": {"wiki_slug": row["course__wiki_slug"]} if row["course__wiki_slug"] else {},
    }
    return doc


class MySQLPersistenceBackend(ReadOnlyBackendMixin):
    """Split's read backend over the compiled documents in this project's database."""

    def __init__(self, *, structure_cache: StructureCache | None = None, **_: Any) -> None:
        # The row is the shared form (compressed BSON, decoded block by block): no pickled copy beside it (ADR 0025).
        self.structure_cache = structure_cache if structure_cache is not None else StructureCache(shared=False)


    # -- course indexes ---------------------------------------------------------
    def get_course_index(self, key: CourseKey, ignore_case: bool = False) -> CourseIndexDoc | None:
        """The course's index document, request-cached; None for version-only, library or unknown keys."""
        if isinstance(key, LibraryLocator):
            return None  # Learning Core courses are never v1 libraries
        if not (getattr(key, "org", None) and getattr(key, "course", None) and getattr(key, "run", None)):
            return None
        cache_key = ("index", key.org, key.course, key.run, bool(ignore_case))
        cache = course_index_cache()
        cached = cache.get_cached_response(cache_key)
        if cached.is_found:
            return cached.value
        rows = CourseIndex.objects.all()
        if ignore_case:
            rows = rows.annotate(
                _org=Lower("course__org"), _course=Lower("course__course"), _run=Lower("course__run")
            ).filter(_org=key.org.lower(), _course=key.course.lower(), _run=key.run.lower())
        else:
            rows = rows.filter(course__org=key.org, course__course=key.course, course__run=key.run)
        row = rows.values(*_INDEX_VALUES).first()
        doc = _index_doc(row) if row else None
        cache.set(cache_key, doc)
        return doc

    def find_matching_course_indexes(
        self,
        branch: str | None = None,
        search_targets: dict[str, Any] | None = None,
        org_target: str | None = None,
        course_context: CourseKey | None = None,
        course_keys: Iterable[CourseKey] | None = None,
    ) -> list[CourseIndexDoc]:
        """Index documents with ``branch``, the ``wiki_slug`` search target, ``org`` and among ``course_keys``."""
        rows = CourseIndex.objects.all()
        if course_keys is not None:
            keys = list(course_keys)
            if not keys:
                return []
            match = Q()
            for key in keys:
                match |= Q(course__org=key.org, course__course=key.course, course__run=key.run)
            rows = rows.filter(match)
        if branch is not None:
            column = _BRANCH_COLUMNS.get(branch)
            if column is None:
                return []  # e.g. the ``library`` branch: no Learning Core course has one
            rows = rows.filter(**{f"{column}__isnull": False})
        for target, value in (search_targets or {}).items():
            if target != "wiki_slug":
                raise ValueError(f"Unsupported search target: {target}")
            rows = rows.filter(course__wiki_slug=value)
        if org_target:
            rows = rows.filter(course__org=org_target)
        return [_index_doc(row) for row in rows.order_by("course__course_key").values(*_INDEX_VALUES)]

    # -- structures --------------------------------------------------------------
    def get_structure(self, key: ObjectId, course_context: CourseKey | None = None) -> Structure | None:
        """The converted structure ``key``, the caller's own copy (split changes what it reads), or None."""
        structure = self.get_shared_structure(key, course_context)
        return None if structure is None else private_copy(structure)

    def find_structures_by_id(self, ids: list[ObjectId], course_context: CourseKey | None = None) -> list[Structure]:
        """Every structure among ``ids``, each the caller's own copy."""
        return [private_copy(s) for s in self.find_shared_structures_by_id(ids, course_context)]

    def get_shared_structure(self, key: ObjectId, course_context: CourseKey | None = None) -> Structure | None:
        """The cached, shared structure ``key`` (from the caches, else one query): for readers that never change it."""
        structure = self.structure_cache.get(key, course_context)
        if structure is not None:
            return structure
        row = (
            CompiledStructure.objects.filter(objectid=str(key))
            .values("objectid", "data", "checksum", "entry_index", "course__course_key", "branch")
            .first()
        )
        if row is None:
            log.warning("No compiled structure %s (course %s)", key, course_context)
            return None
        structure = self._decode(row, course_context)
        self.structure_cache.set(key, structure, course_context, lineage=_lineage(row))
        return structure

    def find_shared_structures_by_id(
        self, ids: list[ObjectId], course_context: CourseKey | None = None
    ) -> list[Structure]:
        """Every shared structure among ``ids``: cached ones from the cache, the rest in one query."""
        found: dict[str, Structure] = {}
        missing = []
        for structure_id in ids:
            cached = self.structure_cache.get(structure_id, course_context)
            if cached is not None:
                found[str(structure_id)] = cached
            else:
                missing.append(str(structure_id))
        if missing:
            rows = CompiledStructure.objects.filter(objectid__in=missing).values(
                "objectid", "data", "checksum", "entry_index", "course__course_key", "branch"
            )
            for row in rows:
                structure = self._decode(row, course_context)
                self.structure_cache.set(row["objectid"], structure, course_context, lineage=_lineage(row))
                found[row["objectid"]] = structure
        return [found[str(i)] for i in dict.fromkeys(ids) if str(i) in found]

    def find_courselike_blocks_by_id(
        self, ids: list[ObjectId], block_type: str, course_context: CourseKey | None = None
    ) -> list[Structure]:
        """Partial structures (``_id``, ``root``, and the first block of ``block_type``), like split's projection."""
        partials = []
        for structure in self.find_shared_structures_by_id(ids, course_context):
            blocks = structure["blocks"]
            first = next((key for key in blocks if key.type == block_type), None)  # keys only: nothing decoded
            partial = {
                "_id": structure["_id"], "root": structure["root"], "blocks": {first: blocks[first]} if first else {}
            }
            partials.append(private_copy(partial))
        return partials

    def _decode(self, row: dict[str, Any], course_context: CourseKey | None = None) -> Structure:
        what = f"course {row['course__course_key']} (structure {row['objectid']})"
        if (
            course_context is not None
            and getattr(course_context, "org", None) is not None  # a version-only key names no course
            and _course_of(course_context) != _course_of(row["course__course_key"])
        ):
            # An index row pointing at another course's structure would serve that course under this key.
            raise CorruptDocumentError(f"Structure {row['objectid']} asked for as {course_context} belongs to {what}")
        # The course's structure decoded before on this branch (the previous publish): its unchanged blocks serve.
        previous = self.structure_cache.latest(_lineage(row))
        stored = decode_structure_lazily(row["data"], row["checksum"], what=what, entry_index=row["entry_index"])
        return structure_from_stored(stored, previous=previous)

    # -- definitions ---------------------------------------------------------------
    def get_definition(self, key: ObjectId, course_context: CourseKey | None = None) -> DefinitionDoc:
        """The definition document ``key``; ``ItemNotFoundError`` naming the course if there is none."""
        row = CompiledDefinition.objects.filter(objectid=str(key)).values("objectid", "data", "checksum").first()
        if row is None:
            raise ItemNotFoundError(f"Definition {key} of course {course_context} is not compiled")
        return decode_definition(row["data"], row["checksum"], what=f"{row['objectid']} of course {course_context}")

    def get_definitions(
        self, definitions: Iterable[ObjectId], course_context: CourseKey | None = None
    ) -> list[DefinitionDoc]:
        """Every definition among ``definitions``, in one query (none for an empty list)."""
        wanted = list({str(d) for d in definitions})
        if not wanted:
            return []
        rows = CompiledDefinition.objects.filter(objectid__in=wanted).values("objectid", "data", "checksum")
        return [
            decode_definition(row["data"], row["checksum"], what=f"{row['objectid']} of course {course_context}")
            for row in rows
        ]

    # -- infrastructure ------------------------------------------------------------
    def heartbeat(self) -> bool:
        """True if the database answers, else ``HeartbeatFailure``."""
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return True
        except DatabaseError as exc:
            raise HeartbeatFailure(f"Can't reach the lc-modulestore database: {exc}", "mysql") from exc

    def check_connection(self) -> bool:
        try:
            return self.heartbeat()
        except HeartbeatFailure:
            return False

    def ensure_connection(self) -> None:
        connection.ensure_connection()

    def close_connections(self) -> None:
        """Forget request-cached indexes. Django owns the database connections and closes them per request."""
        course_index_cache().clear()

    def ensure_indexes(self) -> None:
        """Nothing to do: the tables and their indexes come from Django migrations."""


__all__ = ["MySQLPersistenceBackend"]
