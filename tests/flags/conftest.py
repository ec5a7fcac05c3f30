"""Fixtures for the course flag tests."""
from __future__ import annotations

import pytest
from edx_django_utils.cache import RequestCache


@pytest.fixture(autouse=True)
def _fresh_request_cache():
    """Every test is a new request: request caches are thread-global and would leak between tests."""
    RequestCache.clear_all_namespaces()
    yield
    RequestCache.clear_all_namespaces()
