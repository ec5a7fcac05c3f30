"""Migrating a split course from MongoDB into Learning Core: every block id, order, setting and content."""
from __future__ import annotations

import datetime
from io import StringIO

import mongomock
import pymongo
import pytest
from bson import ObjectId
from django.core.management import call_command
from django.core.management.base import CommandError
from openedx_content.models_api import (
    ComponentVersionMedia,
    Draft,
    LearningPackage,
    PublishableEntity,
    PublishableEntityVersion,
    Published,
    PublishLog,
    Section,
    Subsection,
    Unit,
)

from lc_modulestore.api import BlockKey, CourseExistsError, CourseWriter, create_course
from lc_modulestore.importing.api import MongoCourseError, migrate_course_from_mongo
from lc_modulestore.models import BlockFieldData, CourseAsset, CourseBlock, CourseRoot, LearningCoreCourse
from tests.mongo.gridfs_docs import put_asset
from tests.mongo.split_docs import DRAFT, PUBLISHED, SplitCourseDocs, demo_course

pytestmark = pytest.mark.django_db
K = BlockKey
NOW = datetime.datetime(2026, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc)


def _structure(docs: SplitCourseDocs, branch: str) -> dict:
    return next(s for s in docs.structures if s["_id"] == docs.index["versions"][branch])


def _entries(docs: SplitCourseDocs, branch: str) -> dict[BlockKey, dict]:
    return {K(b["block_type"], b["block_id"]): b for b in _structure(docs, branch)["blocks"]}


def _field_data(course: LearningCoreCourse, key: BlockKey, *, published: bool) -> BlockFieldData | None:
    block = CourseBlock.objects.get(course=course, block_type=key.type, block_id=key.id)
    model = Published if published else Draft
    row = model.objects.filter(entity_id=block.entity_id).select_related("version").first()
    if row is None or row.version is None:
        return None
    return row.version.block_field_data


def _block_xml(course: LearningCoreCourse, key: BlockKey) -> str:
    block = CourseBlock.objects.get(course=course, block_type=key.type, block_id=key.id)
    version = Draft.objects.get(entity_id=block.entity_id).version
    return ComponentVersionMedia.objects.get(component_version_id=version.pk, path="block.xml").media.text


def _db_counts() -> tuple[int, ...]:
    return (
        LearningPackage.objects.count(),
        LearningCoreCourse.objects.count(),
        PublishableEntity.objects.count(),
        CourseBlock.objects.count(),
        BlockFieldData.objects.count(),
        CourseAsset.objects.count(),
        PublishLog.objects.count(),
    )


def _assert_branch_matches(course: LearningCoreCourse, docs: SplitCourseDocs, branch: str, *, published: bool) -> None:
    """Every block of the branch head (reachable or detached) is in Learning Core with split's exact field data."""
    entries = _entries(docs, branch)
    for key, entry in entries.items():
        if key == K("html", "orphan"):
            continue
        data = _field_data(course, key, published=published)
        assert data is not None, key
        fields = dict(entry["fields"])
        children = fields.pop("children", [])
        assert data.settings == fields, key
        assert data.content == docs.definitions[entry["definition"]]["fields"], key
        assert data.children == children, key  # same ids, same order
        assert data.entity_version.title == fields.get("display_name", ""), key


@pytest.fixture
def migrated(mock_db):
    docs = demo_course()
    docs.insert(mock_db)
    result = migrate_course_from_mongo(docs.course_key, database=mock_db, publish=True, created=NOW)
    return docs, result, LearningCoreCourse.objects.get(course_key=docs.course_key)


