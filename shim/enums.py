"""Split's constants (``ModuleStoreEnum`` and friends), with the same names and values."""
from __future__ import annotations

from lc_modulestore.api import DETACHED_BLOCK_TYPES, DRAFT_BRANCH, PUBLISHED_BRANCH


class ModuleStoreEnum:
    """The subset of ``xmodule.modulestore.ModuleStoreEnum`` a read-only store uses."""

    class Type:
        split = "split"
        mongo = "mongo"

    class RevisionOption:
        draft_preferred = "rev-opt-draft-preferred"
        draft_only = "rev-opt-draft-only"
        published_only = "rev-opt-published-only"
        all = "rev-opt-all"

    class Branch:
        draft_preferred = "draft-preferred"
        published_only = "published-only"

    class BranchName:
        draft = DRAFT_BRANCH
        published = PUBLISHED_BRANCH
        library = "library"

    class UserID:
        mgmt_command = -1
        primitive_command = -2
        test = -3
        system = -4

    class SortOrder:
        ascending = 1
        descending = 2


# Blocks that draft/published split publishes automatically (draft_and_published.DIRECT_ONLY_CATEGORIES).
DIRECT_ONLY_CATEGORIES = ("course", "chapter", "sequential", "about", "static_tab", "course_info")
# Blocks that are part of a course but nobody's child (split's DETACHED_XBLOCK_TYPES).
DETACHED_XBLOCK_TYPES = DETACHED_BLOCK_TYPES

__all__ = ["DETACHED_XBLOCK_TYPES", "DIRECT_ONLY_CATEGORIES", "ModuleStoreEnum"]
