"""
A stored structure's entry index: every block entry's key and where its element starts, written beside the bytes.

A reader of a stored structure needs the keys of its entries (``in``, ``len``, iteration) and their offsets (to
decode one entry alone). Without an index it finds both with the codec's checked scan, about 14 ms for 10k
blocks, paid by every cold read of every new structure in every process, and by each incremental compile reading
the previous one. The compiler knows both when it writes the structure, so it stores them (ADR 0027).

The format, version 1: ``LCX1``, a 16-byte blake2b digest of the rest, then an ISA-L zlib stream of
``count`` (int32), ``count + 1`` element offsets into the uncompressed structure (int32; the last is the
array's closing NUL), then the block types and block ids, NUL-separated (types first).

An index is an accelerator, never the only truth: one that is absent, of another version, fails its digest or
does not fit the structure's blocks array is ignored (the reader scans instead, and says so in the log), and
the reader checks each entry it decodes against the key the index gives it.
"""
from __future__ import annotations

import hashlib
import logging
import operator
import struct
import zlib
from itertools import islice

from isal import isal_zlib

log = logging.getLogger(__name__)

MAGIC = b"LCX1"
_DIGEST = 16
_INT32 = struct.Struct("<i")


def encode_entry_index(keys: list[tuple[str, str]], bounds: list[int]) -> bytes | None:
    """The stored index of entries with these keys starting at these offsets; None when a key holds a NUL."""
    types, ids = [key[0] for key in keys], [key[1] for key in keys]
    if any("\x00" in text for text in (*types, *ids)):
        return None
    count = len(keys)
    payload = _INT32.pack(count) + struct.pack(f"<{count + 1}i", *bounds) + "\x00".join([*types, *ids]).encode()
    stream = isal_zlib.compress(payload, 1)
    return MAGIC + hashlib.blake2b(stream, digest_size=_DIGEST).digest() + stream


def read_entry_index(
    blob: bytes | memoryview | None, *, body: int, closing: int, what: str
) -> tuple[list[tuple[str, str]], list[int]] | None:
    """
    ``(keys, offsets)`` from a stored index that fits a blocks array whose elements run from ``body`` to its
    closing NUL at ``closing``; None (logged, naming ``what``) for an index to ignore.
    """
    if blob is None:
        return None
    blob = bytes(blob)
    why = _unfit(blob)
    if why is None:
        try:
            payload = isal_zlib.decompress(blob[len(MAGIC) + _DIGEST:])
            count = _INT32.unpack_from(payload)[0]
            end = _INT32.size * (count + 2)
            bounds = list(struct.unpack_from(f"<{count + 1}i", payload, _INT32.size))
            texts = payload[end:].decode().split("\x00") if count else []
        except (isal_zlib.error, zlib.error, struct.error, UnicodeDecodeError) as exc:
            why = f"does not decode ({exc})"
        else:
            if len(texts) != 2 * count:
                why = f"holds {len(texts)} keys' texts for {count} entries"
            elif bounds[0] != body or bounds[-1] != closing:
                why = "does not span the structure's blocks array"
            elif not all(map(operator.lt, bounds, islice(bounds, 1, None))):
                why = "has offsets out of order"
            else:
                return list(zip(texts[:count], texts[count:], strict=True)), bounds
    log.warning("Entry index of %s %s; scanning the structure instead", what, why)
    return None


def _unfit(blob: bytes) -> str | None:
    if not blob.startswith(MAGIC):
        return "is not a version 1 index"
    digest, stream = blob[len(MAGIC):len(MAGIC) + _DIGEST], blob[len(MAGIC) + _DIGEST:]
    if hashlib.blake2b(stream, digest_size=_DIGEST).digest() != digest:
        return "fails its digest"
    return None


__all__ = ["MAGIC", "encode_entry_index", "read_entry_index"]
