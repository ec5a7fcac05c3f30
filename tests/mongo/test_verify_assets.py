"""
lc_verify compares asset files (issue 16): GridFS in edx-platform's contentstore against Learning Core's media.

Before, verify compared asset *metadata* only: a file whose bytes differed, or
that one side did not have at all, passed, and ``lc_flag enable`` let the
course through.
"""
from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from opaque_keys.edx.keys import CourseKey

from compiler import api as compiler_api
from lc_modulestore.api import PUBLISHED_BRANCH, CourseWriter
from lc_modulestore.importing.api import gridfs_course_files
from lc_modulestore.models import CourseAsset
from lc_modulestore.rollout.api import FlagChangeRefusedError, latest_verify_run, set_course_override
from lc_modulestore.rollout.mongo_export.api import export_course_to_mongo
from lc_modulestore.rollout.verify import verify_course
from tests.compiler.helpers import T0, build_course
from tests.mongo.gridfs_docs import change_byte, put_asset
from tests.mongo.twins import stores

pytestmark = pytest.mark.django_db
KEY = "course-v1:Org+A+R"
LOGO = b"\x89PNG\r\n\x1a\n logo bytes"
HANDOUT = b"%PDF-1.4 a handout of some length"
LOGO_KEY = "asset-v1:Org+A+R+type@asset+block@images_logo.png"
HANDOUT_KEY = "asset-v1:Org+A+R+type@asset+block@handout.pdf"


def _course_with_assets(db, assets: dict[str, tuple[bytes, str]], *, in_gridfs: bool = True):
    """A Learning Core course with ``assets`` (path → (bytes, content type)), compiled, its twin in ``db``."""
    course, _ = build_course(KEY)
    writer = CourseWriter(course, created=T0)
    for path, (data, content_type) in assets.items():
        writer.save_asset(path, data, content_type=content_type)
    compiler_api.compile_course(KEY, branch=PUBLISHED_BRANCH)
    compiler_api.compile_drafts(KEY)
    export_course_to_mongo(KEY, database=db)
    ids = {}
    if in_gridfs:
        for path, (data, content_type) in assets.items():
            ids[path] = put_asset(db, KEY, path.replace("/", "_"), data, content_type=content_type)
    return course, ids


def _verify(db, tmp_path, **kwargs):
    lc, mongo = stores(db, tmp_path=tmp_path)
    return verify_course(KEY, mongo_store=mongo, lc_store=lc, **kwargs)


ASSETS = {"images/logo.png": (LOGO, "image/png"), "handout.pdf": (HANDOUT, "application/pdf")}


def test_matching_asset_files_pass_and_the_run_records_them(mock_db, tmp_path):
    _course_with_assets(mock_db, ASSETS)
    report = _verify(mock_db, tmp_path)
    assert report.passed, report.summary()
    assert report.assets_compared == 2
    assert "Asset files: 2 compared, Mongo's from GridFS edxapp.fs.files" in report.summary()
    run = latest_verify_run(KEY)
    assert run.passed and run.assets_compared == 2
    assert run.mongo_location["contentstore"] == {"db": "edxapp", "bucket": "fs"}


def test_a_changed_byte_of_the_same_length_fails_naming_the_asset(mock_db, tmp_path):
    course, _ = _course_with_assets(mock_db, ASSETS)
    changed = bytes([LOGO[0] ^ 0xFF]) + LOGO[1:]
    CourseWriter(course, created=T0).save_asset("images/logo.png", changed, content_type="image/png")
    report = _verify(mock_db, tmp_path)
    assert not report.passed
    assert [(d.location, d.field, d.mongo, d.learning_core) for d in report.differences] == [
        (LOGO_KEY, "file md5", hashlib.md5(LOGO).hexdigest(), hashlib.md5(changed).hexdigest())]
    run = latest_verify_run(KEY)
    assert not run.passed and run.diff_count == 1
    assert f"{LOGO_KEY} file md5:" in run.summary
    with pytest.raises(FlagChangeRefusedError, match="failed with 1 difference"):
        set_course_override(KEY, True)


