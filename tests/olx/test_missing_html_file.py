"""
Issue 16: an html block whose ``filename`` names a file the export lacks is kept as an error block.

edx-platform's XML import (``ImportSystem.process_xml``, ``load_error_blocks``) logs a block that fails
to load and keeps an ``ErrorBlock`` in its place; ``HtmlBlock.load_definition`` fails on the missing
``html/<filename>.html``. The importer aborted the whole course instead. A ``filename`` that leaves the
export is still refused (ADR 0023): hostile input is an error, not an error block.
"""
from __future__ import annotations

import pytest
from opaque_keys.edx.keys import CourseKey

from lc_modulestore.api import OlxError
from lc_modulestore.exporting.api import export_olx
from lc_modulestore.importing.olx.api import import_olx
from shim import api as shim_api
from tests.demo_course import compile_both_branches
from tests.olx.helpers import course, entity_children, fields, row_counts, version
from tests.shim.fixtures import new_request

pytestmark = pytest.mark.django_db
KEY = "course-v1:Miss+M1+run"


@pytest.fixture
def modulestore():
    new_request()
    shim_api.clear_existing_modulestores()
    yield shim_api.modulestore()
    shim_api.clear_existing_modulestores()


def _course(tmp_path, *, pointer_filename: str = "gone"):
    (tmp_path / "course").mkdir()
    (tmp_path / "html").mkdir()
    (tmp_path / "course.xml").write_text('<course url_name="r" org="Miss" course="M1"/>')
    (tmp_path / "course" / "r.xml").write_text(
        '<course display_name="C"><chapter url_name="c"><sequential url_name="s"><vertical url_name="v">'
        '<html url_name="ok"/><html url_name="h_missing"/><html url_name="inline" filename="nowhere"/>'
        "</vertical></sequential></chapter></course>"
    )
    (tmp_path / "html" / "ok.xml").write_text('<html filename="ok" display_name="Fine"/>')
    (tmp_path / "html" / "ok.html").write_text("<p>fine</p>")
    (tmp_path / "html" / "h_missing.xml").write_text(f'<html filename="{pointer_filename}" display_name="Gone"/>')
    return tmp_path


def test_a_missing_html_file_makes_only_that_block_an_error_block(tmp_path, now, modulestore):
    result = import_olx(_course(tmp_path), KEY, publish=True, created=now)

    assert result.warnings == [
        "html/h_missing.xml, line 1: html/h_missing kept as an error block: "
        "filename='gone' names html/gone.html, which does not exist",
        "course/r.xml, line 1: html/inline kept as an error block: "
        "filename='nowhere' names html/nowhere.html, which does not exist",
    ]
    lc = course(KEY)
    assert entity_children(lc, "vertical", "v", published=True) == [
        ("html", "ok"), ("error", "h_missing"), ("error", "inline")]
    error = fields(lc, "error", "h_missing", published=True)
    assert error.content["error_msg"] == (
        "html/h_missing.xml: html/h_missing cannot be loaded: "
        "filename='gone' names html/gone.html, which does not exist"
    )
    assert 'filename="gone"' in error.content["contents"] and 'display_name="Gone"' in error.content["contents"]
    assert fields(lc, "html", "ok", published=True).content["data"] == "<p>fine</p>"

    compile_both_branches(KEY)
    course_key = CourseKey.from_string(KEY)
    block = modulestore.get_item(course_key.make_usage_key("error", "h_missing"))
    assert block.category == "error"
    assert "html/gone.html" in block.error_msg and "html/h_missing" in block.error_msg
    unit = modulestore.get_item(course_key.make_usage_key("vertical", "v"))
    assert [(c.location.block_type, c.location.block_id, c.category) for c in unit.get_children()] == [
        ("html", "ok", "html"), ("error", "h_missing", "error"), ("error", "inline", "error")]

    before = row_counts()
    again = import_olx(tmp_path, KEY, publish=True, created=now)
    assert (again.created, again.updated, again.deleted, again.published) == (0, 0, 0, False)
    assert row_counts() == before


def test_adding_the_missing_file_replaces_the_error_block(tmp_path, now):
    import_olx(_course(tmp_path), KEY, publish=True, created=now)
    (tmp_path / "html" / "gone.html").write_text("<p>back</p>")
    result = import_olx(tmp_path, KEY, publish=True, created=now)
    lc = course(KEY)
    assert ("html", "h_missing") in entity_children(lc, "vertical", "v", published=True)
    assert fields(lc, "html", "h_missing", published=True).content["data"] == "<p>back</p>"
    assert result.deleted == 1  # the error block


@pytest.mark.parametrize(("filename", "reason"), [
    ("../../gone", "leaves the export root"),
    ("/nonexistent/gone", "is an absolute path"),
])
def test_a_missing_file_outside_the_export_is_still_refused(tmp_path, now, filename, reason):
    before = row_counts()
    with pytest.raises(OlxError, match=reason) as caught:
        import_olx(_course(tmp_path, pointer_filename=filename), KEY, publish=True, created=now)
    assert "html/h_missing.xml" in str(caught.value)
    assert row_counts() == before


def test_error_blocks_export_as_their_olx_and_reimport_unchanged(tmp_path, now):
    """lc_export_olx wrote ``<error url_name=…/>`` pointing at the leaf's ``<html>`` OLX, which did not re-import."""
    source = tmp_path / "source"
    source.mkdir()
    import_olx(_course(source), KEY, publish=True, created=now)
    export_olx(KEY, tmp_path / "export", branch="published")
    assert '<html url_name="h_missing"/>' in (tmp_path / "export" / "vertical" / "v.xml").read_text()
    assert (tmp_path / "export" / "html" / "h_missing.xml").read_text().startswith('<html filename="gone"')

    # The inline error block now comes from html/inline.xml: its error_msg names that file, once.
    lc = course(KEY)
    pointer_version = version(lc, "error", "h_missing").pk
    first = import_olx(tmp_path / "export", KEY, publish=True, created=now)
    assert (first.created, first.updated, first.deleted) == (0, 1, 0)
    assert version(lc, "error", "h_missing").pk == pointer_version
    assert fields(lc, "error", "inline").content["error_msg"].startswith("html/inline.xml: html/inline cannot be")
    before = row_counts()
    again = import_olx(tmp_path / "export", KEY, publish=True, created=now)
    assert (again.created, again.updated, again.deleted, again.published) == (0, 0, 0, False)
    assert row_counts() == before
    assert len(again.warnings) == 2 and "html/h_missing kept as an error block" in again.warnings[0]

    import_olx(tmp_path / "export", "course-v1:Miss+M2+run", publish=True, created=now)
    assert entity_children(course("course-v1:Miss+M2+run"), "vertical", "v", published=True) == [
        ("html", "ok"), ("error", "h_missing"), ("error", "inline")]
