"""
The Mongo twin of a compiled course, for the read benchmark.

Uses ``lc_modulestore.rollout.mongo_export.export_course_to_mongo`` when that module is
present (branch ``router``); until then, a minimal copy of the same documents:
the course index, the published head structure and its definitions, taken from
the compiler's document API and inserted as split stores them. Either way both
backends serve byte-for-byte the same split documents, so the benchmark compares
storage and decoding, not content.
"""
from __future__ import annotations

from typing import Any

__all__ = ["copy_course_to_mongo"]


def copy_course_to_mongo(course_key: str, database: Any, *, collection_prefix: str, collection_separator: str) -> str:
    """Write ``course_key``'s split documents into ``database``; returns which exporter did it."""
    try:
        from lc_modulestore.rollout.mongo_export import api as export_api  # type: ignore[import-not-found]
    except ImportError:
        export_api = None
    if export_api is not None and hasattr(export_api, "export_course_to_mongo"):
        from lc_modulestore.api import PUBLISHED_BRANCH

        # router's signature (06c04f4): separator=, branches= (the benchmark reads the published branch only)
        export_api.export_course_to_mongo(course_key, database=database, collection_prefix=collection_prefix,
                                           separator=collection_separator, branches=(PUBLISHED_BRANCH,))
        return "lc_modulestore.rollout.mongo_export"
    _copy(course_key, database, collection_prefix + collection_separator)
    return "benchmarks.mongo_copy"


def _copy(course_key: str, database: Any, prefix: str) -> None:
    from compiler import api as compiler_api
    from lc_modulestore.api import PUBLISHED_BRANCH, get_course
    from lc_modulestore.models_api import CourseIndex

    course = get_course(course_key)
    index = CourseIndex.objects.get(course=course)
    index_doc = compiler_api.course_index_document(index)
    index_doc["versions"] = {k: v for k, v in index_doc["versions"].items() if k == PUBLISHED_BRANCH}
    structure = compiler_api.structure_document(course_key, branch=PUBLISHED_BRANCH)
    ids = sorted({str(b["definition"]) for b in structure["blocks"] if b.get("definition")})
    definitions = []
    for start in range(0, len(ids), 2000):
        definitions.extend(compiler_api.definition_documents(ids[start:start + 2000]).values())
    structures = database[f"{prefix}structures"]
    if structures.find_one({"_id": structure["_id"]}, {"_id": 1}) is None:
        structures.insert_one(structure)
    defs = database[f"{prefix}definitions"]
    have = {d["_id"] for d in defs.find({"_id": {"$in": [d["_id"] for d in definitions]}}, {"_id": 1})}
    missing = [d for d in definitions if d["_id"] not in have]
    for start in range(0, len(missing), 1000):
        defs.insert_many(missing[start:start + 1000], ordered=False)
    database[f"{prefix}active_versions"].replace_one(
        {"org": index_doc["org"], "course": index_doc["course"], "run": index_doc["run"]}, index_doc, upsert=True
    )
