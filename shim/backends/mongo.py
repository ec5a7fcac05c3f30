"""
Split's persistence backend for courses still in MongoDB, read-only.

During the migration some courses are served from Learning Core (compiled
documents in MySQL) and the rest from split in MongoDB, through the same
store. This backend reads split's three real collections
(``<prefix>.active_versions``, ``<prefix>.structures``, ``<prefix>.definitions``)
with pymongo and returns exactly the shapes :class:`~shim.backends.base.PersistenceBackend`
promises, so the store cannot tell the two apart. It never writes: Studio
still owns the Mongo data.

It counts its round trips (``round_trips``, and per method in ``calls``), so
the benchmark can compare "one structure + one ``$in``" against the MySQL
backend on equal terms.
"""
from __future__ import annotations

import copy
import pickle
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pymongo
from bson import ObjectId
from bson.codec_options import CodecOptions
from django.conf import settings
from edx_django_utils.cache import RequestCache
from opaque_keys.edx.keys import CourseKey
from pymongo.errors import OperationFailure, PyMongoError

from shim.backends.base import CourseIndexDoc, DefinitionDoc, ReadOnlyBackendMixin, Structure
from shim.exceptions import HeartbeatFailure, ItemNotFoundError
from shim.split_types import structure_from_mongo

# Datetimes come back tz-aware in UTC, as split configures its client (tz_aware=True).
CODEC_OPTIONS = CodecOptions(tz_aware=True)
COURSE_INDEX_CACHE_NAMESPACE = "lc_modulestore.mongo.course_index"
# Split refuses to cache structures whose compressed pickle is 2 MB or more (memcached's item limit).
_MAX_CACHED_STRUCTURE_BYTES = 2 * 1024 * 1024


