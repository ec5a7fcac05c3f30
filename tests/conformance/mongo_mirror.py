"""
The Mongo backend as a conformance parameter: split's own collections in mongomock.

The conformance courses are written by ``tests/shim/documents.py`` while a test
runs, after the store exists. :class:`MirroredMongoBackend` is the real
:class:`~shim.backends.mongo.MongoBackend`; before each read it copies every
document the builder has written so far (``WRITTEN``) into split's three
collections (``modulestore.active_versions`` / ``.structures`` / ``.definitions``),
replacing changed ones. The documents are the same in all three parameters, so
a difference in answers is a difference between the backends, not the data.
"""
from __future__ import annotations

import mongomock

from shim.backends.mongo import MongoBackend
from tests.shim.documents import WrittenDocuments

_READS = (
    "get_course_index",
    "find_matching_course_indexes",
    "get_structure",
    "find_structures_by_id",
    "find_courselike_blocks_by_id",
    "get_definition",
    "get_definitions",
)


class MirroredMongoBackend(MongoBackend):
    def __init__(self, written: WrittenDocuments, **kwargs) -> None:
        self.written = written
        super().__init__(database=mongomock.MongoClient(tz_aware=True).get_database("edxapp"), **kwargs)

    def sync(self) -> None:
        """Copy the builder's documents into the collections (an index may have moved since the last read)."""
        for index in self.written.indexes.values():
            self.course_index.replace_one({"_id": index["_id"]}, index, upsert=True)
        for collection, documents in ((self.structures, self.written.structures),
                                      (self.definitions, self.written.definitions)):
            for _id, document in documents.items():
                if collection.count_documents({"_id": _id}) == 0:
                    collection.insert_one(document.copy())


def _synced(name: str):
    method = getattr(MongoBackend, name)

    def read(self, *args, **kwargs):
        self.sync()
        return method(self, *args, **kwargs)

    read.__name__ = name
    read.__doc__ = method.__doc__
    return read


for _name in _READS:
    setattr(MirroredMongoBackend, _name, _synced(_name))
