"""
Round trip: OLX → Learning Core → compile → Mongo twin → migrate_course_from_mongo (a new course) → compile.

The two compiles must give the same structures and definitions up to ids: same
blocks, children order, settings, defaults, asides, definition content and
assets. Ids, edit_info (versions, dates, users) and asset edit_info differ by
construction and are left out.
"""
from __future__ import annotations

import copy
import datetime
from pathlib import Path

import pytest
from bson import ObjectId
from django.conf import settings

from compiler import api as compiler_api
from compiler.documents import asset_key_path
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, parse_course_key
from lc_modulestore.importing.api import migrate_course_from_mongo
from lc_modulestore.importing.olx.api import import_olx
from lc_modulestore.importing.synthetic import build_synthetic_course
from lc_modulestore.models import CourseAsset
from lc_modulestore.rollout.mongo_export.api import collection_names, export_course_to_mongo
from lc_modulestore.rollout.verify import verify_course
from tests.mongo.gridfs_docs import put_asset
from tests.mongo.twins import stores

pytestmark = pytest.mark.django_db
T0 = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.timezone.utc)
FULL = Path(__file__).resolve().parents[2] / "fixtures" / "olx" / "full"
BRANCHES = (PUBLISHED_BRANCH, DRAFT_BRANCH)


def _compile(key: str) -> None:
    compiler_api.compile_course(key, branch=PUBLISHED_BRANCH)
    compiler_api.compile_drafts(key)


def normalized(course_key: str, branch: str) -> dict:
    """A compiled branch without ids or edit_info: what must survive the round trip."""
    structure = compiler_api.structure_document(course_key, branch=branch)
    definitions = compiler_api.definition_documents([str(b["definition"]) for b in structure["blocks"]])
    blocks = {}
    for block in structure["blocks"]:
        definition = definitions[str(block["definition"])]
        blocks[(block["block_type"], block["block_id"])] = {
            "fields": block["fields"],
            "defaults": block["defaults"],
            "asides": block["asides"],
            "definition_type": definition["block_type"],
            "content": definition["fields"],
        }
    assets = {t: [{k: v for k, v in a.items() if k != "edit_info"} for a in entries]
              for t, entries in structure["assets"].items()}
    return {"root": structure["root"], "blocks": blocks, "assets": assets}


def _contentstore_of(course_key):
    """
    What split's contentstore would hold for the twin: the source course's asset bytes (GridFS stand-in),
    keyed as the contentstore keys them: by asset-key path (``images/a b.png`` → ``images_a_b.png``).
    """

    def asset_bytes(asset_type: str, filename: str):
        rows = CourseAsset.objects.filter(course__course_key=course_key, asset_type=asset_type)
        row = next((r for r in rows if asset_key_path(r.path) == filename), None)
        if row is None or row.media is None:
            return None
        with row.media.read_file() as f:
            return f.read(), row.content_type

    return asset_bytes


def round_trip(source: str, target: str, database, *, separator: str = ".") -> None:
    """Export ``source``'s twin, copy its index to ``target``'s key, migrate ``target`` back in and compile it."""
    _compile(source)
    export_course_to_mongo(source, database=database, separator=separator)
    active_versions = database[collection_names(separator=separator)["active_versions"]]
    src, dst = parse_course_key(source), parse_course_key(target)
    index = copy.deepcopy(active_versions.find_one({"org": src.org, "course": src.course, "run": src.run}))
    index.update(_id=ObjectId(), org=dst.org, course=dst.course, run=dst.run)
    active_versions.insert_one(index)
    result = migrate_course_from_mongo(target, database=database, collection_separator=separator, publish=True,
                                       created=T0, asset_bytes=_contentstore_of(src))
    assert result.skipped_orphans == []
    _compile(target)


def assert_same_up_to_ids(source: str, target: str) -> None:
    for branch in BRANCHES:
        a, b = normalized(source, branch), normalized(target, branch)
        assert a["root"] == b["root"]
        assert sorted(a["blocks"]) == sorted(b["blocks"]), branch
        for key in a["blocks"]:
            assert a["blocks"][key] == b["blocks"][key], (branch, key)
        assert a["assets"] == b["assets"], branch


