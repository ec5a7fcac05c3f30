"""
Asset files in edx-platform's contentstore: GridFS in MongoDB (``MongoContentStore``).

How edx-platform keys a course-v1 asset (``MongoContentStore.asset_db_key`` and
``query_for_course``): the ``<bucket>.files`` document's ``_id`` is the asset
key *string* (``asset-v1:Org+Course+Run+type@asset+block@name``) and
``content_son`` holds its parts (``tag`` ``c4x``, ``org``, ``course``, ``run``,
``category``, ``name``, ``revision``); the course's files are found by
``content_son.*``, run included. Only deprecated (``Org/Course/Run``) keys use
an ``_id`` dict without a run, and split courses never have those.

The bytes are in ``<bucket>.chunks`` (``files_id``, ``n``, ``data``). The file
records ``length``; a digest of the bytes is ``custom_md5`` (what
edx-platform's ``save`` writes, since pymongo 4 no longer computes one) or the
older GridFS ``md5``. Every file read is checked against them.

Two readers: :func:`gridfs_asset_bytes` gives a migration one file's bytes;
:func:`gridfs_course_files` lists a course's files with the length and md5 of
their chunks, streamed chunk by chunk, for ``lc_verify``.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from opaque_keys.edx.locator import CourseLocator

from lc_modulestore.importing.mongo.errors import MongoCourseError

XASSET_TAG = "c4x"  # edx-platform's XASSET_LOCATION_TAG


def course_files_query(course_key: CourseLocator, *, category: str = "asset") -> dict[str, Any]:
    """The ``<bucket>.files`` query edx-platform runs for a course's files of one category (``query_for_course``)."""
    return {"content_son.tag": XASSET_TAG, "content_son.org": course_key.org,
            "content_son.course": course_key.course, "content_son.run": course_key.run,
            "content_son.category": category}


def recorded_md5(doc: dict[str, Any]) -> str | None:
    """The digest a files document records: edx-platform's ``custom_md5``, else GridFS's own ``md5``."""
    return doc.get("custom_md5") or doc.get("md5") or None


def _chunks(database: Any, bucket: str, file_id: Any) -> Iterator[bytes]:
    """A file's chunks in order, one at a time (a chunk is at most GridFS's chunk size, 255 KiB by default)."""
    for chunk in database[f"{bucket}.chunks"].find({"files_id": file_id}).sort("n", 1):
        yield bytes(chunk["data"])


def gridfs_asset_bytes(database: Any, course_key: CourseLocator, *, bucket: str = "fs"):
    """
    An ``asset_bytes(asset_type, filename)`` reader over ``database``'s GridFS ``bucket`` for ``course_key``.

    Returns ``(bytes, content_type)``, or None when GridFS has no such file (the
    migration then keeps the metadata only). Raises :class:`MongoCourseError`
    naming the course and file when the chunks do not add up to the recorded
    length or md5.
    """
    files = database[f"{bucket}.files"]

    def read(asset_type: str, filename: str) -> tuple[bytes, str] | None:
        doc = files.find_one({**course_files_query(course_key, category=asset_type), "content_son.name": filename})
        if doc is None:
            return None
        data = b"".join(_chunks(database, bucket, doc["_id"]))
        where = f"Course {course_key}: asset {asset_type}/{filename} in GridFS {bucket}"
        if doc.get("length") is not None and doc["length"] != len(data):
            raise MongoCourseError(f"{where} has {len(data)} bytes in its chunks, its file says {doc['length']}")
        digest = recorded_md5(doc)
        if digest and digest != hashlib.md5(data, usedforsecurity=False).hexdigest():
            raise MongoCourseError(f"{where}: the bytes do not match their md5 {digest}")
        return data, doc.get("contentType") or ""

    return read


@dataclass(frozen=True)
class GridFSFile:
    """One contentstore file as GridFS serves it: its name, and the length and md5 of its chunks."""

    name: str  # content_son.name: the asset key's path (``images_logo.png``), as split's asset metadata names it
    file_id: str  # the files document's _id, as text (for messages)
    length: int  # bytes in the chunks
    md5: str  # hex md5 of the chunks
    content_type: str
    recorded_length: int | None
    recorded_md5: str | None

    def inconsistency(self) -> str | None:
        """What the files document says that its chunks contradict (length, md5), or None."""
        if self.recorded_length is not None and self.recorded_length != self.length:
            return f"its chunks hold {self.length} bytes, its files document says {self.recorded_length}"
        if self.recorded_md5 and self.recorded_md5 != self.md5:
            return f"its chunks have md5 {self.md5}, its files document records {self.recorded_md5}"
        return None


def gridfs_course_files(
    database: Any, course_key: CourseLocator, *, bucket: str = "fs", category: str = "asset"
) -> list[GridFSFile] | None:
    """
    Every ``category`` file of ``course_key`` in ``database``'s GridFS ``bucket``, hashed from its chunks.

    None when the database has no ``<bucket>.files`` collection at all (no
    contentstore there), which is not the same as a contentstore holding no
    file of this course (an empty list). Each file's md5 is computed chunk by
    chunk, so a large file is never held in memory whole. Thumbnails
    (``category="thumbnail"``) are Studio's own renderings and are not assets
    a course carries.
    """
    if f"{bucket}.files" not in database.list_collection_names():
        return None
    found = []
    for doc in database[f"{bucket}.files"].find(course_files_query(course_key, category=category)):
        digest, length = hashlib.md5(usedforsecurity=False), 0
        for data in _chunks(database, bucket, doc["_id"]):
            digest.update(data)
            length += len(data)
        found.append(GridFSFile(
            name=str((doc.get("content_son") or {}).get("name") or ""),
            file_id=str(doc["_id"]),
            length=length,
            md5=digest.hexdigest(),
            content_type=doc.get("contentType") or "",
            recorded_length=doc.get("length"),
            recorded_md5=recorded_md5(doc),
        ))
    return sorted(found, key=lambda f: f.name)


__all__ = ["GridFSFile", "course_files_query", "gridfs_asset_bytes", "gridfs_course_files", "recorded_md5"]
