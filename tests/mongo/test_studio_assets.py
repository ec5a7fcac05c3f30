"""
A course's files come from the contentstore (ADR 0026): a Studio course migrates with all of them and verifies.

Studio's upload handler writes a file to GridFS only, so split's
``structure['assets']`` of a real course is usually empty. Before, the
migration copied bytes only for the assets split listed: such a course arrived
with no files, and ``lc_verify`` failed it with every GridFS file "in Mongo
only". And every file's bytes were held in memory before the write began.
"""
from __future__ import annotations

import copy
import hashlib
import importlib

import pytest
from bson import ObjectId

from compiler import api as compiler_api
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, CourseWriter, parse_course_key
from lc_modulestore.importing.api import MongoCourseError, migrate_course_from_mongo
from lc_modulestore.models import CourseAsset, LearningCoreCourse
from lc_modulestore.rollout.mongo_export.api import export_course_to_mongo
from lc_modulestore.rollout.verify import verify_course
from tests.compiler.helpers import T0, build_course
from tests.mongo.gridfs_docs import put_asset
from tests.mongo.split_docs import asset_storable
from tests.mongo.twins import stores

pytestmark = pytest.mark.django_db
SOURCE, KEY = "course-v1:Org+S+Src", "course-v1:Org+S+R"
FILES = {
    "images_logo.png": (b"\x89PNG\r\n\x1a\n a logo", "image/png"),
    "handout.pdf": (b"%PDF-1.4 a handout", "application/pdf"),
    "answers.txt": (b"staff only answers", "text/plain"),
}


def asset_key(name: str) -> str:
    return f"asset-v1:Org+S+R+type@asset+block@{name}"


def studio_course(db, files: dict[str, tuple[bytes, str]] = FILES, *, split_lists: tuple = (), locked=("answers.txt",)):
    """
    ``KEY`` in Mongo as Studio leaves it: its blocks in split, its files in GridFS, split's asset metadata
    only for ``split_lists`` (usually nothing). The blocks are a Learning Core course's twin, so they verify.
    """
    build_course(SOURCE, sections=1, units=1)
    compiler_api.compile_course(SOURCE, branch=PUBLISHED_BRANCH)
    compiler_api.compile_drafts(SOURCE)
    export_course_to_mongo(SOURCE, database=db)
    index = copy.deepcopy(db["modulestore.active_versions"].find_one({"run": "Src"}))
    index.update(_id=ObjectId(), run="R")
    db["modulestore.active_versions"].insert_one(index)
    listed = [asset_storable(name, contenttype=files[name][1]) for name in split_lists]
    db["modulestore.structures"].update_many({}, {"$set": {"assets": {"asset": listed} if listed else {}}})
    for name, (data, content_type) in files.items():
        put_asset(db, KEY, name, data, content_type=content_type)
        if name in locked:  # Studio's lock toggle sets the contentstore document's `locked`
            db["fs.files"].update_one({"content_son.name": name}, {"$set": {"locked": True}})
    # A thumbnail Studio rendered: not a file of the course (edx-platform's export skips them too).
    db["fs.files"].insert_one({"_id": "asset-v1:Org+S+R+type@thumbnail+block@images_logo-png.jpg", "length": 2,
                               "content_son": {"tag": "c4x", "org": "Org", "course": "S", "run": "R",
                                               "category": "thumbnail", "name": "images_logo-png.jpg"}})
    db["fs.chunks"].insert_one({"files_id": "asset-v1:Org+S+R+type@thumbnail+block@images_logo-png.jpg", "n": 0,
                                "data": b"th"})


def migrate(db, **kwargs):
    result = migrate_course_from_mongo(KEY, database=db, publish=True, created=T0, gridfs_bucket="fs", **kwargs)
    compiler_api.compile_course(KEY, branch=PUBLISHED_BRANCH)
    compiler_api.compile_drafts(KEY)
    return result


