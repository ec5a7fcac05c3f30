"""
MongoDB Extended JSON for JSONField columns.

Realized XBlock field values include datetimes (``start``, ``due``), which split
keeps as BSON dates rather than strings. Plain JSON would turn them into strings
and lose the type; Extended JSON (``{"$date": ...}``) keeps it, stays readable in
the admin, and decodes straight back to tz-aware ``datetime``s.
"""
from __future__ import annotations

import datetime
import json
from typing import Any

from bson import json_util
from bson.codec_options import CodecOptions

_OPTIONS = json_util.JSONOptions(
    json_mode=json_util.JSONMode.CANONICAL,
    tz_aware=True,
    tzinfo=datetime.timezone.utc,
)


class ExtendedJSONEncoder(json.JSONEncoder):
    """Encode datetimes, ObjectIds, bytes… as Extended JSON."""

    def default(self, o: Any) -> Any:
        return json_util.default(o, json_options=_OPTIONS)


class ExtendedJSONDecoder(json.JSONDecoder):
    """Decode Extended JSON back into Python/BSON values (tz-aware datetimes)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["object_hook"] = lambda obj: json_util.object_hook(obj, json_options=_OPTIONS)
        super().__init__(*args, **kwargs)


def dumps(value: Any) -> str:
    """Serialize ``value`` as Extended JSON (sorted keys, so equal values give equal text)."""
    return json.dumps(value, cls=ExtendedJSONEncoder, sort_keys=True)


def loads(text: str) -> Any:
    """Inverse of :func:`dumps`."""
    return json.loads(text, cls=ExtendedJSONDecoder)


BSON_CODEC_OPTIONS = CodecOptions(tz_aware=True, tzinfo=datetime.timezone.utc)
