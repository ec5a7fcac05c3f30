"""
Split's in-memory shapes: ``BlockKey``, ``BlockData``, ``EditInfo`` and the structure conversions.

A structure on disk (Mongo's ``structures`` collection, or our ``CompiledStructure.data``)
keeps ``blocks`` as a list of block entries. Every reader works on the converted form
split builds with ``structure_from_mongo``:

* ``root`` is a :class:`BlockKey`;
* ``blocks`` is ``{BlockKey: BlockData}``;
* each block's ``fields['children']`` is a list of :class:`BlockKey`;
* nothing else is converted (other reference fields stay ``[type, id]`` pairs).

The classes below keep split's attribute names and ``to_storable()`` /
``from_storable()`` semantics, so a backend written against these shapes plugs
into any store that expects split's.

Where edx-platform's split is loaded (``xmodule.modulestore`` in ``sys.modules``: inside edx-platform, or
a test running its snapshot), structures are built from split's own types, because split checks them
with ``isinstance``: keys are split's ``BlockKey`` and blocks a :class:`BlockData` that is also split's
``BlockData`` (:func:`block_data_class`). Elsewhere the project's own classes serve, with nothing of
edx-platform imported.

Split changes the structures it reads in place (``cache_items(lazy=False)`` merges definition fields
into ``BlockData.fields``; ``convert_references_to_keys`` rewrites reference dicts), because its own
backend unpickles a fresh structure on every call. :func:`private_copy` gives such a caller a structure
of its own at a fraction of that cost: new block objects and new field dicts over the shared immutable
leaves (ADR 0019).
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from lc_modulestore.api import BlockKey

_EDIT_INFO_KEYS = (
    "previous_version",
    "update_version",
    "source_version",
    "edited_on",
    "edited_by",
    "original_usage",
    "original_usage_version",
)


class EditInfo:
    """
    Who last changed a block, and in which structure (split's ``EditInfo``).

    ``update_version`` is the structure where the block got its current values;
    ``source_version`` is the draft structure a published block was published
    from (``has_changes`` compares them); ``original_usage`` and
    ``original_usage_version`` point at a library block this one was copied from.
    """

    def __init__(self, **kwargs: Any) -> None:
        self.from_storable(kwargs)
        self._subtree_edited_on = kwargs.get("_subtree_edited_on")
        self._subtree_edited_by = kwargs.get("_subtree_edited_by")

    def to_storable(self) -> dict[str, Any]:
        """The dict split stores under a block's ``edit_info``."""
        return {name: getattr(self, name) for name in _EDIT_INFO_KEYS}

    def from_storable(self, edit_info: dict[str, Any]) -> None:
        """Set every attribute from a stored ``edit_info`` dict (absent keys become None)."""
        for name in _EDIT_INFO_KEYS:
            setattr(self, name, edit_info.get(name))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EditInfo) and self.to_storable() == other.to_storable()

    __hash__ = None  # type: ignore[assignment]  # mutable, like split's

    def __repr__(self) -> str:
        items = ", ".join(f"{name}={getattr(self, name)!r}" for name in _EDIT_INFO_KEYS)
        return f"EditInfo({items})"