def test_fixture_course(mock_db):
    import_olx(FULL, "course-v1:Fix+Full+R", publish=True, created=T0)
    round_trip("course-v1:Fix+Full+R", "course-v1:Fix+Full+Back", mock_db)
    assert_same_up_to_ids("course-v1:Fix+Full+R", "course-v1:Fix+Full+Back")


def test_synthetic_course(mock_db):
    build_synthetic_course("course-v1:Syn+C+R", sections=2, subsections=2, units=2, components=3, seed=5, created=T0)
    round_trip("course-v1:Syn+C+R", "course-v1:Syn+C+Back", mock_db)
    assert_same_up_to_ids("course-v1:Syn+C+R", "course-v1:Syn+C+Back")


def _demo_dir() -> Path | None:
    base = Path(getattr(settings, "LC_DEMO_COURSE_DIR", "") or "/nonexistent")
    return next((c for c in (base, base / "course") if (c / "course.xml").is_file()), None)


def _exported_migrated_back_and_verified(course_dir: Path, nx_db, tmp_path, tag: str) -> None:
    uri, database = nx_db
    source, target = f"course-v1:{tag}+RT+R", f"course-v1:{tag}+RT+Back"
    import_olx(course_dir, source, publish=True, created=T0)
    round_trip(source, target, database, separator="_")
    assert_same_up_to_ids(source, target)
    lc, mongo = stores(database, separator="_", tmp_path=tmp_path)
    # nx-27017 rejects dotted collection names, so no GridFS (fs.files) can live there: asset files left out.
    report = verify_course(source, mongo_store=mongo, lc_store=lc, gridfs_bucket=None)
    assert report.passed, report.summary()
    assert report.blocks_compared > 10


def test_fixture_course_with_its_files_in_gridfs_verifies_and_migrates_back_from_there(mock_db, tmp_path):
    """The twin's contentstore holds the course's files as Studio would: verify compares them, a migration copies."""
    source, target = "course-v1:Fix+Files+R", "course-v1:Fix+Files+Back"
    import_olx(FULL, source, publish=True, created=T0)
    _compile(source)
    export_course_to_mongo(source, database=mock_db)
    rows = CourseAsset.objects.filter(course__course_key=parse_course_key(source), media__isnull=False)
    assert rows.count() >= 1
    for row in rows:
        with row.media.read_file() as f:
            data = f.read()
        for key in (source, target):  # the target's files too: its migration reads them from GridFS
            put_asset(mock_db, key, asset_key_path(row.path), data, content_type=row.content_type)
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    report = verify_course(source, mongo_store=mongo, lc_store=lc)
    assert report.passed, report.summary()
    assert report.assets_compared == rows.count()

    active_versions = mock_db[collection_names()["active_versions"]]
    index = copy.deepcopy(active_versions.find_one({"org": "Fix", "course": "Files", "run": "R"}))
    index.update(_id=ObjectId(), run="Back")
    active_versions.insert_one(index)
    result = migrate_course_from_mongo(target, database=mock_db, publish=True, created=T0, gridfs_bucket="fs")
    assert result.assets_without_bytes == result.assets - rows.count()
    _compile(target)
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    report = verify_course(target, mongo_store=mongo, lc_store=lc, record=False)
    assert report.passed and report.assets_compared == rows.count(), report.summary()


@pytest.mark.mongo_wire
def test_fixture_course_on_a_real_socket_exported_migrated_back_and_verified(nx_db, tmp_path):
    """Through nx-27017: export, migrate back as a new course, same documents up to ids, lc_verify passes."""
    _exported_migrated_back_and_verified(FULL, nx_db, tmp_path, "Fix")


@pytest.mark.mongo_wire
@pytest.mark.slow
def test_demo_course_on_a_real_socket_exported_migrated_back_and_verified(nx_db, tmp_path):
    """The whole demo course (413 blocks a branch, 124 assets) over nx-27017; about a minute (docs/benchmarks.md)."""
    course_dir = _demo_dir()
    if course_dir is None:
        pytest.skip("demo course corpus not available (LC_DEMO_COURSE_DIR)")
    _exported_migrated_back_and_verified(course_dir, nx_db, tmp_path, "Demo")