def test_every_block_keeps_its_id_type_and_place(migrated):
    docs, result, course = migrated
    expected = (set(_entries(docs, PUBLISHED)) | set(_entries(docs, DRAFT))) - {K("html", "orphan")}
    rows = CourseBlock.objects.filter(course=course)
    assert {K(b.block_type, b.block_id) for b in rows} == expected
    assert {b.block_id for b in rows if b.detached} == {"overview", "updates", "syllabus"}
    assert result.skipped_orphans == ["html/orphan"]
    assert (course.org, course.course, course.run, course.wiki_slug) == ("edX", "DemoX", "2024", "edX.DemoX.2024")
    assert course.learning_package.title == "Demo Course"
    assert isinstance(course.root, CourseRoot)
    entity = {K(b.block_type, b.block_id): b.entity_id for b in rows}
    assert Section.objects.filter(container__publishable_entity_id=entity[K("chapter", "c1")]).exists()
    assert Subsection.objects.filter(container__publishable_entity_id=entity[K("sequential", "s1")]).exists()
    assert Unit.objects.filter(container__publishable_entity_id=entity[K("vertical", "v1")]).exists()


def test_published_state_is_splits_published_head(migrated):
    docs, result, course = migrated
    assert result.published and PublishLog.objects.filter(learning_package=course.learning_package).count() == 1
    _assert_branch_matches(course, docs, PUBLISHED, published=True)
    assert _field_data(course, K("problem", "p2"), published=True) is None  # never published in split
    h1 = _field_data(course, K("html", "h1"), published=True)
    assert h1.content == {"data": "<p>Hello</p>"}
    seq = _field_data(course, K("sequential", "s1"), published=True)
    assert seq.settings["due"] == datetime.datetime(2024, 3, 1, 23, 59, tzinfo=datetime.timezone.utc)
    assert _field_data(course, K("course", "course"), published=True).content == {
        "wiki_slug": "edX.DemoX.2024", "license": "all-rights-reserved"
    }


def test_drafts_that_differ_from_published_are_unpublished_changes(migrated):
    docs, result, course = migrated
    _assert_branch_matches(course, docs, DRAFT, published=False)
    assert result.draft_changes > 0 and result.draft_deletes == 0
    assert _field_data(course, K("html", "h1"), published=False).content == {"data": "<p>Hello, edited</p>"}
    assert _field_data(course, K("vertical", "v1"), published=False).children == [
        ["html", "h1"], ["problem", "p1"], ["problem", "p2"]
    ]
    assert _field_data(course, K("chapter", "c2"), published=False).entity_version.title == "Week 2 (renamed)"
    # Unchanged blocks were not given a new draft version.
    for key in (K("problem", "p1"), K("video", "vid1"), K("sequential", "s2"), K("about", "overview")):
        block = CourseBlock.objects.get(course=course, block_type=key.type, block_id=key.id)
        assert Draft.objects.get(entity_id=block.entity_id).version_id == (
            Published.objects.get(entity_id=block.entity_id).version_id
        ), key
    changed = {
        K(b.block_type, b.block_id)
        for b in CourseBlock.objects.filter(course=course)
        if Draft.objects.get(entity_id=b.entity_id).version_id
        != getattr(Published.objects.filter(entity_id=b.entity_id).first(), "version_id", None)
    }
    assert changed == {K("html", "h1"), K("problem", "p2"), K("vertical", "v1"), K("chapter", "c2")}


def test_leaf_olx_comes_from_the_real_class_or_the_generic_form(migrated):
    _, result, course = migrated
    problem = _block_xml(course, K("problem", "p1"))
    assert problem.startswith("<problem") and 'url_name="p1"' in problem and 'display_name="Q1"' in problem
    assert 'max_attempts="3"' in problem and "<multiplechoiceresponse>" in problem
    html = _block_xml(course, K("html", "h1"))
    assert html.startswith("<html") and "Hello, edited" in html and "filename" not in html
    video = _block_xml(course, K("video", "vid1"))
    assert 'youtube_id_1_0="dQw4w9WgXcQ"' in video and 'url_name="vid1"' in video
    assert result.generic_olx == 0


def test_asset_metadata_is_kept_without_bytes(migrated):
    _, result, course = migrated
    assets = {a.path: a for a in CourseAsset.objects.filter(course=course)}
    assert set(assets) == {"images_logo.png", "handout.pdf"}
    assert (result.assets, result.assets_without_bytes) == (2, 2)
    pdf = assets["handout.pdf"]
    assert (pdf.media, pdf.locked, pdf.content_type, pdf.asset_type) == (None, True, "application/pdf", "asset")
    assert pdf.metadata["alt"] == "handout.pdf alt text"
    assert pdf.metadata["created_on"] == datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)
    assert (pdf.metadata["curr_version"], pdf.edited_by) == ("v2", 3)


