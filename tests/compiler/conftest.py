"""Fixtures of the compiler tests."""
from __future__ import annotations

import bson
import pytest

from compiler import snapshot, storage
from compiler.transform import build_structure
from lc_modulestore.api import PUBLISHED_BRANCH


def full_build_bytes(course, log_id: int) -> bytes:
    """BSON of a fresh full compile of ``course`` as of ``log_id`` (nothing stored)."""
    return bson.encode(build_structure(snapshot.full_published_snapshot(course, log_id)).document)


def full_draft_build_bytes(course) -> bytes:
    """BSON of a fresh full compile of ``course``'s current drafts (nothing stored)."""
    return bson.encode(build_structure(snapshot.draft_snapshot(course)).document)


def stored_bytes(course, log_id: int, branch: str = PUBLISHED_BRANCH) -> bytes:
    """BSON of the stored structure of ``log_id`` (decoded from its zlib form, checksum checked)."""
    row = storage.structure_row(course, branch, log_id)
    assert row is not None, f"no {branch} structure for log {log_id}"
    return bson.encode(storage.decoded(row))


@pytest.fixture
def keep_all_structures(settings):
    settings.LC_MODULESTORE_KEEP_OLD_STRUCTURES = 1000
