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

For a migration, :func:`contentstore_files` lists a course's files from their
documents alone, :func:`checked_digest` streams one file's chunks to check it
and :func:`checked_bytes` reads it for the write: one file in memory at a
time. For ``lc_verify``, :func:`gridfs_course_files` lists a course's files
with the length and md5 of their chunks, streamed chunk by chunk.
"""
from __future__ import annotations

import hashlib
import json
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


# What edx-platform's export leaves out of a file's ``policies/assets.json`` entry (``export_all_for_course``).
_NOT_POLICY = frozenset({"_id", "md5", "uploadDate", "length", "chunkSize"})


@dataclass(frozen=True)
class ContentstoreFile:
    """One course file as its ``<bucket>.files`` document describes it, before any chunk is read."""

    name: str  # content_son.name: the asset key's path (``images_logo.png``)
    file_id: Any  # the files document's _id (its chunks' files_id)
    content_type: str
    locked: bool
    recorded_length: int | None
    recorded_md5: str | None
    policy: dict[str, Any]  # the document as edx-platform's export writes it to policies/assets.json


def contentstore_files(
    database: Any, course_key: CourseLocator, *, bucket: str = "fs"
) -> list[ContentstoreFile] | None:
    """
    Every ``asset`` file of ``course_key`` in ``database``'s GridFS ``bucket``, by name; no chunk is read.

    These are the files edx-platform's export writes to ``static/``
    (``get_all_content_for_course``): thumbnails (category ``thumbnail``,
    Studio's renderings of images) are not among them. None when the database
    has no ``<bucket>.files`` collection at all.
    """
    if f"{bucket}.files" not in database.list_collection_names():
        return None
    found = []
    for doc in database[f"{bucket}.files"].find(course_files_query(course_key)):
        policy = {k: v for k, v in doc.items() if k not in _NOT_POLICY}
        found.append(ContentstoreFile(
            name=str((doc.get("content_son") or {}).get("name") or ""),
            file_id=doc["_id"],
            content_type=doc.get("contentType") or "",
            locked=bool(doc.get("locked", False)),
            recorded_length=doc.get("length"),
            recorded_md5=recorded_md5(doc),
            policy=json.loads(json.dumps(policy, default=str)),  # JSON, as CourseAsset.metadata stores it
        ))
    return sorted(found, key=lambda f: f.name)


def _where(course_key: CourseLocator, file: ContentstoreFile, bucket: str) -> str:
    return f"Course {course_key}: asset asset/{file.name} in GridFS {bucket}"


def checked_digest(database: Any, course_key: CourseLocator, file: ContentstoreFile, *, bucket: str = "fs") -> str:
    """
    Stream ``file``'s chunks once: check them against its recorded length and md5, return openedx-core's digest.

    The digest is what openedx-core's ``create_hash_digest`` gives for the
    whole file (BLAKE2b, 20 bytes), computed chunk by chunk so the file is
    never held whole: a writer recognises an unchanged file by it without
    reading the bytes again. Raises :class:`MongoCourseError` naming the
    course and file when the chunks contradict the files document.
    """
    md5, digest, length = hashlib.md5(usedforsecurity=False), hashlib.blake2b(digest_size=20), 0
    for data in _chunks(database, bucket, file.file_id):
        md5.update(data)
        digest.update(data)
        length += len(data)
    if file.recorded_length is not None and file.recorded_length != length:
        raise MongoCourseError(f"{_where(course_key, file, bucket)} has {length} bytes in its chunks, "
                               f"its file says {file.recorded_length} (_id {file.file_id})")
    if file.recorded_md5 and file.recorded_md5 != md5.hexdigest():
        raise MongoCourseError(f"{_where(course_key, file, bucket)}: the bytes do not match their md5 "
                               f"{file.recorded_md5} (_id {file.file_id})")
    return digest.hexdigest()


def checked_bytes(
    database: Any, course_key: CourseLocator, file: ContentstoreFile, *, digest: str, bucket: str = "fs"
) -> bytes:
    """``file``'s bytes (one file in memory), which must still be the ones :func:`checked_digest` hashed."""
    data = b"".join(_chunks(database, bucket, file.file_id))
    if hashlib.blake2b(data, digest_size=20).hexdigest() != digest:
        raise MongoCourseError(f"{_where(course_key, file, bucket)} changed while it was being migrated "
                               f"(_id {file.file_id})")
    return data


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


__all__ = [
    "ContentstoreFile",
    "GridFSFile",
    "checked_bytes",
    "checked_digest",
    "contentstore_files",
    "course_files_query",
    "gridfs_course_files",
    "recorded_md5",
]
