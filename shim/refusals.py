"""
Every write of split's store, refused before anything is written: :class:`RefusedWritesMixin`.

:data:`WRITE_METHODS` lists split's write methods with where each finds the
course it would change (the position and keyword name of that argument in
split's signature), so the refusal names the course; the router routes the
same list. A write split reaches through another name (``update_item_parent``
for a move, ``persist_xblock_dag``, ``internal_clean_children``) is listed too,
so a caller gets :class:`~shim.exceptions.ReadOnlyModuleStoreError`, never an
``AttributeError``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import CourseLocator

from shim.exceptions import ReadOnlyModuleStoreError

# (method, position of the argument naming the course, its keyword name), as in split's signatures.
WRITE_METHODS: tuple[tuple[str, int | None, str | None], ...] = (
    ("create_course", None, None),
    ("create_library", None, None),
    ("clone_course", 1, "dest_course_id"),
    ("delete_course", 0, "course_key"),
    ("create_item", 1, "course_key"),
    ("create_child", 1, "parent_usage_key"),
    ("create_xblock", 1, "course_key"),
    ("update_item", 0, "block"),
    ("delete_item", 0, "location"),
    ("publish", 0, "location"),
    ("unpublish", 0, "location"),
    ("revert_to_published", 0, "location"),
    ("convert_to_draft", 0, "location"),
    ("import_xblock", 1, "course_key"),
    ("copy_from_template", 1, "dest_key"),
    ("copy", 1, "source_course"),
    ("update_course_index", 0, "course_key"),
    ("delete_course_index", 0, "course_key"),
    ("update_definition_from_data", 0, "course_key"),
    ("create_definition_from_data", 0, "course_key"),
    ("force_publish_course", 0, "course_locator"),
    ("reset_course_to_version", 0, "course_key"),
    ("fix_not_found", 0, "course_key"),
    ("save_asset_metadata", 0, "asset_metadata"),
    ("save_asset_metadata_list", 0, "asset_metadata_list"),
    ("set_asset_metadata_attr", 0, "asset_key"),
    ("set_asset_metadata_attrs", 0, "asset_key"),
    ("delete_asset_metadata", 0, "asset_key"),
    ("delete_all_asset_metadata", 0, "course_key"),
    ("copy_all_asset_metadata", 1, "dest_course_key"),
    ("update_parent_if_moved", 0, "item_location"),
    ("update_item_parent", 0, "item_location"),
    ("persist_xblock_dag", 0, "xblock"),
    ("internal_clean_children", 0, "course_locator"),
    ("_drop_database", None, None),
)


def course_of(value: Any):
    """The course a write argument belongs to (a key, a block or an asset), for the refusal message."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None:
        return None
    location = getattr(value, "location", None)
    if location is not None:
        value = location
    for attribute in ("course_key", "asset_id"):
        if hasattr(value, attribute) and not isinstance(value, CourseKey):
            value = getattr(value, attribute)
            if hasattr(value, "course_key"):
                value = value.course_key
    if isinstance(value, CourseKey):
        return value.for_branch(None) if getattr(value, "org", None) else value
    return value


class RefusedWritesMixin:
    """Split's write methods (:data:`WRITE_METHODS`), each raising ``ReadOnlyModuleStoreError`` naming the course."""

    def _refuse(self, operation: str, key: Any = None):
        raise ReadOnlyModuleStoreError(operation, course_of(key))


def _refusing(operation: str, key_position: int | None, key_name: str | None) -> Callable:
    def refuse(self, *args: Any, **kwargs: Any):
        key = kwargs.get(key_name) if key_name else None
        if key is None and key_position is not None and len(args) > key_position:
            key = args[key_position]
        if operation in ("create_course", "create_library"):
            parts = [kwargs.get(n, args[i] if len(args) > i else None) for i, n in enumerate(("org", "course", "run"))]
            if all(isinstance(p, str) for p in parts):
                key = CourseLocator(*parts)
        self._refuse(operation, key)

    refuse.__name__ = operation
    refuse.__doc__ = f"Refused: ``{operation}`` would write; raises ReadOnlyModuleStoreError naming the course."
    return refuse


for _name, _position, _keyword in WRITE_METHODS:
    setattr(RefusedWritesMixin, _name, _refusing(_name, _position, _keyword))

__all__ = ["WRITE_METHODS", "RefusedWritesMixin", "course_of"]
