"""
Opening an export for reading: a directory as it is, a ``.tar.gz`` checked member by member, then unpacked.

The archive's member headers are checked (names, links, sizes, count: see
:func:`~lc_modulestore.importing.olx.paths.check_archive_members`) before a
single byte is extracted, and a truncated or corrupt archive is an
:class:`~lc_modulestore.core.errors.OlxError` naming it, not an ``EOFError``.
"""
from __future__ import annotations

import gzip
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lc_modulestore.api import OlxError
from lc_modulestore.importing.olx.limits import current_limits
from lc_modulestore.importing.olx.paths import check_archive_members


def _find_course_dir(path: Path) -> Path:
    if (path / "course.xml").is_file():
        return path
    candidates = sorted(p.parent for p in path.glob("*/course.xml"))
    if len(candidates) == 1:
        return candidates[0]
    raise OlxError("no course.xml in this directory or one level below", file=str(path))


@contextmanager
def open_course_dir(path: str | Path) -> Iterator[Path]:
    """
    The OLX course directory for ``path``: a directory, or a ``.tar.gz`` unpacked into a temporary one.

    ``path`` may be the directory holding ``course.xml`` or its parent (as in a
    course export, whose top-level folder is ``course/``).
    """
    path = Path(path)
    if path.is_dir():
        yield _find_course_dir(path)
        return
    if not path.is_file():
        raise OlxError("no such file or directory", file=str(path))
    if not tarfile.is_tarfile(path):
        raise OlxError("not a directory or a .tar.gz archive", file=str(path))
    limits = current_limits()
    with tempfile.TemporaryDirectory(prefix="lc-olx-") as tmp:
        try:
            with tarfile.open(path) as archive:
                check_archive_members(archive, path, limits)  # headers only: nothing is extracted yet
                archive.extractall(tmp, filter="data")
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise OlxError(f"cannot unpack: the archive is truncated or corrupt ({exc})", file=str(path)) from None
        except (tarfile.TarError, OSError) as exc:
            raise OlxError(f"cannot unpack: {exc}", file=str(path)) from None
        yield _find_course_dir(Path(tmp))


__all__ = ["open_course_dir"]
