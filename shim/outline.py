"""
Navigating a converted structure: parents, paths to the root, orphans, descendants.

Pure functions over split's in-memory structure (``{'root': BlockKey,
'blocks': {BlockKey: BlockData}}``); nothing here reads storage. Everything is derived from one
``{parent: children}`` map per structure (:func:`child_lists`), so a stored structure
(:class:`shim.stored_blocks.StoredBlocks`) decodes only its parents for any of it, never its leaves.
"""
from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from shim.enums import DETACHED_XBLOCK_TYPES
from shim.split_types import BlockKey
from shim.stored_blocks import StoredBlocks, children_map

ROOT_TYPES = ("course", "library")

T = TypeVar("T")
#: Structures are immutable once compiled, so what is derived from one holds as long as the structure lives.
#: A stored structure's blocks (:class:`StoredBlocks`) carry it themselves (``derived``), so it dies with
#: them: nothing read from a structure outlives the caches that hold it. Plain ``{BlockKey: BlockData}``
#: dicts (the Mongo backend's structures, private copies) cannot carry attributes: theirs is kept here,
#: keyed by id() with the structure itself in the value (an id is not reused while the object lives), for
#: a few structures only, since each entry keeps its structure alive.
_DERIVED: OrderedDict[int, tuple[dict[str, Any], dict[str, Any]]] = OrderedDict()
_DERIVED_MAX = 8
_DERIVED_LOCK = threading.Lock()


def _derived(structure: dict[str, Any]) -> dict[str, Any]:
    """The ``{name: value}`` derived from ``structure`` so far (see :data:`_DERIVED`)."""
    blocks = structure["blocks"]
    if isinstance(blocks, StoredBlocks):
        return blocks.derived
    with _DERIVED_LOCK:
        hit = _DERIVED.get(id(structure))
        if hit is None or hit[0] is not structure:
            hit = _DERIVED[id(structure)] = (structure, {})
        _DERIVED.move_to_end(id(structure))
        while len(_DERIVED) > _DERIVED_MAX:
            _DERIVED.popitem(last=False)
    return hit[1]


def _per_structure(structure: dict[str, Any], name: str, compute: Callable[[dict[str, Any]], T]) -> T:
    """``compute(structure)`` once per structure object (a warm ``path_to_location`` is then O(depth))."""
    derived = _derived(structure)
    try:
        return derived[name]
    except KeyError:
        pass
    # two threads may compute the same value at once: the first one stored is the one everybody gets
    return derived.setdefault(name, compute(structure))


def shared_memo(structure: dict[str, Any], name: str) -> dict[Any, Any]:
    """
    A dict that lives as long as ``structure`` (per name), for values derived from it and immutable.

    Runtimes of one structure (one per request) keep here what each would otherwise build again: usage keys,
    definition locators, the blocks whose settings were checked. Only immutable values may go in.
    """
    return _per_structure(structure, f"memo {name}", lambda _structure: {})


def child_lists(structure: dict[str, Any]) -> dict[BlockKey, list[BlockKey]]:
    """``{parent: [its children]}`` for every block listing children, in structure order (once per structure)."""
    return _per_structure(structure, "children", _child_lists)


def _child_lists(structure: dict[str, Any]) -> dict[BlockKey, list[BlockKey]]:
    return children_map(structure["blocks"])


def parents_map(structure: dict[str, Any]) -> dict[BlockKey, list[BlockKey]]:
    """``{child: [every parent listing it]}``, parents in structure order (computed once per structure)."""
    return _per_structure(structure, "parents", _parents_map)


def _parents_map(structure: dict[str, Any]) -> dict[BlockKey, list[BlockKey]]:
    parents: dict[BlockKey, list[BlockKey]] = defaultdict(list)
    for parent_key, children in child_lists(structure).items():
        for child in children:
            parents[child].append(parent_key)
    return dict(parents)


def last_parents(structure: dict[str, Any]) -> dict[BlockKey, BlockKey]:
    """``{child: the last block in structure order listing it}``: ``get_parent()``'s parent (once per structure)."""
    return _per_structure(structure, "last parent", _last_parents)


def _last_parents(structure: dict[str, Any]) -> dict[BlockKey, BlockKey]:
    return {child: parent for parent, children in child_lists(structure).items() for child in children}


