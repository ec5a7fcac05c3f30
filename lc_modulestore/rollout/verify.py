"""
Verify a course: read it through the Mongo store and the Learning Core store and compare, block by block.

This is the gate before switching a course (``lc_flag enable`` refuses a course
whose latest :class:`~lc_modulestore.models.VerifyRun` did not pass). It reads
both copies *through the stores the LMS uses* — not the raw documents — so what
is compared is what learners would get:

* per branch: the set of blocks (including orphans and detached blocks), each
  block's type, every settings/content/children field value as the XBlock reads
  it (children order, inherited values and defaults included) and which fields
  are set explicitly (:func:`shim.compare.compare_blocks`);
* each block's parent and the course's orphans;
* edit-info-derived flags: ``has_changes`` and ``has_published_version`` (when
  both branches exist);
* asset metadata (everything but edit-info versions and dates).

Ignored, because they legitimately differ: structure and definition ids,
edit_info versions and dates, branch/version inside keys.

It sits in the rollout room, above the shim: it reads both copies through
``shim.api`` and never imports the compiler.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, parse_course_key
from lc_modulestore.rollout.models import VerifyRun
from shim.api import (
    ModuleStoreEnum,
    clear_request_caches,
    compare_blocks,
    compare_values,
    create_modulestore,
    create_mongo_modulestore,
    location_of,
    render,
)

log = logging.getLogger(__name__)
SUMMARY_DIFFS = 50  # differences kept in VerifyRun.summary


@dataclass
class VerifyReport:
    """The outcome of one verify: what was compared and every difference found."""

    course_key: str
    branches: list[str] = field(default_factory=list)  # branches compared (present in either store)
    blocks_compared: int = 0
    differences: list = field(default_factory=list)  # shim.compare.Difference
    truncated: bool = False
    run: VerifyRun | None = None

    @property
    def passed(self) -> bool:
        return not self.differences

    def summary(self, limit: int = SUMMARY_DIFFS) -> str:

        branches = ", ".join(self.branches) or "no branch"
        head = (f"{self.course_key}: {self.blocks_compared} block(s) compared on {branches}; "
                f"{len(self.differences)}{'+' if self.truncated else ''} difference(s)")
        if not self.differences:
            return head
        shown = render(self.differences[:limit])
        more = f"\n… and {len(self.differences) - limit} more" if len(self.differences) > limit else ""
        return f"{head}\n{shown}{more}"


def verify_course(
    course_key: str,
    *,
    mongo_store: Any = None,
    lc_store: Any = None,
    mongo_backend_options: dict[str, Any] | None = None,
    branches: tuple[str, ...] = (PUBLISHED_BRANCH, DRAFT_BRANCH),
    max_differences: int = 1000,
    record: bool = True,
) -> VerifyReport:
    """
    Compare ``course_key`` as Mongo and Learning Core serve it; record a :class:`VerifyRun` unless ``record=False``.

    Stores default to the ones the router would build from settings (the Mongo
    one with ``mongo_backend_options``, e.g. ``{"uri": …, "db": …,
    "collection_prefix": …, "collection_separator": …}``). Stops collecting after
    ``max_differences`` (the run still fails).
    """

    key = parse_course_key(course_key)
    clear_request_caches()  # a unit of work of its own: read the current heads, not this request's cached ones
    run = VerifyRun.objects.create(course_key=key, started=timezone.now()) if record else None
    report = VerifyReport(str(key), run=run)
    try:
        lc_store = lc_store if lc_store is not None else create_modulestore(strip_keys=True)
        mongo_store = mongo_store if mongo_store is not None else create_mongo_modulestore(
            strip_keys=True, backend_options=dict(mongo_backend_options or {}))
        _Comparison(key, mongo_store, lc_store, report, max_differences).run(branches)
    except Exception as exc:
        if run is not None:
            run.finished, run.passed = timezone.now(), False
            run.diff_count = len(report.differences)
            run.summary = f"verify of {key} crashed: {type(exc).__name__}: {exc}"
            run.save()
        raise
    if run is not None:
        run.finished = timezone.now()
        run.passed = report.passed
        run.diff_count = len(report.differences)
        run.summary = report.summary()
        run.save()
    log.info("verify %s: %s", key, "passed" if report.passed else f"{len(report.differences)} difference(s)")
    return report


def _outcome(call, *args: Any) -> Any:
    """The call's result, or its error as a value: both stores failing the same way is agreement."""
    try:
        return call(*args)
    except Exception as exc:  # noqa: BLE001 - compared, not hidden: a one-sided error is a difference
        return f"<{type(exc).__name__}: {exc}>"


