"""
Stored structures decoded block by block (ADR 0025): same answers as decoding everything, far less decoded.

The equivalence tests compare :func:`shim.stored_blocks.structure_from_stored` with ``structure_from_mongo`` over
the fully decoded document, on structures written key first (the codec's scan) and otherwise (its fallback),
with look-alike ``children`` arrays in other fields. The read tests count what a cold point read decodes.
"""
from __future__ import annotations

import datetime
import pickle

import pytest
from bson import ObjectId
from opaque_keys.edx.keys import CourseKey
from xblock.fields import Scope

from lc_modulestore.api import decode_structure, decode_structure_lazily, encode_structure
from shim.outline import anchored_blocks, descendants, orphans, parents_map, parents_with_path_to_root, preorder
from shim.split_types import BlockKey, structure_from_mongo
from shim.stored_blocks import StoredBlocks, structure_from_stored
from tests.shim.courses import build_tree
from tests.shim.fixtures import new_request

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
needs_db = pytest.mark.django_db


def _entry(block_type: str, block_id: str, *, key_first: bool = True, **fields) -> dict:
    entry = {"block_type": block_type, "block_id": block_id, "definition": ObjectId(), "fields": fields,
             "defaults": {}, "asides": [], "edit_info": {"edited_on": T0, "edited_by": 3}}
    if not key_first:  # as another writer might store it: the scan falls back to decoding entry by entry
        entry = {"fields": entry.pop("fields"), **entry}
    return entry


def _document(*, key_first: bool = True) -> dict:
    blocks = [
        _entry("course", "course", key_first=key_first, children=[["chapter", "c0"], ["chapter", "c1"]],
               start=T0),
        # a settings dict holding a "children" array: found by the byte scan, then not taken for children
        _entry("chapter", "c0", key_first=key_first, children=[["vertical", "v0"]],
               group_id_to_child={"children": ["vertical", "v0"]}),
        _entry("chapter", "c1", key_first=key_first, user_partitions=[{"children": [1, 2]}]),
        _entry("vertical", "v0", key_first=key_first, children=[["html", "h0"], ["problem", "p0"]]),
        _entry("html", "h0", key_first=key_first, display_name="H \x02block_type\x00 \x04children\x00"),
        _entry("problem", "p0", key_first=key_first, due=T0),
        _entry("problem", "orphan", key_first=key_first),
        _entry("about", "overview", key_first=key_first),
    ]
    return {"_id": ObjectId(), "root": ["course", "course"], "blocks": blocks, "schema_version": 1,
            "original_version": ObjectId(), "edited_on": T0}


def _both(document: dict) -> tuple[dict, dict]:
    stored = encode_structure(document)
    eager = structure_from_mongo(decode_structure(stored.data, stored.checksum, what="x"))
    lazy = structure_from_stored(decode_structure_lazily(stored.data, stored.checksum, what="x"))
    return eager, lazy


@pytest.mark.parametrize("key_first", [True, False], ids=["scanned", "fallback"])
def test_a_stored_structure_equals_the_fully_decoded_one(key_first):
    eager, lazy = _both(_document(key_first=key_first))
    assert isinstance(lazy["blocks"], StoredBlocks)
    assert {k: v for k, v in lazy.items() if k != "blocks"} == {k: v for k, v in eager.items() if k != "blocks"}
    assert list(lazy["blocks"]) == list(eager["blocks"])
    assert lazy["blocks"][BlockKey("problem", "p0")] == eager["blocks"][BlockKey("problem", "p0")]
    assert lazy["blocks"].decoded_count == 1
    assert dict(lazy["blocks"].items()) == eager["blocks"]
    assert lazy["blocks"] == eager["blocks"]
    assert BlockKey("problem", "nope") not in lazy["blocks"]
    with pytest.raises(KeyError):
        lazy["blocks"][BlockKey("problem", "nope")]


