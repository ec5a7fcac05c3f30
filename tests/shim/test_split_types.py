"""split_types mirror split's in-memory shapes and conversions."""
from __future__ import annotations

import datetime
import pickle

import bson
from bson import ObjectId

from lc_modulestore.core.keys import BlockKey as CoreBlockKey
from shim.split_types import BlockData, BlockKey, EditInfo, structure_from_mongo, structure_to_mongo

UTC = datetime.timezone.utc


def _doc():
    when = datetime.datetime(2024, 1, 2, tzinfo=UTC)
    v1, d1, d2 = ObjectId(), ObjectId(), ObjectId()
    return {
        "_id": v1,
        "root": ["course", "course"],
        "previous_version": None,
        "original_version": v1,
        "edited_by": 3,
        "edited_on": when,
        "schema_version": 1,
        "blocks": [
            {
                "block_type": "course",
                "block_id": "course",
                "definition": d1,
                "fields": {"display_name": "Demo", "children": [["chapter", "c1"]], "start": when},
                "defaults": {},
                "asides": [],
                "edit_info": {"edited_on": when, "edited_by": 3, "update_version": v1, "previous_version": None,
                              "source_version": None, "original_usage": None, "original_usage_version": None},
            },
            {
                "block_type": "chapter",
                "block_id": "c1",
                "definition": d2,
                "fields": {"display_name": "C1", "prereq": ["problem", "p9"]},
                "defaults": {},
                "asides": [],
                "edit_info": {"edited_on": when, "edited_by": 3, "update_version": v1, "previous_version": None,
                              "source_version": None, "original_usage": None, "original_usage_version": None},
            },
        ],
    }


def test_blockkey_is_the_pipeline_blockkey():
    assert BlockKey is CoreBlockKey


def test_structure_from_mongo_converts_root_blocks_and_children_only():
    doc = _doc()
    s = structure_from_mongo(doc)
    assert s["root"] == BlockKey("course", "course") and isinstance(s["root"], BlockKey)
    assert set(s["blocks"]) == {BlockKey("course", "course"), BlockKey("chapter", "c1")}
    course = s["blocks"][BlockKey("course", "course")]
    assert isinstance(course, BlockData)
    assert course.fields["children"] == [BlockKey("chapter", "c1")]
    assert all(isinstance(c, BlockKey) for c in course.fields["children"])
    assert course.block_type == "course" and course.definition_loaded is False
    assert isinstance(course.edit_info, EditInfo) and course.edit_info.edited_by == 3
    chapter = s["blocks"][BlockKey("chapter", "c1")]
    assert chapter.fields["prereq"] == ["problem", "p9"]  # other references are not converted
    assert EditInfo(edited_by=1).source_version is None  # absent keys read as None
    assert not hasattr(chapter, "block_id")


def test_structure_round_trips_through_bson():
    original = _doc()
    structure = structure_from_mongo(_copy(original))
    document = structure_to_mongo(structure)
    assert bson.decode(bson.encode(document), codec_options=bson.CodecOptions(tz_aware=True)) == original


def test_to_storable_has_splits_keys():
    b = BlockData(block_type="html", definition=ObjectId(), fields={"display_name": "x"})
    assert set(b.to_storable()) == {"fields", "block_type", "definition", "defaults", "asides", "edit_info"}
    assert set(b.edit_info.to_storable()) == {
        "previous_version", "update_version", "source_version", "edited_on", "edited_by",
        "original_usage", "original_usage_version",
    }
    assert b == BlockData(**b.to_storable())
    assert b != BlockData(**{**b.to_storable(), "fields": {}})


def test_converted_structure_pickles():
    s = structure_from_mongo(_doc())
    again = pickle.loads(pickle.dumps(s, 4))
    assert again["blocks"] == s["blocks"] and again["root"] == s["root"]


def _copy(doc):
    return bson.decode(bson.encode(doc), codec_options=bson.CodecOptions(tz_aware=True))
