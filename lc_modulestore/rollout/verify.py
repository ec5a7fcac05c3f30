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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, parse_course_key
from lc_modulestore.rollout.differences import asset_differences, render_differences
from lc_modulestore.rollout.heads import LEARNING_CORE, MONGO, index_heads
from lc_modulestore.rollout.models import VerifyRun
from lc_modulestore.rollout.mongo_location import MongoLocation, mongo_location
from shim.api import (
    ModuleStoreEnum,
    clear_request_caches,
    compare_blocks,
    compare_values,
    create_modulestore,
    create_mongo_modulestore,
    location_of,
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
    # Why the comparison proves nothing even without differences (course nowhere, 0 blocks compared).
    problems: list[str] = field(default_factory=list)
    location: MongoLocation | None = None
    heads: dict[str, dict[str, str]] = field(default_factory=dict)  # {"mongo": {branch: id}, "learning_core": …}

    @property
    def passed(self) -> bool:
        return not self.differences and not self.problems

    @property
    def failure_count(self) -> int:
        """Differences plus problems: what ``VerifyRun.diff_count`` records."""
        return len(self.differences) + len(self.problems)

    def summary(self, limit: int = SUMMARY_DIFFS) -> str:
        """What was compared, where, at which heads, and every problem and difference (the first ``limit``)."""
        branches = ", ".join(self.branches) or "no branch"
        lines = [f"{self.course_key}: {self.blocks_compared} block(s) compared on {branches}; "
                 f"{len(self.differences)}{'+' if self.truncated else ''} difference(s)"]
        if self.location is not None:
            lines.append(f"  Mongo read at {self.location}")
        for side, name in ((MONGO, "Mongo"), (LEARNING_CORE, "Learning Core")):
            heads = self.heads.get(side) or {}
            lines.append(f"  {name} heads: " + (", ".join(f"{b} {h}" for b, h in heads.items()) or "none"))
        lines.extend(f"  NOT VERIFIED: {problem}" for problem in self.problems)
        if self.differences:
            lines.append(render_differences(self.differences[:limit]))
            if len(self.differences) > limit:
                lines.append(f"… and {len(self.differences) - limit} more")
        return "\n".join(lines)


def verify_course(
    course_key: str,
    *,
    mongo_store: Any = None,
    lc_store: Any = None,
    mongo_backend_options: dict[str, Any] | None = None,
    location: MongoLocation | None = None,
    branches: tuple[str, ...] = (PUBLISHED_BRANCH, DRAFT_BRANCH),
    max_differences: int = 1000,
    record: bool = True,
    progress: Callable[..., Any] | None = None,
) -> VerifyReport:
    """
    Compare ``course_key`` as Mongo and Learning Core serve it; record a :class:`VerifyRun` unless ``record=False``.

    Mongo is read at ``location`` (default: the settings,
    :func:`~lc_modulestore.rollout.mongo_location.mongo_location`); the run
    records it and the heads compared, so the gate can tell later whether they
    are still current. ``mongo_store`` replaces the store built there (tests;
    give ``location`` too so the run says where that store reads).
    ``mongo_backend_options`` are extra :class:`MongoBackend` options. Stops
    collecting after ``max_differences`` (the run still fails). ``progress``, a
    tqdm-like factory (``progress(total=, desc=, unit=)``), gets one tick per
    block compared. A course found
    on neither side, or a comparison of 0 blocks, fails: it proves nothing.
    """

    key = parse_course_key(course_key)
    location = location or mongo_location()
    clear_request_caches()  # a unit of work of its own: read the current heads, not this request's cached ones
    run = (VerifyRun.objects.create(course_key=key, started=timezone.now(), mongo_location=location.as_dict())
           if record else None)
    report = VerifyReport(str(key), run=run, location=location)
    try:
        lc_store = lc_store if lc_store is not None else create_modulestore(strip_keys=True)
        mongo_store = mongo_store if mongo_store is not None else create_mongo_modulestore(
            strip_keys=True, backend_options={**location.backend_options(), **(mongo_backend_options or {})})
        _Comparison(key, mongo_store, lc_store, report, max_differences, progress).run(branches)
    except Exception as exc:
        if run is not None:
            run.finished, run.passed = timezone.now(), False
            run.diff_count = report.failure_count
            run.blocks_compared, run.heads = report.blocks_compared, report.heads
            run.summary = f"verify of {key} crashed: {type(exc).__name__}: {exc}"
            run.save()
        raise
    if run is not None:
        run.finished = timezone.now()
        run.passed = report.passed
        run.diff_count = report.failure_count
        run.blocks_compared, run.heads = report.blocks_compared, report.heads
        run.summary = report.summary()
        run.save()
    log.info("verify %s: %s", key, "passed" if report.passed else f"{report.failure_count} problem(s)")
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
    def __init__(self, key, mongo, lc, report: VerifyReport, limit: int, progress=None) -> None:
        self.key, self.mongo, self.lc, self.report, self.limit = key, mongo, lc, report, limit
        self.progress = progress
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
        self.report.heads = {MONGO: index_heads(mongo_index, branches), LEARNING_CORE: index_heads(lc_index, branches),
                             "branches": list(branches)}
        try:
            if mongo_index is None and lc_index is None:
                self.report.problems.append(f"{where} is in neither Mongo (at {self.report.location}) "
                                            "nor Learning Core")
                return
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
        finally:
            if self.report.blocks_compared == 0 and not self.report.problems and not self.report.differences:
                self.report.problems.append(f"0 blocks of {where} were compared: nothing shows the two sides agree")

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
            locations = sorted(set(mongo_blocks) | set(lc_blocks))
            bar = self.progress(total=len(locations), desc=f"verify {branch}", unit="block") if self.progress else None
            try:
                self.blocks(branch, locations, mongo_blocks, lc_blocks, revision, has_both_branches, bar)
            finally:
                if bar is not None:
                    bar.close()
            self.add(compare_values(str(self.key), f"(orphans on {branch})",
                                    sorted(map(str, self.mongo.get_orphans(self.key))),
                                    sorted(map(str, self.lc.get_orphans(self.key)))))
            self.add(asset_differences(str(self.key), f"(assets on {branch})",
                                       _outcome(self.mongo.get_all_asset_metadata, branch_key, None),
                                       _outcome(self.lc.get_all_asset_metadata, branch_key, None)))

    def blocks(self, branch, locations, mongo_blocks, lc_blocks, revision, has_both_branches, bar) -> None:
        """Compare every block of one branch (fields, parent, has_changes & co.), ticking ``bar``."""
        for location in locations:
            if bar is not None:
                bar.update(1)
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


__all__ = ["VerifyReport", "verify_course"]
