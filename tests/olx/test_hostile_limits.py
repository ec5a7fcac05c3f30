"""
Issue 17 item 6 and the depth cases of item 7: every limit is a setting, checked before the thing is read whole.

Before the fix none of these were refused: a small archive expanding past any
size imported, a 60 MB static file was read whole and failed on openedx-core's
50 MB limit with a traceback, 3,000 pointer files raised RecursionError, 250
nested verticals failed inside the database, and a rolled-back import left its
media files behind.
"""
from __future__ import annotations

import os

import pytest
from django.test import override_settings

from lc_modulestore.core.errors import OlxError
from lc_modulestore.courses.authoring import CourseWriter
from lc_modulestore.importing.olx.api import import_olx
from tests.olx.helpers import row_counts
from tests.olx.hostile_support import KEY, archive, export

pytestmark = pytest.mark.django_db


def refused(path, now) -> OlxError:
    before = row_counts()
    with pytest.raises(OlxError) as info:
        import_olx(path, KEY, publish=True, created=now)
    assert row_counts() == before
    return info.value


@override_settings(LC_MODULESTORE_OLX_MAX_ARCHIVE_BYTES=500_000)
def test_archive_expanding_past_the_limit_is_refused_before_extraction(tmp_path, now):
    course_dir = export(tmp_path)
    (course_dir / "static" / "zeros.bin").write_bytes(bytes(1_000_000))  # compresses to about 1 KB
    path = archive(course_dir, tmp_path / "bomb.tar.gz")
    assert path.stat().st_size < 20_000
    error = refused(path, now)
    assert error.file == str(path)
    assert "expands to more than 500,000 bytes (LC_MODULESTORE_OLX_MAX_ARCHIVE_BYTES)" in str(error)


@override_settings(LC_MODULESTORE_OLX_MAX_MEMBERS=30)
@pytest.mark.parametrize("form", ["directory", "archive"])
def test_too_many_members_or_files(form, tmp_path, now):
    course_dir = export(tmp_path)
    for index in range(40):
        (course_dir / "static" / f"f{index}.txt").write_text(str(index))
    path = archive(course_dir, tmp_path / "many.tar.gz") if form == "archive" else course_dir
    error = refused(path, now)
    assert "LC_MODULESTORE_OLX_MAX_MEMBERS" in str(error)
    assert ("has more than 30 members" if form == "archive" else "more than 30 files") in str(error)


@override_settings(LC_MODULESTORE_OLX_MAX_FILE_BYTES=10_000)
@pytest.mark.parametrize("name", ["html/h1_body.html", "vertical/v1.xml", "policies/run/policy.json",
                                  "about/overview.html"])
def test_a_file_read_whole_is_size_limited(name, tmp_path, now):
    course_dir = export(tmp_path)
    path = course_dir / name
    text = path.read_text()
    padding = " " * 20_000
    path.write_text(text.replace("}\n", "}" + padding + "\n", 1) if name.endswith(".json") else text + padding)
    error = refused(course_dir, now)
    assert error.file == name
    assert "over the 10,000 bytes limit (LC_MODULESTORE_OLX_MAX_FILE_BYTES)" in str(error)


def test_static_file_over_openedx_core_limit_is_refused_before_it_is_read(tmp_path, now, monkeypatch):
    """A sparse 60 MB file: refused from its size, never read (openedx-core would take at most 50 MB)."""
    course_dir = export(tmp_path)
    big = course_dir / "static" / "video.mp4"
    with open(big, "wb") as handle:
        handle.truncate(60_000_000)
    opened = []
    real_open = open

    def spy(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spy)
    error = refused(course_dir, now)
    assert error.file == "static/video.mp4"
    assert "60,000,000 bytes, over the 50,000,000 bytes limit for a static file" in str(error)
    assert "LC_MODULESTORE_OLX_MAX_ASSET_BYTES" in str(error)
    assert str(big) not in opened


@override_settings(LC_MODULESTORE_OLX_MAX_ASSET_BYTES=1_000)
def test_asset_limit_setting_applies_to_archives_too(tmp_path, now):
    course_dir = export(tmp_path)
    (course_dir / "static" / "big.bin").write_bytes(os.urandom(2_000))
    path = archive(course_dir, tmp_path / "big.tar.gz")
    error = refused(path, now)
    assert "member 'course/static/big.bin' is 2,000 bytes, over the 1,000 bytes limit" in str(error)


def _nested_verticals(depth: int) -> str:
    return "".join(f'<vertical url_name="n{i}" display_name="N{i}">' for i in range(depth)) + "</vertical>" * depth


