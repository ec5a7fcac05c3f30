"""The per-course Learning Core flag: precedence, audit trail, request caching, and the lc_flag command."""
from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from edx_django_utils.cache.middleware import RequestCacheMiddleware
from opaque_keys.edx.keys import CourseKey
from waffle.models import Flag

from lc_modulestore.api import InvalidCourseKeyError, create_course
from lc_modulestore.models import CourseFlagOverride, OrgFlagOverride, VerifyRun
from lc_modulestore.rollout.api import (
    USE_LEARNING_CORE,
    FlagChangeRefusedError,
    clear_flag_cache,
    flag_status,
    set_course_override,
    set_org_override,
    use_learning_core,
    use_learning_core_for,
)

pytestmark = pytest.mark.django_db

COURSE = "course-v1:OrgA+C1+R1"
OTHER = "course-v1:OrgA+C2+R1"
ELSEWHERE = "course-v1:OrgB+C1+R1"
T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def _at(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


def _verify(course_key: str, *, passed: bool, minutes: int = 0, finished: bool = True, diffs: int = 0) -> VerifyRun:
    """A verify run as lc_verify records it; these courses have no heads on either side, so none are recorded."""
    return VerifyRun.objects.create(
        course_key=CourseKey.from_string(course_key),
        started=_at(minutes),
        finished=_at(minutes + 1) if finished else None,
        passed=passed,
        diff_count=diffs,
        summary="test",
        blocks_compared=1,
        heads={"mongo": {}, "learning_core": {}},
    )


def _all_enabled() -> tuple[bool, bool, bool]:
    clear_flag_cache()
    return use_learning_core(COURSE), use_learning_core(OTHER), use_learning_core(ELSEWHERE)


# ---- precedence -------------------------------------------------------------------------------------------------


def test_default_is_off_and_the_waffle_flag_turns_every_course_on():
    assert _all_enabled() == (False, False, False)
    Flag.objects.create(name=USE_LEARNING_CORE.name, everyone=True)
    assert _all_enabled() == (True, True, True)


def test_org_override_beats_the_flag_and_course_override_beats_the_org():
    Flag.objects.create(name=USE_LEARNING_CORE.name, everyone=True)
    set_org_override("OrgA", False, when=_at(1))
    assert _all_enabled() == (False, False, True)

    _verify(COURSE, passed=True)
    set_course_override(COURSE, True, when=_at(2))
    assert _all_enabled() == (True, False, True)

    set_course_override(OTHER, False, when=_at(3))
    set_org_override("OrgA", True, when=_at(4), force=True, note="test")  # OTHER never verified
    assert _all_enabled() == (True, False, True)  # OTHER's own "off" still wins over the org's "on"


def test_unset_falls_through_to_the_next_level():
    set_org_override("OrgA", False, when=_at(1))
    Flag.objects.create(name=USE_LEARNING_CORE.name, everyone=True)
    _verify(COURSE, passed=True)
    set_course_override(COURSE, True, when=_at(2))
    assert flag_status(COURSE).decided_by == "course override"

    set_course_override(COURSE, None, when=_at(3))
    status = flag_status(COURSE)
    assert (status.enabled, status.decided_by) == (False, "org override")

    set_org_override("OrgA", None, when=_at(4))
    status = flag_status(COURSE)
    assert (status.enabled, status.decided_by) == (True, "waffle flag")
    assert _all_enabled() == (True, True, True)


def test_branch_and_version_in_the_key_do_not_matter():
    _verify(COURSE, passed=True)
    set_course_override(COURSE, True)
    assert use_learning_core(CourseKey.from_string(COURSE).for_branch("draft-branch"))
    assert use_learning_core(COURSE + "+branch@published-branch")


def test_many_courses_at_once_answer_as_one_at_a_time_in_three_queries(django_assert_num_queries):
    Flag.objects.create(name=USE_LEARNING_CORE.name, everyone=True)
    courses = [f"course-v1:Org{o}+C{c}+R1" for o in "ABCD" for c in range(3)]
    set_org_override("OrgA", False, when=_at(1))
    set_org_override("OrgB", True, when=_at(1), force=True, note="test")
    set_org_override("OrgC", True, when=_at(1), force=True, note="test")
    set_org_override("OrgC", None, when=_at(2))  # unset: back to the waffle flag
    set_course_override("course-v1:OrgA+C0+R1", True, when=_at(3), force=True, note="test")
    set_course_override("course-v1:OrgB+C1+R1", False, when=_at(3))
    set_course_override("course-v1:OrgB+C2+R1", False, when=_at(3))
    set_course_override("course-v1:OrgB+C2+R1", None, when=_at(4))  # unset: back to OrgB's on
    set_course_override("course-v1:OrgD+C0+R1", False, when=_at(3))
    one_by_one = {key: use_learning_core(key) for key in courses}
    assert set(one_by_one.values()) == {True, False}
    clear_flag_cache()
    keys = [*courses, "library-v1:OrgA+Lib", COURSE + "+branch@draft-branch"]
    with django_assert_num_queries(3):  # course overrides, org overrides, the waffle flag once: for 14 keys
        together = use_learning_core_for(keys)
    assert {key: together[key] for key in courses} == one_by_one
    assert together["library-v1:OrgA+Lib"] is False and together[COURSE + "+branch@draft-branch"] is False
    with django_assert_num_queries(0):  # answered from the request cache, one at a time or together
        assert {key: use_learning_core(key) for key in courses} == one_by_one
        assert use_learning_core_for(courses) == one_by_one


# ---- audit trail ------------------------------------------------------------------------------------------------


def test_every_change_is_a_new_row_with_who_and_when_and_rows_cannot_be_edited():
    user = get_user_model().objects.create(username="ops")
    _verify(COURSE, passed=True)
    set_course_override(COURSE, True, changed_by=user, note="go", when=_at(1))
    set_course_override(COURSE, False, changed_by=user, note="incident 7", when=_at(2))
    set_course_override(COURSE, None, note="back to default", when=_at(3))

    rows = list(CourseFlagOverride.objects.order_by("change_date").values_list(
        "override_choice", "changed_by__username", "change_date", "note", "forced"))
    assert rows == [
        ("on", "ops", _at(1), "go", False),
        ("off", "ops", _at(2), "incident 7", False),
        ("unset", None, _at(3), "back to default", False),
    ]
    first = CourseFlagOverride.objects.order_by("change_date").first()
    first.override_choice = "off"
    with pytest.raises(ValidationError, match="audit record"):
        first.save()
    assert CourseFlagOverride.objects.order_by("change_date").first().override_choice == "on"


def test_org_changes_are_audited_too():
    set_org_override("OrgA", False, note="hold", when=_at(1))
    set_org_override("OrgA", None, when=_at(2))
    assert list(OrgFlagOverride.objects.order_by("change_date").values_list("org", "override_choice", "note")) == [
        ("OrgA", "off", "hold"),
        ("OrgA", "unset", ""),
    ]


# ---- request cache ----------------------------------------------------------------------------------------------


def test_second_check_in_a_request_makes_no_query_and_a_cleared_cache_sees_the_switch(django_assert_num_queries):
    Flag.objects.create(name=USE_LEARNING_CORE.name, everyone=False)
    assert use_learning_core(COURSE) is False
    with django_assert_num_queries(0):
        assert use_learning_core(COURSE) is False
        assert USE_LEARNING_CORE.is_enabled(CourseKey.from_string(COURSE)) is False

    # Another process (admin, lc_flag elsewhere) writes a row: this request keeps its answer...
    CourseFlagOverride.objects.create(
        waffle_flag=USE_LEARNING_CORE.name, course_id=CourseKey.from_string(COURSE), override_choice="on",
        change_date=_at(1),
    )
    with django_assert_num_queries(0):
        assert use_learning_core(COURSE) is False
    # ...and the next one sees it.
    clear_flag_cache()
    assert use_learning_core(COURSE) is True


def test_request_middleware_makes_the_switch_visible_on_the_next_request():
    middleware = RequestCacheMiddleware(lambda request: None)
    middleware.process_request(RequestFactory().get("/"))
    assert use_learning_core(COURSE) is False
    CourseFlagOverride.objects.create(
        waffle_flag=USE_LEARNING_CORE.name, course_id=CourseKey.from_string(COURSE), override_choice="on",
        change_date=_at(1),
    )
    assert use_learning_core(COURSE) is False  # same request
    middleware.process_request(RequestFactory().get("/"))  # next request
    assert use_learning_core(COURSE) is True


# ---- the verify gate and lc_flag --------------------------------------------------------------------------------


def _lc_flag(*args: str) -> str:
    out = StringIO()
    call_command("lc_flag", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    "runs, reason",
    [
        ([], "never been verified"),
        ([dict(passed=False, diffs=3)], "failed with 3 difference"),
        ([dict(passed=True, minutes=0), dict(passed=False, minutes=10, diffs=1)], "failed with 1 difference"),
        ([dict(passed=True, minutes=0), dict(passed=False, minutes=10, finished=False)], "has not finished"),
    ],
)
def test_enable_is_refused_unless_the_latest_verify_passed(runs, reason):
    for run in runs:
        _verify(COURSE, **run)
    with pytest.raises(CommandError, match=reason):
        _lc_flag("enable", COURSE)
    assert not CourseFlagOverride.objects.exists()
    with pytest.raises(FlagChangeRefusedError, match=COURSE.replace("+", r"\+")):
        set_course_override(COURSE, True)


def test_enable_after_a_passing_verify_and_disable_without_one():
    _verify(COURSE, passed=False, minutes=0, diffs=2)
    _verify(COURSE, passed=True, minutes=10)
    assert "use_learning_core on for " + COURSE in _lc_flag("enable", COURSE, "--note", "ok")
    assert _all_enabled()[0] is True
    VerifyRun.objects.all().delete()
    assert "off" in _lc_flag("disable", COURSE)  # the way back needs no verify
    assert _all_enabled()[0] is False


def test_force_enables_and_is_audited():
    get_user_model().objects.create(username="ops")
    _verify(COURSE, passed=False, diffs=5)
    out = _lc_flag("enable", COURSE, "--force", "--note", "hotfix", "--user", "ops")
    assert "FORCED" in out
    row = CourseFlagOverride.objects.get()
    assert (row.override_choice, row.forced, row.changed_by.username) == ("on", True, "ops")
    assert row.note.startswith("FORCED (the latest verify run") and row.note.endswith("hotfix")
    assert _all_enabled()[0] is True
    assert "FORCED by ops" in _lc_flag("status", COURSE)


def test_org_enable_needs_every_learning_core_course_of_the_org_verified(now):
    with pytest.raises(CommandError, match="no Learning Core courses"):
        _lc_flag("enable", "--org", "OrgA")
    create_course(COURSE, title="C1", created=now)
    create_course(OTHER, title="C2", created=now)
    _verify(COURSE, passed=True)
    with pytest.raises(CommandError, match=f"{OTHER.replace('+', '.')} has never been verified"):
        _lc_flag("enable", "--org", "OrgA")
    _verify(OTHER, passed=True)
    _lc_flag("enable", "--org", "OrgA")
    assert _all_enabled() == (True, True, False)
    assert "on by (script)" in _lc_flag("status", "--org", "OrgA")


def test_status_explains_the_decision():
    _verify(COURSE, passed=True)
    _lc_flag("disable", "--org", "OrgA", "--note", "hold")
    out = _lc_flag("status", COURSE)
    assert f"{COURSE}: served from split (Mongo), decided by the org override" in out
    assert "org override:    off by (script)" in out and "hold" in out
    assert "latest verify:   verify " + COURSE in out and "passed" in out


def test_command_usage_errors():
    with pytest.raises(CommandError, match="exactly one"):
        _lc_flag("status")
    with pytest.raises(CommandError, match="exactly one"):
        _lc_flag("status", COURSE, "--org", "OrgA")
    with pytest.raises(CommandError, match="not a course key"):
        _lc_flag("disable", "not-a-key")
    with pytest.raises(CommandError, match="No user 'ghost'"):
        _lc_flag("disable", COURSE, "--user", "ghost")


def test_keys_learning_core_never_serves_are_off_without_a_query(django_assert_num_queries):
    Flag.objects.create(name=USE_LEARNING_CORE.name, everyone=True)
    set_org_override("OrgA", True, force=True, note="test")
    clear_flag_cache()
    with django_assert_num_queries(0):
        assert use_learning_core("library-v1:OrgA+Lib") is False
        assert use_learning_core("OrgA/C1/R1") is False
    assert use_learning_core(COURSE) is True
    with pytest.raises(InvalidCourseKeyError):
        use_learning_core("not a key")


def test_celery_tasks_start_with_fresh_flag_answers():
    from celery.signals import task_prerun

    assert use_learning_core(COURSE) is False
    CourseFlagOverride.objects.create(
        waffle_flag=USE_LEARNING_CORE.name, course_id=CourseKey.from_string(COURSE), override_choice="on",
        change_date=_at(1),
    )
    assert use_learning_core(COURSE) is False
    task_prerun.send(sender=None, task_id="t1", task=None, args=(), kwargs={})
    assert use_learning_core(COURSE) is True


# ---- admin --------------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client_(client):
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(user)
    return client, user


def test_admin_adds_audited_rows_and_never_edits_or_deletes_them(admin_client_):
    client, user = admin_client_
    for url in ("/admin/lc_modulestore/courseflagoverride/", "/admin/lc_modulestore/orgflagoverride/",
                "/admin/lc_modulestore/verifyrun/", "/admin/lc_modulestore/courseflagoverride/add/"):
        assert client.get(url).status_code == 200, url
    _verify(COURSE, passed=True)  # the admin goes through the same gate as lc_flag
    response = client.post("/admin/lc_modulestore/courseflagoverride/add/", {
        "waffle_flag": USE_LEARNING_CORE.name, "course_id": COURSE, "override_choice": "on", "note": "via admin",
    })
    assert response.status_code == 302, response.content[:2000]
    row = CourseFlagOverride.objects.get()
    assert (row.changed_by, row.note, row.forced) == (user, "via admin", False)
    assert row.change_date is not None
    assert use_learning_core(COURSE) is True  # the admin cleared this process's cache

    change_url = f"/admin/lc_modulestore/courseflagoverride/{row.pk}/change/"
    client.post(change_url, {"waffle_flag": USE_LEARNING_CORE.name, "course_id": COURSE, "override_choice": "off"})
    assert CourseFlagOverride.objects.get().override_choice == "on"
    assert client.post(f"/admin/lc_modulestore/courseflagoverride/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert CourseFlagOverride.objects.count() == 1
    assert client.get("/admin/lc_modulestore/verifyrun/add/").status_code == 403


def _add(client, model: str, **data):
    return client.post(f"/admin/lc_modulestore/{model}/add/", data)


def test_admin_overrides_pass_the_same_gate_as_lc_flag(admin_client_):
    """Issue 15 finding 3: the add form enabled a failing course, took any flag name and a bad key gave a 500."""
    client, user = admin_client_
    _verify(COURSE, passed=False, diffs=2)
    response = _add(client, "courseflagoverride", waffle_flag=USE_LEARNING_CORE.name, course_id=COURSE,
                    override_choice="on", note="")
    assert response.status_code == 200 and "failed with 2 difference(s)" in response.content.decode()
    assert not CourseFlagOverride.objects.exists()
    response = _add(client, "courseflagoverride", waffle_flag=USE_LEARNING_CORE.name, course_id=COURSE,
                    override_choice="on", force="on", note="")
    assert response.status_code == 200 and "Forcing needs a note" in response.content.decode()
    response = _add(client, "courseflagoverride", waffle_flag=USE_LEARNING_CORE.name, course_id=COURSE,
                    override_choice="on", force="on", note="incident 9")
    assert response.status_code == 302
    row = CourseFlagOverride.objects.get()
    assert row.forced and row.changed_by == user and row.note.startswith("FORCED (") and "incident 9" in row.note

    response = _add(client, "courseflagoverride", waffle_flag="lc_modulestore.use_learning_cor", course_id=COURSE,
                    override_choice="off")
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    response = _add(client, "courseflagoverride", waffle_flag=USE_LEARNING_CORE.name, course_id="not a key",
                    override_choice="off")
    assert response.status_code == 200 and "is not a course key" in response.content.decode()
    assert CourseFlagOverride.objects.count() == 1


def test_admin_org_on_for_an_org_without_learning_core_courses_must_be_forced(admin_client_):
    client, _ = admin_client_
    response = _add(client, "orgflagoverride", waffle_flag=USE_LEARNING_CORE.name, org="Nobody",
                    override_choice="on", note="")
    assert response.status_code == 200 and "org Nobody has no Learning Core courses" in response.content.decode()
    assert not OrgFlagOverride.objects.exists()
    assert _add(client, "orgflagoverride", waffle_flag=USE_LEARNING_CORE.name, org="Nobody", override_choice="on",
                force="on", note="pilot").status_code == 302
    assert OrgFlagOverride.objects.get().forced


def test_lc_flag_force_needs_a_note():
    _verify(COURSE, passed=False, diffs=1)
    with pytest.raises(CommandError, match="needs a note"):
        _lc_flag("enable", COURSE, "--force")
    assert not CourseFlagOverride.objects.exists()
