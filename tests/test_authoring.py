"""The authoring layer every importer writes through."""
from __future__ import annotations

import datetime

import pytest
from openedx_content.models_api import PublishLogRecord, Section, Subsection, Unit

from lc_modulestore.api import (
    AssetData,
    BlockData,
    BlockKey,
    BlockShapeError,
    CourseExistsError,
    CourseWriter,
    InvalidCourseKeyError,
    create_course,
    entity_code,
    publish_course,
)
from lc_modulestore.models import BlockContainer, BlockFieldData, CourseAsset, CourseBlock, CourseRoot

pytestmark = pytest.mark.django_db

K = BlockKey


def _tiny_course(writer: CourseWriter, *, due=None) -> None:
    writer.save_block(BlockData(K("html", "h1"), title="H", content={"data": "<p>hi</p>"}, olx="<html/>"))
    writer.save_block(BlockData(K("problem", "p1"), title="P", settings={"weight": 2.0}, olx="<problem/>"))
    writer.save_block(
        BlockData(K("vertical", "v1"), title="V", children=[K("html", "h1"), K("problem", "p1")], is_container=True)
    )
    writer.save_block(
        BlockData(
            K("sequential", "s1"),
            title="S",
            settings={"due": due} if due else {},
            children=[K("vertical", "v1")],
            is_container=True,
        )
    )
    writer.save_block(BlockData(K("chapter", "c1"), title="C", children=[K("sequential", "s1")], is_container=True))
    writer.save_block(
        BlockData(K("course", "course"), title="Course", children=[K("chapter", "c1")], is_container=True)
    )


def test_course_blocks_get_learning_core_types_and_field_data(now):
    course = create_course("course-v1:Org+C+R", title="T", created=now)
    writer = CourseWriter(course, created=now)
    due = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    _tiny_course(writer, due=due)

    course.refresh_from_db()
    assert isinstance(course.root, CourseRoot)
    kinds = {
        (b.block_type): type(b.entity.container).__name__ if hasattr(b.entity, "container") else "Component"
        for b in CourseBlock.objects.filter(course=course)
    }
    assert kinds["vertical"] == "Container"  # multi-table base; check the subclass below
    assert Unit.objects.filter(container__publishable_entity=writer.block(K("vertical", "v1")).entity).exists()
    assert Subsection.objects.filter(container__publishable_entity=writer.block(K("sequential", "s1")).entity).exists()
    assert Section.objects.filter(container__publishable_entity=writer.block(K("chapter", "c1")).entity).exists()
    seq_fields = BlockFieldData.objects.get(entity_version__entity=writer.block(K("sequential", "s1")).entity)
    assert seq_fields.settings["due"] == due  # datetimes survive the JSON column as datetimes
    assert seq_fields.children == [["vertical", "v1"]]


def test_unchanged_save_makes_no_version_and_edit_side_effects_reach_the_root(now):
    course = create_course("course-v1:Org+C+R", title="T", created=now)
    writer = CourseWriter(course, created=now)
    _tiny_course(writer)
    publish_course(course)

    writer = CourseWriter(course, created=now)
    _tiny_course(writer)
    assert writer.stats == {"created": 0, "updated": 0, "unchanged": 6}

    writer.save_block(BlockData(K("html", "h1"), title="H", content={"data": "<p>edited</p>"}, olx="<html/>"))
    log = publish_course(course)
    records = {
        r.entity.course_block.block_type: (r.old_version_id == r.new_version_id)
        for r in PublishLogRecord.objects.filter(publish_log=log).select_related("entity__course_block")
    }
    assert records == {"html": False, "vertical": True, "sequential": True, "chapter": True, "course": True}


def test_vertical_holding_a_container_becomes_a_block_container(now):
    course = create_course("course-v1:Org+C+R", title="T", created=now)
    writer = CourseWriter(course, created=now)
    writer.save_block(BlockData(K("html", "a"), olx="<html/>"))
    writer.save_block(BlockData(K("split_test", "st"), children=[K("html", "a")], is_container=True))
    writer.save_block(BlockData(K("vertical", "v"), children=[K("split_test", "st")], is_container=True))
    assert BlockContainer.objects.filter(container__publishable_entity=writer.block(K("vertical", "v")).entity).exists()
    assert BlockContainer.objects.filter(
        container__publishable_entity=writer.block(K("split_test", "st")).entity
    ).exists()


