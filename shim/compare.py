"""
Comparing what two stores return, block by block: the core of ``lc_verify`` and of shadow reads.

Both the verify command and the router's shadow mode must agree on what counts
as "the same course", so the rule lives once, here:

* a block is compared by its usage key (without branch/version), its type, and
  the value of every settings, content and children field as the XBlock reads
  it (so inherited values and defaults are compared too), plus the names of the
  fields set explicitly;
* what legitimately differs between a course in Mongo and its Learning Core
  copy is ignored: structure and definition ids, ``edit_info`` versions
  (neither is a field), and the branch/version inside keys;
* values are normalised before comparing: keys lose branch and version,
  tuples become lists.

Pure: no store, no database. Values in a :class:`Difference` are ``repr``-able.
"""
from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from opaque_keys.edx.keys import AssetKey, CourseKey, UsageKey
from xblock.fields import UNIQUE_ID, Reference, ReferenceList, ReferenceValueDict, Scope

COMPARED_SCOPES = (Scope.settings, Scope.content, Scope.children)
# Pseudo-field names used in differences that are not XBlock fields.
MISSING = "(block)"
EXPLICITLY_SET = "(explicitly set fields)"
CATEGORY = "(block type)"
# AssetMetadata attributes compared (edit_info versions and dates legitimately differ).
_ASSET_ATTRS = ("pathname", "internal_name", "locked", "contenttype", "thumbnail", "fields")


@dataclass(frozen=True)
class Difference:
    """One disagreement: at ``location`` the ``field`` is ``mongo`` in Mongo and ``learning_core`` in Learning Core."""

    location: str
    field: str
    mongo: Any
    learning_core: Any

    def __str__(self) -> str:
        return f"{self.location} {self.field}:\n    mongo:         {_short(self.mongo)}\n" \
               f"    learning core: {_short(self.learning_core)}"


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 15] + f"… ({len(text)} chars)"


def normalize(value: Any) -> Any:
    """``value`` with keys branch- and version-free, tuples as lists, dicts and lists normalised inside."""
    if isinstance(value, UsageKey | AssetKey | CourseKey):
        course_key = getattr(value, "course_key", value)
        if getattr(course_key, "org", None) and hasattr(value, "version_agnostic") and not course_key.deprecated:
            return value.version_agnostic().for_branch(None)
        return value
    if hasattr(value, "asset_id") and hasattr(value, "contenttype"):  # AssetMetadata: its stored attributes
        return {"asset_id": normalize(value.asset_id), **{a: normalize(getattr(value, a, None)) for a in _ASSET_ATTRS}}
    if isinstance(value, Mapping):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalize(v) for v in value]
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.timezone.utc)
    return value


def location_of(block: Any) -> str:
    """The block's usage key as text, without branch or version."""
    return str(normalize(block.location))


UNSET_UNIQUE_ID = "<unique id default>"


def comparable(field: Any, value: Any) -> Any:
    """
    ``value`` of ``field`` as stored (the field's JSON), keys normalised: what two stores must agree on.

    Two classes may declare one field differently (edx-platform's ``UserPartitionList`` builds ``UserPartition``
    objects where a plain ``List`` keeps dicts); their stored form is the same. References stay keys (their JSON
    would carry branch and version).
    """
    if isinstance(field, Reference | ReferenceList | ReferenceValueDict):
        return normalize(value)
    try:
        return normalize(field.to_json(value))
    except Exception:  # noqa: BLE001 - a value its own field cannot serialize is compared as it is
        return normalize(value)


def field_values(block: Any) -> dict[str, Any]:
    """Every settings/content/children field value as the block reads it (inherited and default values included)."""
    values = {}
    for name, field in sorted(block.fields.items()):
        if field.scope in COMPARED_SCOPES:
            if field.default is UNIQUE_ID and not field.is_set_on(block):
                # derived from the usage key as the caller spelled it (with branch and version in split's own
                # answers, stripped by Mixed before the LMS reads it): not stored data, nothing to agree on
                values[name] = UNSET_UNIQUE_ID
                continue
            try:
                values[name] = comparable(field, field.read_from(block))
            except Exception as exc:  # noqa: BLE001 - a field that fails to read is a difference, not a crash
                values[name] = f"<error reading field: {type(exc).__name__}: {exc}>"
    return values


def explicitly_set(block: Any) -> list[str]:
    """Names of the settings/content/children fields set on the block itself (not inherited, not default)."""
    return sorted(
        name for name, field in block.fields.items() if field.scope in COMPARED_SCOPES and field.is_set_on(block)
    )


