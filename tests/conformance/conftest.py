"""The conformance suite states split's behaviour once and checks it on every backend."""
import pytest

from shim.store import ReadOnlySplitModuleStore
from tests.shim.fixtures import _fresh_caches, any_backend, backend  # noqa: F401


@pytest.fixture
def store(any_backend, tmp_path) -> ReadOnlySplitModuleStore:  # noqa: F811
    return ReadOnlySplitModuleStore(any_backend, fs_root=str(tmp_path / "fs"))
