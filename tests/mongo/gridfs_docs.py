"""edx-platform's contentstore in a test database: GridFS files keyed as ``MongoContentStore.save`` keys them."""
from __future__ import annotations

import datetime
import hashlib

from bson import SON
from opaque_keys.edx.keys import CourseKey

UPLOADED = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


def put_asset(
    db,
    course_key: str,
    name: str,
    data: bytes,
    *,
    content_type: str = "image/png",
    bucket: str = "fs",
    chunk_size: int = 4,
    custom_md5: str | None = None,
    md5_field: str = "custom_md5",
    length: int | None = None,
) -> str:
    """
    Store ``data`` as the course-v1 asset ``name``; returns the file's ``_id``.

    As edx-platform does: ``_id`` is the asset key string, ``content_son`` its
    parts (run included), ``custom_md5`` the bytes' md5 (``md5_field="md5"``
    for files GridFS itself hashed, before pymongo 4). ``custom_md5`` /
    ``length`` override what is recorded (a broken file).
    """
    key = CourseKey.from_string(course_key)
    asset_key = key.make_asset_key("asset", name).for_branch(None)
    file_id = str(asset_key)
    son = SON([("category", "asset"), ("name", name), ("course", key.course), ("tag", "c4x"), ("org", key.org),
               ("revision", None), ("run", key.run)])
    db[f"{bucket}.files"].insert_one({
        "_id": file_id, "filename": file_id, "contentType": content_type, "displayname": name, "content_son": son,
        "thumbnail_location": None, "import_path": None, "locked": False, "chunkSize": chunk_size,
        "length": len(data) if length is None else length, "uploadDate": UPLOADED,
        md5_field: custom_md5 or hashlib.md5(data).hexdigest(),
    })
    for n in range(0, len(data), chunk_size):
        db[f"{bucket}.chunks"].insert_one({"files_id": file_id, "n": n // chunk_size, "data": data[n:n + chunk_size]})
    return file_id


def change_byte(db, file_id: str, *, bucket: str = "fs") -> None:
    """Flip one byte of the file's first chunk, leaving its length and recorded md5 alone (silent corruption)."""
    chunk = db[f"{bucket}.chunks"].find_one({"files_id": file_id, "n": 0})
    data = bytearray(chunk["data"])
    data[0] ^= 0xFF
    db[f"{bucket}.chunks"].update_one({"_id": chunk["_id"]}, {"$set": {"data": bytes(data)}})


__all__ = ["change_byte", "put_asset"]