def compare_blocks(mongo_block: Any, lc_block: Any) -> list[Difference]:
    """The differences between one block as Mongo serves it and as Learning Core serves it."""
    location = location_of(mongo_block)
    diffs = []
    if location_of(lc_block) != location:
        diffs.append(Difference(location, "(location)", location, location_of(lc_block)))
    if mongo_block.category != lc_block.category:
        diffs.append(Difference(location, CATEGORY, mongo_block.category, lc_block.category))
    mongo_set, lc_set = explicitly_set(mongo_block), explicitly_set(lc_block)
    if mongo_set != lc_set:
        diffs.append(Difference(location, EXPLICITLY_SET, mongo_set, lc_set))
    mongo_values, lc_values = field_values(mongo_block), field_values(lc_block)
    for name in sorted(set(mongo_values) | set(lc_values)):
        a, b = mongo_values.get(name, MISSING), lc_values.get(name, MISSING)
        if a != b:
            diffs.append(Difference(location, name, a, b))
    return diffs


def compare_values(location: str, what: str, mongo: Any, learning_core: Any) -> list[Difference]:
    """One difference if the normalised values differ, else none."""
    a, b = normalize(mongo), normalize(learning_core)
    return [] if a == b else [Difference(location, what, a, b)]


def compare_result(method: str, location: str, mongo: Any, learning_core: Any) -> list[Difference]:
    """
    Compare the results of the same read on both stores (shadow reads).

    XBlocks are compared field by field; lists element by element (XBlocks by
    location first, so a missing block is one difference, not many); anything
    else as normalised values.
    """
    if _is_block(mongo) and _is_block(learning_core):
        return compare_blocks(mongo, learning_core)
    if isinstance(mongo, list | tuple) and isinstance(learning_core, list | tuple) and (
        any(_is_block(v) for v in mongo) or any(_is_block(v) for v in learning_core)
    ):
        a = {location_of(b): b for b in mongo if _is_block(b)}
        b = {location_of(x): x for x in learning_core if _is_block(x)}
        diffs = []
        for name in sorted(set(a) | set(b)):
            if name not in a or name not in b:
                diffs.append(Difference(name, MISSING, name in a, name in b))
            else:
                diffs.extend(compare_blocks(a[name], b[name]))
        return diffs
    return compare_values(location, f"{method}()", mongo, learning_core)


def compare_tree(mongo_root: Any, lc_root: Any, depth: int | None, max_blocks: int | None = None) -> list[Difference]:
    """
    Every block a ``get_course``/``get_item`` call with ``depth`` returned, compared field by field.

    ``depth`` as the call had it: 0 the root only, N the root and N levels of
    children, None the whole tree. Children are paired by location; a child on
    one side only is one difference (its subtree is not walked), and the
    ``children`` field of the parent already names the disagreement.
    ``max_blocks`` bounds the cost: breadth first, at most that many blocks are
    compared (the root and the levels nearest it), the rest not looked at.
    """
    diffs: list[Difference] = []
    level = [(mongo_root, lc_root)]
    remaining = depth
    seen: set[str] = set()
    while level:
        next_level = []
        for m, c in level:
            where = location_of(m)
            if where in seen or (max_blocks is not None and len(seen) >= max_blocks):
                continue
            seen.add(where)
            diffs.extend(compare_blocks(m, c))
            if remaining == 0 or not getattr(m, "has_children", False):
                continue
            theirs = {location_of(x): x for x in c.get_children()} if getattr(c, "has_children", False) else {}
            for child in m.get_children():
                other = theirs.get(location_of(child))
                if other is None:
                    diffs.append(Difference(location_of(child), MISSING, True, False))
                else:
                    next_level.append((child, other))
        level = next_level
        remaining = None if remaining is None else remaining - 1
    return diffs


def compare_returned(method: str, location: str, mongo: Any, learning_core: Any, depth: Any = 0,
                     max_blocks: int | None = None) -> list[Difference]:
    """
    Compare what one shadowed call returned on both stores: the whole answer, not just its root.

    ``get_course``/``get_item``: every block within ``depth`` (:func:`compare_tree`);
    ``get_items``: the set of keys returned; ``get_parent_location``: the parent;
    anything else as :func:`compare_result`.
    """
    if method in ("get_course", "get_item") and _is_block(mongo) and _is_block(learning_core):
        return compare_tree(mongo, learning_core, depth, max_blocks)
    if method == "get_items" and isinstance(mongo, list | tuple) and isinstance(learning_core, list | tuple):
        a = sorted(location_of(b) for b in mongo if _is_block(b))
        b = sorted(location_of(x) for x in learning_core if _is_block(x))
        if a == b:
            return []
        only_mongo, only_lc = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        return ([Difference(k, MISSING, True, False) for k in only_mongo]
                + [Difference(k, MISSING, False, True) for k in only_lc])
    return compare_result(method, location, mongo, learning_core)


def _is_block(value: Any) -> bool:
    return hasattr(value, "scope_ids") and hasattr(value, "fields")


def render(diffs: Iterable[Difference]) -> str:
    """The differences as readable text, one block after another."""
    return "\n".join(str(d) for d in diffs)


__all__ = [
    "CATEGORY",
    "COMPARED_SCOPES",
    "EXPLICITLY_SET",
    "MISSING",
    "Difference",
    "compare_blocks",
    "compare_result",
    "compare_returned",
    "compare_tree",
    "compare_values",
    "explicitly_set",
    "field_values",
    "location_of",
    "normalize",
    "render",
]
