"""
Issue 17 item 1-2: no path an export names reads a file outside it, in a directory or an archive.

On the code before the fix each case imported the outside file as course
content (or, for archives, failed with an unpacking traceback's text); now each
is refused with an OlxError naming the file, the attribute and the value, and
the database is left as it was.
"""
from __future__ import annotations

import io
import os
import tarfile
import tempfile
from pathlib import Path

import pytest

from lc_modulestore.core.errors import OlxError
from lc_modulestore.importing.olx.api import import_olx
from lc_modulestore.models import CourseAsset
from tests.olx.helpers import course, olx, row_counts
from tests.olx.hostile_support import KEY, SECRET, archive, export, plant_secrets

pytestmark = pytest.mark.django_db


def refused(path: Path, now) -> OlxError:
    before = row_counts()
    with pytest.raises(OlxError) as info:
        import_olx(path, KEY, publish=True, created=now)
    assert row_counts() == before
    return info.value


def _source_dir(tmp_path: Path, form: str) -> Path:
    if form == "directory":
        return tmp_path
    (tmp_path / "src").mkdir()
    return tmp_path / "src"


@pytest.fixture
def unpack_dir(tmp_path, monkeypatch) -> Path:
    """Archives unpack under ``tmp_path/unpack`` (secrets planted there are just outside the export)."""
    directory = tmp_path / "unpack"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    plant_secrets(directory)
    return directory


def _build(tmp_path: Path, overlay: str, form: str) -> Path:
    """The overlay as a directory export (secrets beside it) or as an archive with course.xml at its root."""
    if form == "directory":
        plant_secrets(tmp_path)
        return export(tmp_path, overlay)
    (tmp_path / "src").mkdir()
    return archive(export(tmp_path / "src", overlay), tmp_path / "course.tar.gz", arcname=".")


TRAVERSALS = {
    # overlay: (file at fault, line, message part)
    "pointer_dotdot": ("vertical/v1.xml", 2, "url_name='..:..:secret' leaves the export root"),
    "course_url_name": ("course.xml", 1, "url_name='../../outside/run' leaves the export root"),
    "filename_dotdot": ("html/h1.xml", 1, "filename='../../secret' leaves the export root"),
}


@pytest.mark.parametrize("form", ["directory", "archive"])
@pytest.mark.parametrize("overlay", sorted(TRAVERSALS))
def test_traversal_is_refused_naming_file_attribute_and_value(overlay, form, tmp_path, unpack_dir, now):
    error = refused(_build(tmp_path, overlay, form), now)
    file, line, reason = TRAVERSALS[overlay]
    assert (error.file, error.line) == (file, line)
    assert reason in str(error)


@pytest.mark.parametrize("form", ["directory", "archive"])
def test_leading_colon_pointer_is_an_absolute_path(form, tmp_path, unpack_dir, now):
    secret = (unpack_dir if form == "archive" else tmp_path) / "secret"
    plant_secrets(secret.parent)
    course_dir = export(_source_dir(tmp_path, form))
    url_name = str(secret).replace("/", ":")  # ":tmp:…:secret" → "/tmp/…/secret.xml"
    (course_dir / "vertical" / "v1.xml").write_text(f'<vertical>\n  <html url_name="{url_name}"/>\n</vertical>\n')
    path = archive(course_dir, tmp_path / "c.tar.gz", arcname=".") if form == "archive" else course_dir
    error = refused(path, now)
    assert (error.file, error.line) == ("vertical/v1.xml", 2)
    assert f"url_name={url_name!r} is an absolute path" in str(error)


@pytest.mark.parametrize("form", ["directory", "archive"])
def test_absolute_filename_is_refused_even_with_a_harmless_twin_inside(form, tmp_path, unpack_dir, now):
    """``<html filename="/…/secret.txt"/>`` next to ``html/…/secret.txt.html`` imported the outside file."""
    secret = (unpack_dir if form == "archive" else tmp_path) / "secret.txt"
    plant_secrets(secret.parent)
    course_dir = export(_source_dir(tmp_path, form))
    (course_dir / "html" / "h1.xml").write_text(f'<html filename="{secret}" display_name="H1"/>\n')
    twin = course_dir / "html" / f"{str(secret).lstrip('/')}.html"
    twin.parent.mkdir(parents=True)
    twin.write_text("<p>harmless</p>")
    path = archive(course_dir, tmp_path / "c.tar.gz", arcname=".") if form == "archive" else course_dir
    error = refused(path, now)
    assert error.file == "html/h1.xml"
    assert f"filename={str(secret)!r} is an absolute path" in str(error)


def test_etc_passwd_filename_is_refused(tmp_path, now):
    course_dir = export(tmp_path)
    (course_dir / "html" / "h1.xml").write_text('<html filename="/etc/passwd" display_name="H1"/>\n')
    (course_dir / "html" / "etc").mkdir()
    (course_dir / "html" / "etc" / "passwd.html").write_text("<p>harmless</p>")
    error = refused(course_dir, now)
    assert "filename='/etc/passwd' is an absolute path" in str(error)


