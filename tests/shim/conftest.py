from tests.shim.fixtures import _fresh_caches, backend, store  # noqa: F401