def test_asset_bytes_are_stored_when_available(mock_db):
    docs = demo_course()
    docs.insert(mock_db)
    files = {("asset", "images_logo.png"): (b"\x89PNG fake", "image/png")}
    result = migrate_course_from_mongo(
        docs.course_key, database=mock_db, publish=True, created=NOW, asset_bytes=lambda t, f: files.get((t, f))
    )
    logo = CourseAsset.objects.get(path="images_logo.png")
    assert logo.media is not None and logo.media.size == len(b"\x89PNG fake")
    assert result.assets_without_bytes == 1


def test_without_publish_everything_is_a_draft_of_the_draft_head(mock_db):
    docs = demo_course()
    docs.insert(mock_db)
    result = migrate_course_from_mongo(docs.course_key, database=mock_db, publish=False, created=NOW)
    course = LearningCoreCourse.objects.get()
    assert not result.published and not PublishLog.objects.exists()
    assert not Published.objects.filter(version__isnull=False).exists()
    _assert_branch_matches(course, docs, DRAFT, published=False)


def test_published_only_course_and_blocks_deleted_in_draft(mock_db):
    docs = demo_course("Org2", "C2", "R2")
    docs.index["versions"].pop(DRAFT)
    docs.insert(mock_db)
    result = migrate_course_from_mongo(docs.course_key, database=mock_db, publish=True, created=NOW)
    course = LearningCoreCourse.objects.get()
    _assert_branch_matches(course, docs, PUBLISHED, published=True)
    assert (result.draft_changes, result.draft_deletes) == (0, 0)

    # A draft head where Studio deleted a unit: the deletion is an unpublished change.
    docs3 = demo_course("Org3", "C3", "R3")
    docs3.set_block("sequential", "s1", settings={"display_name": "Lesson 1"}, children=[("vertical", "v1")])
    docs3.remove_block("vertical", "v2")
    docs3.remove_block("video", "vid1")
    docs3.commit(DRAFT)
    docs3.insert(mock_db)
    result = migrate_course_from_mongo(docs3.course_key, database=mock_db, publish=True, created=NOW)
    course3 = LearningCoreCourse.objects.get(course_key=docs3.course_key)
    assert result.draft_deletes == 2
    assert _field_data(course3, K("video", "vid1"), published=False) is None
    assert _field_data(course3, K("video", "vid1"), published=True) is not None


# ---- bad input: a clear error naming the course and block, and the database unchanged ---------------------------


def _break_and_migrate(mock_db, breaker, *, match: str, error=MongoCourseError) -> None:
    docs = demo_course()
    breaker(docs)
    docs.insert(mock_db)
    before = _db_counts()
    with pytest.raises(error, match=match):
        migrate_course_from_mongo(docs.course_key, database=mock_db, publish=True, created=NOW)
    assert _db_counts() == before


def _set_children(docs, branch, key, children):
    _entries(docs, branch)[key]["fields"]["children"] = children


def test_missing_course_index(mock_db):
    before = _db_counts()
    with pytest.raises(MongoCourseError, match=r"course-v1:edX\+Nope\+1 has no course index in edxapp.modulestore."):
        migrate_course_from_mongo("course-v1:edX+Nope+1", database=mock_db, publish=True)
    assert _db_counts() == before


def test_dangling_child(mock_db):
    _break_and_migrate(
        mock_db,
        lambda d: _set_children(d, DRAFT, K("vertical", "v3"), [["html", "h2"], ["html", "ghost"]]),
        match=r"course-v1:edX\+DemoX\+2024: block vertical/v3 \(draft-branch\) has child html/ghost, which is not",
    )


