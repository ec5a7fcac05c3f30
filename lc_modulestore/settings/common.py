"""
Settings lc-modulestore gives edx-platform when it runs there as a plugin (the ``common`` settings type).

edx-django-utils' plugin loader calls :func:`plugin_settings` at the end of edx-platform's
``lms/envs/common.py`` and ``cms/envs/common.py`` (``apps.LcModulestoreConfig.plugin_app``), so every
value here is a default: a site's own settings files, Tutor's patches and ``settings/production.py``
(the ``production`` type, which reads the YAML tokens) all come later and win.

Each setting carries the three code-annotations tokens (setting_name, setting_default, setting_description);
``make test`` checks them with Open edX's settings annotation config.
"""
from __future__ import annotations

import copy
import fnmatch
from typing import Any

# .. setting_name: LC_MODULESTORE_BACKEND
# .. setting_default: "shim.backends.mysql.MySQLPersistenceBackend"
# .. setting_description: Dotted path of the persistence backend the Learning Core store reads compiled
#   structures and definitions from (the MySQL tables the compiler writes).
LC_MODULESTORE_BACKEND = "shim.backends.mysql.MySQLPersistenceBackend"

# .. setting_name: LC_MODULESTORE_BACKEND_OPTIONS
# .. setting_default: {}
# .. setting_description: Keyword arguments passed to LC_MODULESTORE_BACKEND's constructor.
LC_MODULESTORE_BACKEND_OPTIONS: dict = {}

# .. setting_name: LC_MODULESTORE_BRANCH
# .. setting_default: "published-only"
# .. setting_description: Default branch setting of the Learning Core store: the LMS reads the published
#   branch; a preview process sets "draft-preferred".
LC_MODULESTORE_BRANCH = "published-only"

# .. setting_name: LC_MODULESTORE_STRIP_KEYS
# .. setting_default: True
# .. setting_description: Hand the LMS keys without branch and version, as Mixed does.
LC_MODULESTORE_STRIP_KEYS = True

# .. setting_name: LC_MODULESTORE_FS_ROOT
# .. setting_default: "/edx/var/edxapp/lc_modulestore"
# .. setting_description: Root directory of the per-course resource filesystems (runtime.resources_fs);
#   the store creates FS_ROOT/<org>/<course>/<run> as split does.
LC_MODULESTORE_FS_ROOT = "/edx/var/edxapp/lc_modulestore"

# .. setting_name: LC_MODULESTORE_STRUCTURE_LRU_SIZE
# .. setting_default: 64
# .. setting_description: How many decoded structures each process keeps in memory.
LC_MODULESTORE_STRUCTURE_LRU_SIZE = 64

# .. setting_name: LC_MODULESTORE_XBLOCK_CLASSES
# .. setting_default: {}
# .. setting_description: Overrides of the block type to XBlock class map, {"block_type": "module:Class"};
#   inside edx-platform its own entry points give the classes.
LC_MODULESTORE_XBLOCK_CLASSES: dict = {}

# .. setting_name: LC_MODULESTORE_KEEP_OLD_STRUCTURES
# .. setting_default: 1
# .. setting_description: Superseded structures kept per branch, so requests in flight during a compile
#   can still read the structure they started with.
LC_MODULESTORE_KEEP_OLD_STRUCTURES = 1

# .. setting_name: LC_MODULESTORE_DRAFT_COMPILE_DEBOUNCE
# .. setting_default: 5
# .. setting_description: Seconds to collect more draft edits before the draft branch is compiled.
LC_MODULESTORE_DRAFT_COMPILE_DEBOUNCE = 5

# .. setting_name: LC_MODULESTORE_COMPILE_QUEUE
# .. setting_default: "lc_modulestore.compile"
# .. setting_description: Celery queue of the compile tasks (lc_modulestore.compile_publish_log,
#   lc_modulestore.compile_drafts, lc_modulestore.compile_course, lc_modulestore.compile_stale).
#   plugin_settings routes them
#   to it without overwriting the site's own CELERY_TASK_ROUTES; run a worker on it
#   (the Tutor plugin adds one).
LC_MODULESTORE_COMPILE_QUEUE = "lc_modulestore.compile"

# .. setting_name: LC_MODULESTORE_COURSES_WITH_UNSAFE_CODE
# .. setting_default: []
# .. setting_description: Regular expressions of course keys whose problems may run unsafe code
#   (python "loncapa" scripts), as edx-platform's COURSES_WITH_UNSAFE_CODE.
LC_MODULESTORE_COURSES_WITH_UNSAFE_CODE: list = []

# .. setting_name: LC_MODULESTORE_MONGO_URI
# .. setting_default: "mongodb://127.0.0.1:27017"
# .. setting_description: Connection URI of split's MongoDB (the Mongo side of the router, lc_verify,
#   lc_migrate_from_mongo, lc_export_mongo); use the host and credentials of the LMS's DOC_STORE_CONFIG.
LC_MODULESTORE_MONGO_URI = "mongodb://127.0.0.1:27017"

