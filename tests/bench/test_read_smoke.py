"""Smoke test of ``manage.py lc_bench read`` at a tiny size against the nx-27017 stand-in (no timing assertions)."""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from benchmarks.api import SCENARIOS

pytestmark = [pytest.mark.django_db, pytest.mark.mongo_wire]


def test_lc_bench_read_writes_a_table_and_plots(tmp_path):
    out = io.StringIO()
    call_command("lc_bench", "read", "--sizes", "30", "--repeat", "1", "--no-demo", "--no-edx-platform",
                 "--out", str(tmp_path), stdout=out)
    table = (tmp_path / "results.md").read_text()
    assert "nx-27017 stand-in" in table  # every Mongo figure is labelled as measured against the stand-in
    for scenario in SCENARIOS:
        assert (tmp_path / f"read_{scenario}.png").stat().st_size > 0
        for mode in ("cold", "warm"):
            for backend in ("mysql", "mongo"):
                rows = [line for line in table.splitlines()
                        if line.startswith("| synthetic 30 |") and f"| {scenario} | {mode} | {backend} |" in line]
                assert len(rows) == 1, (scenario, mode, backend)
    results = json.loads((tmp_path / "results.json").read_text())
    assert len(results["rows"]) == len(SCENARIOS) * 4
    traversal = {r["backend"]: r for r in results["rows"] if r["scenario"] == "traversal" and r["mode"] == "cold"}
    assert traversal["mongo"]["round_trips"] >= 2 and traversal["mysql"]["queries"] >= 1
    assert results["floors"][0]["blocks"] == traversal["mysql"]["blocks"]
    assert "Full traversal vs the floor" in table

    # lc_bench report: runs made apart (e.g. 50k alone) become one table and one set of plots
    other = tmp_path / "other"
    other.mkdir()
    renamed = json.loads(json.dumps(results).replace('"synthetic 30"', '"synthetic 99"'))
    (other / "results.json").write_text(json.dumps(renamed))
    merged = tmp_path / "merged"
    call_command("lc_bench", "report", "--from", f"{tmp_path},{other}", "--out", str(merged), stdout=io.StringIO())
    merged_table = (merged / "results.md").read_text()
    assert merged_table.count("| synthetic 30 |") == table.count("| synthetic 30 |") > 0
    assert merged_table.count("| synthetic 99 |") == table.count("| synthetic 30 |")
    assert len(json.loads((merged / "results.json").read_text())["rows"]) == 2 * len(results["rows"])
    assert all((merged / f"read_{scenario}.png").stat().st_size > 0 for scenario in SCENARIOS)
    with pytest.raises(CommandError, match="no results.json"):
        call_command("lc_bench", "report", "--from", str(tmp_path / "nope"), "--out", str(merged))


def test_lc_bench_read_has_a_column_for_edx_platforms_split_over_the_same_backend(tmp_path):
    from tests.edx_platform.edx import AVAILABLE

    if not AVAILABLE:
        pytest.skip("edx-platform's xmodule snapshot (../shared/edx-platform) is absent")
    call_command("lc_bench", "read", "--sizes", "30", "--repeat", "1", "--no-demo", "--out", str(tmp_path),
                 stdout=io.StringIO())
    results = json.loads((tmp_path / "results.json").read_text())
    assert len(results["rows"]) == len(SCENARIOS) * 2 * 3  # every scenario, cold and warm, three stores
    env = results["environment"]
    assert env["commit"] != "unknown" and "--sizes 30" in env["arguments"]
    assert env["backends"]["edx_split"].startswith("edx-platform's split over ")
    table = (tmp_path / "results.md").read_text()
    assert "| synthetic 30 | 27 | traversal |" in table and "edx split cold" in table
    blocks = {r["blocks"] for r in results["rows"]}
    assert len(blocks) == 1  # the same course behind every column
    # every scenario's answers were compared, store by store, and agree
    assert {(a["scenario"], a["backend"]) for a in results["answers"]} == {
        (s, b) for s in SCENARIOS for b in ("edx_split", "mongo")
    }
    assert all(a["differences"] == [] for a in results["answers"]), results["answers"]
    assert table.count("| equal |") == len(SCENARIOS)


def test_the_answer_check_names_a_store_that_answers_differently(tmp_path, monkeypatch):
    """A store that serves another display name is caught by the answer check (not only by the tests)."""
    from benchmarks import read as read_module

    real = read_module._answer

    def lying(scenario, store, course_key, item):
        method, asked, answer = real(scenario, store, course_key, item)
        if scenario == "get_item" and store is not lying.first:
            answer.display_name = "not the same"
        return method, asked, answer

    def answer_differences(scenario, backends, course_key, item):
        lying.first = backends[0].store
        return real_differences(scenario, backends, course_key, item)

    real_differences = read_module.answer_differences
    monkeypatch.setattr(read_module, "_answer", lying)
    monkeypatch.setattr(read_module, "answer_differences", answer_differences)
    call_command("lc_bench", "read", "--sizes", "30", "--repeat", "1", "--no-demo", "--no-edx-platform",
                 "--scenarios", "get_item", "--out", str(tmp_path), stdout=io.StringIO())
    results = json.loads((tmp_path / "results.json").read_text())
    (wrong,) = results["answers"]
    assert wrong["backend"] == "mongo" and any("display_name" in d for d in wrong["differences"])


def test_lc_bench_read_rejects_bad_sizes(tmp_path):
    with pytest.raises(CommandError, match="--sizes"):
        call_command("lc_bench", "read", "--sizes", "ten", "--out", str(tmp_path))


def test_lc_bench_read_keeps_what_it_measured_when_a_later_course_fails(tmp_path, monkeypatch):
    """A 50k run takes an hour: the report is written after each course, not only at the end."""
    from benchmarks.read import ReadBenchmark

    real_run_course = ReadBenchmark.run_course
    measured: list[str] = []

    def run_course(self, label, course_key):
        measured.append(label)
        if len(measured) == 2:
            raise RuntimeError("the second course failed")
        return real_run_course(self, label, course_key)

    monkeypatch.setattr(ReadBenchmark, "run_course", run_course)
    with pytest.raises(RuntimeError, match="second course"):
        call_command("lc_bench", "read", "--sizes", "30,40", "--repeat", "1", "--no-demo", "--out", str(tmp_path),
                     stdout=io.StringIO())
    assert measured == ["synthetic 30", "synthetic 40"]
    results = json.loads((tmp_path / "results.json").read_text())
    assert {row["course"] for row in results["rows"]} == {"synthetic 30"}
    assert "| synthetic 30 |" in (tmp_path / "results.md").read_text()
