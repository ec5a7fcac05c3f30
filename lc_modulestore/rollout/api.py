"""Public API of the rollout room: course flags, the verify gate, shadow reads, Mongo twins and the router."""
from lc_modulestore.rollout.flags import (
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
from lc_modulestore.rollout.mongo_export.api import (
    SPLIT_EDIT_INFO_KEYS,
    MongoExportError,
    MongoExportResult,
    collection_names,
    export_course_to_mongo,
)
from lc_modulestore.rollout.router import clear_router, create_router_modulestore, router_modulestore
from lc_modulestore.rollout.shadow import (
    record_shadow_read,
    shadow_mismatch_count,
    shadow_read_totals,
    shadow_reads_enabled,
)
from lc_modulestore.rollout.verify import VerifyReport, verify_course

__all__ = [
    "SHADOW_READS",
    "SPLIT_EDIT_INFO_KEYS",
    "USE_LEARNING_CORE",
    "CourseWaffleFlag",
    "FlagChangeRefusedError",
    "MongoExportError",
    "MongoExportResult",
    "VerifyReport",
    "clear_flag_cache",
    "clear_router",
    "collection_names",
    "create_router_modulestore",
    "export_course_to_mongo",
    "flag_status",
    "latest_course_override",
    "latest_org_override",
    "latest_verify_run",
    "record_shadow_read",
    "router_modulestore",
    "set_course_override",
    "set_org_override",
    "shadow_mismatch_count",
    "shadow_read_totals",
    "shadow_reads_enabled",
    "use_learning_core",
    "use_learning_core_for",
    "verify_course",
]
