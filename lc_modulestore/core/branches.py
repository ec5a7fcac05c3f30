"""
Names every stage agrees on: split's two branch names and the block types that hang off no parent.

Defined once here; the models, the compiler, the importers and the read-only
store all read them from this module (through ``lc_modulestore.api``).
"""
from __future__ import annotations

#: split's branch names (``ModuleStoreEnum.BranchName``): the course index maps each to a structure id.
PUBLISHED_BRANCH = "published-branch"
DRAFT_BRANCH = "draft-branch"
BRANCHES = (PUBLISHED_BRANCH, DRAFT_BRANCH)
BRANCH_CHOICES = [(PUBLISHED_BRANCH, "published"), (DRAFT_BRANCH, "draft")]

#: Blocks that belong to a course but are nobody's child (split's ``DETACHED_XBLOCK_TYPES``).
DETACHED_BLOCK_TYPES = frozenset({"about", "course_info", "static_tab"})

__all__ = ["BRANCHES", "BRANCH_CHOICES", "DETACHED_BLOCK_TYPES", "DRAFT_BRANCH", "PUBLISHED_BRANCH"]
