"""
Models of lc-modulestore. Import from here (or better, use ``lc_modulestore.api``).

* ``course``: the course in Learning Core: root container, generic container,
  course record, usage-key map, realized field data, assets.
* ``compiled``: split-format documents compiled from Learning Core history.
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

__all__ = [
    "BlockContainer",
    "BlockContainerVersion",
    "BlockFieldData",
    "CompiledDefinition",
    "CompiledStructure",
    "CourseAsset",
    "CourseBlock",
    "CourseIndex",
    "CourseRoot",
    "CourseRootVersion",
    "LearningCoreCourse",
]
