"""
An operator's view of every course: served from and why, both heads, compile lag, last verify, shadow counts.

``lc_flag status --all`` prints one block per course from :func:`course_overviews`;
``lc_shadow_report`` prints :func:`shadow_report`. Both read the same
functions the admin and the gate use, so the three never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Max

from lc_modulestore.models_api import CompiledStructure, CourseIndex, LearningCoreCourse
from lc_modulestore.rollout.differences import LIST_LIMIT, shorten
from lc_modulestore.rollout.flags import latest_verify_run, verify_run_moved
from lc_modulestore.rollout.heads import fresh_index, index_heads, learning_core_heads
from lc_modulestore.rollout.models import ShadowMismatch, ShadowReadCount
from lc_modulestore.rollout.mongo_location import MongoLocation, mongo_location
from lc_modulestore.rollout.serving import serving_status
from lc_modulestore.rollout.shadow import shadow_read_totals


@dataclass(frozen=True)
class CourseOverview:
    """One course as an operator sees it."""

    course_key: str
    why: str
    learning_core_heads: dict[str, str]
    mongo_heads: dict[str, str] | str  # text when Mongo could not be read
    lags: bool | None  # the published head is older than the latest publish (None: nothing compiled)
    latest_verify: str
    shadow: str

    def lines(self) -> list[str]:
        def heads(value) -> str:
            return value if isinstance(value, str) else (", ".join(f"{b} {h}" for b, h in value.items()) or "none")
        lag = {None: "not compiled", True: "LAGS the latest publish", False: "current with the latest publish"}
        return [
            f"{self.course_key}: {self.why}",
            f"  Learning Core heads: {heads(self.learning_core_heads)} ({lag[self.lags]})",
            f"  Mongo heads:         {heads(self.mongo_heads)}",
            f"  latest verify:       {self.latest_verify}",
            f"  shadow reads:        {self.shadow}",
        ]


def _lags(course: LearningCoreCourse) -> bool | None:
    index = CourseIndex.objects.filter(course=course).values("published_structure").first()
    if not index or index["published_structure"] is None:
        return None
    head_log = CompiledStructure.objects.filter(pk=index["published_structure"]).values_list(
        "publish_log_id", flat=True).first()
    latest = course.learning_package.publishlog_set.aggregate(latest=Max("id"))["latest"]
    return latest is not None and head_log != latest


def _verify_text(course_key) -> str:
    run = latest_verify_run(course_key)
    if run is None:
        return "never verified"
    if not run.passed:
        return str(run)
    moved = verify_run_moved(run)
    return f"{run}; " + ("NOT CURRENT: " + "; ".join(moved) if moved else "heads still current")


def course_overviews(*, location: MongoLocation | None = None) -> list[CourseOverview]:
    """Every Learning Core course, in key order, with its Mongo heads read once at ``location`` (settings)."""
    location = location or mongo_location()
    backend, backend_error = None, ""
    try:
        backend = location.backend(server_selection_timeout_ms=3000)
    except Exception as exc:  # noqa: BLE001 - shown per course, the rest of the view still useful
        backend_error = f"cannot read Mongo at {location}: {exc}"
    overviews = []
    try:
        for course in LearningCoreCourse.objects.select_related("learning_package").order_by("course_key"):
            key = course.course_key
            if backend is not None:
                try:
                    mongo = index_heads(fresh_index(backend, key))
                except Exception as exc:  # noqa: BLE001
                    mongo = f"cannot read Mongo at {location}: {type(exc).__name__}"
            else:
                mongo = backend_error
            overviews.append(CourseOverview(
                course_key=str(key), why=serving_status(key).why, learning_core_heads=learning_core_heads(key),
                mongo_heads=mongo, lags=_lags(course), latest_verify=_verify_text(key),
                shadow=f"{shadow_read_totals(key)}; {ShadowMismatch.objects.filter(course_key=key).count()} "
                       "mismatch row(s)",
            ))
    finally:
        if backend is not None:
            backend.close_connections()
    return overviews


def shadow_report(*, course_key=None, limit: int = 20) -> list[str]:
    """Shadow reads per course (reads, matched, mismatched) and the latest mismatches, values shortened."""
    lines = []
    rows = ShadowMismatch.objects.all()
    keys = sorted({str(k) for k in rows.values_list("course_key", flat=True).distinct()}
                  | set(_counted_courses()))
    if course_key is not None:
        keys = [str(course_key)]
    for key in keys:
        lines.append(f"{key}: {shadow_read_totals(key)}")
        per_field = (ShadowMismatch.objects.filter(course_key=key).values("method", "field")
                     .annotate(n=Count("id")).order_by("-n"))
        for entry in per_field[:10]:
            lines.append(f"  {entry['n']:>5} × {entry['method']} {entry['field'] or '(error)'}")
        for row in ShadowMismatch.objects.filter(course_key=key).order_by("-created", "-id")[:limit]:
            if row.error:
                lines.append(f"  {row.created:%Y-%m-%d %H:%M:%S} {row.method}: Learning Core failed: "
                             f"{shorten(row.error, LIST_LIMIT)}")
            else:
                lines.append(f"  {row.created:%Y-%m-%d %H:%M:%S} {row.method} {row.location} {row.field}: "
                             f"mongo {shorten(row.mongo_value, LIST_LIMIT)} / learning core "
                             f"{shorten(row.learning_core_value, LIST_LIMIT)}")
    return lines


def _counted_courses() -> list[str]:
    return [str(k) for k in ShadowReadCount.objects.values_list("course_key", flat=True).distinct()]


__all__ = ["CourseOverview", "course_overviews", "shadow_report"]
