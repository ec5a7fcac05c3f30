"""Public API of the importing room: OLX import, migration from split in MongoDB, synthetic courses."""
from lc_modulestore.importing.mongo.api import MongoCourseError, MongoMigrationResult, migrate_course_from_mongo
from lc_modulestore.importing.mongo.contentstore import GridFSFile, gridfs_course_files
from lc_modulestore.importing.olx.api import (
    ImportResult,
    OlxCourse,
    Progress,
    import_olx,
    open_course_dir,
    read_course_dir,
)
from lc_modulestore.importing.synthetic import (
    COURSE_ROOT,
    build_synthetic_course,
    generate_course_blocks,
    parse_shape,
    write_course_olx,
)

__all__ = [
    "COURSE_ROOT",
    "GridFSFile",
    "ImportResult",
    "MongoCourseError",
    "MongoMigrationResult",
    "OlxCourse",
    "Progress",
    "build_synthetic_course",
    "generate_course_blocks",
    "gridfs_course_files",
    "import_olx",
    "migrate_course_from_mongo",
    "open_course_dir",
    "parse_shape",
    "read_course_dir",
    "write_course_olx",
]
