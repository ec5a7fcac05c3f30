"""Key types shared by every stage of the pipeline."""
from __future__ import annotations

from typing import NamedTuple

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import CourseLocator

from lc_modulestore.core.errors import InvalidCourseKeyError


class BlockKey(NamedTuple):
    """A block's identity inside one course: split's ``BlockKey(type, id)``, usage key minus the course."""

    type: str
    id: str

    @classmethod
    def from_usage_key(cls, usage_key) -> "BlockKey":
        return cls(usage_key.block_type, usage_key.block_id)


def parse_course_key(value: "str | CourseKey") -> CourseLocator:
    """
    Parse and check a ``course-v1:Org+Course+Run`` key.

    Deprecated ``Org/Course/Run`` keys, library keys and keys carrying a branch
    or version are refused: Learning Core courses are always new-style course runs.
    """
    try:
        key = value if isinstance(value, CourseKey) else CourseKey.from_string(str(value))
    except InvalidKeyError as exc:
        raise InvalidCourseKeyError(f"{value!r} is not a course key (expected course-v1:Org+Course+Run)") from exc
    if not isinstance(key, CourseLocator) or key.deprecated:
        raise InvalidCourseKeyError(f"{value!r} is not a course-v1 key (expected course-v1:Org+Course+Run)")
    if key.branch or key.version_guid:
        raise InvalidCourseKeyError(f"{value!r} carries a branch or version; give the plain course key")
    return key