@pytest.mark.parametrize("key_first", [True, False], ids=["scanned", "fallback"])
def test_the_outline_is_the_same_and_decodes_only_parents(key_first):
    eager, lazy = _both(_document(key_first=key_first))
    roots = [BlockKey("course", "course")]
    for derive in (parents_map, anchored_blocks, parents_with_path_to_root, orphans):
        assert derive(lazy) == derive(eager), derive.__name__
    assert descendants(lazy, roots, None) == descendants(eager, roots, None)
    assert preorder(lazy, roots, 1) == preorder(eager, roots, 1)
    # only the children arrays are decoded (c1's and h0's look-alike bytes are checked and skipped): no block
    assert lazy["blocks"].decoded_count == 0


def _odd_document() -> dict:
    """Entries where ``edit_info`` is not last, or its marker's bytes appear elsewhere: decoded whole, the same."""
    document = _document()
    blocks = document["blocks"]
    marker = "\x03edit_info\x00"
    blocks[4]["fields"]["display_name"] = f"{marker}\x10\x00\x00\x00"  # look-alike in a string
    blocks[5]["fields"]["edit_info"] = {"edited_by": 9}  # a settings dict of that name
    blocks[6]["asides"] = [{"aside_type": "a", "edit_info": {"edited_by": 8}}]
    first = blocks[7]
    blocks[7] = {"block_type": first["block_type"], "block_id": first["block_id"], "edit_info": first["edit_info"],
                 **{k: v for k, v in first.items() if k not in ("block_type", "block_id", "edit_info")}}
    return document


@pytest.mark.parametrize("odd", [False, True], ids=["as-compiled", "look-alikes"])
def test_a_block_read_by_key_decodes_its_edit_info_when_it_is_first_read(odd, monkeypatch):
    from lc_modulestore.api import LazyStructure

    decoded = []
    real_decode = LazyStructure.decode_document
    monkeypatch.setattr(LazyStructure, "decode_document", lambda self, *a, **k: decoded.append(a)
                        or real_decode(self, *a, **k))
    eager, lazy = _both(_odd_document() if odd else _document())
    read = [lazy["blocks"][key] for key in eager["blocks"]]  # one by one, as a category read does
    assert decoded == []
    for block, key in zip(read, eager["blocks"], strict=True):
        assert block.edit_info.to_storable() == eager["blocks"][key].edit_info.to_storable()
        assert block == eager["blocks"][key]
    # as compiled, every entry kept its edit_info as bytes; an entry written otherwise is decoded whole
    assert len(decoded) == (len(read) - 1 if odd else len(read))


def test_a_block_with_edit_info_still_as_bytes_pickles_and_copies_with_it():
    import copy

    from shim.split_types import BlockData, EditInfo

    eager, lazy = _both(_document())
    key = BlockKey("problem", "p0")
    for copied in (pickle.loads(pickle.dumps(lazy["blocks"][key], 4)), copy.deepcopy(lazy["blocks"][key])):
        assert copied == eager["blocks"][key] and copied._edit_info_loader is None
    # a block pickled before edit info could be deferred (its state holds "edit_info") loads as it was
    old = BlockData.__new__(BlockData)
    old.__setstate__({"definition_loaded": False, "fields": {}, "block_type": "html", "definition": None,
                      "defaults": {}, "asides": {}, "edit_info": EditInfo(edited_by=5)})
    assert old.edit_info.edited_by == 5


def test_a_pickled_stored_structure_is_a_plain_one():
    _eager, lazy = _both(_document())
    copied = pickle.loads(pickle.dumps(lazy, 4))
    assert type(copied["blocks"]) is dict and copied["blocks"] == lazy["blocks"]


@needs_db
def test_a_cold_get_item_decodes_the_block_and_the_parents_only(store):
    tree = build_tree()
    course_key = CourseKey.from_string(str(tree.course_key)).for_branch("published-branch")
    shared = store.backend.get_shared_structure(tree.published_id, course_context=course_key)
    leaf = next(k for k in shared["blocks"] if k not in parents_map_of(shared) and k != shared["root"])
    new_request()
    store.backend.structure_cache.clear_local()
    block = store.get_item(course_key.make_usage_key(leaf.type, leaf.id))
    assert block.location.block_id == leaf.id
    assert block.start is not None  # inherited: read from the ancestors
    for name, field in block.fields.items():  # and its content (its definition: a plan of that block alone)
        if field.scope == Scope.content:
            getattr(block, name)
    blocks = store.backend.get_shared_structure(tree.published_id, course_context=course_key)["blocks"]
    assert blocks is not shared["blocks"]  # decoded anew: the cold read
    ancestors, key = 0, leaf
    while (key := parents_of(shared).get(key)) is not None:
        ancestors += 1
    # the leaf and its ancestors (inherited settings), nothing else; parents by byte search, no children map
    assert blocks.decoded_count == ancestors + 1 < len(blocks)
    assert blocks._children is None and len(blocks._searched) == ancestors + 1


