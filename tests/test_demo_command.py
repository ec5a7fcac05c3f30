"""``make demo`` on a fresh clone: lc_demo on the bundled fixture course (no corpus needed)."""
from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from lc_modulestore.rollout.flags import flag_status

pytestmark = pytest.mark.django_db
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "olx" / "full"


def test_demo_runs_on_the_bundled_fixture(tmp_path):
    out = StringIO()
    html_out = tmp_path / "unit.html"
    call_command("lc_demo", str(FIXTURE), html_out=str(html_out), stdout=out)
    text = out.getvalue()

    assert "course 'Fixture Course (policy)' (course)" in text
    assert "├─ chapter 'Pointer Chapter'" in text and "├─ chapter 'Inline Chapter'" in text
    assert "'Graded Sequential': 2 units" in text
    assert "'Inline Sequential': 1 units (1 html)" in text
    assert "enabled: yes (decided by the course override)" in text
    assert "as the LMS does, through the router (flag on → Learning Core)" in text
    assert flag_status("course-v1:Fix+F101+run").enabled
    assert "Done: course-v1:Fix+F101+run is served from Learning Core." in text

    page = html_out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<title>Unit One</title>" in page
    assert "Pick one" in page  # the problem rendered by its real block
    assert "Body of <strong>h1</strong>" in page  # the html block's content
    assert "data-block-type='video'" in page  # the real VideoBlock renders too


def test_demo_twice_adds_no_second_override_and_imports_nothing_new(tmp_path):
    call_command("lc_demo", str(FIXTURE), html_out=str(tmp_path / "a.html"), stdout=StringIO())
    out = StringIO()
    call_command("lc_demo", str(FIXTURE), html_out=str(tmp_path / "b.html"), stdout=out)
    assert "already on (course override from an earlier run)" in out.getvalue()
    assert "unchanged 35" in out.getvalue()
