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


def has_path_to_root(
    block_key: BlockKey,
    parents: dict[BlockKey, list[BlockKey]],
    path_cache: dict[BlockKey, bool] | None = None,
    _visiting: frozenset = frozenset(),
) -> bool:
    """Whether ``block_key`` reaches a parentless course/library block through its parents."""
    if path_cache is not None and block_key in path_cache:
        return path_cache[block_key]
    own_parents = parents.get(block_key, [])
    if not own_parents and block_key.type in ROOT_TYPES:
        result = True
    else:
        visiting = _visiting | {block_key}  # a cycle is no path (split would recurse forever)
        result = any(
            has_path_to_root(parent, parents, path_cache, visiting) for parent in own_parents if parent not in visiting
        )
    if path_cache is not None:
        path_cache[block_key] = result
    return result


def parent_with_path_to_root(structure: dict[str, Any], block_key: BlockKey) -> BlockKey | None:
    """Split's parent: the alphabetically least (type, id) parent that has a path to the root."""
    parents = parents_map(structure)
    candidates = [p for p in parents.get(block_key, []) if has_path_to_root(p, parents, {})]
    return min(candidates, key=lambda p: (p.type, p.id)) if candidates else None


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


__all__ = ["descendants", "has_path_to_root", "orphans", "parent_with_path_to_root", "parents_map"]
