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
import re
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
_TYPE_ELEMENT = b"\x02block_type\x00"
_ID_ELEMENT = b"\x02block_id\x00"


def _leading_key(raw: bytes) -> tuple[str, str] | None:
    """``(block_type, block_id)`` when they are an entry's first two elements (as the compiler writes them)."""
    if raw[4:16] != _TYPE_ELEMENT:
        return None
    end = 20 + int.from_bytes(raw[16:20], "little")
    if raw[end:end + 10] != _ID_ELEMENT:
        return None
    length = int.from_bytes(raw[end + 10:end + 14], "little")
    return raw[20:end - 1].decode(), raw[end + 14:end + 13 + length].decode()


# An entry of the blocks array as the compiler writes it: element "<index>", then the document starting
# with its block_type and block_id strings.
_ENTRY_HEAD = re.compile(
    rb"\x03(\d+)\x00.{4}\x02block_type\x00.{4}([^\x00]*)\x00\x02block_id\x00.{4}([^\x00]*)\x00", re.DOTALL
)


def _array_keys(raw: bytes, count: int) -> list[tuple[str, str]] | None:
    """
    Every entry's key in one regex pass over the structure, or None unless that finds exactly the array's
    elements "0" … "count-1" in order (so a look-alike inside a field value cannot be taken for an entry).
    """
    found = _ENTRY_HEAD.findall(raw)
    if len(found) != count or any(int(index) != i for i, (index, _, _) in enumerate(found)):
        return None
    return [(block_type.decode(), block_id.decode()) for _, block_type, block_id in found]


class LazyStructure:
    """
    A stored structure whose ``blocks`` stay BSON bytes (``RawBSONDocument``) until asked for.

    The compiler's incremental path patches the previous structure: it needs
    every block's key, a few entries decoded, and the rest passed through
    untouched (``bson.encode`` copies a raw document's bytes as they are).
    Decoding 10k entries into dicts and encoding them again would cost more
    than the patch itself. Keys are read from each entry's leading
    ``block_type``/``block_id`` elements without decoding the rest.
    """

    def __init__(self, raw: bytes, *, what: str) -> None:
        self.what = what
        try:
            entries = bson.decode(raw, codec_options=_RAW_CODEC_OPTIONS)["blocks"]
            keys = _array_keys(raw, len(entries)) or [
                _leading_key(entry.raw) or (entry["block_type"], entry["block_id"]) for entry in entries
            ]
            self._by_key: dict[tuple[str, str], RawBSONDocument] = dict(zip(keys, entries, strict=True))
        except (bson.errors.BSONError, KeyError, IndexError, ValueError) as exc:
            raise CorruptDocumentError(f"Stored structure of {what} does not decode: {exc!r}") from exc
        self._decoded: dict[tuple[str, str], dict[str, Any]] = {}

    @property
    def keys(self) -> list[tuple[str, str]]:
        """Block keys in stored order."""
        return list(self._by_key)

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._by_key

    def raw(self, key: tuple[str, str]) -> RawBSONDocument:
        """The entry as stored."""
        return self._by_key[key]

    def get(self, key: tuple[str, str]) -> dict[str, Any] | None:
        """The entry of ``key`` as a plain (decoded, private) dict, or None when the structure lacks it."""
        if key not in self._decoded:
            entry = self._by_key.get(key)
            if entry is None:
                return None
            self._decoded[key] = bson.decode(entry.raw, codec_options=BSON_CODEC_OPTIONS)
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
