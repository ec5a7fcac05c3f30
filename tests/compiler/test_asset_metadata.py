"""
Asset metadata changes without a log (ADR 0028): both branches' compiled ``assets`` follow ``CourseAsset``, and a
structure whose ``assets`` changed gets a new id (equal inputs, equal ids).
"""
from __future__ import annotations

import pytest

from compiler import api, documents, storage
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, AssetData, CourseWriter
from shim.caches import StructureCache
from tests.compiler.conftest import stored_bytes
from tests.compiler.helpers import T0, build_course

pytestmark = pytest.mark.django_db

BRANCHES = (DRAFT_BRANCH, PUBLISHED_BRANCH)


def _alt(course_key: str, branch: str) -> str | None:
    (asset,) = api.structure_document(course_key, branch=branch)["assets"]["asset"]
    return asset["fields"].get("alt")


def _sync_alt(course, alt: str) -> None:
    CourseWriter(course, created=T0).sync_assets(
        [AssetData(path="images/logo.png", content_type="image/png", metadata={"alt": alt})]
    )


def _course_with_asset():
    course, _ = build_course()
    _sync_alt(course, "old")
    key = str(course.course_key)
    for branch in BRANCHES:
        api.compile_course(key, branch=branch)
        assert _alt(key, branch) == "old"
    return course, key


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("branch", BRANCHES)
def test_a_metadata_only_change_reaches_the_compiled_branch(branch, full):
    course, key = _course_with_asset()
    before = api.structure_document(key, branch=branch)["_id"]
    _sync_alt(course, "new")  # no draft or publish log: only CourseAsset rows change
    result = api.compile_course(key, branch=branch, full=full)
    assert not result.stale and result.installed
    assert _alt(key, branch) == "new"
    assert api.structure_document(key, branch=branch)["_id"] != before
    assert str(api.structure_document(key, branch=branch)["_id"]) == result.structure_id


@pytest.mark.parametrize("branch", BRANCHES)
def test_the_id_follows_the_assets_and_equal_compiles_stay_byte_identical(branch):
    course, key = _course_with_asset()
    log_id = storage.head_log_id(course, branch)
    old_id = api.structure_document(key, branch=branch)["_id"]
    assert api.compile_course(key, branch=branch).stale  # nothing changed: nothing to do
    first = stored_bytes(course, log_id, branch)
    api.compile_course(key, branch=branch, full=True)
    assert stored_bytes(course, log_id, branch) == first  # a repeated full compile is idempotent
    _sync_alt(course, "new")
    api.compile_course(key, branch=branch, full=True)
    new_id = api.structure_document(key, branch=branch)["_id"]
    assert new_id != old_id
    _sync_alt(course, "old")  # back to the same inputs: back to the same id and bytes
    api.compile_course(key, branch=branch)
    assert api.structure_document(key, branch=branch)["_id"] == old_id
    assert stored_bytes(course, log_id, branch) == first


def test_a_structure_cache_keyed_by_id_cannot_serve_the_old_assets():
    course, key = _course_with_asset()
    cache = StructureCache(shared=False)
    old = api.structure_document(key)
    cache.set(old["_id"], old)
    _sync_alt(course, "new")
    api.compile_course(key, branch=PUBLISHED_BRANCH, full=True)
    head = api.structure_document(key)
    assert cache.get(head["_id"]) is None  # a new id: the stale copy is never found under it
    assert head["assets"]["asset"][0]["fields"]["alt"] == "new"


def test_a_course_without_assets_keeps_the_id_of_its_log():
    course, _ = build_course()
    key = str(course.course_key)
    result = api.compile_course(key, branch=PUBLISHED_BRANCH)
    row = storage.head_structure(course, PUBLISHED_BRANCH)
    log_uuid = row.publish_log.uuid
    assert result.structure_id == str(documents.structure_id(branch=PUBLISHED_BRANCH, log_uuid=log_uuid))


def test_an_asset_change_compiles_both_branches_once_it_commits(django_capture_on_commit_callbacks):
    """Nothing but the asset write tells the compiler: no log records it (ADR 0028). One notice per sync."""
    from lc_modulestore.api import course_assets_changed, course_published

    course, key = _course_with_asset()
    notices, published = [], []
    course_assets_changed.connect(lambda **kw: notices.append(kw["course"]), weak=False, dispatch_uid="t-notice")
    course_published.connect(lambda **kw: published.append(kw["course_key"]), weak=False, dispatch_uid="t-pub")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            _sync_alt(course, "new")
    finally:
        course_assets_changed.disconnect(dispatch_uid="t-notice")
        course_published.disconnect(dispatch_uid="t-pub")
    assert notices == [course]
    assert [str(k) for k in published] == [key]  # the published head moved: the LMS hears of it once
    for branch in BRANCHES:
        assert _alt(key, branch) == "new"  # no lc_compile run


def test_a_sync_that_changed_nothing_compiles_nothing(django_capture_on_commit_callbacks):
    course, _ = build_course()
    asset = AssetData(path="images/logo.png", content_type="image/png", data=b"\x89PNG", metadata={"alt": "a"})
    CourseWriter(course, created=T0).sync_assets([asset])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        synced = CourseWriter(course, created=T0).sync_assets([asset])
    assert synced.changed == 0 and callbacks == []


def test_an_asset_change_in_a_course_never_published_compiles_its_drafts_only():
    from lc_modulestore.tasks import compile_course_task

    course, _ = build_course(publish=False)
    outcome = compile_course_task.apply(args=[str(course.course_key), PUBLISHED_BRANCH]).get()
    assert "never been published" in outcome["skipped"]
    assert compile_course_task.apply(args=[str(course.course_key), DRAFT_BRANCH]).get()["installed"]
