"""
``get_items``' query language: split's ``_block_matches`` / ``_value_matches``, stated once.

A qualifier dict maps a name to a criterion. What a name is looked up in
depends on what is matched: a ``BlockData`` (its attributes: ``block_type``,
``definition``, ``fields``, ``edit_info``…), a plain dict (settings ``fields``
or a definition's ``fields``), or an XBlock (its fields, "set" meaning
explicitly set). Criteria:

* ``{'$exists': bool}``: whether the name is set;
* a compiled regex: ``search`` on the value;
* a callable: its truthiness on the value;
* ``{'$in': [...]}`` / ``{'$nin': [...]}``: any / none of the values match;
* anything else: equality.

A list value matches when any element matches. Only explicitly set values
match: not inherited ones, not defaults.
"""
from __future__ import annotations

import re
from typing import Any

from xblock.core import XBlock

from shim.split_types import BlockData


def block_matches(block: Any, qualifiers: dict[str, Any] | None) -> bool:
    """True if ``block`` (BlockData, dict or XBlock) meets every qualifier."""
    if isinstance(block, XBlock):
        xblock, fields = block, block.fields
    elif isinstance(block, BlockData):
        xblock, fields = None, block.__dict__
    else:
        xblock, fields = None, block

    for name, criterion in (qualifiers or {}).items():
        if name not in fields:
            is_set, value = False, None
        elif xblock is not None:
            is_set, value = fields[name].is_set_on(xblock), getattr(xblock, name)
        else:
            is_set, value = True, fields[name]
        if isinstance(criterion, dict) and "$exists" in criterion and criterion["$exists"] == is_set:
            continue
        if not is_set or not value_matches(value, criterion):
            return False
    return True


def value_matches(target: Any, criterion: Any) -> bool:
    """True if one value meets one criterion (see the module docstring)."""
    if isinstance(target, list):
        return any(value_matches(element, criterion) for element in target)
    if isinstance(criterion, re.Pattern):
        return criterion.search(target) is not None
    if callable(criterion):
        return bool(criterion(target))
    if isinstance(criterion, dict) and "$in" in criterion:
        return any(value_matches(target, candidate) for candidate in criterion["$in"])
    if isinstance(criterion, dict) and "$nin" in criterion:
        return not any(value_matches(target, candidate) for candidate in criterion["$nin"])
    return criterion == target


__all__ = ["block_matches", "value_matches"]
