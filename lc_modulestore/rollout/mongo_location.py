"""
Where split lives in MongoDB, configured once.

Every tool that reads or writes split's collections (the router, ``lc_verify``,
the gate of ``lc_flag enable`` that re-reads the Mongo heads,
``lc_migrate_from_mongo``, ``lc_export_mongo``, ``lc_demo``) takes its
location from here: the four settings ``LC_MODULESTORE_MONGO_URI``, ``_DB``,
``_COLLECTION`` and ``_SEPARATOR`` (default ``"."``, split's own), each of
which a command may override (``--mongo-uri``, ``--db``, ``--collection``,
``--separator``). Before this, the separator was a command option only, so the
router and the gate could not reach a twin that a command had written with
``_`` (nx-27017 rejects dotted collection names).

A verify run records the location it read (:meth:`MongoLocation.as_dict`), so
the gate re-reads the Mongo heads where the verify looked.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.management.base import CommandParser

from shim.api import MongoBackend


@dataclass(frozen=True)
class MongoLocation:
    """Split's collections in one MongoDB: ``{collection}{separator}active_versions`` etc. in ``db`` at ``uri``."""

    uri: str
    db: str
    collection: str = "modulestore"
    separator: str = "."

    def __str__(self) -> str:
        return f"{_safe_uri(self.uri)} {self.db}.{self.collection}{self.separator}*"

    def as_dict(self) -> dict[str, str]:
        """What a verify run records (the URI without its password)."""
        return {**asdict(self), "uri": _safe_uri(self.uri)}

    def backend_options(self) -> dict[str, Any]:
        """Keyword arguments of :class:`shim.backends.mongo.MongoBackend` for this location."""
        return {"uri": self.uri, "db": self.db, "collection_prefix": self.collection,
                "collection_separator": self.separator}

    def backend(self, **options: Any) -> MongoBackend:
        """A read-only backend on this location (its own client; close it with ``close_connections``)."""
        kwargs: dict[str, Any] = self.backend_options()
        if "course_structure_cache" in settings.CACHES:
            kwargs["structure_cache"] = caches["course_structure_cache"]
        kwargs.update(options)
        return MongoBackend(**kwargs)


def _safe_uri(uri: str) -> str:
    """``uri`` with any password replaced by ``***`` (runs and logs keep where, never secrets)."""
    if "@" not in uri or "://" not in uri:
        return uri
    scheme, rest = uri.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def mongo_location(
    *, uri: str | None = None, db: str | None = None, collection: str | None = None, separator: str | None = None
) -> MongoLocation:
    """The configured location, with any of its four parts replaced (None keeps the setting)."""
    return MongoLocation(
        uri=uri or settings.LC_MODULESTORE_MONGO_URI,
        db=db or settings.LC_MODULESTORE_MONGO_DB,
        collection=collection or getattr(settings, "LC_MODULESTORE_MONGO_COLLECTION", "modulestore"),
        separator=separator if separator is not None else getattr(settings, "LC_MODULESTORE_MONGO_SEPARATOR", "."),
    )


def add_location_arguments(parser: CommandParser) -> None:
    """``--mongo-uri``, ``--db``, ``--collection``, ``--separator``: the same four options on every command."""
    parser.add_argument("--mongo-uri", help="MongoDB URI (default: LC_MODULESTORE_MONGO_URI)")
    parser.add_argument("--db", help="database holding split's collections (default: LC_MODULESTORE_MONGO_DB)")
    parser.add_argument("--collection",
                        help="split's collection prefix, DOC_STORE_CONFIG['collection'] "
                             "(default: LC_MODULESTORE_MONGO_COLLECTION)")
    parser.add_argument("--separator",
                        help="between the prefix and split's names (default: LC_MODULESTORE_MONGO_SEPARATOR, "
                             "normally '.'; '_' for nx-27017)")


def location_from_options(options: dict[str, Any]) -> MongoLocation:
    """The location a command was given (see :func:`add_location_arguments`), settings for what it was not."""
    return mongo_location(uri=options.get("mongo_uri"), db=options.get("db"), collection=options.get("collection"),
                          separator=options.get("separator"))


def location_from_record(recorded: dict[str, Any] | None) -> MongoLocation:
    """
    The location a verify run recorded, for re-reading its Mongo heads.

    A recorded URI whose password was masked is replaced by the configured
    one when they name the same host (the password lives in settings only).
    """
    if not recorded:
        return mongo_location()
    uri = recorded.get("uri") or settings.LC_MODULESTORE_MONGO_URI
    if ":***@" in uri and _safe_uri(settings.LC_MODULESTORE_MONGO_URI) == uri:
        uri = settings.LC_MODULESTORE_MONGO_URI
    return MongoLocation(uri=uri, db=recorded.get("db") or settings.LC_MODULESTORE_MONGO_DB,
                         collection=recorded.get("collection") or "modulestore",
                         separator=recorded.get("separator", "."))


__all__ = [
    "MongoLocation",
    "add_location_arguments",
    "location_from_options",
    "location_from_record",
    "mongo_location",
]