class MongoBackend(ReadOnlyBackendMixin):
    """
    Read split's course indexes, structures and definitions from MongoDB.

    Give either a ready ``database`` (a pymongo or mongomock ``Database``; the
    caller owns its client), or a ``uri`` and ``db`` (this backend opens, and
    closes, its own client). ``collection_prefix`` is split's
    ``DOC_STORE_CONFIG['collection']``. ``collection_separator`` exists only
    because nx-27017, our test wire server, rejects dotted collection names;
    real deployments keep split's ``.``.

    ``structure_cache`` (a Django cache, e.g. ``caches['course_structure_cache']``)
    keeps converted structures like split's ``CourseStructureCache``: keyed by
    the immutable structure id, compressed pickles under 2 MB only.
    """

    def __init__(
        self,
        *,
        uri: str | None = None,
        db: str | None = None,
        database: Any = None,
        collection_prefix: str = "modulestore",
        collection_separator: str = ".",
        structure_cache: Any = None,
        server_selection_timeout_ms: int = 5000,
    ) -> None:
        if database is None and not (uri and db):
            raise ValueError("MongoBackend needs either database= or both uri= and db=")
        self._uri = uri
        self._db_name = db
        self._owns_client = database is None
        self._timeout_ms = server_selection_timeout_ms
        self.collection_prefix = collection_prefix
        self.collection_separator = collection_separator
        self.structure_cache = structure_cache
        self.round_trips = 0
        self.calls: Counter[str] = Counter()
        self._elem_match_projection = True  # cleared once a server refuses it (nx-27017 does)
        self._connect(database)

    @classmethod
    def from_settings(cls, **overrides: Any) -> "MongoBackend":
        """A backend configured by ``LC_MODULESTORE_MONGO_URI`` / ``_DB`` / ``_COLLECTION`` / ``_SEPARATOR``."""
        from django.core.cache import caches

        kwargs: dict[str, Any] = {
            "uri": settings.LC_MODULESTORE_MONGO_URI,
            "db": settings.LC_MODULESTORE_MONGO_DB,
            "collection_prefix": getattr(settings, "LC_MODULESTORE_MONGO_COLLECTION", "modulestore"),
            "collection_separator": getattr(settings, "LC_MODULESTORE_MONGO_SEPARATOR", "."),
        }
        if "course_structure_cache" in settings.CACHES:
            kwargs["structure_cache"] = caches["course_structure_cache"]
        kwargs.update(overrides)
        return cls(**kwargs)

    # ---- connection ---------------------------------------------------------------------------------------------

    def _connect(self, database: Any = None) -> None:
        if database is None:
            client = pymongo.MongoClient(
                self._uri, tz_aware=True, serverSelectionTimeoutMS=self._timeout_ms, connect=False
            )
            database = client.get_database(self._db_name, codec_options=CODEC_OPTIONS)
        else:
            database = database.with_options(codec_options=CODEC_OPTIONS)
        self.database = database
        self.course_index = database[self._collection_name("active_versions")]
        self.structures = database[self._collection_name("structures")]
        self.definitions = database[self._collection_name("definitions")]

    def _collection_name(self, name: str) -> str:
        return f"{self.collection_prefix}{self.collection_separator}{name}"

    def _count(self, method: str) -> None:
        self.round_trips += 1
        self.calls[method] += 1

    def reset_counts(self) -> None:
        """Start counting round trips from zero (benchmarks call this between runs)."""
        self.round_trips = 0
        self.calls.clear()

    def heartbeat(self) -> bool:
        """True if MongoDB answers a ping; otherwise :class:`HeartbeatFailure` naming the database."""
        self._count("heartbeat")
        try:
            self.database.client.admin.command("ping")
        except PyMongoError as exc:
            raise HeartbeatFailure(f"Can't connect to MongoDB database {self.database.name}: {exc}", "mongo") from exc
        return True

    def check_connection(self) -> bool:
        """Whether MongoDB answers a ping (False rather than an exception: callers decide to reconnect)."""
        self._count("check_connection")
        try:
            self.database.client.admin.command("ping")
        except PyMongoError:
            return False
        return True

    def ensure_connection(self) -> None:
        """Reopen our own client if it no longer answers (a caller-supplied database is the caller's)."""
        if not self.check_connection() and self._owns_client:
            self._connect()

    def close_connections(self) -> None:
        """Forget request-cached indexes and close the client we opened."""
        RequestCache(COURSE_INDEX_CACHE_NAMESPACE).clear()
        if self._owns_client:
            self.database.client.close()

    def ensure_indexes(self) -> None:
        """
        Nothing: the Mongo data and its indexes belong to Studio's split store.

        Split's own ``ensure_indexes`` creates the unique (org, course, run)
        index, which is a write; a read-only reader must not make it.
        """

    # ---- course indexes -----------------------------------------------------------------------------------------

    def get_course_index(self, key: CourseKey, ignore_case: bool = False) -> CourseIndexDoc | None:
        """
        The ``active_versions`` document of ``key``'s course (by org/course/run), or None.

        Request-cached like edx-platform's ``DjangoFlexPersistenceBackend``, since
        the LMS asks for the same index many times per request; callers get a copy.
        A version-only key has no index: None.
        """
        if getattr(key, "org", None) is None:
            return None
        cache = RequestCache(COURSE_INDEX_CACHE_NAMESPACE)
        cache_key = f"{key.org}+{key.course}+{key.run}:{ignore_case}:{self.database.name}:{self.collection_prefix}"
        cached = cache.get_cached_response(cache_key)
        if cached.is_found:
            return copy.deepcopy(cached.value)
        if ignore_case:
            query = {
                attr: {"$regex": f"^{re.escape(getattr(key, attr))}$", "$options": "i"}
                for attr in ("org", "course", "run")
            }
        else:
            query = {attr: getattr(key, attr) for attr in ("org", "course", "run")}
        self._count("get_course_index")
        index = self.course_index.find_one(query)
        cache.set(cache_key, index)
        return copy.deepcopy(index)

    def find_matching_course_indexes(
        self,
        branch: str | None = None,
        search_targets: dict[str, Any] | None = None,
        org_target: str | None = None,
        course_context: CourseKey | None = None,
        course_keys: Iterable[CourseKey] | None = None,
    ) -> list[CourseIndexDoc]:
        """
        Every course index that has ``branch`` and matches ``course_keys``, or the search targets and org.

        As in split, ``course_keys`` (when given) replaces the search target and
        org filters; each is matched on org/course/run.
        """
        branch_filter = {f"versions.{branch}": {"$exists": True}} if branch else {}
        course_keys = list(course_keys or [])
        if course_keys:
            query: dict[str, Any] = {
                "$or": [
                    {"org": k.org, "course": k.course, "run": k.run, **branch_filter} for k in course_keys
                ]
            }
        else:
            query = dict(branch_filter)
            for name, value in (search_targets or {}).items():
                query[f"search_targets.{name}"] = value
            if org_target:
                query["org"] = org_target
        self._count("find_matching_course_indexes")
        return list(self.course_index.find(query))

    # ---- structures ---------------------------------------------------------------------------------------------

    def get_structure(self, key: ObjectId, course_context: CourseKey | None = None) -> Structure | None:
        """The converted structure ``key`` (from the structure cache when possible), or None if absent."""
        cached = self._cached_structure(key)
        if cached is not None:
            return cached
        self._count("get_structure")
        document = self.structures.find_one({"_id": key})
        if document is None:
            return None
        structure = structure_from_mongo(document)
        self._cache_structure(key, structure)
        return structure

    def _cache_key(self, key: ObjectId) -> str:
        return f"lc_modulestore.mongo.structure.{key}"

    def _cached_structure(self, key: ObjectId) -> Structure | None:
        if self.structure_cache is None:
            return None
        data = self.structure_cache.get(self._cache_key(key))
        if data is None:
            return None
        try:
            return pickle.loads(zlib.decompress(data))
        except (zlib.error, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            self.structure_cache.delete(self._cache_key(key))  # corrupt entry: drop it and read Mongo
            return None

    def _cache_structure(self, key: ObjectId, structure: Structure) -> None:
        if self.structure_cache is None:
            return
        data = zlib.compress(pickle.dumps(structure, protocol=4), 1)
        if len(data) < _MAX_CACHED_STRUCTURE_BYTES:
            self.structure_cache.set(self._cache_key(key), data)

    def find_structures_by_id(self, ids: list[ObjectId], course_context: CourseKey | None = None) -> list[Structure]:
        """Every converted structure among ``ids`` (one ``$in`` query, no cache, missing ids skipped)."""
        self._count("find_structures_by_id")
        return [structure_from_mongo(doc) for doc in self.structures.find({"_id": {"$in": list(ids)}})]

    def find_courselike_blocks_by_id(
        self, ids: list[ObjectId], block_type: str, course_context: CourseKey | None = None
    ) -> list[Structure]:
        """
        Partial structures of ``ids``: ``_id``, ``root`` and only the first block of ``block_type``.

        Split projects with ``$elemMatch`` so course summaries never transfer
        whole structures. A server that cannot (nx-27017) gets the full
        documents, filtered here to the same result.
        """
        query = {"_id": {"$in": list(ids)}}
        if self._elem_match_projection:
            self._count("find_courselike_blocks_by_id")
            try:
                projection = {"blocks": {"$elemMatch": {"block_type": block_type}}, "root": 1}
                docs = list(self.structures.find(query, projection))
            except OperationFailure:
                self._elem_match_projection = False
            else:
                # Mongo leaves ``blocks`` out when no block matches; split's readers expect an empty list.
                return [structure_from_mongo({**doc, "blocks": doc.get("blocks", [])}) for doc in docs]
        self._count("find_courselike_blocks_by_id")
        partial = []
        for doc in self.structures.find(query, {"blocks": 1, "root": 1}):
            first = next((b for b in doc.get("blocks", []) if b.get("block_type") == block_type), None)
            blocks = [first] if first else []
            partial.append(structure_from_mongo({"_id": doc["_id"], "root": doc["root"], "blocks": blocks}))
        return partial

    # ---- definitions --------------------------------------------------------------------------------------------

    def get_definition(self, key: ObjectId, course_context: CourseKey | None = None) -> DefinitionDoc:
        """The definition ``key``; a missing one is an :class:`ItemNotFoundError` naming it and the course."""
        self._count("get_definition")
        definition = self.definitions.find_one({"_id": key})
        if definition is None:
            where = f" (course {course_context})" if course_context is not None else ""
            raise ItemNotFoundError(f"Definition {key} is not in MongoDB{where}")
        return definition

    def get_definitions(
        self, definitions: Iterable[ObjectId], course_context: CourseKey | None = None
    ) -> list[DefinitionDoc]:
        """Every definition among ``definitions``, in one ``$in`` round trip (missing ids are skipped)."""
        self._count("get_definitions")
        return list(self.definitions.find({"_id": {"$in": list(definitions)}}))


__all__ = ["COURSE_INDEX_CACHE_NAMESPACE", "MongoBackend"]
