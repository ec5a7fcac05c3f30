"""
``lc_export_olx`` (issue 16 item 4): export → re-import into a fresh course → compile gives the same documents.

The compiled structures and definitions of both courses are compared with block ids equal, ignoring
edit_info, ids/versions and the course key inside fields. Re-importing an export into the course it
came from changes nothing (tests/olx/test_reimport_unchanged.py).
"""
from __future__ import annotations

import datetime
import tarfile

import pytest
from django.core.management import CommandError, call_command

from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, decode_definition, decode_structure
from lc_modulestore.exporting.api import export_olx
from lc_modulestore.importing.olx.api import import_olx
from lc_modulestore.models_api import CompiledDefinition, CourseIndex
from tests.demo_course import compile_both_branches, demo_course_dir
from tests.olx.helpers import FIXTURE_COURSES, FIXTURES

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
LATER = NOW + datetime.timedelta(days=1)
SOURCES = FIXTURE_COURSES
_IGNORED = {"edit_info", "definition", "_id", "previous_version", "original_version", "root", "schema_version"}


def _scrub(value, keys: tuple[str, ...]):
    """The course key (in either spelling) replaced, so two courses' fields compare."""
    if isinstance(value, dict):
        return {k: _scrub(v, keys) for k, v in value.items() if k not in _IGNORED}
    if isinstance(value, list):
        return [_scrub(v, keys) for v in value]
    if isinstance(value, str):
        for key in keys:
            value = value.replace(key, "COURSE")
        return value
    return value


def _key_spellings(course_key: str) -> tuple[str, ...]:
    org, number, run = course_key.removeprefix("course-v1:").split("+")
    return (course_key, f"{org}+{number}+{run}", f"{org}/{number}/{run}", f"/c4x/{org}/{number}/")


def _compiled(course_key: str, branch: str, *, also: str) -> dict:
    """Block (type, id) → (block fields scrubbed, definition fields scrubbed), plus the structure's assets."""
    index = CourseIndex.objects.select_related("published_structure", "draft_structure").get(
        course__course_key=course_key)
    row = index.published_structure if branch == PUBLISHED_BRANCH else index.draft_structure
    document = decode_structure(bytes(row.data), row.checksum, what=course_key)
    definitions = {
        d.objectid: decode_definition(bytes(d.data), d.checksum, what=d.objectid)
        for d in CompiledDefinition.objects.filter(objectid__in=[str(b["definition"]) for b in document["blocks"]])
    }
    # Stored OLX keeps the key it was written with: the source's key inside the copy's fields is "the course key".
    keys = _key_spellings(course_key) + _key_spellings(also)
    return {
        (b["block_type"], b["block_id"]): (
            _scrub(b, keys),
            _scrub(definitions[str(b["definition"])].get("fields", {}), keys),
        )
        for b in document["blocks"]
    }


def _round_trip(tmp_path, source_key: str, *, branch: str, archive: bool = False) -> str:
    fresh = source_key.replace("course-v1:", "course-v1:Back")
    target = tmp_path / ("export.tar.gz" if archive else "export")
    export_olx(source_key, target, branch=branch)
    import_olx(target, fresh, publish=True, created=LATER)
    compile_both_branches(fresh)
    return fresh


def _assert_same(source_key: str, fresh: str, *, source_branch: str) -> None:
    expected = _compiled(source_key, source_branch, also=fresh)
    got = _compiled(fresh, PUBLISHED_BRANCH, also=source_key)
    assert sorted(got) == sorted(expected)
    diffs = [key for key in expected if expected[key] != got[key]]
    assert not diffs, "\n".join(_explain(key, expected[key], got[key]) for key in diffs[:6])


def _explain(key, expected, got) -> str:
    lines = [f"{key[0]}/{key[1]}:"]
    for part, (want, have) in zip(("block", "definition"), zip(expected, got, strict=True), strict=True):
        want_fields = want.get("fields", want) if part == "block" else want
        have_fields = have.get("fields", have) if part == "block" else have
        for name in sorted(set(want_fields) | set(have_fields)):
            if want_fields.get(name) != have_fields.get(name):
                lines.append(f"  {part}.{name}: {want_fields.get(name)!r} != {have_fields.get(name)!r}")
        if part == "block":
            for name in sorted(set(want) | set(have)):
                if name != "fields" and want.get(name) != have.get(name):
                    lines.append(f"  block[{name}]: {want.get(name)!r} != {have.get(name)!r}")
    return "\n".join(lines)


@pytest.mark.parametrize("fixture", sorted(SOURCES))
def test_published_round_trip(tmp_path, fixture):
    import_olx(FIXTURES / fixture, SOURCES[fixture], publish=True, created=NOW)
    compile_both_branches(SOURCES[fixture])
    fresh = _round_trip(tmp_path, SOURCES[fixture], branch="published")
    _assert_same(SOURCES[fixture], fresh, source_branch=PUBLISHED_BRANCH)


@pytest.mark.parametrize("fixture", ["era2014", "era2021"])
def test_draft_round_trip(tmp_path, fixture):
    """The draft state exported as a main tree re-imports, published, as the same documents."""
    import_olx(FIXTURES / fixture, SOURCES[fixture], publish=True, created=NOW)
    compile_both_branches(SOURCES[fixture])
    fresh = _round_trip(tmp_path, SOURCES[fixture], branch="draft")
    _assert_same(SOURCES[fixture], fresh, source_branch=DRAFT_BRANCH)


def test_archive_round_trip_with_assets(tmp_path):
    import_olx(FIXTURES / "era2021", SOURCES["era2021"], publish=True, created=NOW)
    compile_both_branches(SOURCES["era2021"])
    fresh = _round_trip(tmp_path, SOURCES["era2021"], branch="published", archive=True)
    with tarfile.open(tmp_path / "export.tar.gz") as tar:
        names = tar.getnames()
    assert "course/policies/assets.json" in names
    assert any(name.startswith("course/static/") for name in names)
    _assert_same(SOURCES["era2021"], fresh, source_branch=PUBLISHED_BRANCH)


def test_command_refuses_non_empty_directory_and_unknown_course(tmp_path):
    import_olx(FIXTURES / "full", SOURCES["full"], publish=True, created=NOW)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    with pytest.raises(CommandError, match="course-v1:Full"):
        call_command("lc_export_olx", SOURCES["full"], str(tmp_path / "busy"))
    with pytest.raises(CommandError, match="course-v1:No\\+Such\\+Course"):
        call_command("lc_export_olx", "course-v1:No+Such+Course", str(tmp_path / "new"))
    call_command("lc_export_olx", SOURCES["full"], str(tmp_path / "new"), "--branch", "draft", verbosity=0)
    assert (tmp_path / "new" / "course.xml").is_file()


@pytest.mark.slow
def test_demo_course_round_trip(tmp_path):
    directory = demo_course_dir()
    if directory is None:
        pytest.skip("LC_DEMO_COURSE_DIR has no demo export")
    key = "course-v1:OpenedX+DemoX+DemoCourse"
    import_olx(directory, key, publish=True, created=NOW)
    compile_both_branches(key)
    fresh = _round_trip(tmp_path, key, branch="published")
    _assert_same(key, fresh, source_branch=PUBLISHED_BRANCH)
