"""
How compiled documents are stored: BSON, zlib-compressed for structures, with a checksum.

BSON keeps split's types (ObjectId, datetime) exactly, so a document read back is
the document compiled. zlib level 1 is split's own choice for its structure cache:
fast to inflate, several times smaller. The checksum covers the stored bytes, so a
corrupted row is refused before it is decoded.
"""
from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from typing import Any

import bson

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


def encode_definition(document: dict[str, Any]) -> bytes:
    """BSON-encode a definition document (uncompressed: definitions are small and read one by one)."""
    return bson.encode(document)


def decode_definition(data: bytes, *, what: str) -> dict[str, Any]:
    """Decode a stored definition; ``what`` names it in errors."""
    try:
        return bson.decode(bytes(data), codec_options=BSON_CODEC_OPTIONS)
    except bson.errors.BSONError as exc:
        raise CorruptDocumentError(f"Stored definition {what} does not decode: {exc}") from exc
