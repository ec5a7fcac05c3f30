"""
Fixtures for the Mongo side: a mongomock database, and a real wire-protocol server (nx-27017).

nx-27017 is a pure-Python MongoDB wire-protocol server over SQLite: pymongo
talks to it over a real socket, so these tests exercise the driver, BSON
round trips and query operators as a deployment would. It rejects dotted
collection names, so wire tests use ``_`` between split's prefix and names.
"""
from __future__ import annotations

import uuid

import mongomock
import pymongo
import pytest
from edx_django_utils.cache import RequestCache

from benchmarks.nx import NxServerError
from benchmarks.nx import nx_server as start_nx_server


@pytest.fixture(autouse=True)
def _fresh_request_cache():
    """Each test is a new request (course indexes are request-cached)."""
    RequestCache.clear_all_namespaces()
    yield
    RequestCache.clear_all_namespaces()


@pytest.fixture
def mock_db():
    """An empty mongomock database, tz-aware like split's client."""
    return mongomock.MongoClient(tz_aware=True).get_database("edxapp")


@pytest.fixture(scope="session")
def nx_server():
    """A running nx-27017 on a free port with temporary files, for the whole session (benchmarks.nx starts it)."""
    try:
        with start_nx_server() as uri:
            yield uri
    except NxServerError as exc:
        pytest.fail(f"the mongo_wire tests need nx-27017: {exc}")


@pytest.fixture
def nx_db(nx_server):
    """(uri, database name, collection prefix) unique to one test, on the shared nx-27017 server."""
    name = f"t{uuid.uuid4().hex[:12]}"
    client = pymongo.MongoClient(nx_server, tz_aware=True, serverSelectionTimeoutMS=3000)
    yield nx_server, client.get_database(name)
    client.close()
