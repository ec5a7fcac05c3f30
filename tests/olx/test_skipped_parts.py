"""
The parts of an export the first importer skipped (issue 16 item 2): textbooks, every file edx-platform
reads from about/, info/ and tabs/, and a custom tab's course_staff_only.
"""
from __future__ import annotations

import json

import pytest

from lc_modulestore.importing.olx.api import import_olx
from tests.olx.helpers import course, fields

pytestmark = pytest.mark.django_db
KEY = "course-v1:Skip+S1+run"
TABS = [
    {"type": "courseware"},
    {"type": "static_tab", "name": "Staff notes", "url_slug": "notes", "course_staff_only": True},
    {"type": "static_tab", "name": "Syllabus", "url_slug": "syllabus"},
    {"type": "wiki", "name": "Wiki", "is_hidden": True},
]


def _export(tmp_path):
    (tmp_path / "course").mkdir()
    (tmp_path / "course.xml").write_text('<course url_name="r" org="Skip" course="S1"/>')
    (tmp_path / "course" / "r.xml").write_text(
        '<course display_name="C"><textbook title="Physics" book_url="https://example.org/physics/"/>'
        '<chapter url_name="c" display_name="Ch"/></course>'
    )
    policy = {"course/r": {"tabs": TABS, "pdf_textbooks": [{"tab_title": "PDF", "id": "0pdf", "chapters": []}],
                           "html_textbooks": [{"tab_title": "HTML", "id": "0html", "chapters": []}]}}
    (tmp_path / "policies" / "r").mkdir(parents=True)
    (tmp_path / "policies" / "r" / "policy.json").write_text(json.dumps(policy))
    for folder, files in {
        "about": {"overview.html": "<p>o</p>", "short_description": "Plain text", "effort.html": "4h",
                  "overview.html~": "backup", "r/effort.html": "5h"},
        "info": {"updates.html": "<ol/>", "updates.items.json": json.dumps([{"id": 1, "content": "u"}]),
                 "handouts.html": "<ol/>"},
        "tabs": {"notes.html": "<p>staff</p>", "syllabus.html": "<p>s</p>"},
    }.items():
        for name, text in files.items():
            (tmp_path / folder / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / folder / name).write_text(text)
    return tmp_path


def test_textbooks_detached_files_and_tab_flags(tmp_path, now):
    import_olx(_export(tmp_path), KEY, publish=True, created=now)
    lc = course(KEY)
    settings = fields(lc, "course", "course", published=True).settings
    assert settings["textbooks"] == [["Physics", "https://example.org/physics/"]]
    assert settings["pdf_textbooks"][0]["id"] == "0pdf" and settings["html_textbooks"][0]["id"] == "0html"
    assert settings["tabs"][3]["is_hidden"] is True

    assert fields(lc, "about", "short_description").content["data"] == "Plain text"
    assert fields(lc, "about", "effort").content["data"] == "5h"  # about/<url_name>/ wins, as in edx-platform
    assert fields(lc, "course_info", "updates").content["items"] == [{"id": 1, "content": "u"}]
    notes, syllabus = fields(lc, "static_tab", "notes").settings, fields(lc, "static_tab", "syllabus").settings
    assert (notes["display_name"], notes["course_staff_only"]) == ("Staff notes", True)
    assert syllabus["course_staff_only"] is False
    from lc_modulestore.models import CourseBlock
    about = set(CourseBlock.objects.filter(course=lc, block_type="about").values_list("block_id", flat=True))
    assert about == {"overview", "short_description", "effort"}  # no backup, no "r"
