"""The MySQL backend: split's shapes, one query per bulk read, refused writes, corrupt rows."""
from __future__ import annotations

import datetime
import re

import pytest
from bson import ObjectId
from opaque_keys.edx.locator import CourseLocator

from lc_modulestore.api import CorruptDocumentError
from lc_modulestore.models import CompiledDefinition, CompiledStructure, CourseIndex
from shim.backends.base import PersistenceBackend
from shim.exceptions import HeartbeatFailure, ItemNotFoundError, ReadOnlyModuleStoreError
from shim.split_types import BlockData, BlockKey
from tests.shim.courses import GREEK, build_greek_hero, build_tree

pytestmark = pytest.mark.django_db
KEY = CourseLocator("testx", "GreekHero", "run")


def test_backend_satisfies_the_protocol(backend):
    assert isinstance(backend, PersistenceBackend)


def test_course_index_has_splits_shape(backend):
    built = build_greek_hero()
    index = backend.get_course_index(KEY)
    assert set(index) == {"_id", "org", "course", "run", "edited_by", "edited_on", "last_update", "versions",
                          "schema_version", "search_targets"}
    assert isinstance(index["_id"], ObjectId)
    assert index["versions"] == {"published-branch": built.published_id, "draft-branch": built.draft_id}
    assert index["edited_on"].tzinfo is not None and index["last_update"].utcoffset() == datetime.timedelta(0)
    assert (index["org"], index["course"], index["run"]) == ("testx", "GreekHero", "run")
    assert backend.get_course_index(CourseLocator("testx", "greekhero", "run")) is None
    assert backend.get_course_index(CourseLocator("TESTX", "greekhero", "RUN"), ignore_case=True)["course"] == \
        "GreekHero"
    assert backend.get_course_index(CourseLocator(version_guid=built.draft_id)) is None


def test_course_index_is_request_cached(backend, django_assert_num_queries):
    build_greek_hero()
    with django_assert_num_queries(1):
        backend.get_course_index(KEY)
        backend.get_course_index(KEY)


def test_structure_is_converted_and_cached(backend, django_assert_num_queries):
    built = build_greek_hero()
    with django_assert_num_queries(1):
        structure = backend.get_shared_structure(built.published_id, course_context=KEY)
        assert backend.get_shared_structure(built.published_id) is structure
        # split's method hands each caller its own copy of the cached structure (issue 14), from the cache
        copy = backend.get_structure(built.published_id)
        assert copy is not structure and copy["blocks"] == structure["blocks"]
    assert structure["_id"] == built.published_id
    assert structure["root"] == BlockKey("course", "head12345")
    block = structure["blocks"][BlockKey("chapter", "chapter1")]
    assert isinstance(block, BlockData) and block.fields["children"][0] == BlockKey("problem", "problem1")
    assert block.edit_info.source_version == built.draft_id
    assert block.definition == built.definitions[BlockKey("chapter", "chapter1")]
    assert backend.get_structure(ObjectId()) is None


def test_shared_cache_serves_a_new_process_when_asked_for(django_assert_num_queries):
    from shim.backends.mysql import MySQLPersistenceBackend
    from shim.caches import StructureCache

    built = build_greek_hero()
    first = MySQLPersistenceBackend(structure_cache=StructureCache()).get_structure(built.published_id)
    other_process = MySQLPersistenceBackend(structure_cache=StructureCache())
    with django_assert_num_queries(0):
        again = other_process.get_structure(built.published_id)
    assert again is not first and again["blocks"] == first["blocks"]


def test_find_structures_and_courselike_blocks_in_one_query(backend, django_assert_num_queries):
    greek = build_greek_hero()
    tree = build_tree()
    ids = [greek.published_id, tree.published_id, ObjectId()]
    with django_assert_num_queries(1):
        structures = backend.find_structures_by_id(ids)
    assert [s["_id"] for s in structures] == ids[:2]
    backend.structure_cache.clear_local()
    from django.core.cache import caches
    caches["course_structure_cache"].clear()
    with django_assert_num_queries(1):
        partials = backend.find_courselike_blocks_by_id(ids, "course")
    assert [list(p["blocks"]) for p in partials] == [[BlockKey("course", "head12345")], [BlockKey("course", "course")]]
    assert partials[0]["root"] == BlockKey("course", "head12345")