def test_missing_definition(mock_db):
    def breaker(docs):
        definition = _entries(docs, PUBLISHED)[K("problem", "p1")]["definition"]
        del docs.definitions[definition]

    _break_and_migrate(mock_db, breaker, match=r"DemoX\+2024: definitions missing .* for problem/p1 \(definition ")


def test_missing_head_structure(mock_db):
    _break_and_migrate(
        mock_db,
        lambda d: d.index["versions"].__setitem__(PUBLISHED, ObjectId("0" * 24)),
        match=r"DemoX\+2024: the published-branch head structure 000000000000000000000000 is not",
    )


def test_leaf_with_children_and_cycles(mock_db):
    _break_and_migrate(
        mock_db,
        lambda d: _set_children(d, PUBLISHED, K("html", "h2"), [["problem", "p1"]]),
        match=r"DemoX\+2024: block html/h2 has children in split, but its XBlock class .* cannot have children",
    )
    mock_db.drop_collection("modulestore.active_versions")
    _break_and_migrate(
        mock_db,
        lambda d: _set_children(d, PUBLISHED, K("vertical", "v3"), [["sequential", "s2"]]),
        match=r"DemoX\+2024: block sequential/s2 \(published-branch\) is its own ancestor",
    )


def test_a_failure_while_writing_rolls_everything_back(mock_db, monkeypatch):
    docs = demo_course()
    docs.insert(mock_db)
    before = _db_counts()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(CourseWriter, "save_asset_metadata", explode)  # after all blocks were written and published
    with pytest.raises(RuntimeError, match="disk full"):
        migrate_course_from_mongo(docs.course_key, database=mock_db, publish=True, created=NOW)
    assert _db_counts() == before
    monkeypatch.undo()
    migrate_course_from_mongo(docs.course_key, database=mock_db, publish=True, created=NOW)  # and it can be retried
    assert LearningCoreCourse.objects.filter(course_key=docs.course_key).exists()


def test_an_existing_course_is_refused_and_left_alone(mock_db, now):
    docs = demo_course()
    docs.insert(mock_db)
    create_course(docs.course_key, title="already here", created=now)
    before = _db_counts()
    with pytest.raises(CourseExistsError, match=r"course-v1:edX\+DemoX\+2024 already exists.*--update"):
        migrate_course_from_mongo(docs.course_key, database=mock_db, publish=True, created=NOW)
    assert _db_counts() == before


def _replace_in(database, docs: SplitCourseDocs) -> None:
    """What Studio's later edits leave in Mongo: the course's documents as ``docs`` now has them."""
    for name in ("active_versions", "structures", "definitions"):
        database.drop_collection(f"modulestore.{name}")
    docs.insert(database)


def test_update_of_an_unchanged_course_makes_no_versions_and_no_publish(migrated, mock_db):
    docs, first, course = migrated
    versions, logs, assets = PublishableEntityVersion.objects.count(), PublishLog.objects.count(), _asset_rows(course)
    later = NOW + datetime.timedelta(days=1)
    result = migrate_course_from_mongo(docs.course_key, database=mock_db, publish=True, created=later, update=True)
    assert result.updated and not result.published and result.publish_log_id is None
    assert result.blocks == first.blocks and result.unchanged == result.blocks
    assert (result.draft_changes, result.draft_deletes, result.deleted, result.assets_deleted) == (0, 0, 0, 0)
    assert PublishableEntityVersion.objects.count() == versions and PublishLog.objects.count() == logs
    assert _asset_rows(course) == assets
    _assert_branch_matches(course, docs, PUBLISHED, published=True)
    _assert_branch_matches(course, docs, DRAFT, published=False)


def _asset_rows(course: LearningCoreCourse) -> list[tuple]:
    return sorted(CourseAsset.objects.filter(course=course).values_list(
        "asset_type", "path", "content_type", "locked", "metadata", "edited_on"))


