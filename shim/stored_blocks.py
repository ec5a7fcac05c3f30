"""
A compiled structure's ``blocks``, decoded block by block as they are read.

A structure of 10k blocks decodes into 10k ``BlockData`` in about a fifth of a second, and that is the whole
cost of a cold point read (``get_item``, ``has_item``, ``path_to_location``) when everything is decoded up
front: edx-platform's split pays it on every structure its backend hands out. :class:`StoredBlocks` is the
``{BlockKey: BlockData}`` mapping split's readers expect, kept as the stored BSON:

* keys (and so ``in``, ``len`` and iteration) come from the codec's checked scan of the entries' leading
  ``block_type``/``block_id`` (:class:`lc_modulestore.api.LazyStructure`), without decoding any entry;
* ``blocks[key]`` decodes that entry alone, once;
* :meth:`StoredBlocks.children` gives every block's children by decoding only the entries whose bytes
  hold a ``children`` array, which is what parents, paths to the root and orphans need;
* ``items()`` / ``values()`` decode everything still undecoded in one pass over the array.

Decoded blocks are remembered and shared, as decoded structures always were here: readers must not change
them (``private_copy`` serves those that do). Decoding twice in two threads at once only builds the same
block twice; the first one stored wins.

A course's next structure (a publish) stores most entries byte for byte as the one before (the compiler
splices unchanged entries, ADR 0014). Given that previous structure, a block whose stored bytes are the
previous one's reuses its decoded ``BlockData`` instead of decoding it again: after a leaf edit, the first
full read of the new structure decodes the changed entries only. Only the previous structure's bytes and
decoded blocks are kept (never its own predecessor), and only until this one is fully decoded.
"""
from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

from lc_modulestore.api import LazyStructure
from shim.split_types import BlockData, BlockKey, block_data_class, block_key_class

_CHILDREN_ARRAY = b"\x04children\x00"
#: Blocks whose parents a structure finds by byte search before it builds the whole children map instead.
SEARCHED_PARENTS = 16


def _child_bytes(key: BlockKey) -> bytes:
    """A ``[type, id]`` pair as BSON stores it inside an array, after the element's name and size."""
    block_type, block_id = key.type.encode(), key.id.encode()
    return (b"\x020\x00" + struct.pack("<i", len(block_type) + 1) + block_type + b"\x00\x021\x00"
            + struct.pack("<i", len(block_id) + 1) + block_id + b"\x00\x00")


