"""
Public API of the ``lc_modulestore`` app's lower layers: the course in Learning Core and its compiled documents.

``compiler``, ``shim`` and the importers read the app through this module (and
:mod:`lc_modulestore.models_api` for models), never through its rooms directly.
It exposes only the layers below them (``core``, ``courses``, ``compiled``);
operator tools live above and have faces of their own:
:mod:`lc_modulestore.importing.api` and :mod:`lc_modulestore.rollout.api`.
"""
from lc_modulestore.compiled.codec import (
    CorruptDocumentError,
    EncodedDocument,
    LazyStructure,
    checksum,
    decode_definition,
    decode_structure,
    decode_structure_lazily,
    encode_definition,
    encode_structure,
)
from lc_modulestore.compiled.signals import course_published
from lc_modulestore.core.api import (
    BRANCH_CHOICES,
    BRANCHES,
    DETACHED_BLOCK_TYPES,
    DRAFT_BRANCH,
    PUBLISHED_BRANCH,
    BlockKey,
    BlockNotFoundError,
    BlockShapeError,
    CourseExistsError,
    CourseNotFoundError,
    InvalidCourseKeyError,
    LcModulestoreError,
    OlxError,
    parse_course_key,
)
from lc_modulestore.core.blocks import (
    INHERITABLE_FIELD_NAMES,
    GenericBlock,
    is_known_block_type,
    load_block_class,
    load_error_block_class,
    storable_value,
)
from lc_modulestore.core.extended_json import BSON_CODEC_OPTIONS, ExtendedJSONDecoder, ExtendedJSONEncoder
from lc_modulestore.core.extended_json import loads as extended_json_loads
from lc_modulestore.courses.authoring import CourseWriter
from lc_modulestore.courses.data import AssetData, AssetSync, BlockData, BlockSync, entity_code
from lc_modulestore.courses.lifecycle import (
    blocks_of,
    create_course,
    get_course,
    publish_course,
    published_state_matches,
)
from lc_modulestore.courses.signals import course_assets_changed

__all__ = [
    "BRANCHES",
    "BRANCH_CHOICES",
    "BSON_CODEC_OPTIONS",
    "DETACHED_BLOCK_TYPES",
    "DRAFT_BRANCH",
    "INHERITABLE_FIELD_NAMES",
    "PUBLISHED_BRANCH",
    "AssetData",
    "AssetSync",
    "BlockData",
    "BlockSync",
    "BlockKey",
    "BlockNotFoundError",
    "BlockShapeError",
    "CorruptDocumentError",
    "CourseExistsError",
    "CourseNotFoundError",
    "CourseWriter",
    "EncodedDocument",
    "ExtendedJSONDecoder",
    "ExtendedJSONEncoder",
    "GenericBlock",
    "InvalidCourseKeyError",
    "LazyStructure",
    "LcModulestoreError",
    "OlxError",
    "blocks_of",
    "checksum",
    "course_assets_changed",
    "course_published",
    "create_course",
    "decode_definition",
    "decode_structure",
    "decode_structure_lazily",
    "encode_definition",
    "encode_structure",
    "entity_code",
    "extended_json_loads",
    "get_course",
    "is_known_block_type",
    "load_block_class",
    "load_error_block_class",
    "parse_course_key",
    "publish_course",
    "published_state_matches",
    "storable_value",
]