def verify(db, tmp_path, **kwargs):
    lc, mongo = stores(db, tmp_path=tmp_path)
    return verify_course(KEY, mongo_store=mongo, lc_store=lc, record=False, **kwargs)


def _rows() -> dict[str, CourseAsset]:
    return {a.path: a for a in CourseAsset.objects.filter(course__course_key=parse_course_key(KEY))
            .select_related("media")}


def test_a_studio_course_migrates_with_every_contentstore_file_and_verifies(mock_db, tmp_path):
    studio_course(mock_db)
    result = migrate(mock_db)
    rows = _rows()
    assert sorted(rows) == sorted(FILES)  # no thumbnail
    assert (result.assets, result.assets_without_bytes, result.assets_from_contentstore) == (3, 0, 3)
    for name, (data, content_type) in FILES.items():
        with rows[name].media.read_file() as f:
            assert f.read() == data, name
        assert (rows[name].content_type, rows[name].locked) == (content_type, name == "answers.txt")
    # Its metadata is the file's policies/assets.json entry, as lc_import_olx of edx-platform's export keeps it.
    assert rows["handout.pdf"].metadata["displayname"] == "handout.pdf"
    assert rows["handout.pdf"].metadata["contentType"] == "application/pdf"
    assert not {"_id", "length", "md5", "uploadDate", "chunkSize"} & set(rows["handout.pdf"].metadata)

    report = verify(mock_db, tmp_path)
    assert report.passed, report.summary()
    assert report.assets_compared == 3
    assert report.metadata_not_compared == sorted(asset_key(n) for n in FILES)
    assert "Asset metadata: 3 asset(s) Learning Core lists are contentstore files split keeps no metadata for; " \
           "their metadata was not compared, their files were" in report.summary()
    # Without the contentstore nothing shows these are the course's files in Mongo: their metadata is compared.
    report = verify(mock_db, tmp_path, gridfs_bucket=None)
    assert sorted((d.location, d.field) for d in report.differences) == sorted(
        (asset_key(n), "(asset)") for n in FILES for _branch in (PUBLISHED_BRANCH, DRAFT_BRANCH))


def test_metadata_split_lists_is_kept_with_the_file_and_verifies(mock_db, tmp_path):
    studio_course(mock_db, split_lists=("handout.pdf",))
    result = migrate(mock_db)
    report = verify(mock_db, tmp_path)  # split's internal_name (/c4x/…) is not Learning Core's media digest
    assert report.passed, report.summary()
    assert (result.assets, result.assets_without_bytes, result.assets_from_contentstore) == (3, 0, 2)
    handout = _rows()["handout.pdf"]
    assert handout.metadata["alt"] == "handout.pdf alt text" and "displayname" not in handout.metadata
    with handout.media.read_file() as f:
        assert f.read() == FILES["handout.pdf"][0]
    assert report.metadata_not_compared == [asset_key("answers.txt"), asset_key("images_logo.png")]


def test_a_difference_in_metadata_split_lists_still_fails(mock_db, tmp_path):
    studio_course(mock_db, split_lists=("handout.pdf",))
    migrate(mock_db)
    for name in ("handout.pdf", "answers.txt"):  # one split lists, one it does not
        row = _rows()[name]
        row.metadata = {**row.metadata, "alt": "changed in Learning Core"}
        row.save(update_fields=["metadata"])
    compiler_api.compile_course(KEY, branch=PUBLISHED_BRANCH, full=True)  # no publish changed: compile in full
    compiler_api.compile_drafts(KEY, full=True)
    report = verify(mock_db, tmp_path)
    assert not report.passed
    # (The published branch shows it; the draft compile keeps its structure while no draft changed.)
    assert {(d.location, d.field) for d in report.differences} == {(asset_key("handout.pdf"), "fields")}
    assert {d.learning_core["alt"] for d in report.differences} == {"changed in Learning Core"}
    assert report.metadata_not_compared == [asset_key("answers.txt"), asset_key("images_logo.png")]