SYMLINKS = {
    # link inside the export → (target outside, file at fault, message part)
    "static/passwd.txt": ("secret.txt", "static/passwd.txt", "is a symbolic link to"),
    "static/outside_dir": ("outside", "static/outside_dir", "is a symbolic link to"),
    "about/overview.html": ("secret.html", "about/overview.html", "is a symbolic link to"),
    "html/h1_body.html": ("secret.html", "html/h1.xml", "filename='h1_body' goes through a symbolic link"),
    "vertical/v1.xml": ("secret_vertical.xml", "sequential/s1.xml", "url_name='v1' goes through a symbolic link"),
    "html/unused.html": ("secret.html", "html/unused.html", "is a symbolic link to"),  # named by nothing: the scan
}


@pytest.mark.parametrize("link", sorted(SYMLINKS))
def test_symlink_to_outside_is_refused(link, tmp_path, now):
    plant_secrets(tmp_path)
    (tmp_path / "secret_vertical.xml").write_text(f'<vertical display_name="{SECRET}"/>')
    course_dir = export(tmp_path)
    target, file, reason = SYMLINKS[link]
    (course_dir / link).unlink(missing_ok=True)
    os.symlink(tmp_path / target, course_dir / link)
    error = refused(course_dir, now)
    assert error.file == file
    assert reason in str(error)
    assert "outside the export root" in str(error)


def test_symlinks_inside_the_export_are_allowed_and_loops_do_not_spin(tmp_path, now):
    """ADR 0023: a link whose target stays inside reads nothing the export does not hold."""
    course_dir = export(tmp_path)
    os.symlink("a.txt", course_dir / "static" / "copy.txt")
    os.symlink(".", course_dir / "static" / "loop")  # a directory linking to itself
    import_olx(course_dir, KEY, publish=True, created=now)
    paths = set(CourseAsset.objects.filter(course=course(KEY)).values_list("path", flat=True))
    assert paths == {"a.txt", "copy.txt"}


def _member(name: str, *, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    info.size = 1 if kind == tarfile.REGTYPE else 0
    return info


def _archive_with(tmp_path: Path, *members: tarfile.TarInfo) -> Path:
    target = tmp_path / "members.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        tar.add(export(tmp_path), arcname="course")
        for member in members:
            tar.addfile(member, io.BytesIO(b"x") if member.isfile() else None)
    return target


@pytest.mark.parametrize(
    "member, reason",
    [
        (_member("../evil.xml"), "member '../evil.xml' leaves the export root"),
        (_member("course/../../evil.xml"), "member 'course/../../evil.xml' leaves the export root"),
        (_member("/tmp/evil.xml"), "member '/tmp/evil.xml' is an absolute path"),
        (_member("course/static/pw", kind=tarfile.SYMTYPE, linkname="/etc/passwd"),
         "member 'course/static/pw' is a link to '/etc/passwd', outside the export root"),
        (_member("course/static/up", kind=tarfile.SYMTYPE, linkname="../../../secret.txt"),
         "member 'course/static/up' is a link to '../../../secret.txt', outside the export root"),
        (_member("course/static/hard", kind=tarfile.LNKTYPE, linkname="../secret.txt"),
         "member 'course/static/hard' is a link to '../secret.txt', outside the export root"),
        (_member("course/static/fifo", kind=tarfile.FIFOTYPE), "is neither a file, a directory nor a link"),
    ],
)
def test_tar_members_are_checked_before_extraction(member, reason, tmp_path, unpack_dir, now):
    path = _archive_with(tmp_path, member)
    error = refused(path, now)
    assert error.file == str(path)
    assert reason in str(error)
    assert not list(unpack_dir.glob("lc-olx-*"))  # the temporary directory is gone
    assert not (unpack_dir / "evil.xml").exists() and not (tmp_path / "evil.xml").exists()


def test_the_base_course_imports(tmp_path, now):
    """The fixture every hostile case starts from is itself a valid course (so a refusal is the case's doing)."""
    course_dir = export(tmp_path)
    import_olx(course_dir, KEY, publish=True, created=now)
    assert "Hello from the base course" in olx(course(KEY), "html", "h1")
    import_olx(archive(course_dir, tmp_path / "base.tar.gz"), KEY, publish=True, created=now)


def test_colon_url_names_still_resolve_both_ways(tmp_path, now):
    """``a:b`` is ``vertical/a/b.xml`` or, as some exports write it, ``vertical/a:b.xml``: both stay allowed."""
    course_dir = export(tmp_path)
    (course_dir / "sequential" / "s1.xml").write_text(
        '<sequential>\n  <vertical url_name="v1"/>\n  <vertical url_name="a:b"/>\n  <vertical url_name="c:d"/>\n'
        "</sequential>\n")
    (course_dir / "vertical" / "a").mkdir()
    (course_dir / "vertical" / "a" / "b.xml").write_text('<vertical display_name="mapped"/>')
    (course_dir / "vertical" / "c:d.xml").write_text('<vertical display_name="raw"/>')
    result = import_olx(course_dir, KEY, created=now)
    assert result.blocks == 8