def test_leaf_cannot_become_container(now):
    course = create_course("course-v1:Org+C+R", title="T", created=now)
    writer = CourseWriter(course, created=now)
    writer.save_block(BlockData(K("html", "a"), olx="<html/>"))
    with pytest.raises(BlockShapeError, match="html/a"):
        writer.save_block(BlockData(K("html", "a"), children=[], is_container=True))


def test_same_id_different_types_and_unsafe_ids(now):
    course = create_course("course-v1:Org+C+R", title="T", created=now)
    writer = CourseWriter(course, created=now)
    writer.save_block(BlockData(K("html", "secret:magic"), olx="<html/>"))
    writer.save_block(BlockData(K("vertical", "secret:magic"), children=[K("html", "secret:magic")], is_container=True))
    writer.save_block(
        BlockData(K("sequential", "secret:magic"), children=[K("vertical", "secret:magic")], is_container=True)
    )
    assert CourseBlock.objects.filter(course=course, block_id="secret:magic").count() == 3
    assert entity_code(K("html", "ok_id"), container=False) == "ok_id"
    assert entity_code(K("vertical", "a:b"), container=True) != entity_code(K("vertical", "a_b"), container=True)


@pytest.mark.parametrize("bad", ["not a key", "Org/Course/Run", "library-v1:Org+Lib", "course-v1:O+C+R+branch@draft"])
def test_bad_course_keys_are_refused(bad, now):
    with pytest.raises(InvalidCourseKeyError):
        create_course(bad, title="T", created=now)


def test_duplicate_course_refused(now):
    create_course("course-v1:Org+C+R", title="T", created=now)
    with pytest.raises(CourseExistsError, match="course-v1:Org\\+C\\+R"):
        create_course("course-v1:Org+C+R", title="T", created=now)


def test_sync_blocks_saves_changed_blocks_and_soft_deletes_the_rest(now):
    """The one sync both importers use: unchanged blocks get no version, blocks not named are soft-deleted."""
    course = create_course("course-v1:Org+Sync+R", title="T", created=now)
    html = BlockData(K("html", "h1"), title="H", content={"data": "<p>hi</p>"}, olx="<html/>")
    extra = BlockData(K("html", "h2"), title="H2", olx="<html/>")
    root = BlockData(K("course", "course"), title="C", children=[K("html", "h1"), K("html", "h2")], is_container=True)
    first = CourseWriter(course, created=now).sync_blocks([html, extra, root])
    assert (first.created, first.updated, first.deleted) == (3, 0, 0)

    again = CourseWriter(course, created=now).sync_blocks([html, extra, root])
    assert (again.created, again.updated, again.unchanged, again.deleted, again.versioned) == (0, 0, 3, 0, set())

    smaller = BlockData(K("course", "course"), title="C", children=[K("html", "h1")], is_container=True)
    writer = CourseWriter(course, created=now)
    last = writer.sync_blocks([html, smaller])
    assert (last.updated, last.deleted, last.versioned) == (1, 1, {K("course", "course")})
    assert writer.live_blocks() == {K("html", "h1"), K("course", "course")}


def test_sync_assets_saves_only_what_changed_and_drops_what_is_gone(now):
    course = create_course("course-v1:Org+Assets+R", title="T", created=now)
    a = AssetData("a.txt", "text/plain", data=b"a")
    b = AssetData("b.txt", "text/plain", data=b"b")
    meta = AssetData("c.pdf", "application/pdf", asset_type="thumbnail")
    first = CourseWriter(course, created=now).sync_assets([a, b, meta])
    assert (first.total, first.changed, first.without_bytes) == (3, 2, 1)
    same = CourseWriter(course, created=now).sync_assets([a, b], asset_types=frozenset({"asset"}))
    assert (same.changed, same.deleted) == (0, 0)
    edited = AssetData("a.txt", "text/plain", data=b"A")
    last = CourseWriter(course, created=now).sync_assets([edited], asset_types=frozenset({"asset"}))
    assert (last.changed, last.deleted) == (2, 1)
    assert sorted(CourseAsset.objects.filter(course=course).values_list("path", flat=True)) == ["a.txt", "c.pdf"]
