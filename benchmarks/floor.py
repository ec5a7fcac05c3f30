"""
The floor of a full-course read: what any reader of the stored documents must do.

Decode the stored structure and its definitions (``lc_modulestore.compiled.codec``), then
construct the same XBlock classes (``lc_modulestore.core.blocks.load_block_class``)
from those decoded dicts with a bare XBlock ``Runtime`` over
``KvsFieldData(DictKeyValueStore)``, and read the same fields the traversal
scenario reads. No store, no caches, no branch or inheritance logic: the
shim's time over this is its own overhead (issue #8: at most 1.5×).
The stored bytes are fetched before timing starts: the floor measures decoding
and construction, not the database.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from xblock.core import XBlock
from xblock.fields import Scope, ScopeIds
from xblock.runtime import DictKeyValueStore, KeyValueStore, KvsFieldData, MemoryIdManager, Runtime

__all__ = [
    "READ_SCOPES",
    "FloorResult",
    "StoredCourse",
    "load_stored_course",
    "measure_decode",
    "measure_floor",
    "read_fields",
]

#: The fields a block-structure collect reads: content, settings and children (not per-user state).
READ_SCOPES = (Scope.content, Scope.settings, Scope.children)


def read_fields(block: XBlock) -> int:
    """Read every content, settings and children field of ``block`` (the collect's access); returns how many."""
    count = 0
    for name, field in block.fields.items():
        if field.scope in READ_SCOPES:
            getattr(block, name)
            count += 1
    return count


class _BareRuntime(Runtime):
    """The least runtime that constructs blocks: no handlers, no resources, no events."""

    def handler_url(self, block, handler_name, suffix="", query="", thirdparty=False):  # pragma: no cover
        raise NotImplementedError

    def resource_url(self, resource):  # pragma: no cover
        raise NotImplementedError

    def local_resource_url(self, block, uri):  # pragma: no cover
        raise NotImplementedError

    def publish(self, block, event_type, event_data):  # pragma: no cover
        pass


@dataclass
class StoredCourse:
    """The stored bytes of one course's published head: the structure row and every definition row."""

    course_key: Any
    structure_data: bytes
    structure_checksum: str
    definitions: list[tuple[str, bytes, str]]

    @property
    def stored_bytes(self) -> int:
        return len(self.structure_data) + sum(len(d) for _, d, _ in self.definitions)


@dataclass
class FloorResult:
    seconds: float
    blocks: int
    fields_read: int


def load_stored_course(course_key: str) -> StoredCourse:
    """Fetch (untimed) the published structure row and its definition rows of ``course_key``."""
    from opaque_keys.edx.keys import CourseKey

    from lc_modulestore.api import decode_structure, get_course
    from lc_modulestore.models_api import CompiledDefinition, CourseIndex

    course = get_course(course_key)
    row = CourseIndex.objects.select_related("published_structure").get(course=course).published_structure
    structure = decode_structure(row.data, row.checksum, what=course_key)
    ids = sorted({str(b["definition"]) for b in structure["blocks"] if b.get("definition")})
    definitions: list[tuple[str, bytes, str]] = []
    for start in range(0, len(ids), 2000):
        definitions.extend(
            (objectid, bytes(data), checksum)
            for objectid, data, checksum in CompiledDefinition.objects.filter(objectid__in=ids[start:start + 2000])
            .values_list("objectid", "data", "checksum")
        )
    return StoredCourse(CourseKey.from_string(course_key), bytes(row.data), row.checksum, definitions)


def measure_decode(stored: StoredCourse) -> FloorResult:
    """
    The lower bound ``lc_bench read`` reports (issue 14): decoding the stored bytes alone, structure and
    every definition, with nothing built from them. Any reader of these documents pays at least this.
    """
    from lc_modulestore.api import decode_definition, decode_structure

    started = time.perf_counter()
    structure = decode_structure(stored.structure_data, stored.structure_checksum, what="lower bound")
    for objectid, data, checksum in stored.definitions:
        decode_definition(data, checksum, what=objectid)
    return FloorResult(time.perf_counter() - started, len(structure["blocks"]), 0)


def measure_floor(stored: StoredCourse) -> FloorResult:
    """Time decode + construct + read-every-field for the whole course (one pass)."""
    from lc_modulestore.api import decode_definition, decode_structure, load_block_class

    started = time.perf_counter()
    structure = decode_structure(stored.structure_data, stored.structure_checksum, what="floor")
    definitions = {}
    for objectid, data, checksum in stored.definitions:
        document = decode_definition(data, checksum, what=objectid)
        definitions[document["_id"]] = document
    course_key = stored.course_key
    kv: dict[Any, Any] = {}
    scope_ids = []
    for block in structure["blocks"]:
        block_type, block_id = block["block_type"], block["block_id"]
        usage = course_key.make_usage_key(block_type, block_id)
        fields = block.get("fields", {})
        for name, value in fields.items():
            if name == "children":
                kv[KeyValueStore.Key(Scope.children, None, usage, name)] = [
                    course_key.make_usage_key(t, i) for t, i in value
                ]
            else:
                kv[KeyValueStore.Key(Scope.settings, None, usage, name)] = value
        definition_id = block.get("definition")
        for name, value in definitions.get(definition_id, {}).get("fields", {}).items():
            kv[KeyValueStore.Key(Scope.content, None, definition_id, name)] = value
        scope_ids.append((block_type, ScopeIds(None, block_type, definition_id, usage)))
    ids = MemoryIdManager()
    runtime = _BareRuntime(ids, ids, services={"field-data": KvsFieldData(DictKeyValueStore(kv))})
    fields_read = 0
    for block_type, sid in scope_ids:
        block = runtime.construct_xblock_from_class(load_block_class(block_type), sid)
        fields_read += read_fields(block)
    return FloorResult(time.perf_counter() - started, len(scope_ids), fields_read)
