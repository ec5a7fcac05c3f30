"""
The LMS's own read paths, through the store it would be handed with the course's flag on.

On two courses: the bundled fixture (OLX import with drafts, detached blocks,
problems) and a synthetic one (graded subsections, due dates, weights).
"""
from __future__ import annotations

import datetime

import pytest
from webob import Request

from shim.enums import ModuleStoreEnum
from shim.exceptions import ItemNotFoundError
from tests.lms_paths.conftest import ROUTER, lms_modulestore
from tests.lms_paths.lms import (
    Http404,
    collect_block_structure,
    course_overview_fields,
    get_course_by_id,
    path_to_location,
    render_student_view,
)

pytestmark = pytest.mark.django_db
UTC = datetime.timezone.utc


@pytest.fixture(params=["fixture", "synthetic"])
def course(request, lms_courses):
    return lms_courses[request.param]


# ---- course load and course overview ------------------------------------------------------------------------------

def test_get_course_by_id_loads_the_course_block_with_its_chapters(course):
    store = lms_modulestore()
    loaded = get_course_by_id(store, course.key, depth=2)
    assert loaded.location == course.key.make_usage_key("course", "course")
    assert loaded.id == course.key
    chapters = loaded.get_children()
    assert chapters and {c.location.block_type for c in chapters} == {"chapter"}
    assert all(s.location.block_type == "sequential" for c in chapters for s in c.get_children())


def test_get_course_by_id_of_an_unknown_course_is_404(course):
    store = lms_modulestore()
    unknown = course.key.replace(run="nope")
    if ROUTER:
        with pytest.raises(Http404):  # Mixed (and the router in its place) turns split's error into None
            get_course_by_id(store, unknown)
    else:
        with pytest.raises(ItemNotFoundError):  # split itself raises; Mixed catches it
            get_course_by_id(store, unknown)


def test_course_overview_reads_course_fields_and_detached_blocks(lms_courses):
    store = lms_modulestore()
    key = lms_courses["fixture"].key
    fields = course_overview_fields(store, key)
    assert fields["display_name"] == "Fixture Course (policy)"  # policy.json wins over course.xml
    assert fields["start"] == datetime.datetime(2030, 1, 1, tzinfo=UTC)
    assert fields["org"] == "Fix" and fields["number"] == "F101"
    assert fields["display_org_with_default"] == "Fix"
    assert fields["lowest_passing_grade"] == pytest.approx(0.6)  # from policies/run/grading_policy.json
    assert fields["about/overview"] and "<" in fields["about/overview"]
    assert fields["about/short_description"] is not None
    assert fields["about/effort"] is None  # not in the export: the LMS gets ItemNotFoundError, as with split
    assert fields["course_info/handouts"] is not None
    assert fields["course_info/updates"] is not None


def test_course_overview_of_a_synthetic_course(lms_courses):
    fields = course_overview_fields(lms_modulestore(), lms_courses["synthetic"].key)
    assert fields["display_name"].startswith("Synthetic course 2x2x2x3")
    assert fields["about/overview"] is None and fields["course_info/handouts"] is None


# ---- block structure collect --------------------------------------------------------------------------------------

def test_block_structure_collect_reads_every_block_within_a_query_budget(lms_courses, django_assert_max_num_queries):
    store = lms_modulestore()
    key = lms_courses["synthetic"].key
    # index + structure + one batch of definitions (and a few Learning Core/flag reads): never per block
    with django_assert_max_num_queries(6):
        collected = collect_block_structure(store, key)
    assert len(collected) == 1 + 2 + 4 + 8 + 24
    graded = [e for e in collected.values() if e["block_type"] == "sequential" and e["graded"]]
    assert graded and all(e["format"] and isinstance(e["due"], datetime.datetime) for e in graded)
    ungraded = [e for e in collected.values() if e["block_type"] == "sequential" and not e["graded"]]
    assert all(e["due"] is None for e in ungraded)
    problems = [e for e in collected.values() if e["block_type"] == "problem"]
    assert problems and all(e["has_score"] and e["weight"] in (1.0, 2.0, 5.0) for e in problems)
    chapter = collected[key.make_usage_key("chapter", "section_1")]
    assert chapter["start"] == datetime.datetime(2020, 1, 8, tzinfo=UTC) or chapter["start"] is not None
    # inheritance: a unit inherits its sequential's due date, as the LMS's start/due transformers expect
    seq = next(k for k, e in collected.items() if e["block_type"] == "sequential" and e["graded"])
    for unit in collected[seq]["children"]:
        assert collected[unit]["due"] == collected[seq]["due"]
    html = next(e for e in collected.values() if e["block_type"] == "html")
    assert html["has_score"] is False and html["visible_to_staff_only"] is False and html["group_access"] == {}


def test_block_structure_collect_of_the_fixture_course(lms_courses, django_assert_max_num_queries):
    key = lms_courses["fixture"].key
    with django_assert_max_num_queries(8):
        collected = collect_block_structure(lms_modulestore(), key)
    seq1 = collected[key.make_usage_key("sequential", "seq1")]
    assert seq1["format"] == "Homework" and seq1["graded"] is True  # from policy.json
    assert seq1["due"] == datetime.datetime(2030, 2, 1, 12, tzinfo=UTC)
    assert [k.block_id for k in seq1["children"]] == ["v1", "v_experiments"]  # the draft unit is not published
    p1 = collected[key.make_usage_key("problem", "p1")]
    assert p1["weight"] == 2 and p1["has_score"] is True
    assert key.make_usage_key("vertical", "draft_unit") not in collected
    # a second request reads the cached structure: fewer queries, same answer
    assert collect_block_structure(lms_modulestore(), key).keys() == collected.keys()