class StoredBlocks(Mapping):
    """``{BlockKey: BlockData}`` over a stored structure's entries (see the module docstring)."""

    def __init__(self, stored: LazyStructure, *, previous: StoredBlocks | None = None) -> None:
        self._stored = stored
        # the previous structure's stored entries and decoded blocks (not the object: no chain of predecessors)
        self._previous: tuple[LazyStructure, dict[BlockKey, BlockData]] | None = (
            (previous._stored, previous._decoded) if previous is not None and previous._decoded else None
        )
        self._key_class = block_key_class()
        self._data_class = block_data_class()
        self._key_list: list[BlockKey] | None = None  # built on first iteration: point reads never need it
        self._decoded: dict[BlockKey, BlockData] = {}
        self._children: dict[BlockKey, list[BlockKey]] | None = None
        self._searched: dict[BlockKey, list[BlockKey]] = {}
        self._searcher: int | None = None  # the one reader (a runtime's number) byte searches are done for
        self._complete = False
        #: What readers derive from these blocks (children lists, parents, usage keys: ``shim.outline``), kept
        #: here so that it lives exactly as long as the blocks do and is never computed twice for them.
        self.derived: dict[str, Any] = {}

    @property
    def _keys(self) -> list[BlockKey]:
        if self._key_list is None:
            key_class = self._key_class
            self._key_list = [key_class(block_type, block_id) for block_type, block_id in self._stored.keys]
        return self._key_list

    # -- Mapping -------------------------------------------------------------------------------------------------
    def __getitem__(self, key: BlockKey) -> BlockData:
        block = self._decoded.get(key)
        if block is None:
            position = self._stored.position(key)  # KeyError for a key the structure lacks, as a dict would raise
            block = self._reused(key, position) or self._block_at(position)
            block = self._decoded.setdefault(key, block)
        return block

    def get(self, key: BlockKey, default: Any = None) -> Any:  # Mapping's, without its extra call and try per read
        block = self._decoded.get(key)
        if block is not None:
            return block
        return self[key] if key in self._stored else default

    def __contains__(self, key: object) -> bool:
        return key in self._stored  # keys are (type, id) tuples: a BlockKey hashes and compares as one

    def __iter__(self) -> Iterator[BlockKey]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._stored)

    def items(self):  # type: ignore[override]
        self._decode_everything()
        decoded = self._decoded
        return [(key, decoded[key]) for key in self._keys]

    def values(self):  # type: ignore[override]
        self._decode_everything()
        decoded = self._decoded
        return [decoded[key] for key in self._keys]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return len(self) == len(other) and dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"StoredBlocks({len(self)} blocks, {len(self._decoded)} decoded)"

    def __reduce__(self):
        # Pickled (the shared structure cache) as the plain dict every reader accepts.
        return (dict, (self.items(),))

    # -- what is cheaper than decoding everything --------------------------------------------------------------
    def children(self) -> dict[BlockKey, list[BlockKey]]:
        """
        ``{parent: its children}`` for every block with a ``children`` field, in structure order.

        Only entries whose bytes hold a ``children`` array are looked at, and of those only the array is decoded
        (:meth:`LazyStructure.children_at`): the parents are not decoded as blocks for it.
        """
        if self._children is None:
            key_class, stored, decoded = self._key_class, self._stored, self._decoded
            found: dict[BlockKey, list[BlockKey]] = {}
            positions = range(len(stored)) if self._complete else stored.positions_containing(_CHILDREN_ARRAY)
            for position in positions:
                key = key_class(*stored.key_at(position))
                block = decoded.get(key)
                kids = block.fields.get("children") if block is not None else stored.children_at(position)
                if kids is not None:
                    found[key] = [kid if isinstance(kid, key_class) else key_class(*kid) for kid in kids]
            self._children = found
        return self._children

    def search_parents(self, key: BlockKey, *, reader: int) -> list[BlockKey] | None:
        """
        The blocks listing ``key`` as a child, in structure order, found by searching the stored bytes for it;
        None once :meth:`children` is cheaper: it is built, :data:`SEARCHED_PARENTS` blocks were searched, or a
        second ``reader`` (another request's runtime) asks, so the structure is warm and the map pays off.

        A cold point read needs the parents of a block and its few ancestors: one byte search each (the child's
        ``[type, id]`` as a children array stores it), each hit checked against that entry's children, instead
        of decoding every parent's children for the whole map.
        """
        if self._searcher is None:
            self._searcher = reader
        if self._children is not None or len(self._searched) >= SEARCHED_PARENTS or reader != self._searcher:
            return None
        found = self._searched.get(key)
        if found is None:
            wanted = [key.type, key.id]
            found = [
                self._key_class(*self._stored.key_at(position))
                for position in self._stored.positions_containing(_child_bytes(key))
                if any(list(child) == wanted for child in self._stored.children_at(position) or ())
            ]
            self._searched[key] = found
        return found

    def keys_of_types(self, accepts: Callable[[str], bool]) -> list[BlockKey]:
        """
        Keys, in stored order, of the blocks whose type ``accepts`` (asked once per type: a course has a handful).

        Only those keys are built as ``BlockKey``: a category read of a 10k course builds a few thousand, not 10k.
        """
        if self._key_list is not None:
            return keys_of_types(self._key_list, accepts)
        stored = self._stored.keys
        verdicts = {block_type: accepts(block_type) for block_type in {block_type for block_type, _id in stored}}
        key_class = self._key_class
        return [key_class(block_type, block_id) for block_type, block_id in stored if verdicts[block_type]]

    @property
    def decoded_count(self) -> int:
        """How many blocks are decoded so far (tests and benchmarks)."""
        return len(self._decoded)

    # -- decoding ---------------------------------------------------------------------------------------------
    def _block(self, entry: dict[str, Any]) -> BlockData:
        """Split's in-memory block for one stored entry (``structure_from_mongo``'s conversion of it)."""
        fields = entry.setdefault("fields", {})
        if "children" in fields:
            key_class = self._key_class
            fields["children"] = [key_class(*child) for child in fields["children"]]
        entry.pop("block_id", None)
        return self._data_class(**entry)

    def _block_at(self, position: int) -> BlockData:
        """The block stored at ``position``, its ``edit_info`` left as bytes until it is read."""
        stored = self._stored
        entry, edit_info = stored.decode_at_deferring(position, "edit_info")
        block = self._block(entry)
        if edit_info is not None:
            block.defer_edit_info(partial(stored.decode_document, edit_info, position, "edit_info"))
        return block

    def _reused(self, key: BlockKey, position: int) -> BlockData | None:
        """The previous structure's decoded block for ``key`` if its stored bytes are exactly these, else None."""
        if self._previous is None:
            return None
        stored, decoded = self._previous
        block = decoded.get(key)
        if block is None or key not in stored:
            return None
        return block if stored.entry_bytes(stored.position(key)) == self._stored.entry_bytes(position) else None

    def _decode_everything(self) -> None:
        if self._complete:
            return
        decoded = self._decoded
        if len(decoded) < len(self._keys):
            if self._previous is not None and 2 * len(self._previous[1]) > len(self._keys):
                # most blocks were decoded before: reuse what is unchanged, decode the rest one by one
                for position, key in enumerate(self._keys):
                    if key not in decoded:
                        block = self._reused(key, position) or self._block(self._stored.decode_at(position))
                        decoded.setdefault(key, block)
            else:
                for key, entry in zip(self._keys, self._stored.decode_all(), strict=True):
                    if key not in decoded:
                        decoded.setdefault(key, self._block(entry))
        self._complete = True
        self._previous = None  # nothing more to take from it


