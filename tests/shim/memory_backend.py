"""
A second implementation of the backend protocol, over documents held in memory.

A test double: it shows the store needs nothing but the protocol (the Mongo
backend will be a third implementation). Documents are split's on-disk form,
as ``tests/shim/documents.py`` writes them; every read converts a fresh copy.
"""
from __future__ import annotations

import copy
from typing import Any

from opaque_keys.edx.locator import LibraryLocator

from shim.backends.base import ReadOnlyBackendMixin
from shim.exceptions import ItemNotFoundError
from shim.split_types import structure_from_mongo


class MemoryBackend(ReadOnlyBackendMixin):
    def __init__(self, documents) -> None:
        self.documents = documents

    def get_course_index(self, key, ignore_case: bool = False):
        if isinstance(key, LibraryLocator) or not all(getattr(key, a, None) for a in ("org", "course", "run")):
            return None
        wanted = (key.org, key.course, key.run)
        for identity, index in self.documents.indexes.items():
            if identity == wanted or (ignore_case and tuple(p.lower() for p in identity) ==
                                      tuple(p.lower() for p in wanted)):
                return copy.deepcopy(index)
        return None

    def find_matching_course_indexes(self, branch=None, search_targets=None, org_target=None, course_context=None,
                                     course_keys=None):
        found = []
        keys = None if course_keys is None else {(k.org, k.course, k.run) for k in course_keys}
        for identity, index in sorted(self.documents.indexes.items()):
            if keys is not None and identity not in keys:
                continue
            if branch is not None and branch not in index["versions"]:
                continue
            if org_target and index["org"] != org_target:
                continue
            if any(index["search_targets"].get(k) != v for k, v in (search_targets or {}).items()):
                continue
            found.append(copy.deepcopy(index))
        return found

    def get_structure(self, key, course_context=None):
        document = self.documents.structures.get(key)
        return structure_from_mongo(copy.deepcopy(document)) if document is not None else None

    def find_structures_by_id(self, ids, course_context=None):
        return [s for s in (self.get_structure(i) for i in ids) if s is not None]

    def find_courselike_blocks_by_id(self, ids, block_type, course_context=None):
        partials = []
        for structure in self.find_structures_by_id(ids):
            first = next(((k, b) for k, b in structure["blocks"].items() if b.block_type == block_type), None)
            blocks = dict([first] if first else [])
            partials.append({"_id": structure["_id"], "root": structure["root"], "blocks": blocks})
        return partials

    def get_definition(self, key, course_context=None):
        if key not in self.documents.definitions:
            raise ItemNotFoundError(f"Definition {key} of {course_context}")
        return copy.deepcopy(self.documents.definitions[key])

    def get_definitions(self, definitions, course_context=None) -> list[dict[str, Any]]:
        known = self.documents.definitions
        return [copy.deepcopy(known[d]) for d in set(definitions) if d in known]

    def heartbeat(self):
        return True

    def check_connection(self):
        return True

    def ensure_connection(self):
        pass

    def close_connections(self):
        pass

    def ensure_indexes(self):
        pass
