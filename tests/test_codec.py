"""The stored-structure codec: checksummed zlib BSON, and the lazy view incremental compiles patch."""
from __future__ import annotations

import datetime
import zlib

import bson
import pytest
from bson import ObjectId

from lc_modulestore.api import CorruptDocumentError, decode_structure, decode_structure_lazily, encode_structure
from lc_modulestore.codec import checksum

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def _entry(block_type: str, block_id: str, **fields) -> dict:
    return {"block_type": block_type, "block_id": block_id, "definition": ObjectId(),
            "fields": {"display_name": f"{block_id} \x03 tricky \x02block_type\x00", **fields}, "defaults": {},
            "asides": [], "edit_info": {"edited_on": T0, "edited_by": 3}}


def _structure(blocks: list[dict]) -> dict:
    return {"_id": ObjectId(), "root": ["course", "course"], "blocks": blocks, "schema_version": 1,
            "assets": {"asset": [{"filename": "a.png", "block_type": "x"}]}}


def test_lazy_structure_reads_keys_without_decoding_and_passes_entries_through_as_bytes():
    # a settings value that looks like an entry (a list of {block_type, block_id} docs) must not be taken for one
    look_alike = [{"block_type": "fake", "block_id": "f"}]
    blocks = [_entry("course", "course", children=[["chapter", "c0"]]), _entry("chapter", "c0", x=look_alike),
              _entry("html", "h\u00e9")]
    document = _structure(blocks)
    stored = encode_structure(document)
    lazy = decode_structure_lazily(stored.data, stored.checksum, what="course-v1:O+C+R")
    assert lazy.keys == [("course", "course"), ("chapter", "c0"), ("html", "h\u00e9")]
    assert ("chapter", "c0") in lazy and ("chapter", "nope") not in lazy
    assert lazy.get(("chapter", "nope")) is None
    assert lazy.get(("html", "h\u00e9")) == decode_structure(stored.data, stored.checksum, what="x")["blocks"][2]
    # rebuilding the document around the raw entries gives the stored bytes back, byte for byte
    rebuilt = {**document, "blocks": [lazy.raw(key) for key in lazy.keys]}
    assert bson.encode(rebuilt) == bson.encode(document)


def test_lazy_structure_reads_entries_written_in_another_field_order():
    reordered = [{"block_id": "c0", **_entry("chapter", "c0")}, _entry("course", "course")]
    stored = encode_structure(_structure(reordered))
    assert decode_structure_lazily(stored.data, stored.checksum, what="x").keys == [("chapter", "c0"),
                                                                                   ("course", "course")]


def test_lazy_structure_refuses_corrupt_rows_naming_them():
    stored = encode_structure(_structure([_entry("course", "course")]))
    with pytest.raises(CorruptDocumentError, match="course-v1:O\\+C\\+R.*checksum"):
        decode_structure_lazily(stored.data[:-1] + b"x", stored.checksum, what="course-v1:O+C+R")
    truncated = zlib.compress(zlib.decompress(stored.data)[:-9])
    with pytest.raises(CorruptDocumentError, match="course-v1:O\\+C\\+R.*does not decode"):
        decode_structure_lazily(truncated, checksum(truncated), what="course-v1:O+C+R")
