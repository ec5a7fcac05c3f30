"""
How compiled documents are stored: BSON, zlib-compressed for structures, each with a checksum.

BSON keeps split's types (ObjectId, datetime) exactly, so a document read back is
the document compiled. The compression is split's own choice for its structure cache,
a zlib stream at level 1: fast to inflate, several times smaller. The stream is written
by ISA-L (``isal``, ADR 0016), five times faster than zlib's own level 1 and a little
smaller; any zlib reads it, and ISA-L reads it here too (twice as fast as zlib).
The checksum covers the stored bytes of structures and definitions alike, so a corrupted
row is refused before it is decoded.
"""
from __future__ import annotations

import bisect
import datetime
import hashlib
import operator
import re
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, repeat
from typing import Any

import bson
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from isal import isal_zlib

from lc_modulestore.compiled.entry_index import encode_entry_index, read_entry_index
from lc_modulestore.core.errors import LcModulestoreError
from lc_modulestore.core.extended_json import BSON_CODEC_OPTIONS

ZLIB_LEVEL = 1  # ISA-L's levels are 0–3; 1 is its fast level with zlib level 1's ratio


class CorruptDocumentError(LcModulestoreError):
    """A stored document whose bytes do not match its checksum or do not decode."""


@dataclass(frozen=True)
class EncodedDocument:
    data: bytes
    checksum: str
    raw_size: int
    #: every entry's key and offset (:mod:`lc_modulestore.compiled.entry_index`), None when none can be written
    entry_index: bytes | None = None


def checksum(data: bytes) -> str:
    """blake2b-256 hex digest of stored bytes."""
    return hashlib.blake2b(data, digest_size=32).hexdigest()


def encode_structure(document: dict[str, Any]) -> EncodedDocument:
    """
    BSON-encode and compress a structure document (split's on-disk form: ``blocks`` is a list).

    ``blocks`` may hold entries of a stored structure (:class:`StoredEntry`, or a whole
    :class:`PatchedBlocks`): their bytes are copied as stored, in runs, giving exactly the bytes
    ``bson.encode`` gives for the same entries decoded.
    """
    blocks = document["blocks"]
    if isinstance(blocks, PatchedBlocks) or any(isinstance(entry, StoredEntry) for entry in blocks):
        raw = _encode_spliced(document)
    else:
        raw = bson.encode(document)
    data = isal_zlib.compress(raw, ZLIB_LEVEL)
    start, end = _blocks_array(raw)
    # A patch knows where its entries went; anything else gets the readers' own proof, run once here, not per read.
    found = _patched_index(blocks, start + 4, end - 1) if isinstance(blocks, PatchedBlocks) else None
    found = found or _scan_entries(raw, start, end)
    index = encode_entry_index(*found) if found is not None else None
    return EncodedDocument(data=data, checksum=checksum(data), raw_size=len(raw), entry_index=index)


def _patched_index(blocks: PatchedBlocks, body: int, closing: int) -> tuple[list[tuple[str, str]], list[int]] | None:
    """
    Keys and element offsets of a patched structure as :func:`_array_elements` writes it: the stored elements'
    sizes, a replaced entry's as encoded. None unless every replaced entry leads with its string key.
    """
    stored = blocks.structure
    if stored._bounds is None:
        return None
    bounds, keys = stored._bounds, list(stored._keys)
    sizes = list(map(operator.sub, bounds[1:], bounds))
    for position, entry in blocks.replaced.items():
        block_type, block_id = entry.get("block_type"), entry.get("block_id")
        if list(entry)[:2] != ["block_type", "block_id"] or not isinstance(block_type, str) \
                or not isinstance(block_id, str):
            return None
        keys[position] = (block_type, block_id)
        sizes[position] = 2 + len(str(position)) + len(_embedded(entry))
    offsets = list(accumulate(sizes, initial=body))
    return (keys, offsets) if offsets[-1] == closing else None


