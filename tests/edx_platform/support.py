"""
Stand-ins for the modules edx-platform's ``xmodule/`` snapshot imports but does not hold.

``../shared/edx-platform`` (see its README) is edx-platform's read path byte for byte; the modules it
names outside that subset (``openedx.*``, ``common.*``, ``lms.*``, ``webpack_loader``, a few ``xmodule``
modules the subset leaves out) are installed here into ``sys.modules``, each as small as an import
needs. None of them takes part in a read: they are constants, decorators on write or rendering code,
service classes only constructed, and summary/asset types only the listing and asset methods build.
The user partition schemes (:data:`PARTITION_SCHEMES`) are looked up by name while a course's
``user_partitions`` are read, so each name has a class standing in for the LMS's. The two that a read
does reach beyond that are real: ``request_cached`` caches in the request cache as edx-platform's
does, and ``connect_to_mongodb`` hands back the test's mongomock database (split's collection names
contain dots, which the nx-27017 stand-in rejects).

:func:`install` is idempotent and returns False (the caller skips) when the snapshot is absent.
"""
from __future__ import annotations

import functools
import json
import sys
import types
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parents[2].parent / "shared" / "edx-platform"
SKIP_REASON = (
    f"edx-platform's xmodule snapshot is absent ({SNAPSHOT}): these tests run edx-platform's own split "
    "store from ../shared/edx-platform (see its README) and skip without it"
)

#: The mongomock database ``connect_to_mongodb`` returns, per ``db`` name (set by the tests).
MONGO_DATABASES: dict[str, object] = {}


def _module(name: str, **attrs) -> types.ModuleType:
    module = sys.modules.get(name)
    if module is None:
        module = types.ModuleType(name)
        module.__path__ = []  # a package, so submodules import
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(_module(parent), child, module)
    for key, value in attrs.items():
        setattr(module, key, value)
    return module


def _request_cached(namespace=None, arg_map_function=None, request_cache_getter=None):
    """edx-platform's ``openedx.core.lib.cache_utils.request_cached``: memoise per request, by arguments."""
    from edx_django_utils.cache import RequestCache

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            cache = RequestCache(namespace or f"{func.__module__}.{func.__qualname__}")
            mapped = [arg_map_function(a) if arg_map_function else a for a in args]
            key = (func.__qualname__, repr(mapped), repr(sorted(kwargs.items())))
            cached = cache.get_cached_response(key)
            if cached.is_found:
                return cached.value
            value = func(*args, **kwargs)
            cache.set(key, value)
            return value

        return wrapper

    return decorator


def _connect_to_mongodb(db, host=None, port=None, tz_aware=True, user=None, password=None, **kwargs):
    import mongomock

    if db not in MONGO_DATABASES:
        MONGO_DATABASES[db] = mongomock.MongoClient(tz_aware=tz_aware).get_database(db)
    return MONGO_DATABASES[db]


class _Summary:
    """``CourseSummary`` / ``LegacyLibrarySummary``: built by the listing methods only."""

    course_info_fields = ["display_name", "display_coursenumber", "display_organization", "end"]

    def __init__(self, locator, *args, **kwargs):
        self.locator = locator
        self.id = locator
        for key, value in kwargs.items():
            setattr(self, key, value)


class _Service:
    """A runtime service split constructs for every runtime (library tools, partitions): never called in a read."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


class _ContentStore:
    """``xmodule.contentstore.mongo.MongoContentStore`` (``CONTENTSTORE``): Mixed keeps it, no read asks it."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


def _render_to_string(template_name, dictionary=None, namespace="main", request=None, engine=None):
    """``common.djangoapps.edxmako.shortcuts.render_to_string`` (split's ``render_template``): rendering only."""
    raise NotImplementedError(f"rendering {template_name}: a template of the LMS, never rendered by a read")


class _SplitModulestoreCourseIndex:
    """edx-platform's index model: only ``DjangoFlexPersistenceBackend`` reads it; these tests use Mongo's."""

    class DoesNotExist(Exception):
        pass


class _PartitionScheme:
    """
    A user partition scheme of the LMS (cohort, enrollment track, …: ``openedx.core``/``lms`` code).

    A read only looks the class up by name and keeps it on the ``UserPartition`` it builds
    (``UserPartition.get_scheme``); assigning a learner to a group is the LMS's, never a read's.
    """

    read_only = False

    @classmethod
    def get_group_for_user(cls, *args, **kwargs):  # pragma: no cover - never called by a read
        raise NotImplementedError("a user partition scheme of the LMS")


