"""Shared pytest fixtures."""
from __future__ import annotations

import datetime

import pytest
from openedx_content.models_api import Container


@pytest.fixture(autouse=True)
def _reset_container_type_cache():
    """openedx-core caches ContainerType rows per class; a rolled-back test DB invalidates them."""
    Container.reset_cache()
    yield
    Container.reset_cache()


@pytest.fixture
def now() -> datetime.datetime:
    return datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
