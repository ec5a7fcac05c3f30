"""The read-only Mongo persistence backend, on mongomock and over the wire (nx-27017)."""
from __future__ import annotations

import datetime

import pytest
from bson import ObjectId
from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings
from edx_django_utils.cache import RequestCache
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import CourseLocator

from shim.backends.base import PersistenceBackend
from shim.backends.mongo import MongoBackend
from shim.exceptions import HeartbeatFailure, ItemNotFoundError, ReadOnlyModuleStoreError
from shim.split_types import BlockData, BlockKey
from shim.store import ReadOnlySplitModuleStore
from tests.mongo.split_docs import DRAFT, PUBLISHED, demo_course

UTC = datetime.timezone.utc


@pytest.fixture(params=["mongomock", pytest.param("nx", marks=pytest.mark.mongo_wire)])
def split_env(request):
    """(backend, docs of a demo course and of a second course) on either database."""
    docs = demo_course()
    other = demo_course("OtherOrg", "Other", "run1")
    other.index["versions"].pop(DRAFT)
    if request.param == "mongomock":
        database = request.getfixturevalue("mock_db")
        separator = "."
        backend = MongoBackend(database=database)
    else:
        uri, database = request.getfixturevalue("nx_db")
        separator = "_"
        backend = MongoBackend(uri=uri, db=database.name, collection_separator="_")
    docs.insert(database, separator=separator)
    other.insert(database, separator=separator)
    yield backend, docs, other
    backend.close_connections()


def test_it_implements_the_backend_protocol(split_env):
    backend, _, _ = split_env
    assert isinstance(backend, PersistenceBackend)


def test_get_course_index(split_env):
    backend, docs, _ = split_env
    key = CourseKey.from_string(docs.course_key)
    index = backend.get_course_index(key)
    assert index["_id"] == docs.index["_id"]
    assert index["versions"] == docs.index["versions"]
    assert index["edited_on"] == docs.index["edited_on"] and index["edited_on"].utcoffset() == datetime.timedelta(0)
    assert backend.get_course_index(key.for_branch(PUBLISHED))["_id"] == docs.index["_id"]
    assert backend.get_course_index(CourseKey.from_string("course-v1:edx+demox+2024")) is None
    assert backend.get_course_index(CourseKey.from_string("course-v1:edx+demox+2024"), ignore_case=True)["_id"] == (
        docs.index["_id"]
    )
    assert backend.get_course_index(CourseKey.from_string("course-v1:edX+Nope+2024")) is None
    assert backend.get_course_index(CourseLocator(version_guid=ObjectId())) is None


def test_course_index_is_request_cached_and_callers_get_copies(split_env):
    backend, docs, _ = split_env
    key = CourseKey.from_string(docs.course_key)
    first = backend.get_course_index(key)
    trips = backend.round_trips
    first["versions"][PUBLISHED] = "tampered"
    assert backend.get_course_index(key)["versions"][PUBLISHED] == docs.index["versions"][PUBLISHED]
    assert backend.round_trips == trips
    RequestCache.clear_all_namespaces()  # next request
    backend.get_course_index(key)
    assert backend.round_trips == trips + 1


def test_find_matching_course_indexes(split_env):
    backend, docs, other = split_env
    ids = lambda indexes: sorted(str(i["_id"]) for i in indexes)  # noqa: E731
    both = sorted([str(docs.index["_id"]), str(other.index["_id"])])
    assert ids(backend.find_matching_course_indexes()) == both
    assert ids(backend.find_matching_course_indexes(branch=PUBLISHED)) == both
    assert ids(backend.find_matching_course_indexes(branch=DRAFT)) == [str(docs.index["_id"])]
    assert ids(backend.find_matching_course_indexes(org_target="OtherOrg")) == [str(other.index["_id"])]
    assert ids(backend.find_matching_course_indexes(search_targets={"wiki_slug": "edX.DemoX.2024"})) == [
        str(docs.index["_id"])
    ]
    keys = [CourseKey.from_string(other.course_key), CourseKey.from_string("course-v1:No+Such+Course")]
    assert ids(backend.find_matching_course_indexes(course_keys=keys)) == [str(other.index["_id"])]
    assert ids(backend.find_matching_course_indexes(branch=DRAFT, course_keys=keys)) == []


