"""
Reading one split course out of MongoDB, checked, before anything is written.

The migration reads everything first (index, both branch heads, every
definition they use) and checks it, so a broken course fails before the
database transaction opens, with an error naming the course and the block.
Reads go straight to split's collections with pymongo: this is an import
stage of ``lc_modulestore`` and does not depend on the shim's read path.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from bson.codec_options import CodecOptions
from opaque_keys.edx.locator import CourseLocator

from lc_modulestore.api import DETACHED_BLOCK_TYPES, DRAFT_BRANCH, PUBLISHED_BRANCH, BlockKey
from lc_modulestore.importing.mongo.errors import MongoCourseError

CODEC_OPTIONS = CodecOptions(tz_aware=True)


@dataclass
class BranchBlocks:
    """
    The blocks of one branch head that belong to the course, in save order.

    ``ordered`` is bottom-up (children before parents, the root last), then
    the detached blocks; ``skipped`` are blocks in the structure that are
    neither reachable from the root nor detached (split's orphans).
    """

    structure_id: ObjectId
    root: BlockKey
    entries: dict[BlockKey, dict[str, Any]]
    ordered: list[BlockKey]
    skipped: list[BlockKey]
    assets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class SplitCourse:
    """Everything the migration needs from Mongo for one course."""

    course_key: CourseLocator
    index: dict[str, Any]
    published: BranchBlocks | None
    draft: BranchBlocks | None
    definitions: dict[ObjectId, dict[str, Any]]


def collections(database: Any, prefix: str, separator: str = ".") -> tuple[Any, Any, Any]:
    """Split's (active_versions, structures, definitions) collections, tz-aware."""
    database = database.with_options(codec_options=CODEC_OPTIONS)
    return tuple(database[f"{prefix}{separator}{name}"] for name in ("active_versions", "structures", "definitions"))


def read_split_course(
    database: Any, course_key: CourseLocator, *, prefix: str = "modulestore", separator: str = "."
) -> SplitCourse:
    """
    Read and check ``course_key``'s published and draft heads and their definitions (four queries).

    Raises :class:`MongoCourseError` for a missing index or head structure, a
    missing root, a child that is not in the structure, a cycle, or a block
    whose definition is missing.
    """
    where = f"{database.name}.{prefix}{separator}"
    active_versions, structures, definitions = collections(database, prefix, separator)
    index = active_versions.find_one({"org": course_key.org, "course": course_key.course, "run": course_key.run})
    if index is None:
        raise MongoCourseError(f"Course {course_key} has no course index in {where}active_versions")
    versions = index.get("versions") or {}
    heads = {branch: versions[branch] for branch in (PUBLISHED_BRANCH, DRAFT_BRANCH) if versions.get(branch)}
    if not heads:
        raise MongoCourseError(f"Course {course_key} has neither a published nor a draft branch in its course index")
    found = {doc["_id"]: doc for doc in structures.find({"_id": {"$in": list(heads.values())}})}
    branches: dict[str, BranchBlocks] = {}
    for branch, structure_id in heads.items():
        document = found.get(structure_id)
        if document is None:
            raise MongoCourseError(
                f"Course {course_key}: the {branch} head structure {structure_id} is not in {where}structures"
            )
        branches[branch] = _branch_blocks(course_key, branch, document)

    wanted: dict[ObjectId, BlockKey] = {}
    for branch, blocks in branches.items():
        for key in blocks.ordered:
            definition_id = blocks.entries[key].get("definition")
            if definition_id is None:
                raise MongoCourseError(f"Course {course_key}: block {key.type}/{key.id} ({branch}) has no definition")
            wanted.setdefault(definition_id, key)
    loaded = {doc["_id"]: doc for doc in definitions.find({"_id": {"$in": list(wanted)}})}
    missing = [(key, def_id) for def_id, key in wanted.items() if def_id not in loaded]
    if missing:
        listed = ", ".join(f"{key.type}/{key.id} (definition {def_id})" for key, def_id in missing)
        raise MongoCourseError(f"Course {course_key}: definitions missing from {where}definitions for {listed}")
    return SplitCourse(
        course_key=course_key,
        index=index,
        published=branches.get(PUBLISHED_BRANCH),
        draft=branches.get(DRAFT_BRANCH),
        definitions=loaded,
    )


def _branch_blocks(course_key: CourseLocator, branch: str, document: dict[str, Any]) -> BranchBlocks:
    entries: dict[BlockKey, dict[str, Any]] = {}
    for entry in document.get("blocks", []):
        entries[BlockKey(entry["block_type"], entry["block_id"])] = entry
    root = BlockKey(*document["root"])
    if root not in entries:
        raise MongoCourseError(
            f"Course {course_key}: the root block {root.type}/{root.id} is not in the {branch} structure "
            f"{document['_id']}"
        )
    ordered: list[BlockKey] = []
    done: set[BlockKey] = set()
    for key in _post_order(course_key, branch, root, entries):
        if key not in done:
            done.add(key)
            ordered.append(key)
    detached = [k for k in entries if k.type in DETACHED_BLOCK_TYPES and k not in done]
    skipped = [k for k in entries if k not in done and k.type not in DETACHED_BLOCK_TYPES]
    return BranchBlocks(
        structure_id=document["_id"],
        root=root,
        entries=entries,
        ordered=ordered + detached,
        skipped=skipped,
        assets=document.get("assets") or {},
    )


def _post_order(
    course_key: CourseLocator, branch: str, root: BlockKey, entries: dict[BlockKey, dict[str, Any]]
) -> Iterator[BlockKey]:
    """Children before parents, depth first, in child order; a dangling child or a cycle is an error."""
    on_path: set[BlockKey] = set()
    finished: set[BlockKey] = set()
    # Iterative, so deep outlines do not hit the recursion limit.
    stack: list[tuple[BlockKey, Iterator[Any]]] = [(root, iter(_children(entries[root])))]
    on_path.add(root)
    while stack:
        key, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            on_path.discard(key)
            finished.add(key)
            yield key
            continue
        child_key = BlockKey(*child)
        if child_key not in entries:
            raise MongoCourseError(
                f"Course {course_key}: block {key.type}/{key.id} ({branch}) has child {child_key.type}/{child_key.id}, "
                "which is not in the structure"
            )
        if child_key in on_path:
            raise MongoCourseError(
                f"Course {course_key}: block {child_key.type}/{child_key.id} ({branch}) is its own ancestor"
            )
        if child_key in finished:
            continue
        on_path.add(child_key)
        stack.append((child_key, iter(_children(entries[child_key]))))


def _children(entry: dict[str, Any]) -> list[Any]:
    return (entry.get("fields") or {}).get("children") or []


__all__ = ["BranchBlocks", "SplitCourse", "collections", "read_split_course"]