def test_update_brings_an_existing_course_up_to_date_with_split(migrated, mock_db):
    docs, _, course = migrated
    # In Studio since the first migration: the drafts were published without h2 (deleted) and the handout,
    # then h1 was edited again as a draft.
    docs.set_block("vertical", "v3", settings={"display_name": "Unit 3"}, children=[])
    docs.remove_block("html", "h2")
    docs.assets = {"asset": [a for a in docs.assets["asset"] if a["filename"] != "handout.pdf"]}
    docs.commit(PUBLISHED, source_version=docs.commit(DRAFT)["_id"])
    docs.set_block("html", "h1", settings={"display_name": "Welcome"}, content={"data": "<p>Hello, again</p>"})
    docs.commit(DRAFT)
    _replace_in(mock_db, docs)
    logs = PublishLog.objects.count()

    result = migrate_course_from_mongo(docs.course_key, database=mock_db, publish=True, created=NOW, update=True)
    assert result.updated and result.published and PublishLog.objects.count() == logs + 1
    _assert_branch_matches(course, docs, PUBLISHED, published=True)
    _assert_branch_matches(course, docs, DRAFT, published=False)
    assert _field_data(course, K("problem", "p2"), published=True) is not None  # published in Studio since
    assert _field_data(course, K("html", "h1"), published=True).content == {"data": "<p>Hello, edited</p>"}
    assert _field_data(course, K("html", "h1"), published=False).content == {"data": "<p>Hello, again</p>"}
    assert _field_data(course, K("html", "h2"), published=True) is None
    assert _field_data(course, K("html", "h2"), published=False) is None
    assert result.deleted == 1 and result.assets_deleted == 1
    assert set(CourseAsset.objects.filter(course=course).values_list("path", flat=True)) == {"images_logo.png"}


def test_a_failed_update_leaves_the_course_as_it_was(migrated, mock_db):
    docs, _, course = migrated
    docs.set_block("vertical", "v3", settings={"display_name": "Unit 3"}, children=[("html", "gone")])
    docs.commit(DRAFT)
    _replace_in(mock_db, docs)
    before = _db_counts()
    with pytest.raises(MongoCourseError, match=r"v3 \(draft-branch\) has child html/gone"):
        migrate_course_from_mongo(docs.course_key, database=mock_db, publish=True, created=NOW, update=True)
    assert _db_counts() == before


# ---- the command, and pymongo over the wire -----------------------------------------------------------------------


@mongomock.patch(servers=(("mongo.example", 27017),))
def test_lc_migrate_from_mongo_command():
    docs = demo_course()
    docs.insert(pymongo.MongoClient("mongodb://mongo.example:27017")["edxapp"])
    out = StringIO()
    call_command(
        "lc_migrate_from_mongo", docs.course_key, "--mongo-uri", "mongodb://mongo.example:27017", "--db", "edxapp",
        "--publish", stdout=out,
    )
    assert "course-v1:edX+DemoX+2024: 16 blocks, published (publish log" in out.getvalue()
    assert "4 unpublished draft change(s)" in out.getvalue()
    assert "2 asset(s) (0 from the contentstore without split metadata, 2 metadata only)" in out.getvalue()
    assert "Left out 1 orphan block(s): html/orphan" in out.getvalue()
    with pytest.raises(CommandError, match=r"course-v1:edX\+Other\+1 has no course index"):
        call_command("lc_migrate_from_mongo", "course-v1:edX+Other+1", "--mongo-uri", "mongodb://mongo.example:27017",
                     "--db", "edxapp")
    again = ["lc_migrate_from_mongo", docs.course_key, "--mongo-uri", "mongodb://mongo.example:27017", "--db",
             "edxapp", "--publish"]
    with pytest.raises(CommandError, match=r"course-v1:edX\+DemoX\+2024 already exists in Learning Core.*--update"):
        call_command(*again)
    out = StringIO()
    call_command(*again, "--update", stdout=out)
    assert "course-v1:edX+DemoX+2024: updated in place (16 block(s) unchanged, 0 deleted" in out.getvalue()
    assert "not published" in out.getvalue()


