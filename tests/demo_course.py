"""
The shared Open edX demo course (``settings.LC_DEMO_COURSE_DIR``), for the slow tests that read it.

The corpus is read at test time and never copied into the repository; every
test that needs it skips cleanly when it is absent.
"""
from __future__ import annotations

from pathlib import Path

from django.conf import settings

from compiler import api as compiler_api
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH

DEMO_COURSE_KEY = "course-v1:OpenedX+DemoX+DemoCourse"


def demo_course_dir() -> Path | None:
    """The directory holding the demo export's ``course.xml`` (the setting or its ``course/``), or None."""
    base = Path(settings.LC_DEMO_COURSE_DIR)
    for candidate in (base, base / "course"):
        if (candidate / "course.xml").is_file():
            return candidate
    return None


def compile_both_branches(course_key: str) -> None:
    """Compile the published and draft branches (the on-commit signal never fires inside a test transaction)."""
    for branch in (PUBLISHED_BRANCH, DRAFT_BRANCH):
        compiler_api.compile_course(course_key, branch=branch, full=True)