def anchored_blocks(structure: dict[str, Any]) -> frozenset[BlockKey]:
    """Every block with a path to the root (computed once per structure): see :func:`_anchored_blocks`."""
    return _per_structure(structure, "anchored", _anchored_blocks)


def _anchored_blocks(structure: dict[str, Any]) -> frozenset[BlockKey]:
    """
    Every block with a path to the root: split's ``has_path_to_root`` for all blocks at once.

    Split walks parents upwards until it meets a parentless course/library block;
    here the same set is found downwards, from every parentless course/library
    block through children, once per structure. Unlike split's recursion this
    also terminates on cyclic data.
    """
    blocks, children = structure["blocks"], child_lists(structure)
    listed = {child for kids in children.values() for child in kids}
    todo = [key for key in blocks if key.type in ROOT_TYPES and key not in listed]
    seen: set[BlockKey] = set()
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        if key in blocks:
            todo.extend(children.get(key, ()))
    return frozenset(seen)


def parent_with_path_to_root(structure: dict[str, Any], block_key: BlockKey) -> BlockKey | None:
    """Split's parent: the alphabetically least (type, id) parent that has a path to the root."""
    return parents_with_path_to_root(structure).get(block_key)


def parents_with_path_to_root(structure: dict[str, Any]) -> dict[BlockKey, BlockKey]:
    """
    :func:`parent_with_path_to_root` of every block that has such a parent, in one pass over the structure.

    Finding one block's parent already costs a walk of the whole structure (as
    in split, which scans every block for ``children`` containing it), so the
    map is built once per structure object.
    """
    return _per_structure(structure, "parent", _parents_with_path_to_root)


def _parents_with_path_to_root(structure: dict[str, Any]) -> dict[BlockKey, BlockKey]:
    anchored = anchored_blocks(structure)
    parents: dict[BlockKey, BlockKey] = {}
    for parent_key, children in child_lists(structure).items():
        if parent_key not in anchored:
            continue
        for child_key in children:
            current = parents.get(child_key)
            if current is None or (parent_key.type, parent_key.id) < (current.type, current.id):
                parents[child_key] = parent_key
    return parents


def orphans(structure: dict[str, Any]) -> list[BlockKey]:
    """Blocks that are not the root, nobody's child, and not of a detached type."""
    keys = {key for key in structure["blocks"] if key.type not in DETACHED_XBLOCK_TYPES}
    keys.discard(structure["root"])
    for children in child_lists(structure).values():
        keys.difference_update(children)
    return sorted(keys)


def descendants(structure: dict[str, Any], roots: list[BlockKey], depth: int | None) -> list[BlockKey]:
    """``roots`` and their descendants to ``depth`` (0: roots only, None: all), present blocks only, no repeats."""
    blocks = structure["blocks"]
    children = child_lists(structure) if depth != 0 else {}  # depth 0: the roots only, no map needed
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
                next_level.extend(k for k in children.get(key, ()) if k in blocks)
        level = next_level
        if remaining is not None:
            remaining -= 1
    return list(seen)


def preorder(structure: dict[str, Any], roots: list[BlockKey], depth: int | None) -> list[BlockKey]:
    """
    :func:`descendants`, depth first (each block, then its children's subtrees, in children order).

    The order an LMS traversal reads blocks in (``get_children`` recursively, as
    block structures collect them), so a window of this list holds what the
    traversal reads next.
    """
    blocks = structure["blocks"]
    children = child_lists(structure) if depth != 0 else {}  # depth 0: the roots only, no map needed
    seen: dict[BlockKey, None] = {}
    todo = [(k, depth) for k in reversed(roots) if k in blocks]
    while todo:
        key, remaining = todo.pop()
        if key in seen:
            continue
        seen[key] = None
        if remaining is None or remaining > 0:
            below = None if remaining is None else remaining - 1
            kids = children.get(key, ())
            todo.extend((k, below) for k in reversed(kids) if k in blocks and k not in seen)
    return list(seen)


__all__ = [
    "anchored_blocks",
    "child_lists",
    "last_parents",
    "descendants",
    "preorder",
    "orphans",
    "parent_with_path_to_root",
    "parents_map",
    "parents_with_path_to_root",
    "shared_memo",
]
