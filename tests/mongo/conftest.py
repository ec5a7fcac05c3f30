"""
Fixtures for the Mongo side: a mongomock database, and a real wire-protocol server (nx-27017).

nx-27017 is a pure-Python MongoDB wire-protocol server over SQLite: pymongo
talks to it over a real socket, so these tests exercise the driver, BSON
round trips and query operators as a deployment would. It rejects dotted
collection names, so wire tests use ``_`` between split's prefix and names.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import mongomock
import pymongo
import pytest
from edx_django_utils.cache import RequestCache


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _nx_binary() -> str:
    local = Path(sys.executable).parent / "nx-27017"
    found = str(local) if local.exists() else shutil.which("nx-27017")
    if not found:
        pytest.fail("nx-27017 is not installed (pip install nx-27017): the mongo_wire tests need it")
    return found


@pytest.fixture(scope="session")
def nx_server(tmp_path_factory):
    """A running nx-27017 on a free port with a temporary database file; killed at the end of the session."""
    port = _free_port()
    workdir = tmp_path_factory.mktemp("nx")
    log = open(workdir / "stdout.log", "w")  # noqa: SIM115 (closed at teardown)
    # --data-dir: one SQLite file per logical database (with --db, all databases share one namespace).
    # Own pid and log files: the defaults (/tmp/nx_27017.pid) are shared, and a second server would refuse to start.
    process = subprocess.Popen(
        [
            _nx_binary(), "--data-dir", str(workdir / "data"), "-p", str(port), "--host", "127.0.0.1",
            "--pid-file", str(workdir / "nx.pid"), "--log-file", str(workdir / "nx.log"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    uri = f"mongodb://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with pymongo.MongoClient(uri, serverSelectionTimeoutMS=300) as client:
                    client.admin.command("ping")
                break
            except pymongo.errors.PyMongoError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nx-27017 did not start; see {workdir}") from None
                time.sleep(0.1)
        yield uri
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def nx_db(nx_server):
    """(uri, database name, collection prefix) unique to one test, on the shared nx-27017 server."""
    name = f"t{uuid.uuid4().hex[:12]}"
    client = pymongo.MongoClient(nx_server, tz_aware=True, serverSelectionTimeoutMS=3000)
    yield nx_server, client.get_database(name)
    client.close()