def test_get_structure_returns_splits_in_memory_shapes(split_env):
    backend, docs, _ = split_env
    published_id = docs.index["versions"][PUBLISHED]
    backend.reset_counts()
    structure = backend.get_structure(published_id)
    assert backend.round_trips == 1 and backend.calls == {"get_structure": 1}
    assert structure["_id"] == published_id
    assert structure["root"] == BlockKey("course", "course") and isinstance(structure["root"], BlockKey)
    assert all(isinstance(k, BlockKey) and isinstance(v, BlockData) for k, v in structure["blocks"].items())
    v1 = structure["blocks"][BlockKey("vertical", "v1")]
    assert v1.fields["children"] == [BlockKey("html", "h1"), BlockKey("problem", "p1")]
    assert all(isinstance(c, BlockKey) for c in v1.fields["children"])
    assert v1.edit_info.update_version == published_id
    seq = structure["blocks"][BlockKey("sequential", "s1")]
    assert seq.fields["due"] == datetime.datetime(2024, 3, 1, 23, 59, tzinfo=UTC)
    assert seq.fields["due"].utcoffset() == datetime.timedelta(0)
    assert BlockKey("problem", "p2") not in structure["blocks"]  # draft only
    assert backend.get_structure(docs.index["versions"][DRAFT])["blocks"][BlockKey("problem", "p2")].fields == {
        "display_name": "Q2 (draft only)"
    }
    assert backend.get_structure(ObjectId()) is None


def test_structure_cache_saves_the_round_trip_and_hands_out_fresh_copies(split_env):
    backend, docs, _ = split_env
    backend.structure_cache = LocMemCache("test-structures", {})
    published_id = docs.index["versions"][PUBLISHED]
    first = backend.get_structure(published_id)
    backend.reset_counts()
    second = backend.get_structure(published_id)
    assert backend.round_trips == 0
    assert second == first and second is not first
    backend.structure_cache.set(backend._cache_key(published_id), b"corrupt")
    assert backend.get_structure(published_id) == first
    assert backend.round_trips == 1


def test_find_structures_by_id(split_env):
    backend, docs, other = split_env
    wanted = [docs.index["versions"][PUBLISHED], other.index["versions"][PUBLISHED], ObjectId()]
    backend.reset_counts()
    found = backend.find_structures_by_id(wanted)
    assert backend.round_trips == 1
    assert sorted(str(s["_id"]) for s in found) == sorted(str(i) for i in wanted[:2])
    assert all(isinstance(s["root"], BlockKey) for s in found)


def test_find_courselike_blocks_by_id_returns_root_and_the_first_block_of_the_type(split_env):
    backend, docs, other = split_env
    wanted = [docs.index["versions"][PUBLISHED], other.index["versions"][PUBLISHED]]
    found = backend.find_courselike_blocks_by_id(wanted, "course")
    assert len(found) == 2
    for structure in found:
        assert structure["root"] == BlockKey("course", "course")
        assert list(structure["blocks"]) == [BlockKey("course", "course")]
        assert structure["blocks"][BlockKey("course", "course")].fields["display_name"] == "Demo Course"
    assert [s["blocks"] for s in backend.find_courselike_blocks_by_id(wanted[:1], "no_such_type")] == [{}]


def test_definitions(split_env):
    backend, docs, _ = split_env
    structure = backend.get_structure(docs.index["versions"][PUBLISHED])
    problem = structure["blocks"][BlockKey("problem", "p1")]
    definition = backend.get_definition(problem.definition)
    assert definition["block_type"] == "problem"
    assert definition["fields"]["data"].startswith("<problem>")
    assert set(definition) == {"_id", "block_type", "schema_version", "fields", "edit_info"}

    ids = [block.definition for block in structure["blocks"].values()]
    backend.reset_counts()
    definitions = backend.get_definitions(ids + [ObjectId()])
    assert backend.calls == {"get_definitions": 1}
    assert {d["_id"] for d in definitions} == set(ids)

    missing = ObjectId()
    with pytest.raises(ItemNotFoundError, match=f"Definition {missing}.*course-v1:edX\\+DemoX\\+2024"):
        backend.get_definition(missing, course_context=CourseKey.from_string(docs.course_key))


