"""
Issue 17 items 7-9: every bad export or key ends in a message naming the file (and line), never a traceback.

Before the fix: a truncated archive raised EOFError, a string in assets.json
AttributeError, ``"tabs": 7`` TypeError, a 300-character url_name or key a
DataError on MariaDB (silently stored on SQLite), invalid UTF-8 said "cannot
read: None", bad UTF-8 in an html file named its pointer, a duplicate url_name
named the target file twice, the input path was printed twice, a wrongly shaped
grading policy was stored, ``course-v1:..+..+x`` was accepted, and two imports
of one course collided in the database.
"""
from __future__ import annotations

import re
import threading

import pytest
from django.core.management import CommandError, call_command

from lc_modulestore.core.errors import InvalidCourseKeyError, OlxError
from lc_modulestore.core.keys import parse_course_key
from lc_modulestore.importing.olx.api import import_olx
from lc_modulestore.importing.olx.guards import ImportRunningError, course_import_lock
from tests.olx.helpers import row_counts
from tests.olx.hostile_support import KEY, archive, export

pytestmark = pytest.mark.django_db


def refused(path, now, key: str = KEY, error=OlxError):
    before = row_counts()
    with pytest.raises(error) as info:
        import_olx(path, key, publish=True, created=now)
    assert row_counts() == before
    return info.value


def test_truncated_archive(tmp_path, now):
    path = archive(export(tmp_path), tmp_path / "course.tar.gz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    error = refused(path, now)
    assert error.file == str(path)
    assert "cannot unpack: the archive is truncated or corrupt" in str(error)


@pytest.mark.parametrize(
    "overlay, file, reason",
    [
        ("assets_string", "policies/assets.json", "assets.json entry 'a.txt' must be an object, not a string"),
        ("tabs_int", "policies/run/policy.json", '"tabs" of the course must be a list of objects, not 7'),
        ("grading_shape", "policies/run/grading_policy.json", '"GRADER" must be a list of grader objects'),
    ],
)
def test_json_of_the_wrong_shape_names_its_file(overlay, file, reason, tmp_path, now):
    error = refused(export(tmp_path, overlay), now)
    assert error.file == file
    assert reason in str(error)


@pytest.mark.parametrize(
    "grading, reason",
    [
        ({"GRADER": [{"type": "HW", "min_count": 1, "drop_count": 0}]}, '"GRADER"[0]["weight"] must be a number'),
        ({"GRADER": [{"type": 3, "min_count": 1, "drop_count": 0, "weight": 1}]}, '"GRADER"[0]["type"] must be a'),
        ({"GRADER": ["HW"]}, '"GRADER"[0] must be an object, not a string'),
        ({"GRADE_CUTOFFS": {"Pass": 2}}, '"GRADE_CUTOFFS"["Pass"] must be a number from 0 to 1'),
        ({"GRADE_CUTOFFS": [0.5]}, '"GRADE_CUTOFFS" must be an object'),
        ([], "grading_policy.json must be an object, not a list"),
    ],
)
def test_grading_policy_is_checked_as_course_grading_model_reads_it(grading, reason, tmp_path, now):
    import json

    course_dir = export(tmp_path)
    (course_dir / "policies" / "run" / "grading_policy.json").write_text(json.dumps(grading))
    error = refused(course_dir, now)
    assert error.file == "policies/run/grading_policy.json" and reason in str(error)


@pytest.mark.parametrize("where", ["pointer", "inline"])
def test_url_name_over_255_characters(where, tmp_path, now):
    course_dir = export(tmp_path)
    long = ":".join(["x" * 99] * 3) + "x"  # 300 characters; a pointer's file is html/x…/x…/x…xx.xml
    if where == "pointer":
        target = course_dir / "html" / f"{long.replace(':', '/')}.xml"
        target.parent.mkdir(parents=True)
        target.write_text("<html>long</html>")
        unit = f'<vertical>\n  <html url_name="{long}"/>\n</vertical>\n'
    else:
        unit = f'<vertical>\n  <html url_name="{long}" display_name="Long">long</html>\n</vertical>\n'
    (course_dir / "vertical" / "v1.xml").write_text(unit)
    error = refused(course_dir, now)
    assert (error.file, error.line) == ("vertical/v1.xml", 2)
    assert "url_name is 300 characters long; at most 255 are stored" in str(error)


def test_course_key_over_255_characters(tmp_path, now):
    key = "course-v1:Hostile+H1+" + "r" * 300
    error = refused(export(tmp_path), now, key=key, error=InvalidCourseKeyError)
    assert "characters long; course keys are at most 255" in str(error)


@pytest.mark.parametrize("key", ["course-v1:..+..+NAME", "course-v1:Org+..+run", "course-v1:Org+C+a..b"])
def test_course_keys_with_dot_dot_are_refused(key, tmp_path, now):
    with pytest.raises(InvalidCourseKeyError, match="holds '..' or a path separator"):
        parse_course_key(key)
    refused(export(tmp_path), now, key=key, error=InvalidCourseKeyError)
    with pytest.raises(CommandError, match="holds '..'"):
        call_command("lc_import_olx", str(export(tmp_path, name="again")), "--course-key", key, verbosity=0)


def test_invalid_utf8_in_xml_names_file_and_line(tmp_path, now):
    course_dir = export(tmp_path)
    (course_dir / "vertical" / "v1.xml").write_bytes(b'<vertical>\n  <html url_name="h1"/>\n  <p>caf\xe9</p>\n')
    error = refused(course_dir, now)
    assert (error.file, error.line) == ("vertical/v1.xml", 3)
    assert "malformed XML" in str(error) and "None" not in str(error)


def test_bad_utf8_in_an_html_file_names_the_html_file(tmp_path, now):
    course_dir = export(tmp_path)
    (course_dir / "html" / "h1_body.html").write_bytes(b"<p>fine</p>\n<p>caf\xe9</p>\n")
    error = refused(course_dir, now)
    assert (error.file, error.line) == ("html/h1_body.html", 2)
    assert "not UTF-8" in str(error)


def test_duplicate_url_name_names_the_second_pointer(tmp_path, now):
    error = refused(export(tmp_path, "duplicate_pointer"), now)
    assert (error.file, error.line) == ("chapter/c2.xml", 3)
    assert ("duplicate url_name 's1' for block type 'sequential' (first named in chapter/c1.xml, line 2, "
            "defined in sequential/s1.xml)") in str(error)


@pytest.mark.parametrize("kind", ["missing", "truncated"])
def test_command_prints_the_input_path_once(kind, tmp_path, now):
    path = tmp_path / "nothing-here"
    if kind == "truncated":
        path = archive(export(tmp_path), tmp_path / "course.tar.gz")
        path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CommandError) as info:
        call_command("lc_import_olx", str(path), "--course-key", KEY, verbosity=0)
    assert str(info.value).count(str(path)) == 1


