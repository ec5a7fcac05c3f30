"""
The heads a verify compared, and whether they are still the current ones.

A passing verify says "Mongo and Learning Core agreed *at these heads*". If
either side moves afterwards (an edit in Studio moves the Mongo head; a
publish and compile moves the Learning Core head), the pass no longer speaks
for what would be served. So a verify run records, per branch, the structure
id each side's course index named (``VerifyRun.heads``), and the gate of
``lc_flag enable`` (CLI, admin and API alike) reads the heads again and
refuses when one side moved, saying which.
"""
from __future__ import annotations

from typing import Any

from opaque_keys.edx.locator import CourseLocator

from lc_modulestore.api import BRANCHES
from lc_modulestore.models_api import CourseIndex
from lc_modulestore.rollout.mongo_location import MongoLocation

MONGO = "mongo"
LEARNING_CORE = "learning_core"
SIDE_NAMES = {MONGO: "Mongo", LEARNING_CORE: "Learning Core"}


def index_heads(index: dict[str, Any] | None, branches: tuple[str, ...] | list[str] = BRANCHES) -> dict[str, str]:
    """``{branch: structure id}`` of a split course index (None: no course, no heads)."""
    if not index:
        return {}
    versions = index.get("versions", {})
    return {b: str(versions[b]) for b in branches if versions.get(b) is not None}


def learning_core_heads(course_key: CourseLocator) -> dict[str, str]:
    """``{branch: structure id}`` of the compiled Learning Core index (one query; empty when never compiled)."""
    row = (CourseIndex.objects.filter(course__course_key=course_key)
           .values("published_structure__objectid", "draft_structure__objectid").first())
    if row is None:
        return {}
    heads = {"published-branch": row["published_structure__objectid"], "draft-branch": row["draft_structure__objectid"]}
    return {b: h for b, h in heads.items() if h}


def mongo_heads(course_key: CourseLocator, location: MongoLocation) -> dict[str, str]:
    """``{branch: structure id}`` of the course's index in Mongo at ``location`` (raises pymongo's errors)."""
    backend = location.backend(server_selection_timeout_ms=5000)
    try:
        return index_heads(fresh_index(backend, course_key))
    finally:
        backend.close_connections()


def fresh_index(backend, course_key: CourseLocator) -> dict[str, Any] | None:
    """The index as Mongo has it now: not the request-cached copy an earlier read of this request kept."""
    query = {attr: getattr(course_key, attr) for attr in ("org", "course", "run")}
    return backend.course_index.find_one(query)


def moved_sides(recorded: dict[str, dict[str, str]], current: dict[str, dict[str, str]]) -> list[str]:
    """Which side's heads changed, in words: ``["Mongo moved (published-branch a… → b…)"]``; empty when none did."""
    moved = []
    for side in (MONGO, LEARNING_CORE):
        before, now = recorded.get(side, {}), current.get(side, {})
        if before != now:
            changes = ", ".join(f"{b} {before.get(b, 'none')} → {now.get(b, 'none')}"
                                for b in sorted(set(before) | set(now)) if before.get(b) != now.get(b))
            moved.append(f"{SIDE_NAMES[side]} moved since that verify ({changes})")
    return moved


__all__ = [
    "LEARNING_CORE",
    "MONGO",
    "fresh_index",
    "index_heads",
    "learning_core_heads",
    "moved_sides",
    "mongo_heads",
]