def test_connection_checks(split_env):
    backend, _, _ = split_env
    assert backend.heartbeat() is True
    assert backend.check_connection() is True
    backend.ensure_connection()
    backend.ensure_indexes()


def test_a_bulk_scope_reads_each_structure_once_and_answers_as_without_one(split_env):
    """Split's bulk record keeps the structures it read: per-block calls in one scope cost no more round trips."""
    backend, docs, _ = split_env  # no structure cache: outside a scope every structure read is a round trip
    store = ReadOnlySplitModuleStore(backend)
    key = CourseKey.from_string(docs.course_key)
    blocks = store.get_items(key.for_branch(DRAFT))
    assert len(blocks) > 5

    def answers():
        return [(store.get_parent_location(b.location), store.has_changes(b), store.has_published_version(b))
                for b in blocks]

    backend.reset_counts()
    outside = answers()
    assert backend.calls["get_structure"] > 2 * len(blocks)
    backend.reset_counts()
    with store.bulk_operations(key):
        inside = answers()
        assert backend.calls["get_structure"] == 2  # the draft head and the published head, once each
    assert inside == outside
    assert any(parent is not None for parent, _, _ in inside) and any(changed for _, changed, _ in inside)
    backend.reset_counts()
    answers()  # the scope is closed: back to one read per call, as split
    assert backend.calls["get_structure"] > 2 * len(blocks)


def test_every_write_is_refused_and_nothing_is_written(split_env):
    backend, docs, _ = split_env
    key = CourseKey.from_string(docs.course_key)
    before = (
        backend.course_index.count_documents({}),
        backend.structures.count_documents({}),
        backend.definitions.count_documents({}),
    )
    attempts = [
        lambda: backend.insert_structure({"_id": ObjectId(), "blocks": {}}, course_context=key),
        lambda: backend.insert_definition({"_id": ObjectId()}, course_context=key),
        lambda: backend.insert_course_index(dict(docs.index, _id=ObjectId())),
        lambda: backend.update_course_index(docs.index),
        lambda: backend.delete_course_index(key),
        lambda: backend._drop_database(),
    ]
    for attempt in attempts:
        with pytest.raises(ReadOnlyModuleStoreError):
            attempt()
    with pytest.raises(ReadOnlyModuleStoreError, match=r"update_course_index of course course-v1:edX\+DemoX\+2024"):
        backend.update_course_index(docs.index)
    after = (
        backend.course_index.count_documents({}),
        backend.structures.count_documents({}),
        backend.definitions.count_documents({}),
    )
    assert after == before


@pytest.mark.mongo_wire
def test_heartbeat_fails_clearly_when_mongo_is_down():
    with socket_free_port() as port:
        backend = MongoBackend(uri=f"mongodb://127.0.0.1:{port}", db="edxapp", server_selection_timeout_ms=200)
        assert backend.check_connection() is False
        with pytest.raises(HeartbeatFailure, match="Can't connect to MongoDB database edxapp") as info:
            backend.heartbeat()
        assert info.value.service == "mongo"
        backend.close_connections()


def test_from_settings_reads_the_mongo_settings(mock_db):
    with override_settings(
        LC_MODULESTORE_MONGO_URI="mongodb://db.example:27017", LC_MODULESTORE_MONGO_DB="edxapp_ro",
        LC_MODULESTORE_MONGO_COLLECTION="ms",
    ):
        backend = MongoBackend.from_settings()
    assert backend.database.name == "edxapp_ro"
    assert backend.structures.name == "ms.structures"
    assert backend.structure_cache is not None
    backend.close_connections()


class socket_free_port:  # noqa: N801  (a tiny context manager: a port nobody listens on)
    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc) -> None:
        self.sock.close()


@pytest.mark.mongo_wire
def test_ensure_connection_reopens_a_closed_client(nx_db):
    uri, database = nx_db
    demo_course().insert(database, separator="_")
    backend = MongoBackend(uri=uri, db=database.name, collection_separator="_")
    assert backend.heartbeat() is True
    backend.close_connections()
    assert backend.check_connection() is False
    backend.ensure_connection()
    assert backend.check_connection() is True
    assert backend.get_course_index(CourseKey.from_string("course-v1:edX+DemoX+2024")) is not None
    backend.close_connections()
