"""
How compiled documents are stored: BSON, zlib-compressed for structures, with a checksum.

BSON keeps split's types (ObjectId, datetime) exactly, so a document read back is
the document compiled. zlib level 1 is split's own choice for its structure cache:
fast to inflate, several times smaller. The checksum covers the stored bytes, so a
corrupted row is refused before it is decoded.
"""
from __future__ import annotations

import datetime
import hashlib
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import bson
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument

from .errors import LcModulestoreError
from .extended_json import BSON_CODEC_OPTIONS

ZLIB_LEVEL = 1


class CorruptDocumentError(LcModulestoreError):
    """A stored document whose bytes do not match its checksum or do not decode."""


@dataclass(frozen=True)
class EncodedDocument:
    data: bytes
    checksum: str
    raw_size: int


def checksum(data: bytes) -> str:
    """blake2b-256 hex digest of stored bytes."""
    return hashlib.blake2b(data, digest_size=32).hexdigest()


def encode_structure(document: dict[str, Any]) -> EncodedDocument:
    """BSON-encode and compress a structure document (split's on-disk form: ``blocks`` is a list)."""
    raw = bson.encode(document)
    data = zlib.compress(raw, ZLIB_LEVEL)
    return EncodedDocument(data=data, checksum=checksum(data), raw_size=len(raw))


def decode_structure(data: bytes, expected_checksum: str, *, what: str) -> dict[str, Any]:
    """
    Verify and decode a stored structure. ``what`` names it in errors (course key and structure id).
    """
    data = bytes(data)
    if checksum(data) != expected_checksum:
        raise CorruptDocumentError(f"Stored structure of {what} fails its checksum; recompile the course")
    try:
        return bson.decode(zlib.decompress(data), codec_options=BSON_CODEC_OPTIONS)
    except (zlib.error, bson.errors.BSONError) as exc:
        raise CorruptDocumentError(f"Stored structure of {what} does not decode: {exc}") from exc


_RAW_CODEC_OPTIONS = CodecOptions(document_class=RawBSONDocument, tz_aware=True, tzinfo=datetime.timezone.utc)


class RawBlock(RawBSONDocument):
    """
    One stored ``blocks`` entry kept as its BSON bytes, with its ``(block_type, block_id)`` read up front.

    ``bson.encode`` copies a raw document's bytes as they are, so a structure
    rebuilt around unchanged entries costs a copy for them, not a decode and a
    re-encode. Reading ``block_type``/``block_id`` does not inflate the entry.
    """

    __slots__ = ("key",)

    def __init__(self, raw: bytes, codec_options: CodecOptions | None = None) -> None:
        super().__init__(raw, codec_options)
        self.key: tuple[str, str] = _leading_key(raw) or (super().__getitem__("block_type"),
                                                           super().__getitem__("block_id"))

    def __getitem__(self, item: str) -> Any:
        if item == "block_type":
            return self.key[0]
        if item == "block_id":
            return self.key[1]
        return super().__getitem__(item)


def _leading_key(raw: bytes) -> tuple[str, str] | None:
    """``(block_type, block_id)`` when they are the entry's first two string elements (as the compiler writes)."""
    found = {}
    position = 4
    for _ in range(2):
        if raw[position] != 0x02:  # not a string
            return None
        end = raw.index(b"\0", position + 1)
        name = raw[position + 1:end]
        (length,) = struct.unpack_from("<i", raw, end + 1)
        found[name] = raw[end + 5:end + 4 + length].decode()
        position = end + 5 + length
    if found.keys() != {b"block_type", b"block_id"}:
        return None
    return found[b"block_type"], found[b"block_id"]


class LazyStructure:
    """
    A stored structure whose ``blocks`` stay BSON bytes until asked for.

    The compiler's incremental path patches the previous structure: it needs
    every block's key, a few entries decoded, and the rest passed through
    untouched. Decoding 10k entries into dicts (and encoding them again) would
    cost more than the patch itself.
    """

    def __init__(self, raw: bytes, *, what: str) -> None:
        self.what = what
        try:
            top = bson.decode(raw, codec_options=_RAW_CODEC_OPTIONS)
            self.blocks: list[RawBlock] = [RawBlock(b.raw, _RAW_CODEC_OPTIONS) for b in top["blocks"]]
        except (bson.errors.BSONError, KeyError, IndexError, ValueError, struct.error) as exc:
            raise CorruptDocumentError(f"Stored structure of {what} does not decode: {exc!r}") from exc
        self._by_key = {block.key: block for block in self.blocks}
        self._decoded: dict[tuple[str, str], dict[str, Any]] = {}

    @property
    def keys(self) -> list[tuple[str, str]]:
        """Block keys in stored order."""
        return [block.key for block in self.blocks]

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._by_key

    def raw(self, key: tuple[str, str]) -> RawBlock:
        return self._by_key[key]

    def get(self, key: tuple[str, str]) -> dict[str, Any] | None:
        """The entry of ``key`` as a plain (decoded, private) dict, or None when the structure lacks it."""
        if key not in self._decoded:
            block = self._by_key.get(key)
            if block is None:
                return None
            self._decoded[key] = bson.decode(block.raw, codec_options=BSON_CODEC_OPTIONS)
        return self._decoded[key]


def decode_structure_lazily(data: bytes, expected_checksum: str, *, what: str) -> LazyStructure:
    """Verify a stored structure and give its blocks as a :class:`LazyStructure` (see :func:`decode_structure`)."""
    data = bytes(data)
    if checksum(data) != expected_checksum:
        raise CorruptDocumentError(f"Stored structure of {what} fails its checksum; recompile the course")
    try:
        raw = zlib.decompress(data)
    except zlib.error as exc:
        raise CorruptDocumentError(f"Stored structure of {what} does not decode: {exc}") from exc
    return LazyStructure(raw, what=what)


def encode_definition(document: dict[str, Any]) -> bytes:
    """BSON-encode a definition document (uncompressed: definitions are small and read one by one)."""
    return bson.encode(document)


def decode_definition(data: bytes, *, what: str) -> dict[str, Any]:
    """Decode a stored definition; ``what`` names it in errors."""
    try:
        return bson.decode(bytes(data), codec_options=BSON_CODEC_OPTIONS)
    except bson.errors.BSONError as exc:
        raise CorruptDocumentError(f"Stored definition {what} does not decode: {exc}") from exc