def test_a_second_import_of_a_running_course_is_refused(tmp_path, now):
    """The first import holds the course's lock (here in another thread, with its own connection)."""
    held, release, done = threading.Event(), threading.Event(), threading.Event()

    def first_import():
        from django.db import connection

        try:
            with course_import_lock(KEY):
                held.set()
                release.wait(30)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=first_import)
    thread.start()
    try:
        assert held.wait(30)
        error = refused(export(tmp_path), now, error=ImportRunningError)
        assert str(error).startswith(f"an import of {KEY} is running")
        with pytest.raises(CommandError, match=re.escape(f"an import of {KEY} is running")):
            call_command("lc_import_olx", str(export(tmp_path, name="again")), "--course-key", KEY, verbosity=0)
        import_olx(export(tmp_path, name="other"), "course-v1:Hostile+H2+run", created=now)  # other courses go on
    finally:
        release.set()
        thread.join(30)
    assert done.is_set()
    import_olx(export(tmp_path, name="after"), KEY, created=now)  # the lock is released with the first import


def test_shim_runtime_resources_folder_stays_inside_fs_root(tmp_path):
    """Keys reach the shim from the LMS without parse_course_key; the runtime checks the folder itself."""
    from opaque_keys.edx.keys import CourseKey

    from shim.runtime import CourseRuntime
    from shim.store import CourseEntry

    fs_root = tmp_path / "a" / "fs_root"
    fs_root.mkdir(parents=True)
    entry = CourseEntry(CourseKey.from_string("course-v1:..+..+NAME"), {"_id": "0" * 24, "blocks": {}})
    with pytest.raises(InvalidCourseKeyError, match="outside LC_MODULESTORE_FS_ROOT"):
        CourseRuntime(entry, load_definition=None, load_definitions=None, fs_root=str(fs_root))
    assert not (tmp_path / "NAME").exists()