def test_a_changed_byte_in_gridfs_chunks_is_a_difference_and_a_problem(mock_db, tmp_path):
    """Silent corruption in Mongo: the chunks no longer match the md5 the files document records."""
    _, ids = _course_with_assets(mock_db, ASSETS)
    change_byte(mock_db, ids["handout.pdf"])
    report = _verify(mock_db, tmp_path, record=False)
    assert [(d.location, d.field) for d in report.differences] == [(HANDOUT_KEY, "file md5")]
    assert len(report.problems) == 1 and report.problems[0].startswith(f"{HANDOUT_KEY} in GridFS edxapp.fs.files")
    assert "its files document records" in report.problems[0]


def test_a_file_missing_from_either_side_fails_naming_it(mock_db, tmp_path):
    _, ids = _course_with_assets(mock_db, ASSETS)
    mock_db["fs.files"].delete_one({"_id": ids["handout.pdf"]})
    put_asset(mock_db, KEY, "extra.txt", b"only in Mongo", content_type="text/plain")
    report = _verify(mock_db, tmp_path, record=False)
    assert not report.passed
    assert sorted((d.location, d.field, d.mongo, d.learning_core) for d in report.differences) == [
        ("asset-v1:Org+A+R+type@asset+block@extra.txt", "(asset file)", True, False),
        (HANDOUT_KEY, "(asset file)", False, True),
    ]
    text = report.summary()
    assert f"{HANDOUT_KEY} asset file: in Learning Core only, missing from Mongo" in text
    assert "block@extra.txt asset file: in Mongo only, missing from Learning Core" in text


def test_length_and_content_type_differences_are_named(mock_db, tmp_path):
    _course_with_assets(mock_db, {"images/logo.png": (LOGO, "image/png")}, in_gridfs=False)
    put_asset(mock_db, KEY, "images_logo.png", LOGO + b"!", content_type="image/x-png")
    report = _verify(mock_db, tmp_path, record=False)
    assert {d.field: (d.mongo, d.learning_core) for d in report.differences} == {
        "file length": (len(LOGO) + 1, len(LOGO)),
        "file md5": (hashlib.md5(LOGO + b"!").hexdigest(), hashlib.md5(LOGO).hexdigest()),
        "file content type": ("image/x-png", "image/png"),
    }


def test_a_metadata_only_asset_in_learning_core_lacks_its_file(mock_db, tmp_path):
    """A migration that could not reach GridFS kept the metadata only: Learning Core has no file to serve."""
    course, _ = _course_with_assets(mock_db, ASSETS)
    CourseAsset.objects.filter(course=course, path="handout.pdf").update(media=None)
    report = _verify(mock_db, tmp_path, record=False)
    assert [(d.location, d.field, d.mongo, d.learning_core) for d in report.differences
            if d.field == "(asset file)"] == [(HANDOUT_KEY, "(asset file)", True, False)]


def test_other_runs_and_thumbnails_are_not_this_courses_files(mock_db, tmp_path):
    _course_with_assets(mock_db, ASSETS)
    put_asset(mock_db, "course-v1:Org+A+OtherRun", "images_logo.png", b"another run's logo")
    mock_db["fs.files"].insert_one({"_id": "asset-v1:Org+A+R+type@thumbnail+block@images_logo-png.jpg",
                                    "content_son": {"tag": "c4x", "org": "Org", "course": "A", "run": "R",
                                                    "category": "thumbnail", "name": "images_logo-png.jpg"},
                                    "length": 3, "contentType": "image/jpeg"})
    report = _verify(mock_db, tmp_path, record=False)
    assert report.passed, report.summary()
    assert report.assets_compared == 2


def test_no_assets_on_either_side_passes_with_or_without_a_contentstore(mock_db, tmp_path):
    _course_with_assets(mock_db, {})
    report = _verify(mock_db, tmp_path, record=False)  # no fs.files collection at all
    assert report.passed, report.summary()
    assert "Asset files: 0 compared, Mongo's from GridFS edxapp.fs.files (no such collection, and no asset " \
           "files in Learning Core either)" in report.summary()
    put_asset(mock_db, "course-v1:Org+Other+R", "a.txt", b"another course's")
    report = _verify(mock_db, tmp_path, record=False)  # a contentstore with nothing of this course
    assert report.passed and report.assets_note == "", report.summary()