@needs_db
def test_get_items_by_category_decodes_only_that_category_and_the_parents(store):
    tree = build_tree()
    course_key = CourseKey.from_string(str(tree.course_key)).for_branch("published-branch")
    shared = store.backend.get_shared_structure(tree.published_id, course_context=course_key)
    parents = len(parents_map_of(shared))
    problems = [k for k in shared["blocks"] if k.type == "problem"]
    new_request()
    store.backend.structure_cache.clear_local()
    found = store.get_items(course_key, qualifiers={"category": "problem"})
    assert sorted(b.location.block_id for b in found) == sorted(k.id for k in problems)
    blocks = store.backend.get_shared_structure(tree.published_id, course_context=course_key)["blocks"]
    assert blocks.decoded_count <= parents + len(problems) < len(blocks)


def parents_of(structure) -> dict:
    return {kid: key for key, b in structure["blocks"].items() for kid in b.fields.get("children", [])}


def parents_map_of(structure) -> dict:
    """Blocks listing children (a block is a parent here if it holds any)."""
    return {k: b for k, b in structure["blocks"].items() if b.fields.get("children")}


@needs_db
def test_a_second_request_builds_no_key_or_locator_the_first_one_built(store, monkeypatch):
    """Usage keys, definition locators and settings checks are the structure's: later requests reuse them."""
    from opaque_keys.edx.locator import CourseLocator, DefinitionLocator

    from shim import runtime as runtime_module

    tree = build_tree()
    course_key = CourseKey.from_string(str(tree.course_key)).for_branch("published-branch")
    first = store.get_items(course_key)
    built, checked = [], []
    real_make, real_check = CourseLocator.make_usage_key, runtime_module.CourseRuntime._check_settings
    monkeypatch.setattr(CourseLocator, "make_usage_key", lambda self, *a: built.append(a) or real_make(self, *a))
    monkeypatch.setattr(runtime_module, "DefinitionLocator",
                        lambda *a: built.append(a) or DefinitionLocator(*a))
    monkeypatch.setattr(runtime_module.CourseRuntime, "_check_settings",
                        lambda self, *a: checked.append(a) or real_check(self, *a))
    new_request()
    again = store.get_items(course_key)
    assert [b.location for b in again] == [b.location for b in first]
    assert built == [] and checked == []


def test_the_next_structure_reuses_the_unchanged_blocks_and_decodes_the_changed_ones():
    document = _document()
    _eager, before = _both(document)
    before["blocks"].items()  # a reader decoded everything
    document["blocks"][5]["fields"]["due"] = T0 + datetime.timedelta(days=1)  # a leaf edit
    document["_id"] = ObjectId()
    stored = encode_structure(document)
    after = structure_from_stored(decode_structure_lazily(stored.data, stored.checksum, what="x"), previous=before)
    eager_after = structure_from_mongo(decode_structure(stored.data, stored.checksum, what="x"))
    assert after["blocks"] == eager_after["blocks"]
    edited = BlockKey("problem", "p0")
    assert after["blocks"][edited] is not before["blocks"][edited]
    assert all(after["blocks"][k] is before["blocks"][k] for k in after["blocks"] if k != edited)
    assert after["blocks"]._previous is None  # fully decoded: the previous structure is let go


