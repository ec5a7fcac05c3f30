"""The compiled documents have split's exact shape, and edit_info follows Learning Core history."""
from __future__ import annotations

import datetime

import pytest
from bson import ObjectId
from openedx_content import api as content_api

from compiler import api, documents, storage
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, publish_course
from lc_modulestore.models import CompiledDefinition, CompiledStructure, CourseIndex
from tests.compiler.conftest import full_build_bytes, stored_bytes
from tests.compiler.helpers import T0, K, build_course, leaf

pytestmark = pytest.mark.django_db

OID_OR_NONE = (ObjectId, type(None))
EDIT_INFO_KEYS = {
    # split's EditInfo.to_storable()
    "previous_version", "update_version", "source_version", "edited_on", "edited_by",
    "original_usage", "original_usage_version",
    # ADR 0005: read by EditInfo(**edit_info) / our own subtree signal
    "_subtree_edited_on", "_subtree_edited_by", "subtree_update_version",
}


def _check_structure(doc: dict, definitions: dict) -> None:
    assert list(doc) == ["_id", "root", "previous_version", "original_version", "edited_by", "edited_on",
                         "blocks", "schema_version", "assets"]
    assert isinstance(doc["_id"], ObjectId)
    assert doc["root"] == ["course", "course"]
    assert isinstance(doc["previous_version"], OID_OR_NONE)
    assert isinstance(doc["original_version"], ObjectId)
    assert isinstance(doc["edited_by"], int)
    assert isinstance(doc["edited_on"], datetime.datetime) and doc["edited_on"].tzinfo is not None
    assert doc["schema_version"] == 1
    assert isinstance(doc["assets"], dict)
    keys = [(b["block_type"], b["block_id"]) for b in doc["blocks"]]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert ("course", "course") in keys
    for block in doc["blocks"]:
        assert list(block) == ["block_type", "block_id", "definition", "fields", "defaults", "asides", "edit_info"]
        assert isinstance(block["block_type"], str) and isinstance(block["block_id"], str)
        assert isinstance(block["definition"], ObjectId)
        assert isinstance(block["fields"], dict)
        assert list(block["fields"]) == sorted(block["fields"])
        assert block["defaults"] == {} and block["asides"] == []
        for child in block["fields"].get("children", []):
            assert isinstance(child, list) and len(child) == 2 and all(isinstance(p, str) for p in child)
            assert tuple(child) in keys, f"dangling child {child}"
        info = block["edit_info"]
        assert set(info) == EDIT_INFO_KEYS
        for k in ("previous_version", "update_version", "source_version", "subtree_update_version"):
            assert isinstance(info[k], OID_OR_NONE), k
        assert isinstance(info["edited_on"], datetime.datetime)
        assert isinstance(info["_subtree_edited_on"], datetime.datetime)
        assert info["_subtree_edited_on"] >= info["edited_on"]
        assert isinstance(info["edited_by"], int) and isinstance(info["_subtree_edited_by"], int)
        assert info["original_usage"] is None and info["original_usage_version"] is None
        definition = definitions[str(block["definition"])]
        assert list(definition) == ["_id", "block_type", "fields", "edit_info", "schema_version"]
        assert definition["_id"] == block["definition"]
        assert definition["block_type"] == block["block_type"]
        assert isinstance(definition["fields"], dict)
        assert definition["schema_version"] == 1
        assert list(definition["edit_info"]) == ["edited_by", "edited_on", "previous_version", "original_version"]
        assert isinstance(definition["edit_info"]["edited_by"], int)
        assert isinstance(definition["edit_info"]["edited_on"], datetime.datetime)
        assert isinstance(definition["edit_info"]["previous_version"], OID_OR_NONE)
        assert isinstance(definition["edit_info"]["original_version"], ObjectId)


def _definitions(doc):
    return api.definition_documents([str(b["definition"]) for b in doc["blocks"]])