class _Full(Exception):
    """Enough differences collected."""


class _Comparison:
    def __init__(self, key, mongo, lc, report: VerifyReport, limit: int) -> None:
        self.key, self.mongo, self.lc, self.report, self.limit = key, mongo, lc, report, limit
        self.enum = ModuleStoreEnum

    def add(self, diffs: list) -> None:
        self.report.differences.extend(diffs)
        if len(self.report.differences) >= self.limit:
            self.report.truncated = True
            del self.report.differences[self.limit:]
            raise _Full

    def run(self, branches: tuple[str, ...]) -> None:
        where = str(self.key)
        mongo_index = self.mongo.get_course_index(self.key)
        lc_index = self.lc.get_course_index(self.key)
        try:
            if mongo_index is None or lc_index is None:
                self.add(compare_values(where, "(course)", mongo_index is not None, lc_index is not None))
                return
            present = {b: (b in mongo_index["versions"], b in lc_index["versions"]) for b in branches}
            for branch, (in_mongo, in_lc) in present.items():
                if in_mongo or in_lc:
                    self.report.branches.append(branch)
                if in_mongo != in_lc:
                    self.add(compare_values(where, f"(branch {branch})", in_mongo, in_lc))
            # has_changes & co. read both branches: only comparable when both stores have both.
            has_both = {PUBLISHED_BRANCH, DRAFT_BRANCH} <= set(mongo_index["versions"]) & set(lc_index["versions"])
            for branch in [b for b, (m, c) in present.items() if m and c]:
                self.branch(branch, has_both_branches=has_both)
        except _Full:
            return

    def branch(self, branch: str, *, has_both_branches: bool) -> None:

        revision = (self.enum.RevisionOption.published_only if branch == PUBLISHED_BRANCH
                    else self.enum.RevisionOption.draft_only)
        setting = self.enum.Branch.published_only if branch == PUBLISHED_BRANCH else self.enum.Branch.draft_preferred
        branch_key = self.key.for_branch(branch)
        # One bulk scope per store, as the LMS reads a course: each structure is read (or unpickled) once and
        # each parent map built once, instead of once per block for parents, has_changes and published versions.
        with (
            self.mongo.branch_setting(setting, self.key),
            self.lc.branch_setting(setting, self.key),
            self.mongo.bulk_operations(self.key),
            self.lc.bulk_operations(self.key),
        ):
            mongo_blocks = {location_of(b): b for b in self.mongo.get_items(branch_key, lazy=False)}
            lc_blocks = {location_of(b): b for b in self.lc.get_items(branch_key, lazy=False)}
            for location in sorted(set(mongo_blocks) | set(lc_blocks)):
                if location not in mongo_blocks or location not in lc_blocks:
                    self.add(compare_values(location, f"(block on {branch})", location in mongo_blocks,
                                            location in lc_blocks))
                    continue
                m, c = mongo_blocks[location], lc_blocks[location]
                self.report.blocks_compared += 1
                self.add(compare_blocks(m, c))
                self.add(compare_values(location, "(parent)", self.mongo.get_parent_location(m.location, revision),
                                        self.lc.get_parent_location(c.location, revision)))
                if has_both_branches:
                    self.add(compare_values(location, "(has_changes)", self.mongo.has_changes(m),
                                            self.lc.has_changes(c)))
                    self.add(compare_values(location, "(has_published_version)",
                                            self.mongo.has_published_version(m), self.lc.has_published_version(c)))
            self.add(compare_values(str(self.key), f"(orphans on {branch})",
                                    sorted(map(str, self.mongo.get_orphans(self.key))),
                                    sorted(map(str, self.lc.get_orphans(self.key)))))
            self.add(compare_values(str(self.key), f"(assets on {branch})",
                                    _outcome(self.mongo.get_all_asset_metadata, branch_key, None),
                                    _outcome(self.lc.get_all_asset_metadata, branch_key, None)))


__all__ = ["VerifyReport", "verify_course"]
