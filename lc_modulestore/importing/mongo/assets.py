"""
The assets a migration writes: every file of the course in the contentstore, and split's asset metadata.

Where a course's files are (ADR 0026): edx-platform's contentstore (GridFS)
holds every file of a course; Studio's upload handler writes there and nowhere
else, so split's ``structure['assets']`` (asset *metadata*) usually lists few
files or none. edx-platform's own export writes every contentstore file of the
course to ``static/`` and its document to ``policies/assets.json``; the
migration does the same into Learning Core:

* a file split lists metadata for gets that metadata (as before), and its
  bytes from the contentstore;
* a file split lists nothing for gets its bytes, content type, ``locked`` and,
  as metadata, its ``policies/assets.json`` entry (what ``lc_import_olx`` of
  edx-platform's export of the course would keep);
* split metadata without a file stays metadata only.

:class:`CourseAssets` yields one :class:`AssetData` at a time, and each file's
bytes are read only when the writer asks for them (``AssetData.read``) after
its chunks were streamed once to check their length and md5 (the writer
recognises an unchanged file by the digest of that pass). A course with GBs of
files is never in memory whole: one file at a time is.
"""
from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from opaque_keys.edx.locator import CourseLocator

from lc_modulestore.api import AssetData
from lc_modulestore.importing.mongo.contentstore import (
    ContentstoreFile,
    checked_bytes,
    checked_digest,
    contentstore_files,
)
from lc_modulestore.importing.mongo.reader import SplitCourse
from lc_modulestore.models_api import CourseAsset, LearningCoreCourse

AssetBytes = Callable[[str, str], "tuple[bytes, str] | None"]
# Keys of AssetMetadata.to_storable()'s edit_info that CourseAsset keeps in `metadata`.
_ASSET_EDIT_INFO_KEYS = ("curr_version", "prev_version", "created_by", "created_by_email", "created_on",
                         "edited_by_email")


@dataclass
class AssetCounts:
    """What :class:`CourseAssets` yielded, for the migration's result."""

    files: int = 0  # assets written with their bytes from the contentstore (or from ``asset_bytes``)
    files_without_metadata: int = 0  # contentstore files split keeps no metadata for
    kept: int = 0  # stored files split does not list, kept by an update that read no contentstore


class CourseAssets:
    """
    The course's assets as the writer takes them (``CourseWriter.sync_assets``), one at a time.

    ``contentstore``: the database holding edx-platform's GridFS ``bucket``;
    its file documents are listed when this is made (before the write), the
    chunks read only while iterating (inside it). ``asset_bytes(asset_type,
    filename)`` instead gives the bytes of the assets split lists (tests, other
    contentstores); it is called one asset at a time, and no contentstore file
    split does not list is added then.
    """

    def __init__(
        self,
        split: SplitCourse,
        *,
        now: datetime.datetime,
        contentstore: Any = None,
        bucket: str = "fs",
        asset_bytes: AssetBytes | None = None,
    ) -> None:
        self.course_key: CourseLocator = split.course_key
        self.entries = split_asset_entries(split)
        self.now, self.contentstore, self.bucket, self.asset_bytes = now, contentstore, bucket, asset_bytes
        listed = contentstore_files(contentstore, self.course_key, bucket=bucket) if (
            contentstore is not None and asset_bytes is None) else None
        self.files: dict[str, ContentstoreFile] = {f.name: f for f in listed or []}
        self.counts = AssetCounts()
        self.kept: list[AssetData] = []

    def keep_stored_files(self, course: LearningCoreCourse) -> None:
        """
        Before an update: keep the course's stored files split does not list, if no contentstore is read.

        An update that reads no contentstore cannot tell that a file copied
        from there earlier is gone, so it must not delete it (``sync_assets``
        deletes what is not listed): such a file is listed again as it is
        stored (metadata only, so its bytes stay).
        """
        if self.contentstore is not None:
            return
        rows = CourseAsset.objects.filter(course=course, media__isnull=False).order_by("asset_type", "path")
        self.kept = [
            AssetData(row.path, row.content_type, asset_type=row.asset_type, locked=row.locked,
                      metadata=row.metadata or {}, edited_on=row.edited_on, edited_by=row.edited_by)
            for row in rows if (row.asset_type, row.path) not in self.entries
        ]

    def __iter__(self) -> Iterator[AssetData]:
        files = dict(self.files)
        for (asset_type, filename), entry in self.entries.items():
            found = files.pop(filename, None) if asset_type == "asset" else None
            yield self._from_split(asset_type, filename, entry, found)
        for file in files.values():  # sorted by name
            self.counts.files += 1
            self.counts.files_without_metadata += 1
            digest = checked_digest(self.contentstore, self.course_key, file, bucket=self.bucket)
            yield AssetData(file.name, file.content_type, read=self._reader(file, digest), digest=digest,
                            locked=file.locked, metadata=file.policy)
        for asset in self.kept:
            self.counts.kept += 1
            yield asset

    def _reader(self, file: ContentstoreFile, digest: str) -> Callable[[], bytes]:
        return functools.partial(checked_bytes, self.contentstore, self.course_key, file, digest=digest,
                                 bucket=self.bucket)

    def _from_split(
        self, asset_type: str, filename: str, entry: dict[str, Any], file: ContentstoreFile | None
    ) -> AssetData:
        """One entry of split's ``structure['assets']``, with its file's bytes where there is one."""
        edit_info = entry.get("edit_info") or {}
        metadata = {k: edit_info.get(k) for k in _ASSET_EDIT_INFO_KEYS if edit_info.get(k) is not None}
        for name in ("pathname", "thumbnail"):
            if entry.get(name) is not None:
                metadata[name] = entry[name]
        metadata.update(entry.get("fields") or {})
        content_type = entry.get("contenttype") or ""
        data = read = digest = None
        if file is not None:
            digest = checked_digest(self.contentstore, self.course_key, file, bucket=self.bucket)
            read, content_type = self._reader(file, digest), content_type or file.content_type
        elif self.asset_bytes is not None and asset_type == "asset":
            # CourseWriter.save_asset stores files as "asset" assets; other types (rare) keep their metadata only.
            found = self.asset_bytes(asset_type, filename)
            if found is not None:
                data, content_type = found[0], content_type or found[1]
        if data is not None or read is not None:
            self.counts.files += 1
        return AssetData(
            filename,
            content_type,
            data=data,
            read=read,
            digest=digest,
            asset_type=asset_type,
            # The LMS serves a file as its contentstore document says: a file locked there stays locked.
            locked=bool(entry.get("locked")) or (file is not None and file.locked),
            metadata=metadata,
            edited_on=edit_info.get("edited_on") or self.now,
            edited_by=edit_info.get("edited_by") if isinstance(edit_info.get("edited_by"), int) else None,
        )


def split_asset_entries(split: SplitCourse) -> dict[tuple[str, str], dict[str, Any]]:
    """Asset metadata by (asset_type, filename): the published head's, plus any only the draft head has."""
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    for branch in (split.published, split.draft):
        if branch is None:
            continue
        for asset_type, items in branch.assets.items():
            for item in items or []:
                entries.setdefault((item.get("asset_type") or asset_type, item["filename"]), item)
    return entries


__all__ = ["AssetBytes", "AssetCounts", "CourseAssets", "split_asset_entries"]
