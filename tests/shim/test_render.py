"""LMS rendering through the runtime: html and problem student_view, and a graded problem submission."""
from __future__ import annotations

import os

import pytest
from webob import Request
from xblock.reference.user_service import XBlockUser

from shim.services import StaticUserService
from shim.store import ReadOnlySplitModuleStore
from tests.shim.courses import build_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    return []


@pytest.fixture
def student_store(backend, tmp_path, events):
    user = XBlockUser(is_current_user=True, emails=["ada@example.com"], full_name="Ada")
    user.opt_attrs.update({"edx-platform.user_id": 7, "edx-platform.username": "ada",
                           "edx-platform.user_is_staff": False, "edx-platform.anonymous_user_id": "anon-7"})
    return ReadOnlySplitModuleStore(backend, fs_root=str(tmp_path / "fs"), services={"user": StaticUserService(user)},
                                    event_handler=lambda block, kind, data: events.append((kind, data)))


def test_html_student_view_renders_content_with_course_id(student_store):
    built = build_tree()
    html = student_store.get_item(built.course_key.make_usage_key("html", "h1"))
    fragment = html.runtime.render(html, "student_view")
    assert "xblock-v1-student_view" in fragment.content
    assert "Welcome to course-v1:Org+Tree+Run" in fragment.content  # %%COURSE_ID%% substituted


def test_problem_renders_and_a_submission_is_graded(student_store, events):
    built = build_tree()
    problem = student_store.get_item(built.course_key.make_usage_key("problem", "p1"))
    fragment = problem.runtime.render(problem, "student_view")
    assert "Capital of France?" in fragment.content and "input_p1_2_1" in fragment.content

    result = problem.submit_problem({"input_p1_2_1": "choice_0"})
    assert result["success"] == "incorrect"
    assert problem.attempts == 1
    result = problem.submit_problem({"input_p1_2_1": "choice_1"})
    assert result["success"] == "correct"
    assert problem.attempts == 2
    assert problem.score.raw_earned == 1 and problem.score.raw_possible == 1
    grades = [data for kind, data in events if kind == "grade"]
    assert grades[-1]["value"] == 1 and grades[-1]["max_value"] == 1
    # max_attempts (2, set on the block) is now used up
    assert problem.closed()


def test_problem_submission_through_the_handler(student_store, events):
    built = build_tree()
    problem = student_store.get_item(built.course_key.make_usage_key("problem", "p1"))
    request = Request.blank("/", POST={"input_p1_2_1": "choice_1"})
    response = problem.runtime.handle(problem, "xmodule_handler", request, "problem_check")
    assert b'"success": "correct"' in response.body
    assert ("grade", {"value": 1, "max_value": 1, "only_if_higher": None}) in events


def test_resources_fs_is_per_course_under_the_fs_root(student_store, tmp_path):
    built = build_tree()
    problem = student_store.get_item(built.course_key.make_usage_key("problem", "p1"))
    assert os.path.isdir(tmp_path / "fs" / "Org" / "Tree" / "Run")
    assert problem.runtime.resources_fs.getsyspath("/") == str(tmp_path / "fs" / "Org" / "Tree" / "Run") + "/"


def test_services_the_lms_render_needs_are_present(student_store):
    built = build_tree()
    problem = student_store.get_item(built.course_key.make_usage_key("problem", "p1"))
    runtime = problem.runtime
    for name in ("user", "cache", "sandbox", "xqueue", "replace_urls", "i18n"):
        assert runtime.service(problem, name) is not None
    assert runtime.service(problem, "user").get_current_user().opt_attrs["edx-platform.user_id"] == 7
    replaced = runtime.service(problem, "replace_urls").replace_urls('<img src="/static/images/a.png"/>')
    assert replaced == '<img src="/asset-v1:Org+Tree+Run+type@asset+block@images_a.png"/>'
    assert runtime.service(problem, "sandbox").can_execute_unsafe_code() is False


def test_stores_with_different_users_never_share_a_runtime(student_store, store):
    built = build_tree()
    usage = built.course_key.make_usage_key("problem", "p1")
    as_student = student_store.get_item(usage)
    anonymous = store.get_item(usage)
    assert as_student.runtime is not anonymous.runtime
    assert as_student.runtime.service(as_student, "user").get_current_user().opt_attrs["edx-platform.user_id"] == 7
    assert anonymous.runtime.service(anonymous, "user").get_current_user().opt_attrs["edx-platform.user_id"] is None



def test_a_unit_with_a_video_renders_for_the_default_anonymous_user(tmp_path):
    """VideoBlock indexes the LMS user attributes directly; the default user service must provide them."""
    import datetime

    from compiler.api import compile_course
    from lc_modulestore.importing.synthetic import build_synthetic_course
    from shim.api import create_modulestore

    course = build_synthetic_course(
        "course-v1:Org+Video+Run", sections=1, subsections=1, units=1, components=10,
        created=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    )
    compile_course(str(course.course_key), branch="published-branch")
    store = create_modulestore(fs_root=str(tmp_path / "fs"))
    unit = store.get_item(course.course_key.make_usage_key("vertical", "unit_0_0_0"))
    assert "video" in {child.scope_ids.block_type for child in unit.get_children()}
    fragment = unit.runtime.render(unit, "student_view")
    assert "xblock-v1-student_view" in fragment.content
    assert "data-block-type='video'" in fragment.content
