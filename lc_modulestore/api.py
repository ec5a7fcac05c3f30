"""
Public API of the ``lc_modulestore`` app: the course in Learning Core.

Other packages (``compiler``, ``shim``, commands, tests) import from here,
never from the app's modules directly.
"""
from .authoring import BlockData, CourseWriter, blocks_of, create_course, entity_code, get_course, publish_course
from .codec import (
    CorruptDocumentError,
    EncodedDocument,
    decode_definition,
    decode_structure,
    encode_definition,
    encode_structure,
)
from .errors import (
    BlockNotFoundError,
    BlockShapeError,
    CourseExistsError,
    CourseNotFoundError,
    InvalidCourseKeyError,
    LcModulestoreError,
)
from .keys import BlockKey, parse_course_key
from .models.compiled import DRAFT_BRANCH, PUBLISHED_BRANCH
from .models.course import DETACHED_BLOCK_TYPES

__all__ = [
    "DETACHED_BLOCK_TYPES",
    "DRAFT_BRANCH",
    "PUBLISHED_BRANCH",
    "BlockData",
    "BlockKey",
    "BlockNotFoundError",
    "BlockShapeError",
    "CourseExistsError",
    "CourseNotFoundError",
    "CorruptDocumentError",
    "CourseWriter",
    "EncodedDocument",
    "InvalidCourseKeyError",
    "LcModulestoreError",
    "blocks_of",
    "create_course",
    "decode_definition",
    "decode_structure",
    "encode_definition",
    "encode_structure",
    "entity_code",
    "get_course",
    "parse_course_key",
    "publish_course",
]
