"""manage.py lc_compile and lc_dump_structure."""
from __future__ import annotations

import io
import json

import pytest
from bson import json_util
from django.core.management import CommandError, call_command

from compiler import api
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, create_course
from tests.compiler.helpers import T0, build_course

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_lc_compile_prints_a_summary_and_compiles_both_branches():
    course, _ = build_course(about=True)
    out = _run("lc_compile", str(course.course_key), "--branch", "both")
    assert "course-v1:Org+C+R" in out and "blocks" in out and "ratio" in out
    assert "published" in out and "draft" in out
    assert api.structure_document(str(course.course_key), branch=DRAFT_BRANCH)
    again = _run("lc_compile", "--all")
    assert "stale" in again


def test_lc_compile_names_the_course_at_fault():
    create_course("course-v1:Org+Never+Published", title="N", created=T0)
    with pytest.raises(CommandError, match=r"course-v1:Org\+Never\+Published"):
        _run("lc_compile", "course-v1:Org+Never+Published")
    with pytest.raises(CommandError, match="Give at least one"):
        _run("lc_compile")


def test_lc_dump_structure_prints_canonical_extended_json():
    course, _ = build_course()
    api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    out = _run("lc_dump_structure", str(course.course_key))
    raw = json.loads(out)
    assert "$oid" in raw["structure"]["_id"] and "$date" in raw["structure"]["edited_on"]
    parsed = json_util.loads(out, json_options=json_util.JSONOptions(tz_aware=True))
    assert parsed["structure"] == api.structure_document(str(course.course_key))
    assert {d["_id"] for d in parsed["definitions"]} == {b["definition"] for b in parsed["structure"]["blocks"]}
    with pytest.raises(CommandError, match=r"course-v1:Org\+C\+R.*draft"):
        _run("lc_dump_structure", str(course.course_key), "--branch", "draft")


def test_lc_bench_compile_reports_full_and_incremental_compiles(tmp_path):
    out = _run("lc_bench", "compile", "--shape", "1x1x2x2", "--repeat", "1", "--out", str(tmp_path))
    # | blocks | compile | rebuilt | raw | stored | ratio | ms | min–max | % | queries | all q |
    rows = {cells[1]: cells for line in out.splitlines() if line.startswith("| 9 |")
            for cells in [[c.strip() for c in line.strip("|").split("|")]]}
    assert "publish_all_drafts ms" in out
    assert rows["incremental: 1 leaf edit"][2] == "5"  # the leaf and its 4 ancestors
    assert rows["full, same publish: 1 leaf edit"][2] == "9"
    assert rows["incremental: unit reorder"][2] == "3"  # the reordered subsection and its 2 ancestors
    assert rows["incremental: section delete"][2] == "1"  # only the root is left
    data = json.loads((tmp_path / "compile.json").read_text())
    assert [c["blocks"] for c in data["courses"]] == [9]
    assert (tmp_path / "compile_time.png").read_bytes()[:4] == b"\x89PNG"

    # lc_bench report merges compile runs of one database (e.g. 50k made apart); never two databases
    other = tmp_path / "other"
    other.mkdir()
    (other / "compile.json").write_text(json.dumps(data).replace('"blocks": 9', '"blocks": 90'))
    merged_out = _run("lc_bench", "report", "--from", f"{tmp_path},{other}", "--out", str(tmp_path / "merged"))
    merged = json.loads((tmp_path / "merged" / "compile.json").read_text())
    assert [c["blocks"] for c in merged["courses"]] == [9, 90]
    assert "| 9 | incremental: 1 leaf edit |" in merged_out
    assert (tmp_path / "merged" / "compile_time.png").read_bytes()[:4] == b"\x89PNG"
    (other / "compile.json").write_text(json.dumps({**data, "environment": {**data["environment"], "sql": "x"}}))
    with pytest.raises(CommandError, match="one database"):
        _run("lc_bench", "report", "--from", f"{tmp_path},{other}", "--out", str(tmp_path / "merged"))
    with pytest.raises(CommandError, match="--shape"):
        _run("lc_bench", "compile", "--shape", "1x2")
    with pytest.raises(CommandError, match="--repeat"):
        _run("lc_bench", "compile", "--shape", "1x1x1x1", "--repeat", "0")


def test_lc_compile_async_queues_tasks():
    course, _ = build_course()
    out = _run("lc_compile", str(course.course_key), "--branch", "both", "--async")
    assert "queued course-v1:Org+C+R" in out
    # eager in the standalone settings: the queued tasks already ran
    assert api.structure_document(str(course.course_key), branch=PUBLISHED_BRANCH)
    assert api.structure_document(str(course.course_key), branch=DRAFT_BRANCH)
    with pytest.raises(CommandError, match=r"course-v1:Org\+Nope\+R"):
        _run("lc_compile", "course-v1:Org+Nope+R", "--async")