#: The schemes edx-platform declares as ``openedx.user_partition_scheme`` entry points.
PARTITION_SCHEMES = ("random", "cohort", "enrollment_track", "verification", "team", "content_type_gate")


def _install_partition_schemes() -> None:
    from stevedore.extension import Extension, ExtensionManager
    from xmodule.partitions.partitions import USER_PARTITION_SCHEME_NAMESPACE, UserPartition

    extensions = [Extension(name, None, type(f"{name}_scheme", (_PartitionScheme,), {}), None)
                  for name in PARTITION_SCHEMES]
    UserPartition.scheme_extensions = ExtensionManager.make_test_instance(
        extensions, namespace=USER_PARTITION_SCHEME_NAMESPACE
    )


def install() -> bool:
    """Put the snapshot on ``sys.path`` and the stand-ins in ``sys.modules``; False when the snapshot is absent."""
    if not (SNAPSHOT / "xmodule" / "modulestore" / "split_mongo" / "split.py").is_file():
        return False
    if str(SNAPSHOT) not in sys.path:
        sys.path.insert(0, str(SNAPSHOT))
    if "openedx.core.lib.json_utils" in sys.modules:
        return True
    import importlib

    from markupsafe import Markup, escape

    for package in ("xmodule", "xmodule.contentstore", "xmodule.partitions", "xmodule.util"):
        importlib.import_module(package)  # the real (empty) packages, before stand-ins go under them

    _module("openedx.core.lib.json_utils", EdxJSONEncoder=json.JSONEncoder)
    _module("openedx.core.lib.cache_utils", request_cached=_request_cached)
    _module("openedx.core.djangolib.markup", HTML=Markup, Text=escape)
    _module(
        "common.djangoapps.xblock_django.constants",
        ATTR_KEY_ANONYMOUS_USER_ID="edx-platform.anonymous_user_id",
        ATTR_KEY_REQUEST_COUNTRY_CODE="edx-platform.request_country_code",
        ATTR_KEY_USER_ID="edx-platform.user_id",
        ATTR_KEY_USER_IS_BETA_TESTER="edx-platform.user_is_beta_tester",
        ATTR_KEY_USER_IS_GLOBAL_STAFF="edx-platform.user_is_global_staff",
        ATTR_KEY_USER_IS_STAFF="edx-platform.user_is_staff",
        ATTR_KEY_USER_ROLE="edx-platform.user_role",
        ATTR_KEY_USERNAME="edx-platform.username",
    )
    _module(
        "common.djangoapps.split_modulestore_django.models", SplitModulestoreCourseIndex=_SplitModulestoreCourseIndex
    )
    _module("common.djangoapps.edxmako.services", MakoService=_Service)  # a rendering service, never rendered
    _module("common.djangoapps.edxmako.shortcuts", render_to_string=_render_to_string)
    _module("xmodule.contentstore.mongo", MongoContentStore=_ContentStore)
    _module("common.djangoapps.util.date_utils", strftime_localized=lambda dtime, fmt: dtime.strftime(fmt))
    _module("webpack_loader.loader", WebpackLoader=type("WebpackLoader", (), {}))
    _module("webpack_loader.utils")
    _module("xmodule.assetstore", AssetMetadata=type("AssetMetadata", (), {}))
    _module("xmodule.course_block", CourseSummary=_Summary)
    _module("xmodule.library_content_block", LegacyLibrarySummary=_Summary)
    _module("xmodule.library_tools", LegacyLibraryToolsService=_Service)
    _module("xmodule.partitions.partitions_service", PartitionService=_Service)
    _module("xmodule.mongo_utils", connect_to_mongodb=_connect_to_mongodb, create_collection_index=lambda *a, **k: None)
    _module("xmodule.annotator_mixin", html_to_text=lambda html: html)
    _module("xmodule.util.builtin_assets", add_webpack_js_to_fragment=lambda fragment, name: None)
    _install_partition_schemes()
    return True


__all__ = ["MONGO_DATABASES", "SKIP_REASON", "SNAPSHOT", "install"]