# ---- path_to_location ---------------------------------------------------------------------------------------------

def test_path_to_location_of_a_leaf(lms_courses):
    key = lms_courses["fixture"].key
    leaf = key.make_usage_key("problem", "p1")
    course_key, chapter, section, vertical, position, final = path_to_location(lms_modulestore(), leaf)
    assert course_key == key
    assert chapter == "ch1"
    assert section == key.make_usage_key("sequential", "seq1")
    assert vertical == key.make_usage_key("vertical", "v1")
    assert position == "1"
    assert final == leaf


def test_path_to_location_position_counts_within_the_sequential(lms_courses):
    key = lms_courses["synthetic"].key
    leaf = key.make_usage_key(*_leaf_of(lms_courses["synthetic"], "unit_1_0_1"))
    course_key, chapter, section, vertical, position, _ = path_to_location(lms_modulestore(), leaf)
    assert (chapter, section.block_id, vertical.block_id, position) == ("section_1", "subsection_1_0", "unit_1_0_1",
                                                                        "2")


def test_path_to_location_of_a_missing_block_raises_item_not_found(lms_courses):
    with pytest.raises(ItemNotFoundError):
        path_to_location(lms_modulestore(), lms_courses["fixture"].key.make_usage_key("problem", "nope"))


def _leaf_of(course, unit_id):
    unit = lms_modulestore().get_item(course.key.make_usage_key("vertical", unit_id))
    child = unit.children[0]
    return child.block_type, child.block_id


# ---- courseware render and grading --------------------------------------------------------------------------------

def test_unit_loads_and_its_real_html_and_problem_blocks_render(lms_courses, student_store):
    key = lms_courses["fixture"].key
    unit = student_store.get_item(key.make_usage_key("vertical", "v1"), depth=None)
    assert type(unit).__name__.startswith("VerticalBlock")
    children = {c.location.block_id: c for c in unit.get_children()}
    assert list(children)[:2] == ["h1", "p1"]
    for block_id in ("h1", "p1"):
        real = type(children[block_id]).__mro__[1]  # the class under the mixins, as the LMS builds it
        assert real.__module__.startswith("xblocks_contrib"), real
    # (the unit's video child needs edx-val's URLs, which only exist inside edx-platform)
    html = children["h1"].runtime.render(children["h1"], "student_view").content
    assert "xblock-v1-student_view" in html
    problem = render_student_view(student_store, children["p1"].location)[1].content
    assert "Pick one" in problem and "input_p1_2_1" in problem  # the problem's label and its input


def test_submitting_a_correct_answer_emits_the_grade_event(lms_courses, student_store, events):
    key = lms_courses["fixture"].key
    problem = student_store.get_item(key.make_usage_key("problem", "p1"))
    response = problem.runtime.handle(problem, "xmodule_handler",
                                      Request.blank("/", POST={"input_p1_2_1": "choice_0"}), "problem_check")
    assert b'"success": "correct"' in response.body
    assert ("grade", {"value": 1, "max_value": 1, "only_if_higher": None}) in events
    assert problem.attempts == 1 and problem.max_attempts == 3


def test_a_synthetic_problem_grades_its_correct_choice(lms_courses, student_store, events):
    key = lms_courses["synthetic"].key
    problem = next(p for p in student_store.get_items(key, qualifiers={"category": "problem"}))
    answer = next(i for i, c in enumerate(_choices(problem.data)) if c == "true")
    problem.submit_problem({f"input_{problem.location.block_id}_2_1": f"choice_{answer}"})
    grades = [data for kind, data in events if kind == "grade"]
    assert grades == [{"value": 1, "max_value": 1, "only_if_higher": None}]


def _choices(data: str) -> list[str]:
    import re
    return re.findall(r'correct="(true|false)"', data)


# ---- preview: draft-preferred shows drafts ------------------------------------------------------------------------

def test_published_only_does_not_show_drafts(lms_courses):
    key = lms_courses["fixture"].key
    store = lms_modulestore()
    with store.branch_setting(ModuleStoreEnum.Branch.published_only, key):
        seq1 = store.get_item(key.make_usage_key("sequential", "seq1"))
        assert [c.block_id for c in seq1.children] == ["v1", "v_experiments"]
        assert not store.has_item(key.make_usage_key("vertical", "draft_unit"))


def test_draft_preferred_preview_shows_the_unpublished_unit_and_renders_it(lms_courses, student_store):
    key = lms_courses["fixture"].key
    with student_store.branch_setting(ModuleStoreEnum.Branch.draft_preferred, key):
        seq1 = student_store.get_item(key.make_usage_key("sequential", "seq1"))
        assert [c.block_id for c in seq1.children] == ["v1", "draft_unit", "v_experiments"]
        unit, fragment = render_student_view(student_store, key.make_usage_key("vertical", "draft_unit"))
        assert "Only in drafts." in fragment.content
        assert path_to_location(student_store, key.make_usage_key("html", "draft_html"))[4] == "2"