def decode_structure(data: bytes, expected_checksum: str, *, what: str) -> dict[str, Any]:
    """
    Verify and decode a stored structure. ``what`` names it in errors (course key and structure id).
    """
    data = bytes(data)
    if checksum(data) != expected_checksum:
        raise CorruptDocumentError(f"Stored structure of {what} fails its checksum; recompile the course")
    try:
        return bson.decode(isal_zlib.decompress(data), codec_options=BSON_CODEC_OPTIONS)
    except (isal_zlib.error, zlib.error, bson.errors.BSONError) as exc:
        raise CorruptDocumentError(f"Stored structure of {what} does not decode: {exc}") from exc


_RAW_CODEC_OPTIONS = CodecOptions(document_class=RawBSONDocument, tz_aware=True, tzinfo=datetime.timezone.utc)
_TYPE_ELEMENT = b"\x02block_type\x00"
_ID_ELEMENT = b"\x02block_id\x00"
_BLOCKS_ELEMENT = b"\x04blocks\x00"
_INT32 = struct.Struct("<i")
# Value sizes of the fixed-width BSON types, and of those that start with an int32 length (+ extra bytes).
_FIXED_SIZE = {0x01: 8, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16, 0x7F: 0, 0xFF: 0}
_LENGTH_PREFIXED = {0x02: 4, 0x03: 0, 0x04: 0, 0x05: 5, 0x0D: 4, 0x0E: 4}
# An array element as the compiler writes it: "\x03<index>\x00", the entry's int32 size, then its
# block_type and block_id strings (each an int32 length, the text and a NUL) as its first two elements.
_ENTRY_HEAD = re.compile(
    rb"\x03(\d+)\x00(.{4})\x02block_type\x00(.{4})([^\x00]*)\x00\x02block_id\x00(.{4})([^\x00]*)\x00", re.DOTALL
)
_INDEXES: list[bytes] = []  # b"0", b"1", …: array element names, grown on demand


def _array_indexes(count: int) -> list[bytes]:
    while len(_INDEXES) < count:
        _INDEXES.append(str(len(_INDEXES)).encode())
    return _INDEXES[:count]


def _leading_key(raw: bytes) -> tuple[str, str] | None:
    """``(block_type, block_id)`` when they are an entry's first two elements (as the compiler writes them)."""
    if raw[4:16] != _TYPE_ELEMENT:
        return None
    end = 20 + int.from_bytes(raw[16:20], "little")
    if raw[end:end + 10] != _ID_ELEMENT:
        return None
    length = int.from_bytes(raw[end + 10:end + 14], "little")
    return raw[20:end - 1].decode(), raw[end + 14:end + 13 + length].decode()


def _element(raw: bytes, start: int, end: int, name: bytes) -> tuple[int, int, int] | None:
    """
    ``(type, value start, value end)`` of the element ``name`` among the direct elements of the document stored at
    ``raw[start:end]``, walking element sizes (nothing is decoded); None when it has no such element.
    """
    position, stop = start + 4, end - 1
    while position < stop:
        kind = raw[position]
        name_end = raw.index(b"\x00", position + 1)
        value = name_end + 1
        if kind in _FIXED_SIZE:
            size = _FIXED_SIZE[kind]
        elif kind in _LENGTH_PREFIXED:
            size = _INT32.unpack_from(raw, value)[0] + _LENGTH_PREFIXED[kind]
        else:
            raise ValueError(f"unexpected BSON type {kind:#x}")
        if raw[position + 1:name_end] == name:
            return kind, value, value + size
        position = value + size
    return None