def test_250_nested_verticals_in_one_file_are_refused_by_the_xml_depth_limit(tmp_path, now):
    course_dir = export(tmp_path)
    (course_dir / "vertical" / "v1.xml").write_text(f"<vertical>\n{_nested_verticals(250)}\n</vertical>\n")
    error = refused(course_dir, now)
    assert error.file == "vertical/v1.xml" and error.line == 2
    assert "nest deeper than 100 levels (LC_MODULESTORE_OLX_MAX_XML_DEPTH)" in str(error)


@pytest.mark.parametrize("depth", [250, 3_000])
def test_a_chain_of_pointer_files_is_refused_by_the_tree_depth_limit(depth, tmp_path, now):
    """3,000 pointer files raised RecursionError; 250 failed inside the database."""
    course_dir = export(tmp_path)
    (course_dir / "vertical" / "v1.xml").write_text('<vertical>\n  <vertical url_name="p0"/>\n</vertical>\n')
    for index in range(depth):
        child = f'<vertical url_name="p{index + 1}"/>' if index + 1 < depth else "<html>end</html>"
        (course_dir / "vertical" / f"p{index}.xml").write_text(f"<vertical>\n  {child}\n</vertical>\n")
    error = refused(course_dir, now)
    assert "nested deeper than 10 blocks, pointer files included (LC_MODULESTORE_OLX_MAX_TREE_DEPTH)" in str(error)
    assert error.file.startswith("vertical/p") and error.line == 2


def test_nesting_at_the_default_tree_depth_imports_and_publishes_one_more_is_refused(tmp_path, now):
    """
    10 levels (course … v1 and 6 nested verticals) publish on SQLite and MariaDB; the 11th is refused.

    Without the limit 11 levels failed inside openedx-core's publish on SQLite ("parser stack overflow").
    """
    course_dir = export(tmp_path)
    (course_dir / "vertical" / "v1.xml").write_text(f"<vertical>\n{_nested_verticals(6)}\n</vertical>\n")
    result = import_olx(course_dir, KEY, publish=True, created=now)
    assert result.published and result.blocks == 11  # 10 levels + the detached about page
    (course_dir / "vertical" / "v1.xml").write_text(f"<vertical>\n{_nested_verticals(7)}\n</vertical>\n")
    error = refused(course_dir, now)
    assert "vertical/n6 is nested deeper than 10 blocks" in str(error)


@override_settings(LC_MODULESTORE_OLX_MAX_TREE_DEPTH=6)
def test_tree_depth_is_a_setting(tmp_path, now):
    course_dir = export(tmp_path)  # course > chapter > sequential > vertical > html: 5 levels
    import_olx(course_dir, KEY, created=now)
    (course_dir / "html" / "h1.xml").unlink()
    (course_dir / "vertical" / "v1.xml").write_text(
        "<vertical>\n  <vertical>\n    <vertical>\n      <html>x</html>\n    </vertical>\n  </vertical>\n</vertical>\n")
    error = refused(course_dir, now)
    assert "nested deeper than 6 blocks" in str(error) and error.line == 4


def test_rolled_back_import_leaves_no_media_file(tmp_path, now, monkeypatch, media):
    course_dir = export(tmp_path)
    (course_dir / "static" / "b.txt").write_text("a second asset")
    real_save = CourseWriter.save_asset
    calls: list[str] = []
    written: list = []

    def fail_on_second(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            written.extend(p for p in media.rglob("*") if p.is_file())
            raise OlxError("storage failed", file=f"static/{path}")
        return real_save(self, path, *args, **kwargs)

    monkeypatch.setattr(CourseWriter, "save_asset", fail_on_second)
    refused(course_dir, now)
    assert len(calls) == 2 and len(written) == 1  # the first asset's file was written, then the import rolled back
    assert [p for p in media.rglob("*") if p.is_file()] == []


def test_unchanged_static_files_are_hashed_in_chunks_not_read_whole(tmp_path, now, monkeypatch, media):
    from openedx_django_lib.fields import create_hash_digest

    from lc_modulestore.importing.olx.paths import media_digest

    course_dir = export(tmp_path)
    big = course_dir / "static" / "big.bin"
    big.write_bytes(os.urandom(3_000_000))
    assert media_digest(big) == create_hash_digest(big.read_bytes())
    import_olx(course_dir, KEY, publish=True, created=now)
    read_whole: list[str] = []
    real = type(big).read_bytes

    def spy(self):
        read_whole.append(self.name)
        return real(self)

    monkeypatch.setattr(type(big), "read_bytes", spy)
    result = import_olx(course_dir, KEY, publish=True, created=now)
    assert result.assets_changed == 0 and read_whole == []
