"""
The field data of one block the runtime builds: split's ``SplitMongoKVS`` plus ``InheritingFieldData``.

Reads never copy or change the structure (structures are shared through the
caches); what the block writes stays in its own field data. Everything this
module needs from the course it asks the runtime for, through methods
(``usage_key``, ``parent_of``, ``inherited_settings``, ``definition_fields``,
``convert_reference``, ``note_local_write``): it sets nothing on the runtime.
"""
from __future__ import annotations

import copy
import datetime
from typing import TYPE_CHECKING, Any

from xblock.field_data import FieldData
from xblock.fields import Scope

from lc_modulestore.api import INHERITABLE_FIELD_NAMES
from shim.split_types import BlockData, BlockKey

if TYPE_CHECKING:
    from shim.runtime import CourseRuntime

_SETTINGS, _CONTENT, _CHILDREN, _PARENT = "settings", "content", "children", "parent"
#: What a field's scope reads from. A dict lookup: ``Scope`` is a namedtuple of sentinels with a Python ``__eq__``,
#: and the canonical scope objects every field declares match here by identity.
_SCOPE_KINDS = {Scope.settings: _SETTINGS, Scope.content: _CONTENT, Scope.children: _CHILDREN, Scope.parent: _PARENT}
#: Stored (JSON-form) values that cannot be changed in place: returned as they are, without a deep copy.
_IMMUTABLE = frozenset({str, int, float, bool, type(None), datetime.datetime, datetime.date, datetime.timedelta})


class BlockFieldData(FieldData):
    """
    Field data of one block instance.

    Reads: children (as usage keys) and settings from the structure's
    ``BlockData.fields``; content from the definition; parent from the runtime's
    parent map. Writes and deletes stay in this object.

    Defaults are split's inheritance: an unset inheritable field
    (``INHERITABLE_FIELD_NAMES``) reads the nearest ancestor that sets it, other
    fields fall back to template defaults (``BlockData.defaults``), then to the
    field's own default.
    """

    def __init__(self, runtime: CourseRuntime, block_key: BlockKey, block_data: BlockData) -> None:
        self._runtime = runtime
        self._block_key = block_key
        self._block_data = block_data
        self._local: dict[str, Any] = {}
        self._deleted: set[str] = set()

    @property
    def runtime(self) -> CourseRuntime:
        """The runtime that built the block from its entry."""
        return self._runtime

    @property
    def block_key(self) -> BlockKey:
        """The key of the block this field data serves."""
        return self._block_key

    @property
    def block_data(self) -> BlockData:
        """The block's stored entry (shared with every reader of the structure: never changed in place)."""
        return self._block_data

    def get(self, block, name):
        if name in self._local:
            return self._local[name]
        if name in self._deleted:
            raise KeyError(name)
        field = block.fields[name]
        kind = _SCOPE_KINDS.get(field.scope)
        if kind is _SETTINGS:
            return self._runtime.convert_reference(field, self._block_data.fields[name])
        if kind is _CONTENT:
            return self._runtime.definition_fields(self._block_data.definition)[name]
        if kind is _CHILDREN:
            return [self._runtime.usage_key(BlockKey(*c)) for c in self._block_data.fields["children"]]
        if kind is _PARENT:
            parent = self._runtime.parent_of(self._block_key)
            return self._runtime.usage_key(parent) if parent is not None else None
        raise KeyError(name)  # user scopes: nothing stored here (the LMS wraps its own user state)

    def has(self, block, name):
        # What ``get`` would find, asked without raising: XBlock asks ``has`` before every read of a field not
        # cached yet, and most fields of a block are unset (a whole-course read asks some 40 per block).
        if name in self._local:
            return True
        if name in self._deleted:
            return False
        field = block.fields.get(name)
        if field is None:
            return False
        kind = _SCOPE_KINDS.get(field.scope)
        if kind is _SETTINGS:
            return name in self._block_data.fields
        if kind is _CONTENT:
            return name in self._runtime.definition_fields(self._block_data.definition)
        if kind is _CHILDREN:
            return "children" in self._block_data.fields
        return kind is _PARENT

    def set(self, block, name, value):
        self._runtime.note_local_write()
        self._local[name] = value
        self._deleted.discard(name)

    def delete(self, block, name):
        self._runtime.note_local_write()
        self._local.pop(name, None)
        self._deleted.add(name)

    def default(self, block, name):
        defaults = self._block_data.defaults
        if name in INHERITABLE_FIELD_NAMES and not self._runtime.has_local_writes:
            # Fast path (no block of this runtime was written in memory): the structure alone
            # decides inheritance, so look the value up in the runtime's memoized map.
            parent = self._runtime.parent_of(self._block_key)
            if parent is not None and parent.type == "library_content" and name in defaults:
                return defaults[name]
            inherited = self._runtime.inherited_settings(self._block_key)
            if name in inherited:
                value = inherited[name]  # shared by the course's blocks: a mutable one is copied for each reader
                return value if type(value) in _IMMUTABLE else copy.deepcopy(value)
        elif name in INHERITABLE_FIELD_NAMES:
            field = block.fields[name]
            ancestor = block.get_parent()
            # Under library_content, template defaults win over inheritance (split's rule).
            if ancestor is not None and ancestor.scope_ids.block_type == "library_content" and name in defaults:
                return defaults[name]
            while ancestor is not None:
                if name in ancestor.fields and ancestor.fields[name].is_set_on(ancestor):
                    return field.to_json(ancestor.fields[name].read_from(ancestor))
                ancestor = ancestor.get_parent()
        if name in defaults:
            return defaults[name]
        raise KeyError(name)


__all__ = ["BlockFieldData"]
