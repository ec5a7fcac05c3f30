"""
The models ``compiler`` and ``shim`` may read: the course in Learning Core and its compiled documents.

Operator models (flag overrides, verify runs, shadow counts) are not here:
they belong to :mod:`lc_modulestore.rollout`, above the compiler and the shim.
"""
from lc_modulestore.compiled.models import CompiledDefinition, CompiledStructure, CourseIndex
from lc_modulestore.courses.models import (
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
