"""
The one resolver for every path an OLX export names, and the guarded reads of the files it finds.

An export is untrusted input: its pointers (``<html url_name="..:..:x"/>``, split's
``:`` → ``/`` mapping), ``filename`` attributes, ``course.xml``'s ``url_name``
(which names ``policies/<url_name>/``), its ``static/``, ``about/``, ``info/``,
``tabs/`` and ``drafts/`` files and an archive's members can all try to name a
file outside the export. Every one of them goes through :class:`ExportRoot`
(or, for archives, :func:`check_archive_members`) before anything is opened. A
path is refused, with an :class:`~lc_modulestore.core.errors.OlxError` naming the
file, the attribute and the value, when

* it is absolute (``/etc/passwd``, a leading ``:`` mapped to ``/``) or holds a NUL byte;
* it leaves the export root once ``..`` segments are applied;
* it goes through a symbolic link whose target is outside the export root.

Symbolic links whose target stays inside the export are allowed (ADR 0023): a
course may share one file between two names, and a link inside cannot reach
anything the export does not already hold. A walk through linked directories
visits each real directory once, so a link loop cannot make it spin. After the
reader is done, :meth:`ExportRoot.scan` checks every file of the export once
more, so a link that nothing named (but an XBlock class's ``parse_xml`` could
open through its resources filesystem) is refused too.
"""
from __future__ import annotations

import hashlib
import os
import tarfile
from pathlib import Path, PurePosixPath

from lc_modulestore.api import OlxError
from lc_modulestore.importing.olx.limits import OlxLimits, current_limits


def _is_absolute(value: str) -> bool:
    # POSIX only: on the servers this runs on, "C:x" is a plain name (and a raw url_name "a:b" a file "a:b.xml").
    return value.startswith(("/", "\\")) or PurePosixPath(value).is_absolute()


def _size(value: int) -> str:
    return f"{value:,} bytes"


class ExportRoot:
    """
    An export directory and the checks on every path read from it.

    ``course_dir`` is kept as given (messages name files relative to it); the
    containment checks compare real paths, so a course directory that is itself
    reached through a link (a checkout's ``../shared``) still works.
    """

    def __init__(self, course_dir: Path, *, limits: OlxLimits | None = None) -> None:
        self.course_dir = Path(course_dir)
        self.real = self.course_dir.resolve()
        self._lexical = Path(os.path.normpath(os.path.abspath(self.course_dir)))
        self.limits = limits or current_limits()

    # -- naming ------------------------------------------------------------------------------
    def display(self, path: Path | str) -> str:
        """``path`` relative to the export when it is inside, else as given."""
        path = Path(path)
        for base in (self.course_dir, self._lexical, self.real):
            try:
                return path.relative_to(base).as_posix()
            except ValueError:
                continue
        return str(path)

    def contains(self, path: Path) -> bool:
        """Whether ``path``, with links and ``..`` resolved, is inside the export."""
        return path.resolve().is_relative_to(self.real)

    # -- paths an export names ---------------------------------------------------------------
    def join(
        self, *parts: str, referrer: Path | str, attribute: str, value: str, line: int | None = None,
        base: Path | None = None,
    ) -> Path:
        """
        ``base / parts…`` (``base`` defaults to the export root), after checking it stays inside.

        ``referrer``/``line`` are where the path was named and ``attribute``/``value``
        what named it; all four are in the refusal's message. The result is the
        lexical path (not the link target), so messages keep the export's own names.
        """

        def refuse(reason: str) -> OlxError:
            return OlxError(f"{attribute}={value!r} {reason}", file=self.display(referrer), line=line)

        for part in parts:
            if "\0" in part:
                raise refuse("holds a NUL byte")
            if _is_absolute(part):
                raise refuse("is an absolute path; paths in an export are relative to the export root")
        joined = Path(os.path.normpath(os.path.join(os.path.abspath(base or self.course_dir), *parts)))
        if not joined.is_relative_to(self._lexical):
            raise refuse("leaves the export root")
        if not self.contains(joined):
            raise refuse("goes through a symbolic link to a file outside the export root")
        return joined

    def check_listed(self, path: Path) -> None:
        """A file or directory found by listing a folder: refuse it if it is a link leading outside."""
        if not self.contains(path):
            target = os.readlink(path) if path.is_symlink() else str(path.resolve())
            raise OlxError(
                f"is a symbolic link to {target!r}, outside the export root (links must stay inside the export)",
                file=self.display(path),
            )

    def walk(self, folder: Path, *, pattern: str | None = None) -> list[Path]:
        """
        The files under ``folder`` (recursively; ``pattern`` a suffix such as ``".xml"``), sorted.

        Every entry is checked with :meth:`check_listed`; linked directories that
        stay inside are followed, each real directory once.
        """
        if not folder.is_dir():
            return []
        self.check_listed(folder)
        files: list[Path] = []
        seen: set[Path] = set()
        stack = [folder]
        while stack:
            directory = stack.pop()
            real = directory.resolve()
            if real in seen:
                continue
            seen.add(real)
            with os.scandir(directory) as entries:
                for entry in entries:
                    path = Path(entry.path)
                    if entry.is_symlink():
                        self.check_listed(path)
                    if entry.is_dir():
                        stack.append(path)
                    elif entry.is_file() and (pattern is None or entry.name.endswith(pattern)):
                        files.append(path)
                        if len(files) > self.limits.max_members:
                            raise OlxError(
                                f"more than {self.limits.max_members:,} files "
                                f"({OlxLimits.setting_name('max_members')})",
                                file=self.display(folder),
                            )
        return sorted(files)

    def listing(self, folder: Path, *, suffix: str) -> list[Path]:
        """The files directly in ``folder`` ending in ``suffix``, sorted, each checked like :meth:`walk`."""
        if not folder.is_dir():
            return []
        self.check_listed(folder)
        files = sorted(p for p in folder.iterdir() if p.name.endswith(suffix) and p.is_file())
        for path in files:
            self.check_listed(path)
        return files

    def scan(self) -> None:
        """Check every file of the export (links, count): the last line of defence before the writes."""
        self.walk(self.course_dir)

    # -- reading -----------------------------------------------------------------------------
    def read_bytes(self, path: Path, *, limit: int | None = None, setting: str = "max_file_bytes") -> bytes:
        """
        The bytes of ``path``, refused without reading when it is larger than ``limit``.

        The size is taken from the open file (``fstat``) and at most ``limit + 1``
        bytes are read, so a file that grows while read is refused too.
        """
        limit = getattr(self.limits, setting) if limit is None else limit
        if not self.contains(path):
            raise OlxError("is a symbolic link to a file outside the export root", file=self.display(path))
        try:
            with open(path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                data = handle.read(limit + 1) if size <= limit else b""
        except OSError as exc:
            raise OlxError(f"cannot read: {exc.strerror or exc}", file=self.display(path)) from None
        if size > limit or len(data) > limit:
            raise OlxError(
                f"is {_size(max(size, len(data)))}, over the {_size(limit)} limit ({OlxLimits.setting_name(setting)})",
                file=self.display(path),
            )
        return data

    def read_text(self, path: Path) -> str:
        """A UTF-8 text file read whole (size-limited); bad UTF-8 names the file and line."""
        data = self.read_bytes(path)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise OlxError(f"not UTF-8: {exc.reason} at byte {exc.start}", file=self.display(path),
                           line=line) from None

    def check_asset_size(self, path: Path) -> int:
        """The size of a ``static/`` file, refused (before it is read) over the asset limit."""
        size = path.stat().st_size
        if size > self.limits.max_asset_bytes:
            raise OlxError(
                f"is {_size(size)}, over the {_size(self.limits.max_asset_bytes)} limit for a static file "
                f"({OlxLimits.setting_name('max_asset_bytes')})",
                file=self.display(path),
            )
        return size


def media_digest(path: Path) -> str:
    """
    openedx-core's ``create_hash_digest`` of a file's bytes (BLAKE2b, 20 bytes), read in chunks.

    An unchanged static file is recognised without reading it whole into memory.
    """
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=20)).hexdigest()


