"""Key types shared by every stage of the pipeline."""
from __future__ import annotations

from typing import NamedTuple

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import CourseLocator

from lc_modulestore.core.errors import InvalidCourseKeyError

#: ``LearningCoreCourse.course_key`` (and org/course/run) are 255-character columns.
MAX_COURSE_KEY_LENGTH = 255


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
    So are keys longer than the 255 characters the database stores (MariaDB
    raises ``DataError``, SQLite silently keeps them), and keys whose org,
    course or run holds ``..`` or a path separator: the shim roots a course's
    resources folder at ``LC_MODULESTORE_FS_ROOT/<org>/<course>/<run>``, and
    ``course-v1:..+..+x`` would put it outside.
    """
    try:
        key = value if isinstance(value, CourseKey) else CourseKey.from_string(str(value))
    except InvalidKeyError as exc:
        raise InvalidCourseKeyError(f"{value!r} is not a course key (expected course-v1:Org+Course+Run)") from exc
    if not isinstance(key, CourseLocator) or key.deprecated:
        raise InvalidCourseKeyError(f"{value!r} is not a course-v1 key (expected course-v1:Org+Course+Run)")
    if key.branch or key.version_guid:
        raise InvalidCourseKeyError(f"{value!r} carries a branch or version; give the plain course key")
    check_path_safe_key(key)
    if len(str(key)) > MAX_COURSE_KEY_LENGTH:
        raise InvalidCourseKeyError(
            f"{str(key)[:40]!r}… is {len(str(key))} characters long; course keys are at most {MAX_COURSE_KEY_LENGTH}"
        )
    return key


def check_path_safe_key(key: CourseKey) -> None:
    """
    Refuse a course key whose org, course or run could name a path outside a folder it is joined to.

    Used by :func:`parse_course_key` and by every place that turns a key into a
    path (the shim's resources folder), since keys reach the shim from the LMS
    without going through ``parse_course_key``.
    """
    for name in ("org", "course", "run"):
        part = getattr(key, name, None) or ""
        if ".." in part or any(sep in part for sep in ("/", "\\", "\0")) or part in (".", ""):
            raise InvalidCourseKeyError(
                f"{str(key)!r}: its {name} {part!r} holds '..' or a path separator, which course keys may not"
            )
