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
* asset metadata (everything but edit-info versions and dates and
  ``internal_name``, where each store keeps the bytes), per branch, for every
  asset split lists; an asset Learning Core lists that split keeps no metadata
  for is not compared when its file is in Mongo's contentstore (Studio's
  uploads go to the contentstore only, and the migration copies every file
  there: ADR 0026), and the run's summary names how many; anything else on
  one side only is a difference;
* asset files: every asset of the course in Mongo's contentstore (GridFS,
  ``<bucket>.files`` / ``.chunks``, as edx-platform's ``MongoContentStore``
  keeps them) against the files Learning Core stores for it (``CourseAsset``
  rows and their Media), by asset key, length, md5 and content type. Both
  sides' md5 and length are computed from the bytes, chunk by chunk (a GridFS
  file whose chunks contradict its recorded length or md5 is a problem of its
  own). A database without ``<bucket>.files`` has no contentstore: that fails
  the verify when Learning Core holds asset files, and is noted otherwise (a
  course without assets on either side passes). Thumbnails are not compared
  (Studio renders them; Learning Core keeps none).

Ignored, because they legitimately differ: structure and definition ids,
edit_info versions and dates, branch/version inside keys.

It sits in the rollout room, above the shim: it reads both copies through
``shim.api`` and never imports the compiler (asset keys are made with
opaque_keys as edx-platform's ``StaticContent.compute_location`` makes them,
not with the compiler's helper, so a naming fault there cannot hide here).
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from opaque_keys.edx.locator import AssetLocator

from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, parse_course_key
from lc_modulestore.importing.api import gridfs_course_files
from lc_modulestore.models_api import CourseAsset
from lc_modulestore.rollout.differences import (
    AssetFile,
    asset_differences,
    asset_file_differences,
    render_differences,
)
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
    normalize,
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
    assets_compared: int = 0  # asset files on both sides, compared by length, md5 and content type
    # Where Mongo's asset files were read ({"db": …, "bucket": …}), None when they were not compared.
    contentstore: dict[str, str] | None = None
    assets_note: str = ""  # why asset files were not compared, or that there were none anywhere
    # Asset keys whose Learning Core metadata was not compared: files in the contentstore split has no metadata for.
    metadata_not_compared: list[str] = field(default_factory=list)

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
        if self.contentstore is not None:
            where = f"{self.contentstore['db']}.{self.contentstore['bucket']}.files"
            lines.append(f"  Asset files: {self.assets_compared} compared, Mongo's from GridFS {where}"
                         + (f" ({self.assets_note})" if self.assets_note else ""))
        else:
            lines.append(f"  Asset files: not compared ({self.assets_note or 'no contentstore given'})")
        if self.metadata_not_compared:
            shown = ", ".join(self.metadata_not_compared[:5])
            more = f" and {len(self.metadata_not_compared) - 5} more" if len(self.metadata_not_compared) > 5 else ""
            lines.append(f"  Asset metadata: {len(self.metadata_not_compared)} asset(s) Learning Core lists are "
                         f"contentstore files split keeps no metadata for; their metadata was not compared, "
                         f"their files were ({shown}{more})")
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
    gridfs_bucket: str | None = "fs",
    contentstore_db: str | None = None,
    contentstore: Any = None,
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

    Asset files are read from edx-platform's contentstore: the GridFS
    ``gridfs_bucket`` in the Mongo store's database, or in ``contentstore_db``
    on the same server (``CONTENTSTORE['DOC_STORE_CONFIG']['db']`` when it is
    not split's), or in ``contentstore`` (a ready ``Database``; tests). A
    ``gridfs_bucket`` of None or ``""`` leaves asset files out (the summary
    says so), as ``lc_migrate_from_mongo --gridfs-bucket ''`` leaves them out
    of a migration.
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
        if contentstore is None and gridfs_bucket:
            contentstore = _contentstore_database(mongo_store, contentstore_db)
        comparison = _Comparison(key, mongo_store, lc_store, report, max_differences, progress)
        comparison.run(branches, contentstore=contentstore if gridfs_bucket else None, bucket=gridfs_bucket or "")
    except Exception as exc:
        if run is not None:
            _record(run, report, passed=False, summary=f"verify of {key} crashed: {type(exc).__name__}: {exc}")
        raise
    if run is not None:
        _record(run, report, passed=report.passed, summary=report.summary())
    log.info("verify %s: %s", key, "passed" if report.passed else f"{report.failure_count} problem(s)")
    return report


def _record(run: VerifyRun, report: VerifyReport, *, passed: bool, summary: str) -> None:
    """Finish ``run``: outcome, counts, heads, and where Mongo's split collections and asset files were read."""
    run.finished, run.passed, run.summary = timezone.now(), passed, summary
    run.diff_count = report.failure_count
    run.blocks_compared, run.assets_compared, run.heads = report.blocks_compared, report.assets_compared, report.heads
    run.mongo_location = {**(run.mongo_location or {}), "contentstore": report.contentstore}
    run.save()


def _contentstore_database(mongo_store: Any, db_name: str | None) -> Any:
    """
    The database holding edx-platform's GridFS contentstore: the Mongo store's own, or ``db_name`` beside it.

    The store's backend (:class:`shim.backends.mongo.MongoBackend`) already
    holds a client on the configured server; edx-platform's ``CONTENTSTORE``
    normally shares it and usually its database too.
    """
    database = getattr(getattr(mongo_store, "backend", None), "database", None)
    if database is None:
        raise ValueError(f"cannot tell which MongoDB database {mongo_store!r} reads, so not where its contentstore "
                         "is; pass contentstore= (a Database), or gridfs_bucket=None to leave asset files out")
    if db_name and db_name != database.name:
        return database.client.get_database(db_name, codec_options=database.codec_options)
    return database


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
        # Each branch's asset metadata as both stores list it, compared once the contentstore's files are known.
        self.asset_metadata: list[tuple[str, Any, Any]] = []
        self.contentstore_keys: set[str] = set()  # asset keys of the course's files in Mongo's contentstore

    def add(self, diffs: list) -> None:
        self.report.differences.extend(diffs)
        if len(self.report.differences) >= self.limit:
            self.report.truncated = True
            del self.report.differences[self.limit:]
            raise _Full

    def run(self, branches: tuple[str, ...], *, contentstore: Any = None, bucket: str = "") -> None:
        """Compare the course index, each branch present on both sides, then the asset files (in ``contentstore``)."""
        where = str(self.key)
        mongo_index = self.mongo.get_course_index(self.key)
        lc_index = self.lc.get_course_index(self.key)
        self.report.heads = {MONGO: index_heads(mongo_index, branches), LEARNING_CORE: index_heads(lc_index, branches),
                             "branches": list(branches)}
        # Until the asset files are reached, say why they were not compared.
        self.report.assets_note = ("no GridFS bucket given" if contentstore is None
                                   else "the course is not on both sides")
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
            if contentstore is not None:
                self.asset_files(contentstore, bucket)
            self.compare_asset_metadata()
        except _Full:
            if self.report.contentstore is None and contentstore is not None:
                self.report.assets_note = f"stopped after {self.limit} differences"
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
            self.asset_metadata.append((branch, _outcome(self.mongo.get_all_asset_metadata, branch_key, None),
                                        _outcome(self.lc.get_all_asset_metadata, branch_key, None)))

    def compare_asset_metadata(self) -> None:
        """
        Each branch's asset metadata: every asset split lists, and Learning Core's others unless they are files.

        An asset Learning Core lists that split has no metadata for is left
        out when Mongo's contentstore holds its file (compared as a file, not
        as metadata split never had); its key goes to the report's notes.
        """
        skipped: set[str] = set()
        for branch, mongo, learning_core in self.asset_metadata:
            if isinstance(mongo, list | tuple) and isinstance(learning_core, list | tuple):
                listed = {str(normalize(m.asset_id)) for m in mongo}
                kept = []
                for entry in learning_core:
                    asset_key = str(normalize(entry.asset_id))
                    if asset_key not in listed and asset_key in self.contentstore_keys:
                        skipped.add(asset_key)
                    else:
                        kept.append(entry)
                learning_core = kept
            self.add(asset_differences(str(self.key), f"(assets on {branch})", mongo, learning_core))
        self.report.metadata_not_compared = sorted(skipped)

    def asset_files(self, contentstore: Any, bucket: str) -> None:
        """Compare the course's asset files: Mongo's GridFS contentstore against Learning Core's stored media."""
        where = f"{contentstore.name}.{bucket}.files"
        self.report.contentstore, self.report.assets_note = {"db": contentstore.name, "bucket": bucket}, ""
        course = self.key.for_branch(None)
        rows = list(CourseAsset.objects.filter(course__course_key=course, asset_type="asset", media__isnull=False)
                    .select_related("media").order_by("path"))
        bar = self.progress(total=len(rows), desc="verify asset files", unit="file") if self.progress else None
        try:
            lc_files = self.learning_core_files(course, rows, bar)
        finally:
            if bar is not None:
                bar.close()
        gridfs = gridfs_course_files(contentstore, course, bucket=bucket)
        if gridfs is None:
            if lc_files:
                self.report.problems.append(
                    f"Learning Core holds {len(lc_files)} asset file(s) of {course} but there is no GridFS "
                    f"contentstore at {where} (no such collection) to compare them with: give lc_verify "
                    "--contentstore-db / --gridfs-bucket where edx-platform's CONTENTSTORE keeps them, or "
                    "--gridfs-bucket '' to leave asset files out")
            else:
                self.report.assets_note = "no such collection, and no asset files in Learning Core either"
            return
        mongo_files = {}
        for found in gridfs:
            asset_key = str(course.make_asset_key("asset", found.name))
            fault = found.inconsistency()
            if fault:
                self.report.problems.append(f"{asset_key} in GridFS {where} (_id {found.file_id}): {fault}")
            mongo_files[asset_key] = AssetFile(found.length, found.md5, found.content_type)
        self.contentstore_keys = set(mongo_files)
        self.report.assets_compared = len(set(mongo_files) & set(lc_files))
        self.add(asset_file_differences(mongo_files, lc_files))

    def learning_core_files(self, course: Any, rows: list, bar: Any) -> dict[str, AssetFile]:
        """
        Each stored asset file by its asset key, with the length and md5 of its bytes, read in chunks.

        The key is edx-platform's for the file's path (``images/a b.png`` →
        ``…+block@images_a_b.png``, ``StaticContent.compute_location``); two
        paths with one key, a file that cannot be read or whose size is not
        its Media row's are problems.
        """
        files: dict[str, AssetFile] = {}
        paths: dict[str, str] = {}
        for row in rows:
            if bar is not None:
                bar.update(1)
            asset_key = str(course.make_asset_key(
                "asset", AssetLocator.clean_keeping_underscores(row.path.replace("/", "_"))))
            if asset_key in paths:
                self.report.problems.append(f"Learning Core assets {paths[asset_key]!r} and {row.path!r} of {course} "
                                            f"are both {asset_key}: the LMS can serve only one")
                continue
            paths[asset_key] = row.path
            digest, length = hashlib.md5(usedforsecurity=False), 0
            try:
                with row.media.read_file() as file:
                    for chunk in file.chunks():
                        digest.update(chunk)
                        length += len(chunk)
            except OSError as exc:
                self.report.problems.append(f"{asset_key}: Learning Core's file for {row.path!r} "
                                            f"({row.media.path}) cannot be read: {exc}")
                continue
            if length != row.media.size:
                self.report.problems.append(f"{asset_key}: Learning Core's file for {row.path!r} holds {length} "
                                            f"bytes, its Media row says {row.media.size}")
            files[asset_key] = AssetFile(length, digest.hexdigest(), row.content_type)
        return files

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