def test_learning_core_files_without_any_contentstore_fail_saying_where_it_looked(mock_db, tmp_path):
    _course_with_assets(mock_db, ASSETS, in_gridfs=False)
    report = _verify(mock_db, tmp_path, record=False)
    assert not report.passed and report.differences == []
    assert report.problems == [
        f"Learning Core holds 2 asset file(s) of {KEY} but there is no GridFS contentstore at edxapp.fs.files (no "
        "such collection) to compare them with: give lc_verify --contentstore-db / --gridfs-bucket where "
        "edx-platform's CONTENTSTORE keeps them, or --gridfs-bucket '' to leave asset files out"]
    report = _verify(mock_db, tmp_path, gridfs_bucket=None)  # the operator's explicit choice
    assert report.passed, report.summary()
    assert "Asset files: not compared (no GridFS bucket given)" in report.summary()
    assert latest_verify_run(KEY).mongo_location["contentstore"] is None


def test_the_contentstore_may_be_its_own_database_and_bucket(mock_db, tmp_path):
    _course_with_assets(mock_db, ASSETS, in_gridfs=False)
    store = mock_db.client["contentstore"]
    for path, (data, content_type) in ASSETS.items():
        put_asset(store, KEY, path.replace("/", "_"), data, content_type=content_type, bucket="assets")
    report = _verify(mock_db, tmp_path, record=False, contentstore_db="contentstore", gridfs_bucket="assets")
    assert report.passed and report.assets_compared == 2, report.summary()
    assert report.contentstore == {"db": "contentstore", "bucket": "assets"}


def test_gridfs_files_are_hashed_from_their_chunks_whatever_md5_they_record(mock_db):
    put_asset(mock_db, KEY, "new.bin", b"0123456789", chunk_size=3)  # edx-platform's custom_md5
    put_asset(mock_db, KEY, "old.bin", b"abcdef", md5_field="md5")  # GridFS's own md5, before pymongo 4
    put_asset(mock_db, KEY, "short.bin", b"abc", length=4)
    mock_db["fs.files"].update_one({"content_son.name": "new.bin"}, {"$unset": {"custom_md5": ""}})  # none at all
    files = {f.name: f for f in gridfs_course_files(mock_db, CourseKey.from_string(KEY))}
    assert (files["new.bin"].length, files["new.bin"].md5) == (10, hashlib.md5(b"0123456789").hexdigest())
    assert files["new.bin"].inconsistency() is None and files["old.bin"].inconsistency() is None
    assert files["short.bin"].inconsistency() == "its chunks hold 3 bytes, its files document says 4"
    assert gridfs_course_files(mock_db, CourseKey.from_string(KEY), bucket="nothing") is None


def test_the_command_compares_asset_files_and_takes_the_contentstore_options(mock_db, tmp_path, monkeypatch):
    course, _ = _course_with_assets(mock_db, ASSETS)
    CourseWriter(course, created=T0).save_asset("handout.pdf", HANDOUT.upper(), content_type="application/pdf")
    seen = {}

    def fake_verify(course_key, **kwargs):
        seen.update(kwargs)
        lc, mongo = stores(mock_db, tmp_path=tmp_path)
        return verify_course(course_key, mongo_store=mongo, lc_store=lc, **{
            k: v for k, v in kwargs.items() if k in ("gridfs_bucket", "contentstore_db", "record")})

    monkeypatch.setattr("lc_modulestore.management.commands.lc_verify.verify_course", fake_verify)
    out = StringIO()
    with pytest.raises(CommandError, match="1 difference"):
        call_command("lc_verify", KEY, stdout=out, stderr=StringIO())
    assert f"{HANDOUT_KEY} file md5:" in out.getvalue()
    assert (seen["gridfs_bucket"], seen["contentstore_db"]) == ("fs", None)
    call_command("lc_verify", KEY, "--gridfs-bucket", "", "--contentstore-db", "cs", stdout=StringIO(),
                 stderr=StringIO())
    assert (seen["gridfs_bucket"], seen["contentstore_db"]) == (None, "cs")
