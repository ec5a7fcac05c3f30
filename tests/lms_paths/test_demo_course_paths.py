"""
The LMS read paths on the real Open edX demo course (shared corpus; skipped without it).

Imported once for the module (about 20 s): expectations come from the
export on disk, parsed here with lxml, never copied into the repository.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from lxml import etree
from opaque_keys.edx.keys import CourseKey

from lc_modulestore.importing.olx.api import import_olx
from tests.demo_course import DEMO_COURSE_KEY, demo_course_dir
from tests.lms_paths.conftest import NOW, enable_and_compile, lms_modulestore
from tests.lms_paths.lms import (
    collect_block_structure,
    course_overview_fields,
    get_course_by_id,
    path_to_location,
    render_student_view,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
KEY = DEMO_COURSE_KEY


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    course_dir = demo_course_dir()
    if course_dir is None:
        pytest.skip(f"demo course not found under {settings.LC_DEMO_COURSE_DIR}")
    with django_db_blocker.unblock():
        with transaction.atomic():
            import_olx(course_dir, KEY, publish=True, created=NOW)
            enable_and_compile(KEY)
            yield CourseKey.from_string(KEY), course_dir
            transaction.set_rollback(True)


def _chapters_on_disk(course_dir: Path) -> list[str]:
    pointer = etree.parse(str(course_dir / "course.xml")).getroot()
    root = etree.parse(str(course_dir / "course" / f"{pointer.get('url_name')}.xml")).getroot()
    return [c.get("url_name") for c in root if c.tag == "chapter"]


def test_course_load_and_overview(demo):
    key, course_dir = demo
    store = lms_modulestore()
    course = get_course_by_id(store, key, depth=2)
    assert course.id == key
    assert [c.location.block_id for c in course.get_children()] == _chapters_on_disk(course_dir)
    fields = course_overview_fields(lms_modulestore(), key)
    assert fields["display_name"] and fields["start"] is not None
    about = course_dir / "about" / "overview.html"
    if about.is_file():
        stored, on_disk = fields["about/overview"], about.read_text(encoding="utf-8")
        assert stored and 0.5 < len(stored) / len(on_disk) < 2
    handouts = course_dir / "info" / "handouts.html"
    assert (fields["course_info/handouts"] is not None) == handouts.is_file()


def test_block_structure_collect_within_budget(demo, django_assert_max_num_queries):
    key, course_dir = demo
    with django_assert_max_num_queries(8):
        collected = collect_block_structure(lms_modulestore(), key)
    on_disk = sum(1 for _ in (course_dir / "problem").glob("*.xml"))
    problems = [k for k, e in collected.items() if e["block_type"] == "problem"]
    assert len(problems) >= on_disk * 0.9  # inline problems add to the files; drafts are not published
    assert all(collected[k]["has_score"] for k in problems)
    assert any(e["graded"] and e["format"] for e in collected.values() if e["block_type"] == "sequential")


def test_path_to_location_of_every_problem(demo):
    key, _ = demo
    store = lms_modulestore()
    problems = [k for k, e in collect_block_structure(store, key).items() if e["block_type"] == "problem"]
    for usage in problems:
        course_key, chapter, section, vertical, position, final = path_to_location(store, usage)
        assert course_key == key and final == usage and chapter and section.block_type == "sequential"
        assert vertical.block_type == "vertical" and position.isdigit()


def test_render_and_grade_a_multiple_choice_problem(demo, student_store, events):
    key, _ = demo
    for problem in student_store.get_items(key, qualifiers={"category": "problem"}):
        data = problem.data
        if data.count("<multiplechoiceresponse") == 1 and "response" not in data.replace("multiplechoiceresponse", ""):
            choices = re.findall(r'<choice\s+correct="(true|false)"', data)
            if choices.count("true") == 1:
                break
    else:
        pytest.skip("no single-answer multiple-choice problem in the corpus")
    fragment = render_student_view(student_store, problem.location)[1]
    input_name = f"input_{problem.location.block_id}_2_1"
    assert input_name in fragment.content
    problem.submit_problem({input_name: f"choice_{choices.index('true')}"})
    grades = [d for kind, d in events if kind == "grade"]
    assert grades and grades[-1]["value"] == grades[-1]["max_value"] == 1
