"""
Navigating a converted structure: parents, paths to the root, orphans, descendants.

Pure functions over split's in-memory structure (``{'root': BlockKey,
'blocks': {BlockKey: BlockData}}``); nothing here reads storage.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from .enums import DETACHED_XBLOCK_TYPES
from .split_types import BlockKey

ROOT_TYPES = ("course", "library")


def parents_map(structure: dict[str, Any]) -> dict[BlockKey, list[BlockKey]]:
    """``{child: [every parent listing it]}``, parents in structure order."""
    parents: dict[BlockKey, list[BlockKey]] = defaultdict(list)
    for parent_key, block in structure["blocks"].items():
        for child in block.fields.get("children", []):
            parents[BlockKey(*child)].append(parent_key)
    return parents


def anchored_blocks(structure: dict[str, Any]) -> set[BlockKey]:
    """
    Every block with a path to the root: split's ``has_path_to_root`` for all blocks at once.

    Split walks parents upwards until it meets a parentless course/library block;
    here the same set is found downwards, from every parentless course/library
    block through children, once per structure. Unlike split's recursion this
    also terminates on cyclic data.
    """
    blocks = structure["blocks"]
    listed = {BlockKey(*c) for block in blocks.values() for c in block.fields.get("children", [])}
    todo = [key for key in blocks if key.type in ROOT_TYPES and key not in listed]
    seen: set[BlockKey] = set()
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        if key in blocks:
            todo.extend(BlockKey(*c) for c in blocks[key].fields.get("children", []))
    return seen


def parent_with_path_to_root(structure: dict[str, Any], block_key: BlockKey) -> BlockKey | None:
    """Split's parent: the alphabetically least (type, id) parent that has a path to the root."""
    return parents_with_path_to_root(structure).get(block_key)


def parents_with_path_to_root(structure: dict[str, Any]) -> dict[BlockKey, BlockKey]:
    """
    :func:`parent_with_path_to_root` of every block that has such a parent, in one pass over the structure.

    Finding one block's parent already costs a walk of the whole structure (as
    in split, which scans every block for ``children`` containing it), so a
    caller asking for many blocks of one structure builds this map once.
    """
    anchored = anchored_blocks(structure)
    parents: dict[BlockKey, BlockKey] = {}
    for parent_key, block in structure["blocks"].items():
        if parent_key not in anchored:
            continue
        for child in block.fields.get("children", []):
            child_key = BlockKey(*child)
            current = parents.get(child_key)
            if current is None or (parent_key.type, parent_key.id) < (current.type, current.id):
                parents[child_key] = parent_key
    return parents


def orphans(structure: dict[str, Any]) -> list[BlockKey]:
    """Blocks that are not the root, nobody's child, and not of a detached type."""
    keys = set(structure["blocks"]) - {structure["root"]}
    for block_key, block in structure["blocks"].items():
        keys.difference_update(BlockKey(*child) for child in block.fields.get("children", []))
        if block.block_type in DETACHED_XBLOCK_TYPES:
            keys.discard(block_key)
    return sorted(keys)


def descendants(structure: dict[str, Any], roots: list[BlockKey], depth: int | None) -> list[BlockKey]:
    """``roots`` and their descendants to ``depth`` (0: roots only, None: all), present blocks only, no repeats."""
    blocks = structure["blocks"]
    seen: dict[BlockKey, None] = {}
    level = [k for k in roots if k in blocks]
    remaining = depth
    while level:
        next_level = []
        for key in level:
            if key in seen:
                continue
            seen[key] = None
            if remaining is None or remaining > 0:
                kids = (BlockKey(*c) for c in blocks[key].fields.get("children", []))
                next_level.extend(k for k in kids if k in blocks)
        level = next_level
        if remaining is not None:
            remaining -= 1
    return list(seen)


__all__ = [
    "anchored_blocks",
    "descendants",
    "orphans",
    "parent_with_path_to_root",
    "parents_map",
    "parents_with_path_to_root",
]
