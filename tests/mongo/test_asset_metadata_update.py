"""
``lc_migrate_from_mongo --update`` of a course whose split asset metadata alone changed (ADR 0028): no draft or
publish log comes of it, and before, ``lc_compile`` of either branch (``--full`` too) kept serving the old
``assets`` under the old structure id.
"""
from __future__ import annotations

import pytest

from compiler import api as compiler_api
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH
from lc_modulestore.importing.api import migrate_course_from_mongo
from tests.compiler.helpers import T0
from tests.mongo.split_docs import asset_storable
from tests.mongo.test_studio_assets import KEY, migrate, studio_course

pytestmark = pytest.mark.django_db


def _alt(branch: str) -> str:
    listed = compiler_api.structure_document(KEY, branch=branch)["assets"]["asset"]
    return {a["filename"]: a for a in listed}["handout.pdf"]["fields"]["alt"]


@pytest.mark.parametrize("full", [False, True])
def test_an_update_that_changes_only_asset_metadata_reaches_both_compiled_branches(mock_db, full):
    studio_course(mock_db, split_lists=("handout.pdf",))
    migrate(mock_db)
    before = {b: compiler_api.structure_document(KEY, branch=b)["_id"] for b in (DRAFT_BRANCH, PUBLISHED_BRANCH)}
    assert {_alt(b) for b in before} == {"handout.pdf alt text"}
    edited = asset_storable("handout.pdf", contenttype="application/pdf")
    edited["fields"] = {"alt": "a new alt text"}
    mock_db["modulestore.structures"].update_many({}, {"$set": {"assets": {"asset": [edited]}}})
    migrate_course_from_mongo(KEY, database=mock_db, publish=True, created=T0, gridfs_bucket="fs", update=True)
    for branch in (DRAFT_BRANCH, PUBLISHED_BRANCH):
        result = compiler_api.compile_course(KEY, branch=branch, full=full)
        assert result.installed and not result.stale, branch
        assert _alt(branch) == "a new alt text", branch
        assert compiler_api.structure_document(KEY, branch=branch)["_id"] != before[branch], branch
