"""What a store answers about a course, in a form two stores' answers compare in (keys without branch/version)."""
from __future__ import annotations

from typing import Any

from xblock.fields import UNIQUE_ID, Scope


def bkey(usage_key) -> tuple[str, str] | None:
    return None if usage_key is None else (usage_key.block_type, usage_key.block_id)


def field_values(block) -> dict[str, Any]:
    """Every content/settings/children field the block's class has, as JSON (references as (type, id))."""
    values = {}
    for name, field in block.fields.items():
        if field.scope not in (Scope.content, Scope.settings, Scope.children):
            continue
        if name in ("xml_attributes",):
            continue
        if field._default is UNIQUE_ID and not field.is_set_on(block):
            # derived from the usage id, whose course key carries branch and version in split's answers
            values[name] = ("<unique id default>", False)
            continue
        value = field.read_from(block)
        if name == "children":
            value = [bkey(child) for child in value]
        else:
            try:
                value = field.to_json(value)
            except Exception:  # noqa: BLE001 - compared as its repr then
                value = repr(value)
        values[name] = (value, field.is_set_on(block))
    return values


def course_answers(store, course_key, *, fields: bool = True) -> dict[str, Any]:
    """Every block with its fields, parents, changes and the query answers the LMS asks of a course."""
    items = store.get_items(course_key)
    answers: dict[str, Any] = {
        "blocks": sorted(bkey(b.location) for b in items),
        "problems": sorted(bkey(b.location) for b in store.get_items(course_key, qualifiers={"category": "problem"})),
        "no_orphans": len(store.get_items(course_key, include_orphans=False)),
        "orphans": sorted(bkey(o) for o in store.get_orphans(course_key)),
        "with_data": len(store.get_items(course_key, settings={"data": {"$exists": True}})),
        "graded": sorted(bkey(b.location) for b in store.get_items(course_key, settings={"graded": True})),
        "course": bkey(store.get_course(course_key).location),
        "has_course": store.has_course(course_key) is not None,
    }
    answers["parents"] = {bkey(b.location): bkey(store.get_parent_location(b.location)) for b in items}
    if fields:
        answers["fields"] = {bkey(b.location): field_values(b) for b in items}
    return answers


__all__ = ["bkey", "course_answers", "field_values"]
