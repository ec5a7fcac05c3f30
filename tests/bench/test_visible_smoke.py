"""Smoke test of ``lc_bench visible``: a leaf edit published, course_published delivered, the next read sees it."""
from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.management import call_command

from lc_modulestore.importing.synthetic import build_synthetic_course
from tests.demo_course import compile_both_branches

pytestmark = pytest.mark.django_db(transaction=True)  # the publish must really commit: on-commit compile


def test_lc_bench_visible_measures_publish_to_lms_visible(tmp_path):
    from tests.edx_platform.edx import AVAILABLE

    if not AVAILABLE:
        pytest.skip("edx-platform's xmodule snapshot (../shared/edx-platform) is absent")
    key = "course-v1:LcBench+Visible+R"
    build_synthetic_course(key, sections=1, subsections=1, units=1, components=3,
                           created=datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc))
    compile_both_branches(key)
    out = io.StringIO()
    call_command("lc_bench", "visible", "--course", key, "--repeat", "2", "--out", str(tmp_path), stdout=out)
    assert "read by edx split (mount)" in out.getvalue() and "read by ours" in out.getvalue()
    result = json.loads((tmp_path / "visible.json").read_text())
    assert [r["reader"] for r in result["runs"]] == ["edx split (mount)", "ours"] * 2
    assert result["environment"]["commit"]
    # each run says how much of it the garbage collector took, and how many full collections ran in it
    assert all(r["gc_ms"] >= 0 and isinstance(r["full_collections"], int) for r in result["runs"])
    assert all(r["gc_ms"] <= r["visible_ms"] for r in result["runs"])
    assert "full garbage collection(s) while timed" in out.getvalue()