@needs_db
def test_after_a_leaf_edit_the_backend_reuses_the_previous_publish_and_a_cold_start_does_not(backend):
    from compiler import api as compiler_api
    from lc_modulestore.api import PUBLISHED_BRANCH, publish_course
    from tests.compiler.helpers import build_course as build_lc_course
    from tests.compiler.helpers import leaf as lc_leaf

    course, writer = build_lc_course(sections=1, subsections=2, units=2, components=2)
    key = str(course.course_key)
    compiler_api.compile_course(key, branch=PUBLISHED_BRANCH)
    course_key = CourseKey.from_string(key).for_branch(PUBLISHED_BRANCH)

    def head():
        new_request()
        index = backend.get_course_index(course_key)
        return backend.get_shared_structure(index["versions"][PUBLISHED_BRANCH], course_context=course_key)

    before = head()
    before["blocks"].items()  # a full read: every block decoded
    writer.save_block(lc_leaf("html", "p0_0_0_0", text="edited"))
    compiler_api.compile_publish_log(publish_course(course).id)
    after = head()
    assert after["_id"] != before["_id"]
    reused = [k for k in after["blocks"] if after["blocks"][k] is before["blocks"].get(k)]
    # everything but the leaf and its four ancestors (whose edit info changed) is the previous decode
    assert len(reused) == len(after["blocks"]) - 5
    backend.structure_cache.clear_local()  # a cold start (a new process) has nothing to reuse
    cold = head()
    assert not any(cold["blocks"][k] is after["blocks"][k] for k in cold["blocks"])


@pytest.mark.parametrize("key_first", [True, False], ids=["scanned", "fallback"])
def test_searching_the_bytes_for_parents_finds_what_the_children_map_finds(key_first):
    eager, lazy = _both(_document(key_first=key_first))
    blocks = lazy["blocks"]
    for key in list(eager["blocks"]):
        assert blocks.search_parents(key, reader=1) == parents_map(eager).get(key, []), key
    assert blocks.decoded_count == 0
    # a second reader (another request: the structure is warm), or once the map exists: the map answers
    assert blocks.search_parents(BlockKey("html", "h0"), reader=2) is None
    blocks.children()
    assert blocks.search_parents(BlockKey("html", "h0"), reader=1) is None


@needs_db
def test_a_second_request_on_a_structure_builds_the_children_map_once(store):
    """Byte searches serve one cold request; a warm structure answers parents from its map in O(1)."""
    tree = build_tree()
    course_key = CourseKey.from_string(str(tree.course_key)).for_branch("published-branch")
    shared = store.backend.get_shared_structure(tree.published_id, course_context=course_key)
    leaves = [k for k in shared["blocks"] if k not in parents_map_of(shared) and k != shared["root"]]
    store.get_item(course_key.make_usage_key(leaves[0].type, leaves[0].id)).start  # noqa: B018 - inherited
    assert shared["blocks"]._children is None
    new_request()
    store.get_item(course_key.make_usage_key(leaves[1].type, leaves[1].id)).start  # noqa: B018
    assert shared["blocks"]._children is not None


def test_edit_info_left_as_bytes_that_does_not_decode_names_the_entry_and_structure():
    from lc_modulestore.api import CorruptDocumentError

    stored = encode_structure(_document())
    lazy = decode_structure_lazily(stored.data, stored.checksum, what="course X, published")
    with pytest.raises(CorruptDocumentError, match="edit_info of block entry 3 of course X, published"):
        lazy.decode_document(b"\x09\x00\x00\x00\x10a\x00\x01\x00", 3, "edit_info")


@needs_db
def test_nothing_a_read_built_outlives_the_request_and_the_cleared_structure_cache(store):
    """
    What a read derives from a structure (usage keys, children lists, parents) dies with the structure.

    Kept once in a module-level table of a few structures, it held a whole structure's blocks and usage keys
    after every cache that should have held them was cleared: a cold read then ran beside that garbage.
    """
    import gc

    from benchmarks.read import SCENARIOS

    tree = build_tree()
    course_key = CourseKey.from_string(str(tree.course_key)).for_branch("published-branch")
    gc.collect()
    before = {id(o) for o in gc.get_objects() if type(o) is StoredBlocks}  # not isinstance: dead weak proxies
    for scenario in ("traversal", "get_items", "path_to_location"):
        fn, per_item = SCENARIOS[scenario]
        leaf = next(b.location for b in store.get_items(course_key) if not b.has_children) if per_item else None
        fn(store, course_key, leaf)
        new_request()
        store.backend.structure_cache.clear_local()
    gc.collect()
    left = [o for o in gc.get_objects() if type(o) is StoredBlocks and id(o) not in before]
    assert left == []