@pytest.mark.mongo_wire
def test_migration_over_the_wire(nx_db):
    uri, database = nx_db
    docs = demo_course()
    docs.insert(database, separator="_")
    result = migrate_course_from_mongo(
        docs.course_key, mongo_uri=uri, db=database.name, collection_separator="_", publish=True, created=NOW
    )
    course = LearningCoreCourse.objects.get()
    assert result.published and result.blocks == 16
    _assert_branch_matches(course, docs, PUBLISHED, published=True)
    _assert_branch_matches(course, docs, DRAFT, published=False)


def test_asset_bytes_come_from_gridfs_checked_against_their_md5(mock_db):
    docs = demo_course()
    docs.insert(mock_db)
    put_asset(mock_db, str(docs.course_key), "images_logo.png", b"\x89PNG fake bytes")
    put_asset(mock_db, "course-v1:edX+DemoX+2025", "handout.pdf", b"another run's handout")  # not this course's
    result = migrate_course_from_mongo(docs.course_key, database=mock_db, publish=True, created=NOW,
                                       gridfs_bucket="fs")
    logo = CourseAsset.objects.get(path="images_logo.png")
    assert logo.media.read_file().read() == b"\x89PNG fake bytes"
    assert (result.assets, result.assets_without_bytes) == (2, 1)  # handout.pdf is not in this run's GridFS


def test_gridfs_files_are_found_as_edx_platform_keys_course_v1_assets(mock_db):
    """
    The reader looked files up by an ``_id`` dict without a run (deprecated keys): edx-platform keys a course-v1
    asset by its key string and ``content_son`` (run included), so a real contentstore gave no bytes at all.
    """
    docs = demo_course()
    docs.insert(mock_db)
    put_asset(mock_db, str(docs.course_key), "images_logo.png", b"logo", md5_field="md5")
    put_asset(mock_db, str(docs.course_key), "handout.pdf", b"%PDF handout")
    result = migrate_course_from_mongo(docs.course_key, database=mock_db, publish=True, created=NOW,
                                       gridfs_bucket="fs")
    assert (result.assets, result.assets_without_bytes) == (2, 0)
    assert CourseAsset.objects.get(path="handout.pdf").media.read_file().read() == b"%PDF handout"


def test_the_contentstore_may_be_another_database_on_the_same_server(mock_db):
    docs = demo_course()
    docs.insert(mock_db)
    put_asset(mock_db.client["contentstore"], str(docs.course_key), "images_logo.png", b"logo elsewhere")
    result = migrate_course_from_mongo(docs.course_key, database=mock_db, publish=True, created=NOW,
                                       gridfs_bucket="fs", contentstore_db="contentstore")
    assert (result.assets, result.assets_without_bytes) == (2, 1)
    assert CourseAsset.objects.get(path="images_logo.png").media.read_file().read() == b"logo elsewhere"


def test_gridfs_bytes_that_do_not_match_their_md5_fail_naming_the_file(mock_db):
    docs = demo_course()
    docs.insert(mock_db)
    put_asset(mock_db, str(docs.course_key), "images_logo.png", b"\x89PNG fake", custom_md5="0" * 32)
    with pytest.raises(MongoCourseError, match="asset asset/images_logo.png in GridFS fs: the bytes do not match"):
        migrate_course_from_mongo(docs.course_key, database=mock_db, publish=True, created=NOW, gridfs_bucket="fs")
    assert not LearningCoreCourse.objects.exists()


def test_progress_is_told_of_every_block_written_in_each_pass(mock_db):
    """``progress`` is a plain keyword passed down to each save pass (it was a module ContextVar)."""
    docs = demo_course()
    docs.insert(mock_db)
    ticks: list[int] = []
    result = migrate_course_from_mongo(docs.course_key, database=mock_db, publish=True, created=NOW,
                                       progress=ticks.append)
    published = len(_entries(docs, PUBLISHED)) - len(result.skipped_orphans)
    assert all(n > 0 for n in ticks) and sum(ticks) == published + result.blocks  # published pass, then draft
    ticks.clear()
    migrate_course_from_mongo(docs.course_key, database=mock_db, publish=True, created=NOW, update=True,
                              progress=ticks.append)
    assert sum(ticks) == result.blocks  # the published state already matches: only the draft head is walked
