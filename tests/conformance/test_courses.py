"""Course-level reads: get_course, has_course, listings, keys, wiki, assets."""
from __future__ import annotations

import datetime

import pytest
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import BlockUsageLocator, CourseLocator, LibraryLocator

from shim.enums import ModuleStoreEnum
from shim.exceptions import ItemNotFoundError
from tests.shim.courses import build_greek_hero, build_tree
from tests.shim.documents import NOW, Block, build_course

pytestmark = pytest.mark.django_db
UTC = datetime.timezone.utc


def test_get_course_returns_the_root_on_the_branch_setting(store):
    built = build_greek_hero()
    course = store.get_course(CourseLocator("testx", "GreekHero", "run"))
    assert course.location.block_type == "course" and course.location.block_id == "head12345"
    assert course.location.branch == ModuleStoreEnum.BranchName.published
    assert course.location.version_guid == built.published_id
    with store.branch_setting(ModuleStoreEnum.Branch.draft_preferred):
        assert store.get_course(CourseLocator("testx", "GreekHero", "run")).location.version_guid == built.draft_id


def test_get_course_unknown_or_wrong_kind_raises(store):
    build_greek_hero()
    for key in (
        CourseLocator("testx", "Nope", "run"),
        CourseKey.from_string("testx/GreekHero/run"),
        LibraryLocator("testx", "GreekHero"),
    ):
        with pytest.raises(ItemNotFoundError):
            store.get_course(key)


def test_get_course_by_version_guid(store):
    built = build_greek_hero()
    course = store.get_course(CourseLocator(version_guid=built.draft_id))
    assert course.location.version_guid == built.draft_id


def test_has_course_returns_stored_casing_or_none(store):
    build_course("course-v1:MixedCase+CourseX+Run1", [Block("course", "course")])
    assert store.has_course(CourseLocator("MixedCase", "CourseX", "Run1")) == CourseLocator(
        "MixedCase", "CourseX", "Run1")
    assert store.has_course(CourseLocator("mixedcase", "coursex", "run1")) is None
    found = store.has_course(CourseLocator("mixedcase", "coursex", "run1"), ignore_case=True)
    assert found == CourseLocator("MixedCase", "CourseX", "Run1")
    assert (found.org, found.course, found.run) == ("MixedCase", "CourseX", "Run1")
    assert store.has_course(CourseLocator("MixedCase", "CourseX", "Run1", branch="draft-branch")).branch == \
        "draft-branch"
    assert store.has_course(CourseKey.from_string("MixedCase/CourseX/Run1")) is False
    assert store.has_course(LibraryLocator("MixedCase", "CourseX")) is False


def test_get_courses_and_summaries_follow_the_branch_setting(store):
    greek = build_greek_hero()
    build_tree()
    build_course("course-v1:Org+DraftOnly+Run", None, [Block("course", "course", fields={"display_name": "D"})])
    published = store.get_courses()
    assert sorted(str(c.location.course_key.for_branch(None)) for c in published) == [
        "course-v1:Org+Tree+Run", "course-v1:testx+GreekHero+run"]
    assert all(c.location.branch == "published-branch" for c in published)
    with store.branch_setting(ModuleStoreEnum.Branch.draft_preferred):
        assert len(store.get_courses()) == 3
        summaries = {str(s.id): s for s in store.get_course_summaries()}
    assert set(summaries) == {"course-v1:Org+Tree+Run", "course-v1:testx+GreekHero+run", "course-v1:Org+DraftOnly+Run"}
    assert summaries["course-v1:testx+GreekHero+run"].display_name == "The Ancient Greek Hero"
    assert summaries["course-v1:Org+DraftOnly+Run"].location == CourseLocator(
        "Org", "DraftOnly", "Run").make_usage_key("course", "course")
    assert [str(s.id) for s in store.get_course_summaries(org="testx")] == ["course-v1:testx+GreekHero+run"]
    assert len(store.get_courses(org="Org")) == 1
    assert store.get_courses(org="NoSuchOrg") == []
    assert greek.published_id


def test_get_courses_for_wiki(store):
    build_tree(wiki_slug="shared-wiki")
    build_course("course-v1:Org+Other+Run", [Block("course", "course")], wiki_slug="shared-wiki")
    build_course("course-v1:Org+Third+Run", [Block("course", "course")])
    assert sorted(map(str, store.get_courses_for_wiki("shared-wiki"))) == [
        "course-v1:Org+Other+Run", "course-v1:Org+Tree+Run"]
    assert store.get_courses_for_wiki("Org.Third.Run") == [CourseLocator("Org", "Third", "Run")]
    assert store.get_courses_for_wiki("nope") == []


def test_key_factories_and_type(store):
    assert store.make_course_key("a", "b", "c") == CourseLocator("a", "b", "c")
    key = CourseLocator("a", "b", "c")
    assert store.make_course_usage_key(key) == BlockUsageLocator(key, "course", "course")
    assert store.get_modulestore_type(key) == "split"


def test_course_index_info_and_history(store):
    built = build_greek_hero()
    index = store.get_course_index_info(CourseLocator("testx", "GreekHero", "run"))
    assert index["versions"] == {"published-branch": built.published_id, "draft-branch": built.draft_id}
    assert index["search_targets"] == {"wiki_slug": "testx.GreekHero.run"}
    assert index["edited_on"].tzinfo is not None
    history = store.get_course_history_info(CourseLocator("testx", "GreekHero", "run"))
    assert history["edited_by"] == -1 and history["original_version"] == built.published_id


def test_asset_metadata_comes_from_the_structure(store):
    def asset(name, when, locked=False):
        return {"filename": name, "asset_type": "asset", "pathname": None, "internal_name": name,
                "locked": locked, "contenttype": "image/png", "thumbnail": None, "fields": {},
                "edit_info": {"edited_on": when, "edited_by": 3, "created_on": when, "created_by": 3,
                              "curr_version": None, "prev_version": None, "edited_by_email": None,
                              "created_by_email": None}}
    t1, t2 = datetime.datetime(2024, 1, 1, tzinfo=UTC), datetime.datetime(2024, 6, 1, tzinfo=UTC)
    assets = {"asset": [asset("b.png", t1), asset("a.png", t2, locked=True)], "video": []}
    built = build_course("course-v1:Org+Assets+Run", [Block("course", "course")], assets=assets)
    key = built.course_key
    everything = store.get_all_asset_metadata(key, "asset")
    assert [m.asset_id.path for m in everything] == ["a.png", "b.png"]
    assert everything[0].locked is True and everything[0].contenttype == "image/png"
    by_date = store.get_all_asset_metadata(key, "asset", sort=("uploadDate", ModuleStoreEnum.SortOrder.descending))
    assert [m.asset_id.path for m in by_date] == ["a.png", "b.png"]
    assert [m.asset_id.path for m in store.get_all_asset_metadata(key, None, start=1, maxresults=1)] == ["b.png"]
    found = store.find_asset_metadata(key.make_asset_key("asset", "b.png"))
    assert found.edited_on == t1 and found.asset_id.path == "b.png"
    assert store.find_asset_metadata(key.make_asset_key("asset", "zzz.png")) is None
    assert NOW
