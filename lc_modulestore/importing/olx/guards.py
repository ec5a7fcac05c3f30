"""
What an OLX import holds and undoes outside its database transaction.

* **One import of a course at a time.** Two concurrent imports of one course
  used to collide in the database (SQLite ``database is locked``, MariaDB
  ``IntegrityError 1062``) after both had read the whole export. The second one
  is now refused at once with "an import of KEY is running". On MariaDB/MySQL
  the lock is a server-side named lock (``GET_LOCK``) scoped to the database,
  so it holds across hosts and is released when the holding connection ends,
  even after ``kill -9``. On SQLite (one host by nature) it is an ``flock`` on a
  file next to the database, released by the kernel when the process dies.
* **No orphaned media files.** openedx-core writes a static file's bytes to the
  media storage as soon as its ``Media`` row is created; a rollback removes the
  row but not the file. :class:`MediaJournal` records the files an import
  wrote, and after a rollback removes those that no ``Media`` row references.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connections
from openedx_content.applets.media.models import get_storage  # no public API deletes a rolled-back file
from openedx_content.models_api import Media

from lc_modulestore.api import LcModulestoreError


class ImportRunningError(LcModulestoreError):
    """Another import of the same course holds the course's import lock."""


def _lock_name(course_key: str, scope: str) -> str:
    return "lc_import_" + hashlib.sha1(f"{scope}\0{course_key}".encode()).hexdigest()


def _sqlite_lock_path(database: str, course_key: str) -> str:
    if not database or database == ":memory:" or "mode=memory" in database:
        # An in-memory database lives in this process only: so does the lock.
        return os.path.join(tempfile.gettempdir(), _lock_name(course_key, f"pid:{os.getpid()}") + ".lock")
    database = os.path.abspath(database)
    return os.path.join(os.path.dirname(database), "." + _lock_name(course_key, database) + ".lock")


@contextmanager
def course_import_lock(course_key: str, *, using: str = "default") -> Iterator[None]:
    """Hold the import lock of ``course_key`` for the block, or raise :class:`ImportRunningError` at once."""
    connection = connections[using]
    refused = ImportRunningError(f"an import of {course_key} is running; try again when it has finished")
    if connection.vendor == "mysql":
        name = _lock_name(course_key, connection.settings_dict["NAME"])[:64]
        with connection.cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, 0)", [name])
            (acquired,) = cursor.fetchone()
        if acquired != 1:
            raise refused
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT RELEASE_LOCK(%s)", [name])
        return
    with open(_sqlite_lock_path(str(connection.settings_dict["NAME"]), course_key), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise refused from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class MediaJournal:
    """The media files one import wrote: ``(storage path, learning package id, hash digest)``."""

    written: list[tuple[str, int, str]] = field(default_factory=list)

    def record(self, media: Media) -> None:
        """Note a Media the import saved (call inside the transaction: ``path`` reads the package)."""
        if media.has_file:
            self.written.append((media.path, media.learning_package_id, media.hash_digest))

    def remove_orphans(self) -> list[str]:
        """After a rollback: delete every recorded file that no Media row references any more."""
        storage = get_storage()
        removed = []
        for path, package_id, digest in self.written:
            if Media.objects.filter(learning_package_id=package_id, hash_digest=digest, has_file=True).exists():
                continue
            if storage.exists(path):
                storage.delete(path)
                removed.append(path)
        self.written.clear()
        return removed


__all__ = ["ImportRunningError", "MediaJournal", "course_import_lock"]
