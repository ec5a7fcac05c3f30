"""The stored-structure codec: checksummed zlib BSON, and the lazy view incremental compiles patch."""
from __future__ import annotations

import datetime
import zlib

import bson
import pytest
from bson import ObjectId

from lc_modulestore.api import CorruptDocumentError, decode_structure, decode_structure_lazily, encode_structure
from lc_modulestore.compiled.codec import checksum
from lc_modulestore.compiled.entry_index import encode_entry_index

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
    assert zlib.decompress(encode_structure(rebuilt).data) == bson.encode(document)


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


def _sorted_structure(count: int) -> dict:
    blocks = [_entry("html", f"h{i:03d}", weight=i) for i in range(count)]
    return _structure(sorted(blocks, key=lambda b: (b["block_type"], b["block_id"])))


@pytest.mark.parametrize("replace", [[], [0], [5], [11], [0, 1, 2], [3, 7, 8, 11], list(range(12))])
def test_patched_blocks_encode_exactly_as_the_decoded_document(replace):
    """Stored runs are copied, replaced entries encoded in place: the bytes equal a plain bson.encode."""
    document = _sorted_structure(12)
    stored = encode_structure(document)
    lazy = decode_structure_lazily(stored.data, stored.checksum, what="x")
    assert lazy.is_key_ordered()
    new_entries = {lazy.keys[i]: {**_entry(*lazy.keys[i], weight=100 + i), "_id": i} for i in replace}
    patched = lazy.patched(new_entries)
    assert len(patched) == 12
    expected = {**document, "_id": ObjectId(), "edited_on": T0,
                "blocks": [new_entries.get((b["block_type"], b["block_id"]), b) for b in document["blocks"]]}
    got = encode_structure({**expected, "blocks": patched})
    assert zlib.decompress(got.data) == bson.encode(expected)
    assert got.raw_size == len(bson.encode(expected))
    assert decode_structure(got.data, got.checksum, what="x") == decode_structure(
        encode_structure(expected).data, encode_structure(expected).checksum, what="x")


def test_stored_entries_moved_to_other_positions_encode_under_their_new_index():
    """A tree walk (blocks added or removed) passes stored entries at shifted positions: they are renamed."""
    document = _sorted_structure(6)
    stored = encode_structure(document)
    lazy = decode_structure_lazily(stored.data, stored.checksum, what="x")
    new = _entry("html", "h0025")  # sorts between h002 and h003
    keys = lazy.keys
    blocks = [lazy.raw(keys[0]), lazy.raw(keys[2]), new, lazy.raw(keys[3]), lazy.raw(keys[4]), lazy.raw(keys[5])]
    expected = {**document, "blocks": [document["blocks"][0], document["blocks"][2], new, *document["blocks"][3:]]}
    assert zlib.decompress(encode_structure({**document, "blocks": blocks}).data) == bson.encode(expected)


@pytest.mark.parametrize("look_alike", [
    # a whole entry head, with the next array index, inside a string value
    "\x03" + "1\x00\x10\x00\x00\x00\x02block_type\x00\x05\x00\x00\x00html\x00\x02block_id\x00\x02\x00\x00\x00h\x00",
    # a bare block_type element inside a string value
    "\x02block_type\x00",
])
def test_look_alike_entry_heads_inside_values_fall_back_to_decoding(look_alike, monkeypatch):
    from lc_modulestore.compiled import codec

    document = _structure([_entry("chapter", "c0", note=look_alike), _entry("html", "h")])
    stored = encode_structure(document)
    fallbacks = []
    real_decode = codec.bson.decode
    monkeypatch.setattr(codec.bson, "decode", lambda *a, **k: fallbacks.append(1) or real_decode(*a, **k))
    lazy = decode_structure_lazily(stored.data, stored.checksum, what="x")
    assert fallbacks, "the scan must refuse a structure holding a look-alike"
    assert lazy.keys == [("chapter", "c0"), ("html", "h")]
    assert lazy.get(("chapter", "c0"))["fields"]["note"] == look_alike
    replacement = _entry("html", "h", x=1)
    patched = lazy.patched({("html", "h"): replacement})
    expected = {**document, "blocks": [document["blocks"][0], replacement]}
    assert zlib.decompress(encode_structure({**document, "blocks": patched}).data) == bson.encode(expected)


def test_a_block_id_holding_a_nul_is_read_whole():
    document = _structure([_entry("html", "a\x00b")])
    stored = encode_structure(document)
    assert decode_structure_lazily(stored.data, stored.checksum, what="x").keys == [("html", "a\x00b")]


# -- the entry index (ADR 0027) ----------------------------------------------------------------------------------
def _lazy(stored, **kwargs):
    return decode_structure_lazily(stored.data, stored.checksum, what="course-v1:O+C+R (structure s1)", **kwargs)


