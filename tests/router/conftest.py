"""The router tests use the Mongo side's fixtures (a mongomock database, a fresh request cache per test)."""
from tests.mongo.conftest import _fresh_request_cache, mock_db  # noqa: F401
