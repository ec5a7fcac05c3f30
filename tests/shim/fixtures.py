"""Store fixtures shared by the shim and conformance suites (imported by both conftests)."""
from __future__ import annotations

import pytest
from django.core.cache import caches
from edx_django_utils.cache import RequestCache

from shim.backends.mysql import MySQLPersistenceBackend
from shim.store import ReadOnlySplitModuleStore
from tests.shim.documents import WRITTEN
from tests.shim.memory_backend import MemoryBackend


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test is a new process and a new request: no request cache, no shared structure cache."""
    RequestCache.clear_all_namespaces()
    caches["course_structure_cache"].clear()
    WRITTEN.clear()
    yield
    RequestCache.clear_all_namespaces()


@pytest.fixture
def backend() -> MySQLPersistenceBackend:
    return MySQLPersistenceBackend()


@pytest.fixture(params=["mysql", "memory"])
def any_backend(request):
    """The conformance suite runs on every backend: ours, and an in-memory second implementation."""
    if request.param == "memory":
        return MemoryBackend(WRITTEN)
    return MySQLPersistenceBackend()


@pytest.fixture
def store(backend, tmp_path) -> ReadOnlySplitModuleStore:
    return ReadOnlySplitModuleStore(backend, fs_root=str(tmp_path / "fs"))


def new_request() -> None:
    """What the end of a request does: forget request-scoped caches."""
    RequestCache.clear_all_namespaces()
