"""
What the LMS does through the ModuleStore API, reproduced in our words (no edx-platform code).

Each function follows one LMS read path closely enough that a store which
passes it serves that path unchanged:

* :func:`get_course_by_id`: ``lms/djangoapps/courseware/courses.py`` (bulk operations + ``get_course(depth)``);
* :func:`course_overview_fields`: ``CourseOverview.load_from_module_store`` (course fields, then the
  ``about`` blocks read by ``CourseDetails`` and the ``course_info`` blocks of the course-info pages);
* :func:`collect_block_structure`: ``BlockStructureFactory.create_from_modulestore`` + the collect phase
  of the transformers (``get_item(root, depth=None, lazy=False)``, then ``get_children()`` recursively);
* :func:`path_to_location`: ``xmodule/modulestore/search.py`` (``has_item``, ``get_parent_location``
  walking up, ``get_item`` of the sequentials for the position);
* :func:`render_student_view`: ``block_render.py`` loading a block and rendering ``student_view``.
"""
from __future__ import annotations

from typing import Any

from opaque_keys.edx.keys import CourseKey, UsageKey

from shim.exceptions import ItemNotFoundError, NoPathToItem

#: The fields the LMS's block-structure transformers collect (start/visibility, grades, groups).
COLLECTED_FIELDS = (
    "display_name", "start", "due", "graded", "format", "visible_to_staff_only", "group_access", "weight",
    "has_score",
)
#: Course fields CourseOverview copies.
OVERVIEW_FIELDS = (
    "display_name", "start", "end", "advertised_start", "announcement", "course_image", "enrollment_start",
    "enrollment_end", "invitation_only", "self_paced", "mobile_available", "visible_to_staff_only",
    "catalog_visibility", "language", "certificates_display_behavior", "grade_cutoffs", "lowest_passing_grade",
    "display_org_with_default", "display_number_with_default", "number", "org", "location",
)


class Http404(Exception):
    """What ``get_course_by_id`` raises for an unknown course."""


def get_course_by_id(store, course_key: CourseKey, depth: int = 0):
    """The course block, inside ``bulk_operations`` as the courseware does; :class:`Http404` when absent."""
    with store.bulk_operations(course_key):
        course = store.get_course(course_key, depth=depth)
    if course is None:
        raise Http404(f"Course not found: {course_key}")
    return course


def course_overview_fields(store, course_key: CourseKey) -> dict[str, Any]:
    """The course fields an overview copies, plus its about and course_info texts (None when absent)."""
    with store.bulk_operations(course_key):
        course = store.get_course(course_key)
        fields = {name: getattr(course, name) for name in OVERVIEW_FIELDS}
    for section in ("overview", "short_description", "effort"):
        try:
            fields[f"about/{section}"] = store.get_item(course_key.make_usage_key("about", section)).data
        except ItemNotFoundError:
            fields[f"about/{section}"] = None
    for section in ("handouts", "updates"):
        try:
            fields[f"course_info/{section}"] = store.get_item(course_key.make_usage_key("course_info", section)).data
        except ItemNotFoundError:
            fields[f"course_info/{section}"] = None
    return fields


def collect_block_structure(store, course_key: CourseKey) -> dict[UsageKey, dict[str, Any]]:
    """
    {usage key: collected fields + ``children``} for every block reachable from the root.

    As the factory does: one ``get_item`` of the root with the whole tree, then
    ``get_children()`` on each block, each block visited once (DAGs allowed).
    """
    collected: dict[UsageKey, dict[str, Any]] = {}
    with store.bulk_operations(course_key):
        root = store.get_item(store.make_course_usage_key(course_key), depth=None, lazy=False)
        stack = [root]
        while stack:
            block = stack.pop()
            if block.location in collected:
                continue
            entry = {name: getattr(block, name, None) for name in COLLECTED_FIELDS}
            entry["has_score"] = getattr(block, "has_score", False)  # as the grades transformer reads it
            children = block.get_children() if block.has_children else []
            entry["children"] = [child.location for child in children]
            entry["block_type"] = block.location.block_type
            collected[block.location] = entry
            stack.extend(children)
    return collected


def path_to_location(store, usage_key: UsageKey):
    """
    (course key, chapter id, sequential key, vertical key, position, usage key), as the courseware's jump_to needs.

    Position is the 1-based index of the next block in each sequential on the
    path, joined with ``_``; None when the path stops above a vertical.
    """
    if not store.has_item(usage_key):
        raise ItemNotFoundError(usage_key)
    path = [usage_key]
    while path[0].block_type != "course":
        parent = store.get_parent_location(path[0])
        if parent is None:
            raise NoPathToItem(usage_key)
        path.insert(0, parent)
    n = len(path)
    chapter = path[1].block_id if n > 1 else None
    section = path[2] if n > 2 else None
    vertical = path[3] if n > 3 else None
    position = None
    if n > 3:
        positions = []
        for i in range(2, n - 1):
            if path[i].block_type == "sequential":
                children = [c.location.block_id for c in store.get_item(path[i]).get_children()]
                positions.append(str(children.index(path[i + 1].block_id) + 1))
        position = "_".join(positions) or None
    return path[0].course_key, chapter, section, vertical, position, path[-1]


def render_student_view(store, usage_key: UsageKey):
    """Load a block (its subtree too, as the courseware does for a unit) and render ``student_view``."""
    block = store.get_item(usage_key, depth=None)
    return block, block.runtime.render(block, "student_view")