def check_archive_members(archive: tarfile.TarFile, archive_path: Path, limits: OlxLimits) -> None:
    """
    Check an archive's member headers before anything is extracted.

    Member names and link targets go through the same rules as paths inside an
    export (relative, no way out); devices and FIFOs are refused; the number of
    members, each member's size and the total expanded size are held to the limits.
    Reading the headers of a ``.tar.gz`` decompresses it once without storing it.
    """
    count = 0
    total = 0
    for member in archive:
        count += 1
        name = member.name

        def refuse(reason: str, _name: str = name) -> OlxError:
            return OlxError(f"member {_name!r} {reason}", file=str(archive_path))

        if count > limits.max_members:
            raise OlxError(f"has more than {limits.max_members:,} members ({OlxLimits.setting_name('max_members')})",
                           file=str(archive_path))
        if "\0" in name or _is_absolute(name):
            raise refuse("is an absolute path")
        if ".." in PurePosixPath(name).parts or os.path.normpath(name).startswith(".."):
            raise refuse("leaves the export root")
        if member.issym() or member.islnk():
            target = member.linkname
            inside = os.path.normpath(os.path.join(os.path.dirname(name) if member.issym() else "", target))
            if _is_absolute(target) or inside == ".." or inside.startswith("../"):
                raise refuse(f"is a link to {target!r}, outside the export root")
        elif not (member.isfile() or member.isdir()):
            raise refuse("is neither a file, a directory nor a link")
        if member.size > limits.max_asset_bytes:
            raise refuse(
                f"is {_size(member.size)}, over the {_size(limits.max_asset_bytes)} limit for one file "
                f"({OlxLimits.setting_name('max_asset_bytes')})"
            )
        total += member.size
        if total > limits.max_archive_bytes:
            raise OlxError(
                f"expands to more than {_size(limits.max_archive_bytes)} "
                f"({OlxLimits.setting_name('max_archive_bytes')})",
                file=str(archive_path),
            )


__all__ = ["ExportRoot", "check_archive_members", "media_digest"]
