"""Asset metadata as split keeps it in ``structure['assets']``: ``{asset_type: [storable dict, …]}``."""
from __future__ import annotations

from typing import Any

from shim.enums import ModuleStoreEnum

_EDIT_INFO = ("curr_version", "prev_version", "edited_by", "edited_by_email", "edited_on", "created_by",
              "created_by_email", "created_on")


class AssetMetadata:
    """The read side of split's ``AssetMetadata``: same attributes, built with :meth:`from_storable`."""

    def __init__(self, asset_id, pathname=None, internal_name=None, locked=None, contenttype=None, thumbnail=None,
                 fields=None, **kwargs: Any) -> None:
        self.asset_id = asset_id
        self.pathname = pathname
        self.internal_name = internal_name
        self.locked = locked
        self.contenttype = contenttype
        self.thumbnail = thumbnail
        self.fields = fields or {}
        for name in _EDIT_INFO:
            setattr(self, name, kwargs.get(name))

    def from_storable(self, storable: dict[str, Any]) -> None:
        """Set attributes from the stored dict (``filename``/``asset_type`` are the key's)."""
        self.pathname = storable.get("pathname")
        self.internal_name = storable.get("internal_name")
        self.locked = storable.get("locked")
        self.contenttype = storable.get("contenttype")
        self.thumbnail = storable.get("thumbnail")
        self.fields = storable.get("fields", {})
        edit_info = storable.get("edit_info", {})
        for name in _EDIT_INFO:
            setattr(self, name, edit_info.get(name))

    def __repr__(self) -> str:
        return f"AssetMetadata({self.asset_id}, contenttype={self.contenttype!r}, locked={self.locked!r})"


def all_asset_metadata(course_key, assets: dict[str, list[dict]], asset_type: str | None, start: int = 0,
                       maxresults: int = -1, sort=None) -> list[AssetMetadata]:
    """Split's ``get_all_asset_metadata`` over one structure's assets (sorted by filename unless told)."""
    if asset_type is None:
        entries = [entry for values in assets.values() for entry in values]
    else:
        entries = list(assets.get(asset_type, []))
    key = lambda e: e["filename"]  # noqa: E731
    descending = False
    if sort:
        if sort[0] == "uploadDate":
            key = lambda e: e["edit_info"]["edited_on"]  # noqa: E731
        descending = sort[1] == ModuleStoreEnum.SortOrder.descending
    entries.sort(key=key, reverse=descending)
    end = None if maxresults < 0 else start + maxresults
    result = []
    for entry in entries[start:end]:
        metadata = AssetMetadata(course_key.make_asset_key(entry["asset_type"], entry["filename"]))
        metadata.from_storable(entry)
        result.append(metadata)
    return result


def find_asset_metadata(asset_key, assets: dict[str, list[dict]]) -> AssetMetadata | None:
    """The metadata of ``asset_key`` (by type and filename), or None."""
    for entry in assets.get(asset_key.asset_type, []):
        if entry["filename"] == asset_key.path:
            metadata = AssetMetadata(asset_key, asset_key.path)
            metadata.from_storable(entry)
            return metadata
    return None


__all__ = ["AssetMetadata", "all_asset_metadata", "find_asset_metadata"]