# .. setting_name: LC_MODULESTORE_MONGO_DB
# .. setting_default: "edxapp"
# .. setting_description: Database of split's MongoDB (DOC_STORE_CONFIG["db"]).
LC_MODULESTORE_MONGO_DB = "edxapp"

# .. setting_name: LC_MODULESTORE_MONGO_COLLECTION
# .. setting_default: "modulestore"
# .. setting_description: Collection prefix of split's documents (DOC_STORE_CONFIG["collection"]):
#   split reads <prefix>.active_versions, <prefix>.structures and <prefix>.definitions.
LC_MODULESTORE_MONGO_COLLECTION = "modulestore"

# .. setting_name: LC_MODULESTORE_MONGO_SEPARATOR
# .. setting_default: "."
# .. setting_description: Separator between the collection prefix and split's collection names ("."
#   as split uses; "_" for a Mongo stand-in that rejects dotted names, such as nx-27017).
LC_MODULESTORE_MONGO_SEPARATOR = "."

#: Every setting above, with its default (``settings/production.py`` reads the same names from the tokens).
DEFAULTS: dict[str, Any] = {name: value for name, value in globals().items() if name.startswith("LC_MODULESTORE_")}

#: The Celery tasks routed to LC_MODULESTORE_COMPILE_QUEUE.
COMPILE_TASKS = (
    "lc_modulestore.compile_publish_log",
    "lc_modulestore.compile_drafts",
    "lc_modulestore.compile_course",
    "lc_modulestore.compile_stale",
)


def _already_routed(task: str, routes: Any) -> bool:
    """Whether a site's dict of routes names ``task``, exactly or by a glob such as ``lc_modulestore.*``."""
    return any(isinstance(pattern, str) and fnmatch.fnmatchcase(task, pattern) for pattern in routes)


#: Where add_compile_task_routes keeps the route objects it added, so a later call (production's, after the
#: tokens named another queue) replaces its own entries and only those (compared by identity).
_ADDED = "_lc_modulestore_compile_routes"


def add_compile_task_routes(settings: Any) -> None:
    """
    Route the compile tasks to ``LC_MODULESTORE_COMPILE_QUEUE``, keeping every route the site has.

    Celery accepts ``CELERY_TASK_ROUTES`` as a dict (name or glob → options), or as a list/tuple of
    routers (dicts, router functions or their dotted paths) asked in order. A dict gets the tasks it does
    not route yet (a site's own ``lc_modulestore.*`` glob wins); a list, tuple or single router keeps its
    routers first and gets ours after them, so the site's routers are asked before ours. edx-platform's
    own router reads ``EXPLICIT_QUEUES``, which gets the same entries where it is a dict. Calling it again
    replaces what the previous call added (and nothing else), so the last queue named wins.
    """
    queue = getattr(settings, "LC_MODULESTORE_COMPILE_QUEUE", LC_MODULESTORE_COMPILE_QUEUE)
    ours = {task: {"queue": queue} for task in COMPILE_TASKS}
    before = getattr(settings, _ADDED, {"routes": None, "explicit": {}})
    routes = getattr(settings, "CELERY_TASK_ROUTES", None)
    if routes is None:
        settings.CELERY_TASK_ROUTES = added_routes = ours
    elif isinstance(routes, dict):
        mine = before["routes"] if isinstance(before["routes"], dict) else {}
        theirs = {k: v for k, v in routes.items() if not (k in mine and v is mine[k])}
        added_routes = {task: route for task, route in ours.items() if not _already_routed(task, theirs)}
        settings.CELERY_TASK_ROUTES = {**theirs, **added_routes}
    else:
        routers = list(routes) if isinstance(routes, list | tuple) else [routes]
        routers = [router for router in routers if router is not before["routes"]]
        added_routes = ours
        as_type = type(routes) if isinstance(routes, list | tuple) else tuple
        settings.CELERY_TASK_ROUTES = as_type([*routers, ours])
    added_explicit: dict = {}
    explicit = getattr(settings, "EXPLICIT_QUEUES", None)
    if isinstance(explicit, dict):
        mine = before["explicit"]
        theirs = {k: v for k, v in explicit.items() if not (k in mine and v is mine[k])}
        added_explicit = {task: route for task, route in ours.items() if not _already_routed(task, theirs)}
        settings.EXPLICIT_QUEUES = {**theirs, **added_explicit}
    setattr(settings, _ADDED, {"routes": added_routes, "explicit": added_explicit})


def plugin_settings(settings: Any) -> None:
    """
    Give every ``LC_MODULESTORE_*`` setting its default unless the site set it, and route the compile tasks.

    Defaults are copied, so a site that mutates a dict or list setting never changes another process's
    (or a test's) defaults.
    """
    for name, default in DEFAULTS.items():
        if not hasattr(settings, name):
            setattr(settings, name, copy.deepcopy(default))
    add_compile_task_routes(settings)
