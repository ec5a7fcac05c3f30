"""
What a course lookup hands around: split's ``CourseEnvelope`` and ``CourseSummary``.

Their own module because both the store (which makes them) and the runtime
(which is built from a :class:`CourseEntry`) read them: here neither has to
import the other for a type.
"""
from __future__ import annotations

from dataclasses import dataclass

from opaque_keys.edx.locator import CourseLocator

from shim.backends.base import Structure


@dataclass(frozen=True)
class CourseEntry:
    """Split's ``CourseEnvelope``: the course key (with branch and version) and its structure."""

    course_key: CourseLocator
    structure: Structure

    @property
    def version_guid(self):
        return self.structure["_id"]


class CourseSummary:
    """Split's ``CourseSummary``: a course listed without loading it."""

    course_info_fields = ["display_name", "display_coursenumber", "display_organization", "end"]

    def __init__(self, course_locator, display_name="Empty", display_coursenumber=None, display_organization=None,
                 end=None) -> None:
        self.id = course_locator
        self.location = course_locator.make_usage_key("course", "course")
        self.display_name = display_name
        self.display_coursenumber = display_coursenumber
        self.display_organization = display_organization
        self.end = end

    @property
    def display_org_with_default(self) -> str:
        return self.display_organization or self.id.org

    @property
    def display_number_with_default(self) -> str:
        return self.display_coursenumber or self.id.course

    def __repr__(self) -> str:
        return f"CourseSummary({self.id}, {self.display_name!r})"


__all__ = ["CourseEntry", "CourseSummary"]
