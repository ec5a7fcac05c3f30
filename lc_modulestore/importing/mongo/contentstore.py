"""
Asset bytes from edx-platform's contentstore: GridFS in the same MongoDB (``MongoContentStore``).

edx-platform keeps an asset's bytes in ``<bucket>.files`` / ``<bucket>.chunks``
with an ``_id`` of the c4x asset location (tag ``c4x``, org, course, category,
name, revision); the run is not part of it. GridFS records an ``md5`` of the
bytes; every file read is checked against it, so a migration never stores
bytes that differ from what Studio saved.
"""
from __future__ import annotations

import hashlib
from typing import Any

from opaque_keys.edx.locator import CourseLocator

from lc_modulestore.importing.mongo.errors import MongoCourseError


def gridfs_asset_bytes(database: Any, course_key: CourseLocator, *, bucket: str = "fs"):
    """
    An ``asset_bytes(asset_type, filename)`` reader over ``database``'s GridFS ``bucket`` for ``course_key``.

    Returns ``(bytes, content_type)``, or None when GridFS has no such file (the
    migration then keeps the metadata only). Raises :class:`MongoCourseError`
    naming the course and file when the chunks do not add up to the recorded
    length or md5.
    """
    files, chunks = database[f"{bucket}.files"], database[f"{bucket}.chunks"]

    def read(asset_type: str, filename: str) -> tuple[bytes, str] | None:
        doc = files.find_one({"_id.tag": "c4x", "_id.org": course_key.org, "_id.course": course_key.course,
                              "_id.category": asset_type, "_id.name": filename})
        if doc is None:
            return None
        data = b"".join(bytes(c["data"]) for c in chunks.find({"files_id": doc["_id"]}).sort("n", 1))
        where = f"Course {course_key}: asset {asset_type}/{filename} in GridFS {bucket}"
        if doc.get("length") is not None and doc["length"] != len(data):
            raise MongoCourseError(f"{where} has {len(data)} bytes in its chunks, its file says {doc['length']}")
        if doc.get("md5") and doc["md5"] != hashlib.md5(data, usedforsecurity=False).hexdigest():
            raise MongoCourseError(f"{where}: the bytes do not match their md5 {doc['md5']}")
        return data, doc.get("contentType") or ""

    return read


__all__ = ["gridfs_asset_bytes"]