def _plain_structure(count: int) -> dict:
    """Entries as the compiler writes them, with no look-alike inside a value (the scan reads them)."""
    blocks = [{**_entry("html", f"h{i:03d}", weight=i), "fields": {"display_name": f"H {i}", "weight": i}}
              for i in range(count)]
    return _structure(blocks)


def test_the_entry_index_gives_exactly_what_the_scan_finds():
    stored = encode_structure(_plain_structure(30))
    assert stored.entry_index is not None
    indexed, scanned = _lazy(stored, entry_index=stored.entry_index), _lazy(stored)
    assert indexed.indexed and not scanned.indexed
    assert indexed.keys == scanned.keys
    for position in range(len(scanned)):
        assert indexed.entry_bytes(position) == scanned.entry_bytes(position)
        assert indexed.decode_at(position) == scanned.decode_at(position)
    assert indexed.decode_all() == scanned.decode_all()
    empty = encode_structure(_structure([]))
    assert _lazy(empty, entry_index=empty.entry_index).keys == []


def test_a_structure_the_scan_refuses_gets_no_entry_index():
    assert encode_structure(_structure([_entry("html", "a\x00b")])).entry_index is None
    look_alike = _structure([_entry("chapter", "c0", note="\x02block_type\x00"), _entry("html", "h")])
    assert encode_structure(look_alike).entry_index is None


@pytest.mark.parametrize("spoil", ["digest", "version", "other structure", "truncated"])
def test_an_entry_index_that_does_not_fit_is_ignored_with_a_warning_naming_the_structure(spoil, caplog):
    stored = encode_structure(_plain_structure(8))
    index = stored.entry_index
    if spoil == "digest":
        index = index[:-1] + bytes([index[-1] ^ 1])
    elif spoil == "version":
        index = b"LCX9" + index[4:]
    elif spoil == "other structure":
        index = encode_structure(_plain_structure(9)).entry_index
    else:
        index = index[:10]
    lazy = _lazy(stored, entry_index=index)
    assert not lazy.indexed
    assert lazy.keys == _lazy(stored).keys
    assert "course-v1:O+C+R (structure s1)" in caplog.text and "scanning the structure instead" in caplog.text


def test_an_entry_index_naming_other_keys_is_caught_when_an_entry_is_decoded():
    stored = encode_structure(_plain_structure(4))
    honest = _lazy(stored, entry_index=stored.entry_index)
    keys = honest.keys
    lying = encode_entry_index([keys[1], keys[0], *keys[2:]], honest._bounds)
    lazy = _lazy(stored, entry_index=lying)
    assert lazy.indexed
    with pytest.raises(CorruptDocumentError, match="entry 0 of course-v1:O\\+C\\+R.*entry index says"):
        lazy.get(keys[1])
    with pytest.raises(CorruptDocumentError, match="entry index"):
        lazy.decode_all()
    assert lazy.get(keys[3])["block_id"] == keys[3][1]  # entries where the index is right still read


@pytest.mark.parametrize("note", ["plain", "\x02block_type\x00 inside"], ids=["plain", "look-alike in a new entry"])
@pytest.mark.parametrize("replace", [[], [0], [5], [0, 1, 2], list(range(12))])
def test_a_patched_structure_gets_the_entry_index_of_where_its_patch_put_the_entries(note, replace):
    """Derived from the stored offsets and the new entries' sizes, not scanned: a look-alike in a value is harmless."""
    document = _plain_structure(12)
    stored = encode_structure(document)
    lazy = decode_structure_lazily(stored.data, stored.checksum, what="x", entry_index=stored.entry_index)
    new_entries = {lazy.keys[i]: {**_entry(*lazy.keys[i]), "fields": {"n": note * i}} for i in replace}
    got = encode_structure({**document, "_id": ObjectId(), "blocks": lazy.patched(new_entries)})
    assert got.entry_index is not None
    indexed, read = _lazy(got, entry_index=got.entry_index), _lazy(got)
    assert indexed.indexed and indexed.keys == read.keys
    assert [indexed.entry_bytes(i) for i in range(12)] == [read.entry_bytes(i) for i in range(12)]
    assert indexed.decode_all() == read.decode_all()


def test_a_structure_read_by_decoding_patches_into_one_without_an_entry_index():
    document = _sorted_structure(6)  # look-alikes in every entry: the scan refuses it, so it has no offsets
    stored = encode_structure(document)
    lazy = decode_structure_lazily(stored.data, stored.checksum, what="x")
    patched = lazy.patched({lazy.keys[0]: _entry(*lazy.keys[0], weight=7)})
    got = encode_structure({**document, "blocks": patched})
    assert stored.entry_index is None and got.entry_index is None
    assert _lazy(got).get(lazy.keys[0])["fields"]["weight"] == 7
