"""
Models of lc-modulestore. Import from here (or better, use ``lc_modulestore.api``).

* ``course``: the course in Learning Core: root container, generic container,
  course record, usage-key map, realized field data, assets.
* ``compiled``: split-format documents compiled from Learning Core history.
* ``shadow``: mismatches found by shadow reads, and counts of every shadowed read.
* ``flags``: per-course / per-org waffle flag overrides (append-only audit rows) and verify runs.
"""
from .compiled import CompiledDefinition, CompiledStructure, CourseIndex
from .course import (
    BlockContainer,
    BlockContainerVersion,
    BlockFieldData,
    CourseAsset,
    CourseBlock,
    CourseRoot,
    CourseRootVersion,
    LearningCoreCourse,
)
from .flags import CourseFlagOverride, OrgFlagOverride, VerifyRun
from .shadow import ShadowMismatch, ShadowReadCount

__all__ = [
    "BlockContainer",
    "BlockContainerVersion",
    "BlockFieldData",
    "CompiledDefinition",
    "CompiledStructure",
    "CourseAsset",
    "CourseBlock",
    "CourseFlagOverride",
    "CourseIndex",
    "CourseRoot",
    "CourseRootVersion",
    "LearningCoreCourse",
    "OrgFlagOverride",
    "ShadowMismatch",
    "ShadowReadCount",
    "VerifyRun",
]
