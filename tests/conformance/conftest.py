"""The conformance suite states split's behaviour once and checks it on every backend."""
import pytest

from shim.backends.mysql import MySQLPersistenceBackend
from shim.caches import StructureCache
from shim.store import ReadOnlySplitModuleStore
from tests.conformance.mongo_mirror import MirroredMongoBackend
from tests.shim.documents import WRITTEN
from tests.shim.fixtures import _fresh_caches, backend  # noqa: F401
from tests.shim.memory_backend import MemoryBackend


@pytest.fixture(params=["mysql", "memory", "mongo"])
def any_backend(request):
    """
    Every backend: ours (MySQL), an in-memory second implementation, and split's
    own Mongo collections (mongomock) read by ``shim.backends.mongo``, the baseline.
    """
    if request.param == "memory":
        return MemoryBackend(WRITTEN)
    if request.param == "mongo":
        return MirroredMongoBackend(WRITTEN)
    return MySQLPersistenceBackend(structure_cache=StructureCache())


@pytest.fixture
def store(any_backend, tmp_path) -> ReadOnlySplitModuleStore:
    return ReadOnlySplitModuleStore(any_backend, fs_root=str(tmp_path / "fs"))
