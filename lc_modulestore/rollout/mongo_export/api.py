"""
Write a course's compiled split documents into MongoDB exactly as split stores them.

Why: during the migration the router, ``lc_verify`` and the benchmarks need the
same course in both stores. Real Mongo courses exist only on real deployments;
this gives any Learning Core course (a fixture, a synthetic course, the demo
course) a faithful Mongo copy:

* ``<prefix><sep>active_versions``: the course index, ``versions`` naming the
  exported branch heads;
* ``<prefix><sep>structures``: each exported head, on-disk form (``blocks`` list,
  ObjectIds, BSON dates);
* ``<prefix><sep>definitions``: every definition those heads reference.

Block ``edit_info`` keeps split's seven stored keys only: ``_subtree_edited_*``
(which split computes on read, never stores) and our ``subtree_update_version``
are dropped unless ``keep_lc_edit_info=True``.

Idempotent: every document is upserted by ``_id`` (compiled ids are derived
from Learning Core rows, so re-exporting the same heads rewrites the same
documents). An index for the same org/course/run under another ``_id`` (a
course Studio owns) is never overwritten unless ``replace_foreign_index=True``.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from pymongo import ReplaceOne

from compiler import api as compiler_api
from lc_modulestore.api import BRANCHES, PUBLISHED_BRANCH, LcModulestoreError, parse_course_key
from lc_modulestore.models_api import CourseIndex

# Split's EditInfo.to_storable() keys: what it stores per block.
SPLIT_EDIT_INFO_KEYS = (
    "previous_version",
    "update_version",
    "source_version",
    "edited_on",
    "edited_by",
    "original_usage",
    "original_usage_version",
)


class MongoExportError(LcModulestoreError):
    """A course that cannot be exported to MongoDB (not compiled, missing definitions, index clash)."""


@dataclass
class MongoExportResult:
    """What one export wrote."""

    course_key: str
    index_id: str
    heads: dict[str, str] = field(default_factory=dict)  # branch → structure id
    blocks: dict[str, int] = field(default_factory=dict)  # branch → blocks in its structure
    definitions: int = 0


def collection_names(prefix: str = "modulestore", separator: str = ".") -> dict[str, str]:
    """Split's three collection names for ``DOC_STORE_CONFIG['collection'] = prefix``."""
    return {name: f"{prefix}{separator}{name}" for name in ("active_versions", "structures", "definitions")}


def split_structure(structure: dict[str, Any], *, keep_lc_edit_info: bool = False) -> dict[str, Any]:
    """A compiled structure as split would store it (a copy; block edit_info cut to split's keys)."""
    document = copy.deepcopy(structure)
    if not keep_lc_edit_info:
        for block in document["blocks"]:
            info = block.get("edit_info", {})
            block["edit_info"] = {k: info.get(k) for k in SPLIT_EDIT_INFO_KEYS}
    return document


def export_course_to_mongo(
    course_key: str,
    *,
    database: Any,
    collection_prefix: str = "modulestore",
    separator: str = ".",
    branches: tuple[str, ...] | None = None,
    keep_lc_edit_info: bool = False,
    replace_foreign_index: bool = False,
    progress: Any = None,
) -> MongoExportResult:
    """
    Upsert the compiled heads of ``course_key`` (and their definitions and course index) into ``database``.

    ``database`` is a pymongo (or mongomock) ``Database``. ``branches``: which
    branch heads to export (default: every compiled one; naming a branch that
    has no compiled head is an error). Definitions and structures are written
    before the index, so a reader never sees an index whose head is missing.
    ``progress`` (a tqdm bar, or anything with ``total`` and ``update(n)``) is
    told how many documents there are and ticked as they are written.
    """
    key = parse_course_key(course_key)
    index_row = CourseIndex.objects.select_related("course").filter(course__course_key=key).first()
    if index_row is None:
        raise MongoExportError(f"Course {key} has no compiled course index; run lc_compile first")
    compiled = [b for b in BRANCHES if getattr(index_row, _head_attr(b) + "_id")]
    wanted = tuple(branches) if branches else tuple(compiled)
    missing_heads = [b for b in wanted if b not in compiled]
    if missing_heads or not wanted:
        raise MongoExportError(
            f"Course {key} has no compiled {', '.join(missing_heads) or 'branch'} structure; run lc_compile"
        )

    structures = {
        branch: split_structure(compiler_api.structure_document(str(key), branch=branch),
                                keep_lc_edit_info=keep_lc_edit_info)
        for branch in wanted
    }
    definition_ids = sorted({str(b["definition"]) for s in structures.values() for b in s["blocks"]})
    definitions = compiler_api.definition_documents(definition_ids)
    absent = [i for i in definition_ids if i not in definitions]
    if absent:
        raise MongoExportError(
            f"Course {key}: {len(absent)} definition(s) referenced by its structures are missing "
            f"(e.g. {absent[0]}); recompile with lc_compile --full"
        )
    index = compiler_api.course_index_document(index_row)
    index["versions"] = {b: structures[b]["_id"] for b in sorted(wanted)}

    names = collection_names(collection_prefix, separator)
    active_versions = database[names["active_versions"]]
    clash = active_versions.find_one(
        {"org": index["org"], "course": index["course"], "run": index["run"], "_id": {"$ne": index["_id"]}},
        {"_id": 1},
    )
    if clash is not None:
        if not replace_foreign_index:
            raise MongoExportError(
                f"{database.name}.{names['active_versions']} already has an index for {key} "
                f"(_id {clash['_id']}, not ours); refusing to overwrite a course Studio owns"
            )
        active_versions.delete_one({"_id": clash["_id"]})

    if progress is not None:
        progress.total = len(definitions) + len(structures) + 1
        progress.refresh()
    _upsert(database[names["definitions"]], list(definitions.values()), progress=progress)
    _upsert(database[names["structures"]], list(structures.values()), progress=progress)
    _upsert(active_versions, [index], progress=progress)

    return MongoExportResult(
        course_key=str(key),
        index_id=str(index["_id"]),
        heads={b: str(s["_id"]) for b, s in structures.items()},
        blocks={b: len(s["blocks"]) for b, s in structures.items()},
        definitions=len(definitions),
    )


def _head_attr(branch: str) -> str:
    return "published_structure" if branch == PUBLISHED_BRANCH else "draft_structure"


def _upsert(collection: Any, documents: list[dict[str, Any]], batch: int = 500, progress: Any = None) -> None:
    """Replace-or-insert each document by ``_id``, in a few ``bulk_write`` round trips."""
    for document in documents:
        if not isinstance(document.get("_id"), ObjectId):
            raise MongoExportError(f"Document without an ObjectId _id for {collection.name}: {document.get('_id')!r}")
    for start in range(0, len(documents), batch):
        chunk = documents[start:start + batch]
        try:
            collection.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in chunk], ordered=False)
        except TypeError:  # mongomock's bulk API lags pymongo's operations: one round trip per document there
            for d in chunk:
                collection.replace_one({"_id": d["_id"]}, d, upsert=True)
        if progress is not None:
            progress.update(len(chunk))


__all__ = [
    "SPLIT_EDIT_INFO_KEYS",
    "MongoExportError",
    "MongoExportResult",
    "collection_names",
    "export_course_to_mongo",
    "split_structure",
]
