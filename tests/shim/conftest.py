from .fixtures import _fresh_caches, backend, store  # noqa: F401
