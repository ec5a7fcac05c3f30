"""Bad OLX fails with an error naming the file (and line) and leaves the database exactly as it was."""
from __future__ import annotations

import shutil

import pytest
from django.core.management import CommandError, call_command

from lc_modulestore.core.errors import InvalidCourseKeyError, OlxError
from lc_modulestore.importing.olx.api import import_olx
from tests.olx.helpers import FIXTURES, row_counts

pytestmark = pytest.mark.django_db
KEY = "course-v1:Bad+B1+run"

CASES = {
    "malformed": ("chapter/c1.xml", 3, "malformed XML"),
    "missing_pointer": ("chapter/c1.xml", 2, "sequential/exists_not.xml, which does not exist"),
    "duplicate_url_name": ("course/run.xml", 4, "duplicate url_name 's1' for block type 'sequential'"),
    "cycle": ("vertical/v1.xml", 2, "cycle in the course outline: sequential/s1 → vertical/v1 → sequential/s1"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_export_names_file_and_line_and_changes_nothing(case, now):
    file, line, reason = CASES[case]
    before = row_counts()
    with pytest.raises(OlxError) as info:
        import_olx(FIXTURES / "broken" / case, KEY, publish=True, created=now)
    assert (info.value.file, info.value.line) == (file, line)
    assert reason in str(info.value) and f"{file}, line {line}" in str(info.value)
    assert row_counts() == before


@pytest.mark.parametrize("case", sorted(CASES))
def test_failed_reimport_over_an_existing_course_changes_nothing(case, now, tmp_path):
    import_olx(FIXTURES / "full", KEY, publish=True, created=now)
    broken = tmp_path / "course"
    shutil.copytree(FIXTURES / "full", broken)
    for path in (FIXTURES / "broken" / case).rglob("*.xml"):  # graft the broken outline onto the full course
        target = broken / path.relative_to(FIXTURES / "broken" / case)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    before = row_counts()
    with pytest.raises(OlxError):
        import_olx(broken, KEY, publish=True, created=now)
    assert row_counts() == before


def test_failure_after_writes_started_rolls_back(now, tmp_path):
    """A draft naming a parent the course lacks is found after fields are realized (edxval written)."""
    course = tmp_path / "course"
    shutil.copytree(FIXTURES / "full", course)
    draft = course / "drafts" / "vertical" / "draft_unit.xml"
    draft.write_text(draft.read_text().replace("block@seq1", "block@no_such_seq"))
    before = row_counts()
    with pytest.raises(OlxError, match="no_such_seq") as info:
        import_olx(course, KEY, publish=True, created=now)
    assert info.value.file == "drafts/vertical/draft_unit.xml"
    assert row_counts() == before


@pytest.mark.parametrize("bad_key", ["not a key", "Org/Course/Run", "library-v1:Org+Lib"])
def test_bad_course_key(bad_key, now):
    before = row_counts()
    with pytest.raises(InvalidCourseKeyError):
        import_olx(FIXTURES / "full", bad_key, created=now)
    assert row_counts() == before


def test_missing_path_and_malformed_json(now, tmp_path):
    with pytest.raises(OlxError, match="no such file"):
        import_olx(tmp_path / "nothing-here", KEY, created=now)
    course = tmp_path / "course"
    shutil.copytree(FIXTURES / "full", course)
    (course / "policies" / "run" / "policy.json").write_text('{\n  "course/run": {,\n}')
    with pytest.raises(OlxError) as info:
        import_olx(course, KEY, created=now)
    assert (info.value.file, info.value.line) == ("policies/run/policy.json", 2)


def test_command_error_names_the_file(now):
    with pytest.raises(CommandError, match=r"chapter/c1.xml, line 3: malformed XML"):
        call_command("lc_import_olx", str(FIXTURES / "broken" / "malformed"), "--course-key", KEY, verbosity=0)
    with pytest.raises(CommandError, match="not a course key"):
        call_command("lc_import_olx", str(FIXTURES / "full"), "--course-key", "nope", verbosity=0)