def structure_from_stored(stored: LazyStructure, *, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """
    A stored structure in split's in-memory form, its ``blocks`` a :class:`StoredBlocks` (nothing decoded yet).

    ``previous``: the same course's structure read before this one, whose unchanged blocks are reused.
    """
    structure = stored.top_level()
    structure["root"] = block_key_class()(*structure["root"])
    before = previous["blocks"] if previous is not None else None
    structure["blocks"] = StoredBlocks(stored, previous=before if isinstance(before, StoredBlocks) else None)
    return structure


def children_map(blocks: Mapping[BlockKey, BlockData]) -> dict[BlockKey, list[BlockKey]]:
    """``{parent: its children as BlockKeys}`` of any ``blocks`` mapping: stored ones decode only the arrays."""
    if isinstance(blocks, StoredBlocks):
        return blocks.children()
    return {
        key: [child if isinstance(child, BlockKey) else BlockKey(*child) for child in block.fields["children"]]
        for key, block in blocks.items()
        if "children" in block.fields
    }


def keys_of_types(blocks: Mapping[BlockKey, BlockData], accepts: Callable[[str], bool]) -> list[BlockKey]:
    """Keys of ``blocks`` whose type ``accepts``, in iteration order; stored ones build only those keys."""
    if isinstance(blocks, StoredBlocks):
        return blocks.keys_of_types(accepts)
    keys = list(blocks)
    verdicts = {block_type: accepts(block_type) for block_type in {key.type for key in keys}}
    return [key for key in keys if verdicts[key.type]]


def search_parents(blocks: Mapping[BlockKey, BlockData], key: BlockKey, *, reader: int) -> list[BlockKey] | None:
    """:meth:`StoredBlocks.search_parents` for stored blocks; None (build the map) for any other mapping."""
    return blocks.search_parents(key, reader=reader) if isinstance(blocks, StoredBlocks) else None


__all__ = [
    "SEARCHED_PARENTS", "StoredBlocks", "children_map", "keys_of_types", "search_parents", "structure_from_stored",
]