def _blocks_array(raw: bytes) -> tuple[int, int]:
    """``(start, end)`` of the top-level ``blocks`` array's bytes (its int32 size … its closing NUL)."""
    if len(raw) < 5 or _INT32.unpack_from(raw)[0] != len(raw) or raw[-1] != 0:
        raise ValueError("the document's size does not match its bytes")
    found = _element(raw, 0, len(raw), b"blocks")
    if found is None or found[0] != 0x04:
        raise ValueError("the structure has no blocks array")
    _kind, start, end = found
    if raw[end - 1] != 0:
        raise ValueError("the blocks array does not end where its size says")
    return start, end


def _scan_entries(raw: bytes, start: int, end: int) -> tuple[list[tuple[str, str]], list[int]] | None:
    """
    Every entry's key and the array elements' offsets, from one regex pass over the array; None unless that
    pass provably found exactly the array's elements (the caller then decodes the array instead).

    Proof: each ``block_type`` element in the array is counted, and there are as many as matches, so each
    match's own is one of them and no other is left over. A match fixes its start (``\x03`` digits ``\x00``
    and four size bytes right before the ``block_type`` element), so every real element written key first
    is found where it starts. An extra match (a look-alike inside some value) would make the elements'
    sizes add up past the array's end; a string holding a NUL makes its declared lengths exceed the text
    found. Offsets: ``bounds[k]`` is where element ``k`` starts, ``bounds[-1]`` the array's closing NUL.
    """
    body, closing = start + 4, end - 1
    found = _ENTRY_HEAD.findall(raw, body, closing)
    if raw.count(_TYPE_ELEMENT, body, closing) != len(found):
        return None
    count = len(found)
    if not count:
        return ([], [body]) if body == closing else None
    # One transposition instead of a Python loop per entry: a 10k-block structure is read on every cold request.
    names, sizes, type_sizes, types, id_sizes, ids = zip(*found)
    if list(names) != _array_indexes(count):
        return None
    int32s = struct.Struct(f"<{count}i").unpack
    declared = sum(int32s(b"".join(type_sizes))) + sum(int32s(b"".join(id_sizes)))
    if declared != sum(map(len, types)) + sum(map(len, ids)) + 2 * count:
        return None
    # element k: its type byte, its name, a NUL, then its document (whose int32 size counts itself)
    steps = map(operator.add, map(operator.add, int32s(b"".join(sizes)), map(len, names)), repeat(2))
    bounds = list(accumulate(steps, initial=body))
    if bounds[-1] != closing:
        return None
    text_types, text_ids = b"\x00".join(types).decode().split("\x00"), b"\x00".join(ids).decode().split("\x00")
    if len(text_types) != count or len(text_ids) != count:
        return None  # a NUL inside a key (declared lengths already refuse it; kept for the split)
    return list(zip(text_types, text_ids)), bounds


class StoredEntry:
    """One block entry of a :class:`LazyStructure`, left as its stored bytes (copied only when encoded)."""

    __slots__ = ("position", "structure")

    def __init__(self, structure: LazyStructure, position: int) -> None:
        self.structure = structure
        self.position = position

    @property
    def raw(self) -> bytes:
        """The entry's BSON document."""
        return self.structure.entry_bytes(self.position)


class PatchedBlocks(Sequence):
    """
    A stored structure's entries in stored order with some replaced by new (dict) entries: the ``blocks`` of an
    incremental compile that changed no block's set of children. :func:`encode_structure` copies the unchanged
    runs of entries as stored, so encoding costs follow the replaced entries, not the course.
    """

    def __init__(self, structure: LazyStructure, replaced: Mapping[int, dict[str, Any]]) -> None:
        self.structure = structure
        self.replaced = dict(replaced)  # position → entry

    def __len__(self) -> int:
        return len(self.structure)

    def __getitem__(self, position):  # type: ignore[override]
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(position)
        if position in self.replaced:
            return self.replaced[position]
        return StoredEntry(self.structure, position)


#: ``\x03name\x00``: how an embedded document called ``name`` starts (:meth:`LazyStructure.decode_at_deferring`).
_EMBEDDED_MARKERS: dict[str, bytes] = {}


