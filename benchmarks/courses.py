"""
Benchmark courses: a synthetic course per size, built once and reused.

A size is a target block count. The shape keeps a realistic outline (at most 20
sections, units of 4 × 5 components) and grows subsections, so 1k, 10k and 50k
differ in breadth, not in per-unit content. The course key encodes the shape
and seed, so a course built by an earlier run (or by a background build) is
found again instead of rebuilt: building 50k blocks through Learning Core takes
minutes, reading it takes seconds.
"""
from __future__ import annotations

import datetime

from lc_modulestore.importing.api import build_synthetic_course

__all__ = ["BENCH_CREATED", "course_key_for", "ensure_compiled", "ensure_synthetic_course", "shape_for_size"]

BENCH_CREATED = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
_UNITS, _COMPONENTS = 4, 5


def shape_for_size(size: int) -> tuple[int, int, int, int]:
    """(sections, subsections per section, units, components) giving about ``size`` blocks."""
    if size < 10:
        raise ValueError(f"size must be >= 10 blocks, not {size}")
    sections = max(1, min(20, round(size ** 0.5 / 5)))
    per_subsection = 1 + _UNITS + _UNITS * _COMPONENTS
    subsections = max(1, round((size - 1 - sections) / (sections * per_subsection)))
    return sections, subsections, _UNITS, _COMPONENTS


def block_count(shape: tuple[int, int, int, int]) -> int:
    s, ss, u, c = shape
    return 1 + s + s * ss + s * ss * u + s * ss * u * c


def course_key_for(size: int, seed: int = 0) -> str:
    s, ss, u, c = shape_for_size(size)
    return f"course-v1:LcBench+S{s}x{ss}x{u}x{c}+seed{seed}"


def ensure_synthetic_course(size: int, seed: int = 0):
    """The published ``LearningCoreCourse`` for ``size`` (built now unless it exists); returns (course, built)."""
    from lc_modulestore.models_api import LearningCoreCourse

    key = course_key_for(size, seed)
    existing = LearningCoreCourse.objects.filter(course_key=key).first()
    if existing is not None:
        ensure_compiled(key)
        return existing, False
    s, ss, u, c = shape_for_size(size)
    course = build_synthetic_course(key, sections=s, subsections=ss, units=u, components=c, seed=seed,
                                    created=BENCH_CREATED)
    ensure_compiled(key)
    return course, True


def ensure_compiled(course_key: str) -> None:
    """Compile the published branch unless a head exists (the on-commit trigger does not fire inside tests)."""
    from compiler import api as compiler_api
    from lc_modulestore.api import PUBLISHED_BRANCH
    from lc_modulestore.models_api import CourseIndex

    if not CourseIndex.objects.filter(course__course_key=course_key, published_structure__isnull=False).exists():
        compiler_api.compile_course(course_key, branch=PUBLISHED_BRANCH)