def test_every_key_and_type_of_structures_definitions_and_index():
    course, writer = build_course(sections=2, subsections=1, units=1, components=3, about=True)
    key = str(course.course_key)
    api.compile_course(key, branch=PUBLISHED_BRANCH)
    api.compile_course(key, branch=DRAFT_BRANCH)
    for branch in (PUBLISHED_BRANCH, DRAFT_BRANCH):
        doc = api.structure_document(key, branch=branch)
        _check_structure(doc, _definitions(doc))
        blocks = {(b["block_type"], b["block_id"]): b for b in doc["blocks"]}
        assert len(blocks) == 1 + 2 + 2 + 2 + 6 + 1  # course, chapters, sequentials, verticals, leaves, about
        # the detached about block is in the structure but nobody's child
        assert ("about", "overview") in blocks
        assert all(["about", "overview"] not in b["fields"].get("children", []) for b in doc["blocks"])
        assert blocks[("sequential", "s0_0")]["fields"]["due"] == T0.replace(microsecond=123000) + datetime.timedelta(
            days=7
        )
        assert blocks[("html", "p0_0_0_0")]["fields"] == {"display_name": "p0_0_0_0"}
        assert blocks[("vertical", "u0_0_0")]["fields"]["children"] == [
            ["html", "p0_0_0_0"],
            ["problem", "p0_0_0_1"],
            ["html", "p0_0_0_2"],
        ]
        assert "children" not in blocks[("html", "p0_0_0_0")]["fields"]
        definition = _definitions(doc)[str(blocks[("html", "p0_0_0_0")]["definition"])]
        assert definition["fields"] == {"data": "<html>p0_0_0_0</html>"}

    index = CourseIndex.objects.get(course=course)
    doc = api.course_index_document(index)
    assert list(doc) == [
        "_id",
        "org",
        "course",
        "run",
        "edited_by",
        "edited_on",
        "last_update",
        "versions",
        "search_targets",
        "schema_version",
    ]
    assert (doc["org"], doc["course"], doc["run"]) == ("Org", "C", "R")
    assert isinstance(doc["_id"], ObjectId) and isinstance(doc["edited_by"], int)
    assert isinstance(doc["edited_on"], datetime.datetime) and isinstance(doc["last_update"], datetime.datetime)
    assert doc["versions"] == {
        DRAFT_BRANCH: api.structure_document(key, branch=DRAFT_BRANCH)["_id"],
        PUBLISHED_BRANCH: api.structure_document(key, branch=PUBLISHED_BRANCH)["_id"],
    }
    assert doc["search_targets"] == {"wiki_slug": "Org.C.R"}
    assert doc["schema_version"] == 1


def test_assets_use_asset_metadata_storable_shape():
    course, writer = build_course()
    writer.save_asset(
        "images/logo.png",
        b"\x89PNG...",
        content_type="image/png",
        locked=True,
        metadata={"thumbnail": "thumb.png", "alt": "Logo"},
    )
    api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    assets = api.structure_document(str(course.course_key))["assets"]
    (asset,) = assets["asset"]
    assert list(asset) == [
        "filename",
        "asset_type",
        "pathname",
        "internal_name",
        "locked",
        "contenttype",
        "thumbnail",
        "fields",
        "edit_info",
    ]
    assert asset["filename"] == "images_logo.png" and asset["locked"] is True  # the asset key path, as split
    assert asset["contenttype"] == "image/png" and asset["thumbnail"] == "thumb.png"
    assert asset["fields"] == {"alt": "Logo"}
    assert list(asset["edit_info"]) == [
        "curr_version",
        "prev_version",
        "created_by",
        "created_by_email",
        "created_on",
        "edited_by",
        "edited_by_email",
        "edited_on",
    ]


def test_asset_filenames_are_asset_key_paths_and_read_back_through_the_store(tmp_path):
    """Spaces and other characters asset keys refuse become ``_``, as edx-platform's contentstore names them."""
    from shim.api import create_modulestore

    course, writer = build_course()
    writer.save_asset("Brain green.png", b"\x89PNG...", content_type="image/png")
    writer.save_asset("img/x(1).png", b"\x89PNG.", content_type="image/png")
    api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    names = sorted(a["filename"] for a in api.structure_document(str(course.course_key))["assets"]["asset"])
    assert names == ["Brain_green.png", "img_x_1_.png"]
    store = create_modulestore(fs_root=str(tmp_path / "fs"))
    listed = store.get_all_asset_metadata(course.course_key, "asset")
    assert sorted(str(m.asset_id.path) for m in listed) == names
    found = store.find_asset_metadata(course.course_key.make_asset_key("asset", "Brain_green.png"))
    assert found is not None and found.contenttype == "image/png"


def test_ids_are_derived_so_recompiling_a_publish_reproduces_its_bytes():
    course, _ = build_course()
    result = api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    first = stored_bytes(course, result.log_id)
    assert first == full_build_bytes(course, result.log_id)
    CourseIndex.objects.filter(course=course).delete()
    CompiledStructure.objects.filter(course=course).delete()
    again = api.compile_publish_log(result.log_id)
    assert again.structure_id == result.structure_id
    assert stored_bytes(course, result.log_id) == first


def _block(course, key, branch=PUBLISHED_BRANCH):
    doc = api.structure_document(str(course.course_key), branch=branch)
    return next(b for b in doc["blocks"] if (b["block_type"], b["block_id"]) == key)


def _has_changes(course, key) -> bool:
    """split_draft.has_changes over our documents: draft vs published (source_version or update_version)."""
    draft = {
        (b["block_type"], b["block_id"]): b
        for b in api.structure_document(str(course.course_key), branch=DRAFT_BRANCH)["blocks"]
    }
    published = {
        (b["block_type"], b["block_id"]): b
        for b in api.structure_document(str(course.course_key), branch=PUBLISHED_BRANCH)["blocks"]
    }

    def version(block):
        info = block["edit_info"]
        return info["source_version"] if info["source_version"] is not None else info["update_version"]

    def changed(k):
        if k not in draft or k not in published:
            return True
        if version(draft[k]) != version(published[k]):
            return True
        return any(changed(tuple(c)) for c in draft[k]["fields"].get("children", []))

    return changed(key)


def _compile_both(course):
    api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    api.compile_course(str(course.course_key), branch=DRAFT_BRANCH)


