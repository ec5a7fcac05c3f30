"""The Mongo twin: compiled documents written into split's collections, read back by the Mongo backend."""
from __future__ import annotations

from io import StringIO

import pytest
from bson import ObjectId
from django.core.management import call_command
from django.core.management.base import CommandError

from compiler import api as compiler_api
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH
from lc_modulestore.rollout.mongo_export.api import (
    SPLIT_EDIT_INFO_KEYS,
    MongoExportError,
    collection_names,
    export_course_to_mongo,
)
from shim.backends.mongo import MongoBackend
from tests.compiler.helpers import build_course

pytestmark = pytest.mark.django_db
KEY = "course-v1:Org+Twin+R"


def _compiled(key: str = KEY, **shape):
    course, _ = build_course(key, **shape)
    compiler_api.compile_course(key, branch=PUBLISHED_BRANCH)
    compiler_api.compile_drafts(key)
    return course


def _counts(database, prefix="modulestore", sep="."):
    return {n: database[c].count_documents({}) for n, c in collection_names(prefix, sep).items()}


def test_export_writes_split_on_disk_form(mock_db):
    _compiled(sections=2, units=2)
    result = export_course_to_mongo(KEY, database=mock_db)
    index = mock_db["modulestore.active_versions"].find_one({"org": "Org", "course": "Twin", "run": "R"})
    assert set(index["versions"]) == {PUBLISHED_BRANCH, DRAFT_BRANCH}
    assert all(isinstance(v, ObjectId) for v in index["versions"].values())
    published = mock_db["modulestore.structures"].find_one({"_id": index["versions"][PUBLISHED_BRANCH]})
    compiled = compiler_api.structure_document(KEY, branch=PUBLISHED_BRANCH)
    assert isinstance(published["blocks"], list)
    assert [(b["block_type"], b["block_id"]) for b in published["blocks"]] == [
        (b["block_type"], b["block_id"]) for b in compiled["blocks"]
    ]
    for stored, original in zip(published["blocks"], compiled["blocks"], strict=True):
        assert tuple(stored["edit_info"]) == SPLIT_EDIT_INFO_KEYS  # split's keys only
        assert stored["fields"] == original["fields"]
        assert stored["definition"] == original["definition"]
        assert stored["edit_info"]["edited_on"].tzinfo is not None
    definition_ids = {b["definition"] for b in published["blocks"]}
    assert mock_db["modulestore.definitions"].count_documents({"_id": {"$in": list(definition_ids)}}) == len(
        definition_ids)
    assert result.heads[PUBLISHED_BRANCH] == str(published["_id"])


def test_export_is_idempotent_and_moves_heads(mock_db):
    course = _compiled()
    export_course_to_mongo(KEY, database=mock_db)
    first = _counts(mock_db)
    export_course_to_mongo(KEY, database=mock_db)
    assert _counts(mock_db) == first
    assert first["active_versions"] == 1

    import datetime

    from lc_modulestore.api import CourseWriter
    from tests.compiler.helpers import T0, leaf

    CourseWriter(course, created=T0 + datetime.timedelta(hours=1)).save_block(leaf("html", "p0_0_0_0", text="changed"))
    compiler_api.compile_drafts(KEY)
    result = export_course_to_mongo(KEY, database=mock_db)
    index = mock_db["modulestore.active_versions"].find_one({})
    assert str(index["versions"][DRAFT_BRANCH]) == result.heads[DRAFT_BRANCH]
    assert _counts(mock_db)["active_versions"] == 1
    assert _counts(mock_db)["structures"] == first["structures"] + 1


def test_export_refuses_foreign_index_and_uncompiled_courses(mock_db):
    _compiled()
    mock_db["modulestore.active_versions"].insert_one({"_id": ObjectId(), "org": "Org", "course": "Twin", "run": "R",
                                                       "versions": {}})
    with pytest.raises(MongoExportError, match="Studio owns"):
        export_course_to_mongo(KEY, database=mock_db)
    export_course_to_mongo(KEY, database=mock_db, replace_foreign_index=True)
    assert mock_db["modulestore.active_versions"].count_documents({}) == 1

    build_course("course-v1:Org+Raw+R")
    with pytest.raises(MongoExportError, match="course-v1:Org\\+Raw\\+R"):
        export_course_to_mongo("course-v1:Org+Raw+R", database=mock_db)


def test_only_the_requested_branch(mock_db):
    _compiled()
    result = export_course_to_mongo(KEY, database=mock_db, branches=(PUBLISHED_BRANCH,))
    index = mock_db["modulestore.active_versions"].find_one({})
    assert list(index["versions"]) == [PUBLISHED_BRANCH]
    assert list(result.heads) == [PUBLISHED_BRANCH]


@pytest.mark.mongo_wire
def test_command_over_a_real_socket_reads_back_through_the_backend(nx_db):
    uri, database = nx_db
    _compiled(sections=2)
    out = StringIO()
    call_command("lc_export_mongo", KEY, "--mongo-uri", uri, "--db", database.name, "--separator", "_", stdout=out)
    assert "definition(s)" in out.getvalue()
    backend = MongoBackend(database=database, collection_separator="_")
    from opaque_keys.edx.locator import CourseLocator

    index = backend.get_course_index(CourseLocator("Org", "Twin", "R"))
    structure = backend.get_structure(index["versions"][PUBLISHED_BRANCH])
    compiled = compiler_api.structure_document(KEY, branch=PUBLISHED_BRANCH)
    assert len(structure["blocks"]) == len(compiled["blocks"])
    assert structure["edited_on"] == compiled["edited_on"]
    with pytest.raises(CommandError, match="no compiled"):
        call_command("lc_export_mongo", "course-v1:No+Such+Course", "--mongo-uri", uri, "--db", database.name,
                     "--separator", "_", stdout=StringIO())
