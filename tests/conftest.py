"""Shared pytest fixtures."""
from __future__ import annotations

import datetime

import pytest
from openedx_content.applets.media.models import get_storage
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


@pytest.fixture
def media(tmp_path, settings):
    """The media storage in ``tmp_path`` (openedx-core caches its storage: cleared before and after)."""
    location = tmp_path / "media"
    settings.OPENEDX_LEARNING = {"MEDIA": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                           "OPTIONS": {"location": str(location)}}}
    get_storage.cache_clear()
    yield location
    get_storage.cache_clear()
