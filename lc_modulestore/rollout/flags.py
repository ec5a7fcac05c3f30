"""
The per-course switch between split-in-Mongo and Learning Core, and the rules for flipping it.

edx-toggles gives us ``WaffleFlag`` but not edx-platform's ``CourseWaffleFlag``
(it stays in edx-platform on purpose, see its ADR 0003), so we build the part
we need: a flag that can be forced on or off per course and per org.

Precedence, highest first: the course override, the org override, the waffle
flag itself. The answer is computed once per request and course and kept in a
request cache (edx-django-utils' ``RequestCache``), because the router asks for
every modulestore call and one request makes hundreds. Since the cache lives
only for the request, a change takes effect on the next request, with no
restart. Code outside requests (Celery tasks, commands) should call
:func:`clear_flag_cache` at the start of each unit of work.

Overrides are append-only rows (:mod:`lc_modulestore.rollout.models`): who, when,
why and whether the verify gate was forced are kept forever.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from edx_django_utils.cache import RequestCache
from edx_toggles.toggles import WaffleFlag
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import CourseLocator

from lc_modulestore.api import InvalidCourseKeyError, LcModulestoreError
from lc_modulestore.models_api import LearningCoreCourse
from lc_modulestore.rollout.heads import LEARNING_CORE, MONGO, learning_core_heads, mongo_heads, moved_sides
from lc_modulestore.rollout.models import (
    OVERRIDE_OFF,
    OVERRIDE_ON,
    OVERRIDE_UNSET,
    CourseFlagOverride,
    OrgFlagOverride,
    VerifyRun,
)
from lc_modulestore.rollout.mongo_location import location_from_record

FLAG_REQUEST_CACHE_NAMESPACE = "lc_modulestore.rollout.flags"
# Which courses have a compiled index (lc_modulestore.rollout.serving); cleared with the flag answers.
COMPILED_CACHE_NAMESPACE = "lc_modulestore.rollout.serving"


class FlagChangeRefusedError(LcModulestoreError):
    """A flag change that the rules forbid (e.g. enabling a course whose last verify did not pass)."""


def _plain_course_key(course_key: CourseKey | str) -> CourseLocator | None:
    """
    The course key without branch or version, or None for a version-only key.

    The router sees keys as split hands them around (``…+branch@draft-branch``),
    but overrides are per course run, whatever branch or version is read.
    """
    if isinstance(course_key, str):
        try:
            course_key = CourseKey.from_string(course_key)
        except InvalidKeyError as exc:
            raise InvalidCourseKeyError(f"{course_key!r} is not a course key") from exc
    if not isinstance(course_key, CourseLocator):
        raise InvalidCourseKeyError(f"{course_key!r} is not a course run key (course-v1:Org+Course+Run)")
    if course_key.org is None:
        return None
    return course_key.for_branch(None)


class CourseWaffleFlag(WaffleFlag):
    """
    A waffle flag that can be forced on or off for one course or one org.

    ``is_enabled(course_key)``: the newest course override if it is on/off,
    else the newest org override if it is on/off, else the waffle flag. The
    result is request-cached per (flag, course).
    """

    def is_enabled(self, course_key: CourseKey | str | None = None) -> bool:  # type: ignore[override]
        """Whether the flag is on for ``course_key`` (or globally, when no course is given)."""
        if course_key is None:
            return super().is_enabled()
        key = _plain_course_key(course_key)
        if key is None:
            return super().is_enabled()
        cache = RequestCache(FLAG_REQUEST_CACHE_NAMESPACE)
        cache_key = f"{self.name}:{key}"
        cached = cache.get_cached_response(cache_key)
        if cached.is_found:
            return cached.value
        override = self._course_override(key) or self._org_override(key.org)
        value = (override == OVERRIDE_ON) if override else super().is_enabled()
        cache.set(cache_key, value)
        return value

    def are_enabled(self, course_keys: Iterable[CourseKey | str]) -> dict[CourseLocator, bool]:
        """
        :meth:`is_enabled` of many courses at once: two queries in all for the ones not yet request-cached.

        Listings (the router's ``get_courses``, ``get_course_summaries``) need the
        answer for every course they list; asking one course at a time would
        cost two queries per course. Same precedence and same request cache, so
        later ``is_enabled`` calls of these courses cost nothing. Version-only
        keys are left out of the result.
        """
        cache = RequestCache(FLAG_REQUEST_CACHE_NAMESPACE)
        plain = {k for k in map(_plain_course_key, course_keys) if k is not None}
        answers: dict[CourseLocator, bool] = {}
        for key in plain:
            cached = cache.get_cached_response(f"{self.name}:{key}")
            if cached.is_found:
                answers[key] = cached.value
        missing = plain - set(answers)
        if not missing:
            return answers
        course_choices: dict[CourseLocator, str] = {}
        rows = (CourseFlagOverride.objects.filter(waffle_flag=self.name, course_id__in=missing)
                .order_by("-change_date", "-id").values_list("course_id", "override_choice"))
        for course_id, choice in rows:
            course_choices.setdefault(course_id.for_branch(None), choice)  # the newest row per course wins
        org_choices: dict[str, str] = {}
        orgs = {k.org for k in missing if course_choices.get(k, OVERRIDE_UNSET) == OVERRIDE_UNSET}
        if orgs:
            rows = (OrgFlagOverride.objects.filter(waffle_flag=self.name, org__in=orgs)
                    .order_by("-change_date", "-id").values_list("org", "override_choice"))
            for org, choice in rows:
                org_choices.setdefault(org, choice)
        default: bool | None = None
        for key in missing:
            override = next((c for c in (course_choices.get(key), org_choices.get(key.org))
                             if c not in (None, OVERRIDE_UNSET)), None)
            if override is None and default is None:
                default = super().is_enabled()
            answers[key] = (override == OVERRIDE_ON) if override else bool(default)
            cache.set(f"{self.name}:{key}", answers[key])
        return answers

    def _course_override(self, key: CourseLocator) -> str | None:
        """'on'/'off' from the newest course override row; None when absent or unset."""
        return self._newest_choice(CourseFlagOverride, course_id=key)

    def _org_override(self, org: str) -> str | None:
        """'on'/'off' from the newest org override row; None when absent or unset."""
        return self._newest_choice(OrgFlagOverride, org=org)

    def _newest_choice(self, model, **filters: Any) -> str | None:
        """The override rows are append-only (an audit trail): the newest row of ``filters`` is the one in force."""
        choice = (
            model.objects.filter(waffle_flag=self.name, **filters)
            .order_by("-change_date", "-id")
            .values_list("override_choice", flat=True)
            .first()
        )
        return None if choice in (None, OVERRIDE_UNSET) else choice


# .. toggle_name: lc_modulestore.use_learning_core
# .. toggle_implementation: CourseWaffleFlag
# .. toggle_default: False
# .. toggle_description: Serve a course to the LMS from Learning Core (compiled split documents in MySQL) instead
#   of split in MongoDB. Can be forced on/off per course run or per org (``lc_flag`` command or Django admin); a
#   course override beats an org override, which beats the flag. Enabling a course is refused unless its latest
#   verify run passed (``lc_flag enable --force`` overrides, and the override row records that it was forced).
#   Read once per request, so a change applies from the next request without a restart.
# .. toggle_use_cases: temporary, open_edx
# .. toggle_creation_date: 2026-11-25
# .. toggle_target_removal_date: None
# .. toggle_warning: Switching a course whose Learning Core copy is stale serves stale content; run the verify first.
USE_LEARNING_CORE = CourseWaffleFlag("lc_modulestore.use_learning_core", __name__)

# .. toggle_name: lc_modulestore.shadow_reads
# .. toggle_implementation: CourseWaffleFlag
# .. toggle_default: False
# .. toggle_description: For a course still served from split in Mongo, repeat the router's reads on Learning Core,
#   compare the answers block by block, count every compared read (``ShadowReadCount``) and log + store every
#   mismatch (``ShadowMismatch`` rows, ``lc_shadow_report``, the course admin). The response is always Mongo's; a
#   failing Learning Core read is counted, never raised. No effect on courses served from Learning Core. Per course
#   or org like use_learning_core (``lc_flag --shadow``), with no verify gate: shadowing is how a course earns
#   confidence before the switch. See ADR 0009.
# .. toggle_use_cases: temporary, open_edx
# .. toggle_creation_date: 2026-11-25
# .. toggle_target_removal_date: None
# .. toggle_warning: Every shadowed read is done twice (and fields of returned blocks are read); enable per course.
SHADOW_READS = CourseWaffleFlag("lc_modulestore.shadow_reads", __name__)


def use_learning_core(course_key: CourseKey | str) -> bool:
    """
    Whether ``course_key`` is served from Learning Core (request-cached; see :data:`USE_LEARNING_CORE`).

    Keys Learning Core never serves (v1 libraries, deprecated ``Org/Course/Run``
    courses of the old Mongo store) are always False, without a query, so
    the router can ask about any key the modulestore sees.
    """
    course_key = _parse_course_key(course_key)
    if not isinstance(course_key, CourseLocator) or course_key.deprecated:
        return False
    return USE_LEARNING_CORE.is_enabled(course_key)


def _parse_course_key(course_key: CourseKey | str) -> CourseKey:
    """``course_key`` as a key; a string that is not one raises :class:`InvalidCourseKeyError` naming it."""
    if not isinstance(course_key, str):
        return course_key
    try:
        return CourseKey.from_string(course_key)
    except InvalidKeyError as exc:
        raise InvalidCourseKeyError(f"{course_key!r} is not a course key") from exc


def use_learning_core_for(course_keys: Iterable[CourseKey | str]) -> dict[CourseKey, bool]:
    """
    :func:`use_learning_core` of many courses in two queries (request-cached like it), for listings.

    Keys Learning Core never serves are False without a query; version-only
    keys (rare in listings) are answered one by one. The result is keyed by
    the keys as given.
    """
    answers: dict[CourseKey, bool] = {}
    batched: dict[CourseKey, CourseLocator] = {}
    for course_key in course_keys:
        parsed = _parse_course_key(course_key)
        if not isinstance(parsed, CourseLocator) or parsed.deprecated:
            answers[course_key] = False
        elif parsed.org is None:
            answers[course_key] = use_learning_core(parsed)
        else:
            batched[course_key] = _plain_course_key(parsed)
    enabled = USE_LEARNING_CORE.are_enabled(batched.values())
    answers.update({course_key: enabled[plain] for course_key, plain in batched.items()})
    return answers


def clear_flag_cache() -> None:
    """
    Forget the flag answers cached for this request, so the next check reads the database again.

    Also drops edx-toggles' own per-request cache of the global flag value.
    Request middleware does this for web requests; tasks and tests call it.
    """
    RequestCache(FLAG_REQUEST_CACHE_NAMESPACE).clear()
    RequestCache(COMPILED_CACHE_NAMESPACE).clear()
    WaffleFlag.cached_flags().pop(USE_LEARNING_CORE.name, None)
    WaffleFlag.cached_flags().pop(SHADOW_READS.name, None)


# ---- reading and changing overrides (used by the lc_flag command and tests) ----


@dataclass(frozen=True)
class FlagStatus:
    """Everything an operator needs to know about the flag for one course, and why it has its value."""

    course_key: str
    enabled: bool
    decided_by: str  # "course override", "org override" or "waffle flag"
    course_override: CourseFlagOverride | None
    org_override: OrgFlagOverride | None
    flag_enabled: bool
    latest_verify: VerifyRun | None


def latest_course_override(course_key: CourseKey | str, *, flag: CourseWaffleFlag = USE_LEARNING_CORE):
    """The newest course override row (any choice, including 'unset'), or None."""
    return _newest_row(CourseFlagOverride, flag, course_id=_plain_course_key(course_key))


def latest_org_override(org: str, *, flag: CourseWaffleFlag = USE_LEARNING_CORE):
    """The newest org override row (any choice, including 'unset'), or None."""
    return _newest_row(OrgFlagOverride, flag, org=org)


def _newest_row(model, flag: CourseWaffleFlag, **filters: Any):
    return (
        model.objects.filter(waffle_flag=flag.name, **filters)
        .order_by("-change_date", "-id")
        .select_related("changed_by")
        .first()
    )


def latest_verify_run(course_key: CourseKey | str) -> VerifyRun | None:
    """The most recently started verify run of the course, or None."""
    key = _plain_course_key(course_key)
    return VerifyRun.objects.filter(course_key=key).order_by("-started", "-id").first()


def flag_status(course_key: CourseKey | str, *, flag: CourseWaffleFlag = USE_LEARNING_CORE) -> FlagStatus:
    """The flag's value for the course and which level decided it (bypasses the request cache)."""
    key = _plain_course_key(course_key)
    course_row = latest_course_override(key, flag=flag)
    org_row = latest_org_override(key.org, flag=flag)
    flag_on = WaffleFlag.is_enabled(flag)
    if course_row is not None and course_row.override_choice != OVERRIDE_UNSET:
        enabled, decided_by = course_row.override_choice == OVERRIDE_ON, "course override"
    elif org_row is not None and org_row.override_choice != OVERRIDE_UNSET:
        enabled, decided_by = org_row.override_choice == OVERRIDE_ON, "org override"
    else:
        enabled, decided_by = flag_on, "waffle flag"
    return FlagStatus(
        course_key=str(key),
        enabled=enabled,
        decided_by=decided_by,
        course_override=course_row,
        org_override=org_row,
        flag_enabled=flag_on,
        latest_verify=latest_verify_run(key),
    )


def _verify_problem(course_key: CourseLocator) -> str | None:
    """Why ``course_key`` may not be enabled yet (None when its latest verify run passed)."""
    run = latest_verify_run(course_key)
    if run is None:
        return f"course {course_key} has never been verified"
    if run.finished is None:
        return f"the latest verify run of {course_key} (started {run.started:%Y-%m-%d %H:%M}) has not finished"
    if not run.passed:
        return (
            f"the latest verify run of {course_key} (finished {run.finished:%Y-%m-%d %H:%M}) failed with "
            f"{run.diff_count} difference(s)"
        )
    which = f"the passing verify run of {course_key} (finished {run.finished:%Y-%m-%d %H:%M})"
    if not run.heads or run.blocks_compared == 0:
        return f"{which} recorded no heads or compared 0 blocks: it proves nothing; run lc_verify again"
    moved = verify_run_moved(run)
    if moved:
        return f"{which} is no longer current: " + "; ".join(moved) + "; run lc_verify again"
    return None


def current_heads(course_key: CourseLocator, run: VerifyRun) -> dict[str, dict[str, str]]:
    """
    The heads of the branches ``run`` compared, as they are now: Learning Core's compiled index, and Mongo
    re-read where the run looked (``run.mongo_location``). Raises pymongo's errors.
    """
    recorded = set(run.heads.get(MONGO, {})) | set(run.heads.get(LEARNING_CORE, {}))
    branches = run.heads.get("branches") or sorted(recorded)
    if not branches:
        return {MONGO: {}, LEARNING_CORE: {}}
    lc = {b: h for b, h in learning_core_heads(course_key).items() if b in branches}
    mongo = {b: h for b, h in mongo_heads(course_key, location_from_record(run.mongo_location)).items()
             if b in branches}
    return {MONGO: mongo, LEARNING_CORE: lc}


def verify_run_moved(run: VerifyRun) -> list[str]:
    """
    Which side moved since ``run`` (empty: its heads are still the current ones).

    A Mongo that cannot be read counts as moved: the gate cannot tell, so it refuses.
    """
    key = _plain_course_key(run.course_key)
    try:
        now = current_heads(key, run)
    except Exception as exc:  # noqa: BLE001 - pymongo's errors and a bad recorded location alike
        where = location_from_record(run.mongo_location)
        return [f"the Mongo heads could not be re-read at {where} ({type(exc).__name__}: {exc})"]
    return moved_sides(run.heads, now)


def enable_problems(
    *, course_key: CourseKey | str | None = None, org: str | None = None, flag: CourseWaffleFlag = USE_LEARNING_CORE
) -> list[str]:
    """
    Why turning ``flag`` on for the course (or org) is not yet safe; empty when it is.

    The same checks :func:`set_course_override` / :func:`set_org_override`
    make, without writing: the admin form shows them as a form error before
    anything is saved.
    """
    if flag.name != USE_LEARNING_CORE.name:
        return []
    if org is not None:
        keys = list(LearningCoreCourse.objects.filter(org=org).values_list("course_key", flat=True))
        if not keys:
            return [f"org {org} has no Learning Core courses"]
        return [p for k in keys if (p := _verify_problem(k))]
    key = _plain_course_key(course_key)
    if key is None:
        raise InvalidCourseKeyError(f"{course_key!r} names no course run (version-only key)")
    return [p for p in [_verify_problem(key)] if p]


# The flags an override may name (the admin's choice list: a typo in a free-text name silently did nothing).
FLAGS = {USE_LEARNING_CORE.name: USE_LEARNING_CORE, SHADOW_READS.name: SHADOW_READS}
FLAG_CHOICES = [(name, name) for name in FLAGS]


def _choice(enabled: bool | None) -> str:
    return OVERRIDE_UNSET if enabled is None else (OVERRIDE_ON if enabled else OVERRIDE_OFF)


def _record_override(
    model,
    target: dict[str, Any],
    label: str,
    enabled: bool | None,
    problems: list[str],
    *,
    flag: CourseWaffleFlag,
    force: bool,
    note: str,
    changed_by,
    when: datetime | None,
):
    """
    Append one audited override row, refusing an unverified enable unless forced.

    ``problems`` are the reasons enabling is not yet safe (empty when it is);
    a forced change records them in its note and ``forced`` column.
    """
    forced = bool(problems) and bool(enabled)
    if forced and force and not note.strip():
        raise FlagChangeRefusedError(f"Forcing {flag.name} on for {label} needs a note saying why (--note)")
    if forced and not force:
        raise FlagChangeRefusedError(
            f"Refusing to enable {flag.name} for {label}: " + "; ".join(problems) + " (use --force)"
        )
    if forced:
        note = f"FORCED ({'; '.join(problems)}). {note}".strip()
    with transaction.atomic():
        row = model.objects.create(
            waffle_flag=flag.name,
            override_choice=_choice(enabled),
            note=note,
            forced=forced,
            changed_by=changed_by,
            change_date=when or timezone.now(),
            **target,
        )
    clear_flag_cache()
    return row


def set_course_override(
    course_key: CourseKey | str,
    enabled: bool | None,
    *,
    changed_by=None,
    note: str = "",
    force: bool = False,
    when: datetime | None = None,
    flag: CourseWaffleFlag = USE_LEARNING_CORE,
) -> CourseFlagOverride:
    """
    Force the flag on (True) or off (False) for one course, or remove the override (None).

    Turning ``use_learning_core`` on is refused with :class:`FlagChangeRefusedError` unless the
    course's latest verify run passed; ``force=True`` goes ahead anyway, and
    the new row says so (``forced`` plus the reason in ``note``). Turning it
    off or unsetting is always allowed: it is the way back.
    """
    key = _plain_course_key(course_key)
    if key is None:
        raise InvalidCourseKeyError(f"{course_key!r} names no course run (version-only key)")
    # Only the switch that moves LMS reads is gated on verification (shadow reads change no response).
    problems = enable_problems(course_key=key, flag=flag) if enabled else []
    return _record_override(
        CourseFlagOverride,
        {"course_id": key},
        str(key),
        enabled,
        problems,
        flag=flag,
        force=force,
        note=note,
        changed_by=changed_by,
        when=when,
    )


def set_org_override(
    org: str,
    enabled: bool | None,
    *,
    changed_by=None,
    note: str = "",
    force: bool = False,
    when: datetime | None = None,
    flag: CourseWaffleFlag = USE_LEARNING_CORE,
) -> OrgFlagOverride:
    """
    Force the flag on (True) or off (False) for every course of ``org``, or remove the org override (None).

    Turning it on is refused unless the org has Learning Core courses and the
    latest verify run of every one of them passed; ``force=True`` goes ahead
    and records why it was needed.
    """
    if not org:
        raise FlagChangeRefusedError("An org override needs a non-empty org")
    problems = enable_problems(org=org, flag=flag) if enabled else []
    return _record_override(
        OrgFlagOverride,
        {"org": org},
        f"org {org}",
        enabled,
        problems,
        flag=flag,
        force=force,
        note=note,
        changed_by=changed_by,
        when=when,
    )


__all__ = [
    "FLAGS",
    "FLAG_CHOICES",
    "FLAG_REQUEST_CACHE_NAMESPACE",
    "SHADOW_READS",
    "USE_LEARNING_CORE",
    "CourseWaffleFlag",
    "FlagChangeRefusedError",
    "FlagStatus",
    "clear_flag_cache",
    "flag_status",
    "latest_course_override",
    "latest_org_override",
    "latest_verify_run",
    "current_heads",
    "set_course_override",
    "verify_run_moved",
    "set_org_override",
    "use_learning_core",
    "use_learning_core_for",
]