class LazyStructure:
    """
    A stored structure whose ``blocks`` stay BSON bytes until asked for.

    The compiler's incremental path patches the previous structure: it needs
    every block's key, a few entries decoded, and the rest passed through
    untouched. Decoding 10k entries into dicts and encoding them again would
    cost more than the patch itself. Keys and entry offsets come from one
    checked regex pass over the entries' leading ``block_type``/``block_id``
    elements (:func:`_scan_entries`); a structure written otherwise is decoded
    entry by entry instead (same results, slower).
    """

    def __init__(self, raw: bytes, *, what: str, entry_index: bytes | None = None) -> None:
        self.what = what
        self._raw = raw
        self._bounds: list[int] | None = None
        self._entries: list[RawBSONDocument] | None = None
        try:
            start, end = _blocks_array(raw)
            scanned = read_entry_index(entry_index, body=start + 4, closing=end - 1, what=what)
            #: keys and offsets came from the stored index: each decoded entry is checked against its key
            self.indexed = scanned is not None
            if scanned is None:
                scanned = _scan_entries(raw, start, end)
            if scanned is not None:
                keys, self._bounds = scanned
            else:
                self._entries = list(bson.decode(raw, codec_options=_RAW_CODEC_OPTIONS)["blocks"])
                keys = [_leading_key(entry.raw) or (entry["block_type"], entry["block_id"]) for entry in self._entries]
        except (bson.errors.BSONError, KeyError, IndexError, ValueError, struct.error) as exc:
            raise CorruptDocumentError(f"Stored structure of {what} does not decode: {exc!r}") from exc
        self._keys = keys
        self._position: dict[tuple[str, str], int] = {key: i for i, key in enumerate(keys)}
        self._decoded: dict[tuple[str, str], dict[str, Any]] = {}

    @property
    def keys(self) -> list[tuple[str, str]]:
        """Block keys in stored order."""
        return list(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._position

    def is_key_ordered(self) -> bool:
        """Whether the entries are stored sorted by key (as ``structure_document`` writes them)."""
        return self._keys == sorted(self._keys)

    def key_at(self, position: int) -> tuple[str, str]:
        """The key of the entry stored at ``position``."""
        return self._keys[position]

    def position(self, key: tuple[str, str]) -> int:
        """Where ``key``'s entry is stored (``KeyError`` when the structure lacks it)."""
        return self._position[key]

    def entry_bytes(self, position: int) -> bytes:
        """The BSON document of the entry stored at ``position``."""
        raw, start, end = self._span(position)
        return raw[start:end]  # a whole-buffer slice of bytes is the buffer itself: nothing copied

    def _span(self, position: int) -> tuple[bytes, int, int]:
        """
        Where the entry at ``position`` lies: ``(buffer, start, end)``, its document being ``buffer[start:end]``.

        Scanned structures answer with their own bytes (nothing copied); ones decoded entry by entry, with the
        entry's document.
        """
        if self._entries is not None:
            raw = self._entries[position].raw
            return raw, 0, len(raw)
        bounds = self._bounds
        # element k: its type byte, its array index, a NUL, then its document up to where element k + 1 starts
        return self._raw, self._raw.index(b"\x00", bounds[position] + 1) + 1, bounds[position + 1]  # type: ignore[index]

    def raw(self, key: tuple[str, str]) -> StoredEntry:
        """The entry as stored."""
        return StoredEntry(self, self._position[key])

    def get(self, key: tuple[str, str]) -> dict[str, Any] | None:
        """The entry of ``key`` as a plain (decoded, private) dict, or None when the structure lacks it."""
        if key not in self._decoded:
            position = self._position.get(key)
            if position is None:
                return None
            self._decoded[key] = self.decode_at(position)
        return self._decoded[key]

    def decode_at(self, position: int) -> dict[str, Any]:
        """The entry stored at ``position`` as a new plain dict (not remembered: the reader keeps what it needs)."""
        try:
            entry = bson.decode(self.entry_bytes(position), codec_options=BSON_CODEC_OPTIONS)
        except (bson.errors.BSONError, ValueError) as exc:
            raise CorruptDocumentError(f"Block entry {position} of {self.what} does not decode: {exc}") from exc
        return self._checked(position, entry)

    def decode_at_deferring(self, position: int, name: str) -> tuple[dict[str, Any], bytes | None]:
        """
        The entry at ``position`` without its embedded document ``name``, and that document's stored bytes.

        Only when ``name`` is the entry's last element, as the compiler writes ``edit_info``: the rest is decoded
        from the bytes before it, and the document stays bytes for :meth:`decode_document` (its ObjectIds and
        dates are most of an entry's decoding). Otherwise, or if anything does not fit, it is
        ``(decode_at(position), None)``: the whole entry, the same answer.
        """
        raw, start, end = self._span(position)  # found in the structure's bytes, not copied out first
        marker = _EMBEDDED_MARKERS.get(name) or _EMBEDDED_MARKERS.setdefault(name, b"\x03" + name.encode() + b"\x00")
        at = raw.rfind(marker, start, end)
        value = at + len(marker)
        if at > start + 4 and value + 4 < end and value + _INT32.unpack_from(raw, value)[0] == end - 1:
            try:
                head = bson.decode(_INT32.pack(at - start + 1) + raw[start + 4:at] + b"\x00",
                                   codec_options=BSON_CODEC_OPTIONS)
            except (bson.errors.BSONError, ValueError):
                pass  # the marker was inside another value: decode the whole entry
            else:
                return self._checked(position, head), raw[value:end - 1]
        return self.decode_at(position), None

    def decode_document(self, raw: bytes, position: int, name: str) -> dict[str, Any]:
        """The embedded document ``name`` of the entry at ``position``, left as bytes by :meth:`decode_at_deferring`."""
        try:
            return bson.decode(raw, codec_options=BSON_CODEC_OPTIONS)
        except (bson.errors.BSONError, ValueError) as exc:
            raise CorruptDocumentError(
                f"The {name} of block entry {position} of {self.what} does not decode: {exc}"
            ) from exc

    def _checked(self, position: int, entry: dict[str, Any]) -> dict[str, Any]:
        if self.indexed and (entry.get("block_type"), entry.get("block_id")) != self._keys[position]:
            raise CorruptDocumentError(
                f"Block entry {position} of {self.what} is not {self._keys[position]} as its entry index says; "
                "recompile the course with lc_compile --full"
            )
        return entry

    def children_at(self, position: int) -> list[Any] | None:
        """
        The ``fields.children`` of the entry at ``position`` as stored (``[type, id]`` pairs), or None without one.

        Only that array is decoded, found by walking the entry's and its ``fields``' element sizes: a parent's
        settings and edit info stay bytes. Anything unexpected decodes the whole entry instead (same answer).
        """
        entry = self.entry_bytes(position)
        try:
            fields = _element(entry, 0, len(entry), b"fields")
            if fields is None:
                return None
            if fields[0] == 0x03:
                children = _element(entry, fields[1], fields[2], b"children")
                if children is None:
                    return None
                if children[0] == 0x04:
                    return list(bson.decode(entry[children[1]:children[2]], codec_options=BSON_CODEC_OPTIONS).values())
        except (ValueError, IndexError, struct.error, bson.errors.BSONError):
            pass
        return self.decode_at(position).get("fields", {}).get("children")

    def decode_all(self) -> list[dict[str, Any]]:
        """Every entry as a new plain dict, in stored order, from one decode of the whole array."""
        try:
            if self._entries is not None:
                return [bson.decode(entry.raw, codec_options=BSON_CODEC_OPTIONS) for entry in self._entries]
            start, end = self._bounds[0] - 4, self._bounds[-1] + 1  # type: ignore[index]
            entries = list(bson.decode(self._raw[start:end], codec_options=BSON_CODEC_OPTIONS).values())
        except bson.errors.BSONError as exc:
            raise CorruptDocumentError(f"Blocks of {self.what} do not decode: {exc}") from exc
        if self.indexed and [(e.get("block_type"), e.get("block_id")) for e in entries] != self._keys:
            raise CorruptDocumentError(
                f"Blocks of {self.what} are not those its entry index names; recompile the course (lc_compile --full)"
            )
        return entries

    def top_level(self) -> dict[str, Any]:
        """The structure document without its ``blocks`` (``_id``, ``root``, …), decoded from its own bytes."""
        start, end = _blocks_array(self._raw)
        element = start - len(_BLOCKS_ELEMENT)
        rest = self._raw[4:element] + self._raw[end:]
        try:
            return bson.decode(_INT32.pack(len(rest) + 4) + rest, codec_options=BSON_CODEC_OPTIONS)
        except bson.errors.BSONError as exc:
            raise CorruptDocumentError(f"Stored structure of {self.what} does not decode: {exc}") from exc

    def positions_containing(self, marker: bytes) -> list[int]:
        """
        Positions of the entries whose stored bytes contain ``marker``, found without decoding any.

        An entry whose bytes lack ``\x04children\x00`` has no ``children`` array, so a reader can find every
        parent by decoding only the entries this returns for that marker.
        """
        if self._entries is not None:
            return [i for i, entry in enumerate(self._entries) if marker in entry.raw]
        raw, bounds, found = self._raw, self._bounds, []
        stop = bounds[-1]  # type: ignore[index]
        at = raw.find(marker, bounds[0], stop)  # type: ignore[index]
        while at != -1:
            position = bisect.bisect_right(bounds, at) - 1  # type: ignore[arg-type]
            found.append(position)
            at = raw.find(marker, bounds[position + 1], stop)  # type: ignore[index]
        return found

    def patched(self, replaced: Mapping[tuple[str, str], dict[str, Any]]) -> PatchedBlocks:
        """These entries in stored order, those of ``replaced`` (keys already stored) replaced."""
        return PatchedBlocks(self, {self._position[key]: entry for key, entry in replaced.items()})

    def element_runs(self, first: int, stop: int) -> memoryview:
        """The stored array elements ``first`` … ``stop - 1`` (names and documents), as one slice."""
        bounds = self._bounds
        if bounds is None:
            raise ValueError("entries decoded one by one have no stored runs")
        return memoryview(self._raw)[bounds[first] : bounds[stop]]


def _embedded(entry: dict[str, Any]) -> bytes:
    """``entry`` as BSON exactly as it is encoded inside another document (no top-level ``_id`` reordering)."""
    return bson.encode({"0": entry})[7:-1]


def _array_elements(blocks: Sequence[Any]) -> list[bytes | memoryview]:
    """The elements of the ``blocks`` array, stored runs copied as they are."""
    parts: list[bytes | memoryview] = []
    if isinstance(blocks, PatchedBlocks) and blocks.structure._bounds is not None:
        structure, position = blocks.structure, 0
        for replaced in sorted(blocks.replaced):
            if position < replaced:
                parts.append(structure.element_runs(position, replaced))
            parts.append(b"\x03" + str(replaced).encode() + b"\x00" + _embedded(blocks.replaced[replaced]))
            position = replaced + 1
        if position < len(structure):
            parts.append(structure.element_runs(position, len(structure)))
        return parts
    names = _array_indexes(len(blocks))
    run_start = None  # (structure, first position, first index) of a run of stored entries in place
    for index, entry in enumerate(blocks):
        if run_start is not None:
            structure, first, first_index = run_start
            if (
                isinstance(entry, StoredEntry)
                and entry.structure is structure
                and entry.position - first == index - first_index
            ):
                continue
            parts.append(structure.element_runs(first, first + index - first_index))
            run_start = None
        if isinstance(entry, StoredEntry) and entry.structure._bounds is not None and entry.position == index:
            run_start = (entry.structure, entry.position, index)
            continue
        if isinstance(entry, (StoredEntry, RawBSONDocument)):
            document = entry.raw
        else:
            document = _embedded(entry)
        parts.append(b"\x03" + names[index] + b"\x00" + document)
    if run_start is not None:
        structure, first, first_index = run_start
        parts.append(structure.element_runs(first, first + len(blocks) - first_index))
    return parts


def _encode_spliced(document: dict[str, Any]) -> bytes:
    """``bson.encode(document)`` for a structure whose ``blocks`` hold stored entries, without decoding them."""
    names = list(document)
    if "_id" in names and names[0] != "_id":
        document = {"_id": document["_id"], **document}  # bson.encode writes a top-level _id first
        names = list(document)
    at = names.index("blocks")
    head = bson.encode({name: document[name] for name in names[:at]})
    tail = bson.encode({name: document[name] for name in names[at + 1 :]})
    parts = _array_elements(document["blocks"])
    array_size = 4 + sum(len(part) for part in parts) + 1
    total = 4 + (len(head) - 5) + len(_BLOCKS_ELEMENT) + array_size + (len(tail) - 5) + 1
    return b"".join(
        [
            _INT32.pack(total),
            memoryview(head)[4:-1],
            _BLOCKS_ELEMENT,
            _INT32.pack(array_size),
            *parts,
            b"\x00",
            memoryview(tail)[4:-1],
            b"\x00",
        ]
    )


def decode_structure_lazily(
    data: bytes, expected_checksum: str, *, what: str, entry_index: bytes | None = None
) -> LazyStructure:
    """
    Verify a stored structure and give its blocks as a :class:`LazyStructure` (see :func:`decode_structure`),
    its keys and offsets from ``entry_index`` when the row has a usable one (else from a scan).
    """
    data = bytes(data)
    if checksum(data) != expected_checksum:
        raise CorruptDocumentError(f"Stored structure of {what} fails its checksum; recompile the course")
    try:
        raw = isal_zlib.decompress(data)  # any zlib stream; twice as fast as zlib's (2.2 vs 4.7 ms at 10k blocks)
    except (isal_zlib.error, zlib.error) as exc:
        raise CorruptDocumentError(f"Stored structure of {what} does not decode: {exc}") from exc
    return LazyStructure(raw, what=what, entry_index=entry_index)


def encode_definition(document: dict[str, Any]) -> bytes:
    """
    BSON-encode a definition document (uncompressed: definitions are small and read one by one).

    The row stores :func:`checksum` of these bytes beside them; :func:`decode_definition` verifies it.
    """
    return bson.encode(document)


def decode_definition(data: bytes, expected_checksum: str, *, what: str) -> dict[str, Any]:
    """
    Verify and decode a stored definition; ``what`` names it in errors (definition id and course).

    Refused (:class:`CorruptDocumentError`), never served: bytes that fail their checksum (a flipped byte would
    otherwise serve ``<q>`` for ``<p>``), a row without a checksum, bytes that do not decode, and a document
    without a ``fields`` mapping (it would serve empty content).
    """
    data = bytes(data)
    if not expected_checksum or checksum(data) != expected_checksum:
        raise CorruptDocumentError(f"Stored definition {what} fails its checksum; recompile the course with --full")
    try:
        document = bson.decode(data, codec_options=BSON_CODEC_OPTIONS)
    except bson.errors.BSONError as exc:
        raise CorruptDocumentError(f"Stored definition {what} does not decode: {exc}") from exc
    if not isinstance(document.get("fields"), Mapping):
        raise CorruptDocumentError(
            f"Stored definition {what} has no fields; recompile the course with --full"
        )
    return document