def test_a_contentstore_file_learning_core_lacks_still_fails(mock_db, tmp_path):
    studio_course(mock_db)
    migrate(mock_db)
    assert verify(mock_db, tmp_path).passed
    put_asset(mock_db, KEY, "uploaded_later.png", b"after the migration")  # Studio, after the migration
    report = verify(mock_db, tmp_path)
    assert [(d.location, d.field, d.mongo, d.learning_core) for d in report.differences] == [
        (asset_key("uploaded_later.png"), "(asset file)", True, False)]
    assert "block@uploaded_later.png asset file: in Mongo only, missing from Learning Core" in report.summary()


def test_files_are_streamed_into_the_write_one_at_a_time(mock_db, monkeypatch, media):
    """Each file is read just before it is written, not all of them before the transaction."""
    studio_course(mock_db)
    events: list[str] = []
    assets_module = importlib.import_module("lc_modulestore.importing.mongo.assets")  # where the reads happen
    real_bytes, real_save = assets_module.checked_bytes, CourseWriter.save_asset

    def read(database, course_key, file, **kwargs):
        events.append(f"read {file.name}")
        return real_bytes(database, course_key, file, **kwargs)

    def save(self, path, *args, **kwargs):
        events.append(f"save {path}")
        return real_save(self, path, *args, **kwargs)

    monkeypatch.setattr(assets_module, "checked_bytes", read)
    monkeypatch.setattr(CourseWriter, "save_asset", save)
    migrate(mock_db)
    assert events == [f"{verb} {name}" for name in sorted(FILES) for verb in ("read", "save")]

    # An update of the unchanged course hashes each file's chunks and reads none of them for a write.
    events.clear()
    result = migrate(mock_db, update=True)
    assert events == [] and result.assets == 3


def test_a_bad_file_found_after_others_were_copied_leaves_no_rows_and_no_media_files(mock_db, monkeypatch, media):
    files = {"a.txt": (b"first file", "text/plain"), "b.txt": (b"second file", "text/plain"),
             "c.txt": (b"third file", "text/plain")}
    studio_course(mock_db, files, split_lists=tuple(files), locked=())
    mock_db["fs.files"].update_one({"content_son.name": "c.txt"}, {"$set": {"custom_md5": "0" * 32}})
    real_save = CourseWriter.save_asset
    written: list[str] = []

    def save(self, path, *args, **kwargs):
        stored = real_save(self, path, *args, **kwargs)
        written.append(path)
        return stored

    monkeypatch.setattr(CourseWriter, "save_asset", save)
    with pytest.raises(MongoCourseError, match=r"asset asset/c\.txt in GridFS fs: the bytes do not match their md5"):
        migrate(mock_db)
    assert written == ["a.txt", "b.txt"]  # found mid-way, after two files were stored
    assert not LearningCoreCourse.objects.filter(course_key=parse_course_key(KEY)).exists()
    assert _rows() == {}
    source_files = {hashlib.md5(p.read_bytes()).hexdigest() for p in media.rglob("*") if p.is_file()}
    assert source_files.isdisjoint(hashlib.md5(data).hexdigest() for data, _ in files.values())


def test_an_update_that_reads_no_contentstore_keeps_the_files_and_one_that_does_drops_deleted_ones(mock_db):
    studio_course(mock_db)
    migrate(mock_db)
    stored = {path: (row.media_id, row.metadata) for path, row in _rows().items()}
    result = migrate_course_from_mongo(KEY, database=mock_db, publish=True, created=T0, update=True,
                                       gridfs_bucket=None)  # metadata only: it cannot tell a file is gone
    assert (result.assets_deleted, result.assets_kept) == (0, 3)
    assert {path: (row.media_id, row.metadata) for path, row in _rows().items()} == stored
    mock_db["fs.files"].delete_one({"content_son.name": "handout.pdf"})  # deleted in Studio
    result = migrate(mock_db, update=True)
    assert (result.assets_deleted, result.assets_kept) == (1, 0)
    assert sorted(_rows()) == ["answers.txt", "images_logo.png"]
