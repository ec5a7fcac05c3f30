"""
Where a course is served from, and why: the flag's answer, checked against what Learning Core holds.

The flag says "Learning Core" for every course of an org with an org
override, and for every course with the global waffle flag on. A course that
has no compiled index in Learning Core (never migrated, never compiled) would
then be routed to a store that has nothing for it: ``get_course`` returns
None and the LMS answers 404. So the router asks :func:`routes_to_learning_core`
instead of the bare flag: a course with no compiled index stays on Mongo,
whatever level turned the flag on, and the fallback is counted
(:func:`fallback_counts`) and logged once per request. :func:`serving_status`
says the same in words for ``lc_flag status`` and the admin
("org on; not in Learning Core: Mongo").
"""
from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from edx_django_utils.cache import RequestCache
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import CourseLocator

from lc_modulestore.models_api import CourseIndex
from lc_modulestore.rollout.flags import (
    COMPILED_CACHE_NAMESPACE,
    USE_LEARNING_CORE,
    flag_status,
    use_learning_core,
    use_learning_core_for,
)

log = logging.getLogger(__name__)
_LEVELS = {"course override": "course", "org override": "org", "waffle flag": "flag"}
_lock = threading.Lock()
_fallbacks: Counter[str] = Counter()


def _plain(course_key: CourseKey) -> CourseLocator:
    return course_key.for_branch(None).version_agnostic()


def compiled_courses(course_keys: Iterable[CourseLocator]) -> set[CourseLocator]:
    """Which of ``course_keys`` have a compiled course index (one query for the ones not yet request-cached)."""
    cache = RequestCache(COMPILED_CACHE_NAMESPACE)
    keys = {_plain(k) for k in course_keys}
    answers: dict[CourseLocator, bool] = {}
    for key in keys:
        cached = cache.get_cached_response(str(key))
        if cached.is_found:
            answers[key] = cached.value
    missing = keys - set(answers)
    if missing:
        found = {_plain(k) for k in CourseIndex.objects.filter(course__course_key__in=missing)
                 .values_list("course__course_key", flat=True)}
        for key in missing:
            answers[key] = key in found
            cache.set(str(key), answers[key])
    return {k for k, compiled in answers.items() if compiled}


def _fall_back(course_key: CourseLocator) -> None:
    """Count one read of a course kept on Mongo although the flag is on; log it once per request."""
    with _lock:
        _fallbacks[str(course_key)] += 1
    cache = RequestCache(COMPILED_CACHE_NAMESPACE)
    logged = f"logged:{course_key}"
    if not cache.get_cached_response(logged).is_found:
        cache.set(logged, True)
        log.warning("%s: %s is on but the course has no compiled Learning Core index; serving it from Mongo",
                    course_key, USE_LEARNING_CORE.name)


def routes_to_learning_core(course_key: CourseKey) -> bool:
    """The flag's answer, except that a course with no compiled Learning Core index stays on Mongo (counted)."""
    if not use_learning_core(course_key):
        return False
    if not isinstance(course_key, CourseLocator) or course_key.org is None:
        return True  # version-only keys are routed by who holds the structure
    plain = _plain(course_key)
    if plain in compiled_courses([plain]):
        return True
    _fall_back(plain)
    return False


def routes_to_learning_core_for(course_keys: Iterable[CourseKey]) -> dict[CourseKey, bool]:
    """:func:`routes_to_learning_core` for a listing: the flags in two queries, the compiled check in one."""
    answers = use_learning_core_for(course_keys)
    enabled = [k for k, on in answers.items() if on and isinstance(k, CourseLocator) and k.org is not None]
    compiled = compiled_courses(enabled) if enabled else set()
    for key in enabled:
        if _plain(key) not in compiled:
            _fall_back(_plain(key))
            answers[key] = False
    return answers


def fallback_counts() -> dict[str, int]:
    """Reads of this process routed to Mongo because the course had no compiled index, per course."""
    with _lock:
        return dict(_fallbacks)


def clear_fallback_counts() -> None:
    """Forget the fallback counts (tests)."""
    with _lock:
        _fallbacks.clear()


@dataclass(frozen=True)
class ServingStatus:
    """Where the router serves a course from, and the reason in a few words."""

    course_key: str
    served_from: str  # "Learning Core" or "Mongo"
    why: str  # e.g. "org on; not in Learning Core: Mongo"
    flag_on: bool
    decided_by: str
    compiled: bool


def serving_status(course_key: CourseKey | str) -> ServingStatus:
    """Where the course is served from and why (bypasses the request cache, like :func:`flag_status`)."""
    status = flag_status(course_key)
    key = CourseKey.from_string(status.course_key)
    RequestCache(COMPILED_CACHE_NAMESPACE).delete(str(key))
    compiled = key in compiled_courses([key])
    level = f"{_LEVELS.get(status.decided_by, status.decided_by)} {'on' if status.enabled else 'off'}"
    if status.enabled and not compiled:
        served, why = "Mongo", f"{level}; not in Learning Core: Mongo"
    else:
        served = "Learning Core" if status.enabled else "Mongo"
        why = f"{level}: {served}"
    return ServingStatus(course_key=status.course_key, served_from=served, why=why, flag_on=status.enabled,
                         decided_by=status.decided_by, compiled=compiled)


__all__ = [
    "ServingStatus",
    "clear_fallback_counts",
    "compiled_courses",
    "fallback_counts",
    "routes_to_learning_core",
    "routes_to_learning_core_for",
    "serving_status",
]