class BlockData:
    """
    One block of a structure (split's ``BlockData``).

    ``fields`` holds the explicitly set Scope.settings values plus ``children``;
    ``definition`` is the id of the definition holding the Scope.content values;
    ``defaults`` are template defaults (library copies); ``definition_loaded``
    is in-memory only and says whether the definition's fields were merged into
    ``fields`` (bulk loading with ``lazy=False``).
    """

    def __init__(self, **kwargs: Any) -> None:
        self.definition_loaded = False
        self.from_storable(kwargs)

    @property
    def edit_info(self) -> EditInfo:
        """The block's :class:`EditInfo`; one left as stored (:meth:`defer_edit_info`) is decoded on first read."""
        info = self._edit_info
        if info is None:  # two threads at once may both decode it: equal values, the last one kept
            load = self._edit_info_loader
            info = self._edit_info = EditInfo(**(load() if load is not None else {}))
        return info

    @edit_info.setter
    def edit_info(self, value: EditInfo) -> None:
        self._edit_info, self._edit_info_loader = value, None

    def defer_edit_info(self, load: Callable[[], dict[str, Any]]) -> None:
        """
        Take ``edit_info`` from ``load()`` when it is first read, for a block built from an entry without it.

        A category read builds thousands of blocks whose edit info nobody reads; its ObjectIds and dates were
        two thirds of decoding each entry. The value read is the same either way.
        """
        self._edit_info, self._edit_info_loader = None, load

    def __getstate__(self) -> dict[str, Any]:
        # pickled (the shared structure cache) and deep-copied with its edit info, never with a loader
        state = dict(self.__dict__)
        state["_edit_info"], state["_edit_info_loader"] = self.edit_info, None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        if "edit_info" in state:  # pickled before edit info could be deferred
            state["_edit_info"] = state.pop("edit_info")
        state.setdefault("_edit_info_loader", None)
        self.__dict__.update(state)

    def to_storable(self) -> dict[str, Any]:
        """The block entry as split stores it (without ``block_id``, which is the dict key)."""
        return {
            "fields": self.fields,
            "block_type": self.block_type,
            "definition": self.definition,
            "defaults": self.defaults,
            "asides": self.asides,
            "edit_info": self.edit_info.to_storable(),
        }

    def from_storable(self, block_data: dict[str, Any]) -> None:
        """Set every attribute from a stored block entry."""
        self.fields: dict[str, Any] = block_data.get("fields", {})
        self.block_type: str | None = block_data.get("block_type")
        self.definition = block_data.get("definition")
        self.defaults: dict[str, Any] = block_data.get("defaults", {})
        self.asides = block_data.get("asides", {})
        edit_info = block_data.get("edit_info")
        self._edit_info: EditInfo | None = EditInfo(**edit_info) if edit_info is not None else None
        self._edit_info_loader: Callable[[], dict[str, Any]] | None = None

    def __eq__(self, other: object) -> bool:
        attrs = ("fields", "block_type", "definition", "defaults", "asides", "edit_info")
        return isinstance(other, BlockData) and all(getattr(self, a) == getattr(other, a) for a in attrs)

    __hash__ = None  # type: ignore[assignment]

    def get_asides(self) -> Any:
        """The block's asides (split's ``BlockData.get_asides``: an entry cached without them has none)."""
        if not hasattr(self, "asides"):
            self.asides = {}
        return self.asides

    def __repr__(self) -> str:
        return (
            f"BlockData(block_type={self.block_type!r}, definition={self.definition!r}, "
            f"definition_loaded={self.definition_loaded}, fields={self.fields!r}, defaults={self.defaults!r}, "
            f"asides={self.asides!r}, edit_info={self.edit_info!r})"
        )


_SPLIT_CLASSES: dict[str, Any] = {}


def _split_module() -> Any:
    """edx-platform's ``xmodule.modulestore`` if this process loaded it, else None (never imported from here)."""
    return sys.modules.get("xmodule.modulestore")


def block_key_class() -> type:
    """
    The project's ``BlockKey``, or where split is loaded a subclass of split's own ``BlockKey`` and of it.

    Split checks ``isinstance`` against its class, the shim against the project's: both hold. Both are
    ``(type, id)`` named tuples, so equality and hashing stay the tuple's. Pickles by name, like
    ``SplitBlockData``.
    """
    keys = sys.modules.get("xmodule.util.keys") if _split_module() is not None else None
    if keys is None:
        return BlockKey
    cls = _SPLIT_CLASSES.get("SplitBlockKey")
    if cls is None or cls.__mro__[1] is not keys.BlockKey:
        cls = type(
            "SplitBlockKey",
            (keys.BlockKey, BlockKey),
            {"__module__": __name__, "__slots__": (), "__doc__": "A key that is both split's and the project's."},
        )
        _SPLIT_CLASSES["SplitBlockKey"] = cls
    return cls


