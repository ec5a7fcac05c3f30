"""
How a difference between Mongo and Learning Core is shown to a person: one formatter for every place.

``lc_verify``'s output and its ``VerifyRun.summary``, the shadow mismatch rows
(and their log lines), ``lc_shadow_report`` and the admin all go through
here, so an operator reads the same words for the same fault wherever it is
found. Before, a missing course printed as ``(course): mongo False / learning
core True``, asset metadata as one 80 KB blob and admin lists showed whole
values inline.

Rules:

* one line per block and field (``block-v1:…+type@html+block@x display_name``);
  presence checks (course, branch, block, asset) say in words which side
  has it;
* asset metadata is compared per asset and per attribute
  (:func:`asset_differences`), never as one list; asset *files* (the bytes
  in Mongo's GridFS contentstore and in Learning Core's media) per asset key,
  by length, md5 and content type (:func:`asset_file_differences`);
* values are ``repr``-ed; in lists they are shortened to :data:`LIST_LIMIT`
  characters with the full length named, and shown whole on detail pages
  (:func:`whole`).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shim.api import Difference, normalize

LIST_LIMIT = 120  # characters of a value in a list (admin columns, lc_shadow_report)
TEXT_LIMIT = 300  # characters of a value in lc_verify's output and VerifyRun.summary
STORED_LIMIT = 200_000  # characters of a value stored on a ShadowMismatch row (the detail page shows it whole)
_PRESENCE = ("(course)", "(branch ", "(block on ", "(block)", "(asset)", "(asset file)")
# Asset metadata attributes not compared: where each store keeps the bytes (GridFS's ``/c4x/…`` name, Learning
# Core's media digest) legitimately differs; the bytes themselves are compared as asset files (ADR 0026).
UNCOMPARED_ASSET_ATTRIBUTES = frozenset({"internal_name"})


def whole(value: Any) -> str:
    """The value as stored and shown on a detail page: its ``repr``, never cut."""
    return repr(value)


def shorten(text: str, limit: int = LIST_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was; short text unchanged."""
    if len(text) <= limit:
        return text
    return f"{text[: max(limit - 20, 10)]}… ({len(text):,} chars)"


def is_presence(field: str) -> bool:
    """Whether the difference says something exists on one side only (course, branch, block, asset, asset file)."""
    return field.startswith(_PRESENCE)


def presence_text(field: str, mongo: Any, learning_core: Any) -> str:
    """``(branch draft-branch)`` True/False → ``draft-branch: in Mongo only``."""
    what = field.strip("()")
    if bool(mongo) and not bool(learning_core):
        return f"{what}: in Mongo only, missing from Learning Core"
    if bool(learning_core) and not bool(mongo):
        return f"{what}: in Learning Core only, missing from Mongo"
    return f"{what}: in neither"


def describe(diff: Difference, *, limit: int = TEXT_LIMIT) -> str:
    """One difference as text: where, which field, and both values (shortened to ``limit``)."""
    if is_presence(diff.field):
        return f"{diff.location} {presence_text(diff.field, diff.mongo, diff.learning_core)}"
    return (f"{diff.location} {diff.field}:\n    mongo:         {shorten(whole(diff.mongo), limit)}\n"
            f"    learning core: {shorten(whole(diff.learning_core), limit)}")


def render_differences(diffs: Iterable[Difference], *, limit: int = TEXT_LIMIT) -> str:
    """Differences as readable text, one after another (``lc_verify``, ``VerifyRun.summary``)."""
    return "\n".join(describe(d, limit=limit) for d in diffs)


def asset_differences(course_key: str, what: str, mongo: Any, learning_core: Any) -> list[Difference]:
    """
    Asset metadata compared per asset (by asset key) and per attribute, not as one value.

    Every attribute but :data:`UNCOMPARED_ASSET_ATTRIBUTES`. ``mongo`` and
    ``learning_core`` are ``get_all_asset_metadata`` results, or an error
    text when that read failed (then compared as values).
    """
    if not isinstance(mongo, list | tuple) or not isinstance(learning_core, list | tuple):
        a, b = normalize(mongo), normalize(learning_core)
        return [] if a == b else [Difference(course_key, what, a, b)]
    mine = {str(m["asset_id"]): m for m in map(normalize, mongo)}
    theirs = {str(m["asset_id"]): m for m in map(normalize, learning_core)}
    diffs = []
    for asset_id in sorted(set(mine) | set(theirs)):
        if asset_id not in mine or asset_id not in theirs:
            diffs.append(Difference(asset_id, "(asset)", asset_id in mine, asset_id in theirs))
            continue
        a, b = mine[asset_id], theirs[asset_id]
        for attribute in sorted((set(a) | set(b)) - UNCOMPARED_ASSET_ATTRIBUTES):
            if a.get(attribute) != b.get(attribute):
                diffs.append(Difference(asset_id, attribute, a.get(attribute), b.get(attribute)))
    return diffs


@dataclass(frozen=True)
class AssetFile:
    """What is compared of one asset's file on one side: how many bytes, their md5, and the content type."""

    length: int
    md5: str
    content_type: str = ""


def asset_file_differences(mongo: Mapping[str, AssetFile], learning_core: Mapping[str, AssetFile]) -> list[Difference]:
    """
    Asset files compared per asset key (``asset-v1:…+type@asset+block@images_logo.png``), one difference a fault.

    A file on one side only is an ``(asset file)`` presence difference; then
    ``file length`` and ``file md5`` (a changed byte of the same length shows
    as md5 alone); ``file content type`` only when both sides record one.
    """
    diffs = []
    for asset_key in sorted(set(mongo) | set(learning_core)):
        if asset_key not in mongo or asset_key not in learning_core:
            diffs.append(Difference(asset_key, "(asset file)", asset_key in mongo, asset_key in learning_core))
            continue
        a, b = mongo[asset_key], learning_core[asset_key]
        if a.length != b.length:
            diffs.append(Difference(asset_key, "file length", a.length, b.length))
        if a.md5 != b.md5:
            diffs.append(Difference(asset_key, "file md5", a.md5, b.md5))
        if a.content_type and b.content_type and a.content_type != b.content_type:
            diffs.append(Difference(asset_key, "file content type", a.content_type, b.content_type))
    return diffs


__all__ = [
    "LIST_LIMIT",
    "STORED_LIMIT",
    "TEXT_LIMIT",
    "UNCOMPARED_ASSET_ATTRIBUTES",
    "AssetFile",
    "asset_differences",
    "asset_file_differences",
    "describe",
    "is_presence",
    "presence_text",
    "render_differences",
    "shorten",
    "whole",
]
