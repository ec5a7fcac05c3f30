"""
Public API of the ``lc_modulestore`` app: the course in Learning Core.

Other packages (``compiler``, ``shim``, commands, tests) import from here,
never from the app's modules directly.
"""
from .authoring import BlockData, CourseWriter, blocks_of, create_course, entity_code, get_course, publish_course
from .codec import (
    CorruptDocumentError,
    EncodedDocument,
    LazyStructure,
    decode_definition,
    decode_structure,
    decode_structure_lazily,
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
from .flags import (
    SHADOW_READS,
    USE_LEARNING_CORE,
    CourseWaffleFlag,
    FlagChangeRefusedError,
    clear_flag_cache,
    flag_status,
    latest_course_override,
    latest_org_override,
    latest_verify_run,
    set_course_override,
    set_org_override,
    use_learning_core,
    use_learning_core_for,
)
from .keys import BlockKey, parse_course_key
from .models.compiled import DRAFT_BRANCH, PUBLISHED_BRANCH
from .models.course import DETACHED_BLOCK_TYPES
from .mongo_import.api import MongoCourseError, MongoMigrationResult, migrate_course_from_mongo

__all__ = [
    "DETACHED_BLOCK_TYPES",
    "DRAFT_BRANCH",
    "PUBLISHED_BRANCH",
    "SHADOW_READS",
    "USE_LEARNING_CORE",
    "BlockData",
    "BlockKey",
    "BlockNotFoundError",
    "BlockShapeError",
    "CourseExistsError",
    "CourseNotFoundError",
    "CorruptDocumentError",
    "CourseWaffleFlag",
    "CourseWriter",
    "EncodedDocument",
    "FlagChangeRefusedError",
    "InvalidCourseKeyError",
    "LazyStructure",
    "LcModulestoreError",
    "MongoCourseError",
    "MongoMigrationResult",
    "blocks_of",
    "clear_flag_cache",
    "create_course",
    "decode_definition",
    "decode_structure",
    "decode_structure_lazily",
    "encode_definition",
    "encode_structure",
    "entity_code",
    "flag_status",
    "get_course",
    "latest_course_override",
    "latest_org_override",
    "latest_verify_run",
    "migrate_course_from_mongo",
    "parse_course_key",
    "publish_course",
    "set_course_override",
    "set_org_override",
    "use_learning_core",
    "use_learning_core_for",
]