def block_data_class() -> type[BlockData]:
    """
    :class:`BlockData`, or where split is loaded a subclass of it and of split's ``BlockData``.

    Both ``isinstance`` checks then hold: split's ``_block_matches`` and the shim's ``block_matches``.
    The class is built once per process and pickles by name (``shim.split_types.SplitBlockData``).
    """
    split = _split_module()
    if split is None:
        return BlockData
    cls = _SPLIT_CLASSES.get("SplitBlockData")
    if cls is None or cls.__mro__[2] is not split.BlockData:
        cls = type(
            "SplitBlockData",
            (BlockData, split.BlockData),
            {"__module__": __name__, "__doc__": "A block that is both the project's and split's BlockData."},
        )
        _SPLIT_CLASSES["SplitBlockData"] = cls
    return cls


def __getattr__(name: str) -> Any:
    # Unpickling a cached structure names its block class: resolve it as the running process builds it.
    if name in ("SplitBlockData", "SplitBlockKey"):
        cls = block_data_class() if name == "SplitBlockData" else block_key_class()
        if cls in (BlockData, BlockKey):
            raise AttributeError(f"{name} exists only where edx-platform's split is loaded")
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def private_copy(structure: dict[str, Any]) -> dict[str, Any]:
    """
    A structure its caller may change in place without another request seeing it.

    New structure and ``blocks`` dicts, a new block object per block (``definition_loaded`` reset on it
    alone), new ``fields`` / ``defaults`` dicts and a new dict for every dict-valued field (what
    ``convert_references_to_keys`` rewrites). Keys, strings, numbers, ``edit_info`` and lists are shared:
    split's read path only replaces them, never changes them (its writes are refused before they start).
    """
    blocks, new = {}, object.__new__
    # Split copies every block of every structure it reads this way: 10k blocks per cold read of a large course,
    # so the loop is kept flat (no call per field; most blocks have no defaults).
    for key, block in structure["blocks"].items():
        copy = new(type(block))
        attrs = copy.__dict__
        attrs.update(block.__dict__)
        attrs["fields"] = {name: dict(value) if type(value) is dict else value for name, value in block.fields.items()}
        defaults = block.defaults
        attrs["defaults"] = {
            name: dict(value) if type(value) is dict else value for name, value in defaults.items()
        } if defaults else {}
        blocks[key] = copy
    copied = dict(structure)
    copied["blocks"] = blocks
    return copied


def structure_from_mongo(document: dict[str, Any]) -> dict[str, Any]:
    """
    Convert an on-disk structure document to split's in-memory form (in place, and returned).

    ``root`` becomes a BlockKey, ``blocks`` a ``{BlockKey: BlockData}`` dict,
    each ``fields['children']`` a list of BlockKey; ``block_id`` is popped from
    each entry. Nothing else is touched. The classes are split's where split is loaded
    (:func:`block_key_class`, :func:`block_data_class`).
    """
    key_class, data_class = block_key_class(), block_data_class()
    document["root"] = key_class(*document["root"])
    blocks: dict[BlockKey, BlockData] = {}
    for entry in document["blocks"]:
        fields = entry.setdefault("fields", {})
        if "children" in fields:
            fields["children"] = [key_class(*child) for child in fields["children"]]
        block_id = entry.pop("block_id")
        blocks[key_class(entry["block_type"], block_id)] = data_class(**entry)
    document["blocks"] = blocks
    return document


def structure_to_mongo(structure: dict[str, Any]) -> dict[str, Any]:
    """
    The on-disk document of an in-memory structure (a new dict; ``structure`` is not changed).

    ``blocks`` becomes a list of entries with ``block_type``/``block_id``.
    ``root`` and children stay BlockKeys (tuples), which BSON encodes as arrays,
    exactly as split writes them.
    """
    document = dict(structure)
    document["blocks"] = []
    for block_key, block in structure["blocks"].items():
        entry = dict(block.to_storable())
        entry.setdefault("block_type", block_key.type)
        if entry["block_type"] is None:
            entry["block_type"] = block_key.type
        entry["block_id"] = block_key.id
        document["blocks"].append(entry)
    return document


__all__ = [
    "BlockData",
    "BlockKey",
    "EditInfo",
    "block_data_class",
    "block_key_class",
    "private_copy",
    "structure_from_mongo",
    "structure_to_mongo",
]