def test_find_matching_course_indexes(backend):
    build_greek_hero()
    build_tree(wiki_slug="w")
    assert len(backend.find_matching_course_indexes()) == 2
    assert [i["org"] for i in backend.find_matching_course_indexes(org_target="Org")] == ["Org"]
    assert [i["course"] for i in backend.find_matching_course_indexes(search_targets={"wiki_slug": "w"})] == ["Tree"]
    assert [i["course"] for i in backend.find_matching_course_indexes(course_keys=[KEY])] == ["GreekHero"]
    assert backend.find_matching_course_indexes(course_keys=[]) == []
    assert backend.find_matching_course_indexes(branch="library") == []
    assert len(backend.find_matching_course_indexes(branch="draft-branch")) == 2
    with pytest.raises(ValueError):
        backend.find_matching_course_indexes(search_targets={"nope": 1})


def test_definitions_one_and_many(backend, django_assert_num_queries):
    built = build_greek_hero()
    definition_id = built.definitions[BlockKey("problem", "problem1")]
    definition = backend.get_definition(definition_id, course_context=KEY)
    assert definition["_id"] == definition_id and definition["block_type"] == "problem"
    assert definition["fields"]["data"].startswith("<problem>")
    assert set(definition) == {"_id", "block_type", "fields", "edit_info", "schema_version"}
    with django_assert_num_queries(1):
        many = backend.get_definitions(list(built.definitions.values()))
    assert {d["_id"] for d in many} == set(built.definitions.values())
    with django_assert_num_queries(0):
        assert backend.get_definitions([]) == []
    with pytest.raises(ItemNotFoundError, match=re.escape(GREEK)):
        backend.get_definition(ObjectId(), course_context=GREEK)


def test_corrupt_structure_is_refused_naming_the_course(backend):
    built = build_greek_hero()
    row = CompiledStructure.objects.get(objectid=str(built.published_id))
    CompiledStructure.objects.filter(pk=row.pk).update(data=bytes(row.data)[:-3] + b"xyz")
    with pytest.raises(CorruptDocumentError, match=r"course-v1:testx\+GreekHero\+run.*checksum"):
        backend.get_structure(built.published_id, course_context=KEY)


def test_corrupt_definition_is_refused(backend):
    built = build_greek_hero()
    definition_id = built.definitions[BlockKey("problem", "problem1")]
    CompiledDefinition.objects.filter(objectid=str(definition_id)).update(data=b"\x05\x00\x00")
    with pytest.raises(CorruptDocumentError, match=str(definition_id)):
        backend.get_definition(definition_id, course_context=KEY)


def _table_counts():
    return (CourseIndex.objects.count(), CompiledStructure.objects.count(), CompiledDefinition.objects.count(),
            list(CourseIndex.objects.values_list("published_structure_id", "draft_structure_id", "last_update")))


@pytest.mark.parametrize("method,args", [
    ("insert_structure", ({"_id": ObjectId(), "blocks": {}}, KEY)),
    ("insert_definition", ({"_id": ObjectId(), "fields": {}}, KEY)),
    ("insert_course_index", ({"org": "testx", "course": "GreekHero", "run": "run"},)),
    ("update_course_index", ({"org": "testx", "course": "GreekHero", "run": "run"},)),
    ("delete_course_index", (KEY,)),
])
def test_backend_writes_are_refused_and_nothing_is_written(backend, method, args):
    build_greek_hero()
    before = _table_counts()
    with pytest.raises(ReadOnlyModuleStoreError, match=r"course-v1:testx\+GreekHero\+run"):
        getattr(backend, method)(*args)
    assert _table_counts() == before


def test_heartbeat_and_connection(backend, monkeypatch):
    assert backend.heartbeat() is True and backend.check_connection() is True
    backend.ensure_connection()
    backend.ensure_indexes()
    backend.close_connections()

    from django.db import DatabaseError, connection

    def broken(*a, **k):
        raise DatabaseError("down")
    monkeypatch.setattr(connection, "cursor", broken)
    with pytest.raises(HeartbeatFailure):
        backend.heartbeat()
    assert backend.check_connection() is False


def test_by_default_the_row_is_the_shared_form_and_nothing_is_pickled(backend, django_assert_num_queries):
    """ADR 0025: pickling every block for the shared cache would cost more than the row's one query saves."""
    from django.core.cache import caches

    from shim.backends.mysql import MySQLPersistenceBackend

    built = build_greek_hero()
    backend.get_structure(built.published_id)
    assert caches["course_structure_cache"].get(f"lc_modulestore.structure.{built.published_id}") is None
    with django_assert_num_queries(1):
        MySQLPersistenceBackend().get_structure(built.published_id)
