"""
The ORM-free face of ``core``: keys, errors, branch names and Extended JSON.

Importing it loads neither Django nor XBlock, so the compiler's pure
transforms may use it (``setup.cfg``'s compiler-transforms-are-pure contract).
"""
from lc_modulestore.core.branches import (
    BRANCH_CHOICES,
    BRANCHES,
    DETACHED_BLOCK_TYPES,
    DRAFT_BRANCH,
    PUBLISHED_BRANCH,
)
from lc_modulestore.core.errors import (
    BlockNotFoundError,
    BlockShapeError,
    CourseExistsError,
    CourseNotFoundError,
    InvalidCourseKeyError,
    LcModulestoreError,
    OlxError,
)
from lc_modulestore.core.keys import BlockKey, parse_course_key

__all__ = [
    "BRANCHES",
    "BRANCH_CHOICES",
    "DETACHED_BLOCK_TYPES",
    "DRAFT_BRANCH",
    "PUBLISHED_BRANCH",
    "BlockKey",
    "BlockNotFoundError",
    "BlockShapeError",
    "CourseExistsError",
    "CourseNotFoundError",
    "InvalidCourseKeyError",
    "LcModulestoreError",
    "OlxError",
    "parse_course_key",
]