def test_has_changes_follows_drafts_and_publishes():
    course, writer = build_course(units=2)
    _compile_both(course)
    assert not _has_changes(course, ("course", "course"))

    writer.created = T0 + datetime.timedelta(hours=1)
    writer.save_block(leaf("html", "p0_0_0_0", text="draft edit"))
    _compile_both(course)
    assert _has_changes(course, ("html", "p0_0_0_0"))
    assert _has_changes(course, ("vertical", "u0_0_0")) and _has_changes(course, ("course", "course"))
    assert not _has_changes(course, ("vertical", "u0_0_1"))

    content_api.reset_drafts_to_published(course.learning_package_id)
    _compile_both(course)
    assert not _has_changes(course, ("course", "course")), "discarding drafts leaves no changes"

    writer.save_block(leaf("html", "p0_0_0_0", text="edit again"))
    publish_course(course)
    _compile_both(course)
    assert not _has_changes(course, ("course", "course"))


def test_update_versions_and_the_subtree_signal_follow_publish_history():
    course, writer = build_course(components=3)
    first = api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    s1 = ObjectId(first.structure_id)
    unit = _block(course, ("vertical", "u0_0_0"))
    assert unit["edit_info"]["update_version"] == s1 and unit["edit_info"]["subtree_update_version"] == s1

    writer.created = T0 + datetime.timedelta(hours=1)
    writer.save_block(leaf("html", "p0_0_0_0", text="v2"))
    publish_course(course, published_at=T0 + datetime.timedelta(hours=1))
    s2 = ObjectId(api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH).structure_id)
    html = _block(course, ("html", "p0_0_0_0"))
    assert (html["edit_info"]["update_version"], html["edit_info"]["previous_version"]) == (s2, s1)
    assert html["edit_info"]["edited_on"] == (T0 + datetime.timedelta(hours=1)).replace(microsecond=123000)
    unit = _block(course, ("vertical", "u0_0_0"))
    # the unit's own version did not change; its subtree did (a side-effect record)
    assert unit["edit_info"]["update_version"] == s1
    assert unit["edit_info"]["subtree_update_version"] == s2
    assert unit["edit_info"]["_subtree_edited_on"] == html["edit_info"]["edited_on"]
    assert _block(course, ("course", "course"))["edit_info"]["subtree_update_version"] == s2
    untouched = _block(course, ("problem", "p0_0_0_1"))
    assert untouched["edit_info"]["subtree_update_version"] == s1

    # deleting an older leaf: _subtree_edited_on cannot move (nothing newer), the subtree signal does
    writer.delete_block(K("html", "p0_0_0_2"))
    publish_course(course, published_at=T0 + datetime.timedelta(hours=2))
    s3 = ObjectId(api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH).structure_id)
    unit3 = _block(course, ("vertical", "u0_0_0"))
    assert unit3["fields"]["children"] == [["html", "p0_0_0_0"], ["problem", "p0_0_0_1"]]
    assert unit3["edit_info"]["_subtree_edited_on"] == unit["edit_info"]["_subtree_edited_on"]
    assert unit3["edit_info"]["subtree_update_version"] == s3
    doc = api.structure_document(str(course.course_key))
    assert doc["previous_version"] == s2 and doc["original_version"] == s1
    assert (
        doc["_id"]
        == s3
        == documents.structure_id(
            branch=PUBLISHED_BRANCH, log_uuid=CompiledStructure.objects.get(objectid=str(s3)).publish_log.uuid
        )
    )


def test_definitions_chain_versions_of_one_block():
    course, writer = build_course()
    api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    v1 = _block(course, ("html", "p0_0_0_0"))["definition"]
    writer.save_block(leaf("html", "p0_0_0_0", text="v2"))
    publish_course(course)
    api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    v2 = _block(course, ("html", "p0_0_0_0"))["definition"]
    assert v1 != v2
    d2 = api.definition_documents([str(v2)])[str(v2)]
    assert d2["edit_info"]["previous_version"] == v1 and d2["edit_info"]["original_version"] == v1
    assert d2["fields"] == {"data": "<html>v2</html>"}
    assert CompiledDefinition.objects.filter(objectid=str(v1)).exists()


def test_draft_branch_shows_unpublished_edits_and_deletions():
    course, writer = build_course(components=3)
    writer.save_block(leaf("html", "p0_0_0_0", text="draft only"))
    writer.delete_block(K("html", "p0_0_0_2"))
    result = api.compile_drafts(str(course.course_key))
    assert result.installed and result.branch == DRAFT_BRANCH
    draft_unit = _block(course, ("vertical", "u0_0_0"), branch=DRAFT_BRANCH)
    assert draft_unit["fields"]["children"] == [["html", "p0_0_0_0"], ["problem", "p0_0_0_1"]]
    definition = _block(course, ("html", "p0_0_0_0"), branch=DRAFT_BRANCH)["definition"]
    assert api.definition_documents([str(definition)])[str(definition)]["fields"]["data"] == "<html>draft only</html>"
    assert storage.structure_row(course, DRAFT_BRANCH, result.log_id).draft_change_log_id == result.log_id
    assert api.compile_drafts(str(course.course_key)).stale, "same draft log again: nothing to do"
