"""
Standalone settings for lc-modulestore (demo, tests, benchmarks).

Inside edx-platform these are not used: the app is loaded as a plugin and reads
only the ``LC_MODULESTORE_*`` settings documented in ``docs/deploy.md``.

Everything that varies between machines comes from the environment:

* ``LC_DATABASE_URL``: the database, e.g. ``mysql://app:app@127.0.0.1:3306/lcms``.
  Default: a SQLite file under ``var/``.
* ``LC_CELERY_BROKER_URL``: a Celery broker (e.g. ``redis://127.0.0.1:6379/0``).
  Default: none, and tasks run eagerly in-process.
* ``LC_VAR_DIR``: where the SQLite file, media and the fs root live (default ``./var``).
* ``LC_DEMO_COURSE_DIR`` / ``LC_DEMO_LIBRARY_DIR``: the shared real-course corpus (tests skip without it).
"""
from __future__ import annotations

import importlib.util
import os
import warnings
from pathlib import Path

import dj_database_url
from openedx_content.settings_api import openedx_content_backcompat_apps_to_install

# fs 2.4.16 (via XBlock) imports pkg_resources at import time; the deprecation notice is noise here.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("LC_VAR_DIR", BASE_DIR / "var"))
# Only where this module is the settings: edx-platform imports lc_modulestore.settings (this package) on the way
# to the plugin settings in settings/common.py, and must not get a var/ directory made in its site-packages.
if os.environ.get("DJANGO_SETTINGS_MODULE", __name__) == __name__:
    VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("LC_SECRET_KEY", "lc-modulestore-standalone-not-secret")
DEBUG = os.environ.get("LC_DEBUG", "") == "1"
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = True
LANGUAGE_CODE = "en"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "lc_modulestore.settings.urls"
STATIC_URL = "/static/"


def _database_from_url(url: str) -> dict:
    """Build a DATABASES entry; MariaDB/MySQL always gets utf8mb4 (openedx-core's collations need it)."""
    db = dj_database_url.parse(url, conn_max_age=0)
    if db["ENGINE"] == "django.db.backends.mysql":
        db.setdefault("OPTIONS", {})["charset"] = "utf8mb4"
        db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # Concurrent writers (Celery worker + web, two publishes) wait instead of failing with "database is
        # locked" (ADR 0020): a 30 s busy timeout; WAL, so readers never block the writer nor it them; and
        # BEGIN IMMEDIATE, so a transaction takes the write lock when it starts: a deferred one that reads and
        # then writes cannot wait for the lock (SQLite fails it at once, whatever the timeout).
        db.setdefault("OPTIONS", {}).update(
            timeout=30,
            transaction_mode="IMMEDIATE",
            init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        )
    return db


DATABASES = {
    "default": _database_from_url(
        os.environ.get("LC_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'lc_modulestore.sqlite3'}"
    )
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "openedx_content",
    *openedx_content_backcompat_apps_to_install(),
    "waffle",
    "edxval",
    "xblocks_contrib.problem.capa",  # ProblemBlock's response templates
    "django_celery_results",
    "lc_modulestore",
]
# The benchmarks (``manage.py lc_bench``) are development code: a Django app of the checkout, never
# installed by ``pip install lc-modulestore``; added only where the checkout's benchmarks/ is importable.
if importlib.util.find_spec("benchmarks") is not None:
    INSTALLED_APPS.append("benchmarks")

MIDDLEWARE = [
    # Request caches (course indexes, course flag answers) live for one request, as in edx-platform.
    "edx_django_utils.cache.middleware.RequestCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "crum.CurrentRequestUserMiddleware",
    "waffle.middleware.WaffleMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "lc-default"},
    # Decoded structures are immutable and keyed by structure id (see docs/decisions).
    "course_structure_cache": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "lc-structures",
        "TIMEOUT": 7 * 24 * 3600,
    },
}

# Learning Core stores file Media (course assets) here.
OPENEDX_LEARNING = {
    "MEDIA": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    }
}

# Settings edx-platform's LMS defines and the real block classes (xblocks-contrib) read at render time.
# Inside edx-platform its own values apply; these are the standalone equivalents.
FEATURES: dict[str, bool] = {}
PLATFORM_NAME = "lc-modulestore"
LMS_BASE = "localhost:8000"
LMS_ROOT_URL = "http://localhost:8000"
COMPLETION_VIDEO_COMPLETE_PERCENTAGE = 0.95
YOUTUBE = {
    "API": "https://www.youtube.com/iframe_api",
    "TEST_TIMEOUT": 1500,
    "IMAGE_API": "http://img.youtube.com/vi/{youtube_id}/0.jpg",
    "METADATA_URL": "https://www.googleapis.com/youtube/v3/videos/",
    "TEXT_API": {
        "url": "video.google.com/timedtext",
        "params": {"lang": "en", "v": "set_youtube_id_of_11_symbols_here"},
    },
}
YOUTUBE_API_KEY = None
ALL_LANGUAGES = [["en", "English"], ["es", "Spanish"], ["fr", "French"], ["de", "German"], ["zh", "Chinese"]]
LANGUAGE_DICT = dict(ALL_LANGUAGES)
AI_TRANSLATIONS_API_URL = None
CODE_JAIL = {"limits": {"REALTIME": 3, "CPU": 1}, "limit_overrides": {}, "python_bin": None, "user": "sandbox"}
CODE_JAIL_REST_SERVICE_REMOTE_EXEC = None
CODE_JAIL_REST_SERVICE_HOST = None
CODE_JAIL_REST_SERVICE_CONNECT_TIMEOUT = 0.5
CODE_JAIL_REST_SERVICE_READ_TIMEOUT = 3.5

# edxval (the video metadata store VideoBlock imports into).
TRANSCRIPT_LANG_CACHE_TIMEOUT = 60 * 60 * 24
VIDEO_TRANSCRIPTS_SETTINGS = {
    "VIDEO_TRANSCRIPTS_MAX_BYTES": 3 * 1024 * 1024,
    "STORAGE_KWARGS": {"location": str(VAR_DIR / "transcripts")},
    "DIRECTORY_PREFIX": "video-transcripts/",
}
VIDEO_IMAGE_SETTINGS = {
    "VIDEO_IMAGE_MAX_BYTES": 2 * 1024 * 1024,
    "VIDEO_IMAGE_MIN_BYTES": 2 * 1024,
    "STORAGE_KWARGS": {"location": str(VAR_DIR / "video-images")},
    "DIRECTORY_PREFIX": "video-images/",
}

# Celery: eager by default so the standalone demo needs no broker.
CELERY_BROKER_URL = os.environ.get("LC_CELERY_BROKER_URL", "memory://")
CELERY_TASK_ALWAYS_EAGER = "LC_CELERY_BROKER_URL" not in os.environ
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_TRACK_STARTED = True
# Eager compiles (standalone, tests) are stored too, so the TaskResult admin lists every compile task.
CELERY_TASK_STORE_EAGER_RESULT = True
# .. setting_name: LC_MODULESTORE_STANDALONE_CELERY
# .. setting_default: False (True in this standalone settings module)
# .. setting_description: Load lc_modulestore.settings.celery's Celery app at start-up (the standalone
#   project only); inside edx-platform its own Celery app is current and autodiscovers lc_modulestore.tasks.
LC_MODULESTORE_STANDALONE_CELERY = True

# ---- lc-modulestore's own settings (all optional; these are the defaults) ----
# .. setting_name: LC_MODULESTORE_FS_ROOT
# .. setting_default: var/fs_root (LC_VAR_DIR/fs_root)
# .. setting_description: Root directory for per-course resource filesystems (split creates
#   fs_root/<org>/<course>/<run>).
LC_MODULESTORE_FS_ROOT = str(VAR_DIR / "fs_root")
# .. setting_name: LC_MODULESTORE_KEEP_OLD_STRUCTURES
# .. setting_default: 1
# .. setting_description: How many superseded structures per branch stay readable for in-flight requests.
LC_MODULESTORE_KEEP_OLD_STRUCTURES = 1
# .. setting_name: LC_MODULESTORE_DRAFT_COMPILE_DEBOUNCE
# .. setting_default: 5
# .. setting_description: Seconds to wait for more draft edits before compiling the draft branch.
LC_MODULESTORE_DRAFT_COMPILE_DEBOUNCE = 5
# .. setting_name: LC_MODULESTORE_COMPILE_QUEUE
# .. setting_default: "lc_modulestore.compile"
# .. setting_description: The Celery queue the compile tasks (lc_modulestore.compile_publish_log,
#   lc_modulestore.compile_drafts, lc_modulestore.compile_stale) are sent to; run a worker on it.
LC_MODULESTORE_COMPILE_QUEUE = "lc_modulestore.compile"
CELERY_TASK_ROUTES = {"lc_modulestore.compile_*": {"queue": LC_MODULESTORE_COMPILE_QUEUE}}
# .. setting_name: LC_MODULESTORE_COMPILE_ATTEMPTS
# .. setting_default: 4
# .. setting_description: A compile that meets a transient database error (SQLite locked, MySQL deadlock or
#   lock wait) starts again, up to this many attempts in all.
LC_MODULESTORE_COMPILE_ATTEMPTS = 4
# .. setting_name: LC_MODULESTORE_COMPILE_RETRY_DELAY
# .. setting_default: 0.5
# .. setting_description: Seconds before the second attempt of a compile; doubled before each later one.
LC_MODULESTORE_COMPILE_RETRY_DELAY = 0.5
# .. setting_name: LC_MODULESTORE_COMPILE_TASK_MAX_RETRIES
# .. setting_default: 5
# .. setting_description: After its attempts, a compile task retries itself this many times, then records
#   FAILURE; compile_stale catches up later.
LC_MODULESTORE_COMPILE_TASK_MAX_RETRIES = 5
# .. setting_name: LC_MODULESTORE_COMPILE_TASK_RETRY_BACKOFF
# .. setting_default: 5
# .. setting_description: Seconds of the first task retry's backoff (doubled each time, at most 300 s).
LC_MODULESTORE_COMPILE_TASK_RETRY_BACKOFF = 5
# .. setting_name: LC_MODULESTORE_COMPILE_SOFT_TIME_LIMIT
# .. setting_default: 600
# .. setting_description: Soft time limit (seconds) of a compile task.
LC_MODULESTORE_COMPILE_SOFT_TIME_LIMIT = 600
# .. setting_name: LC_MODULESTORE_COMPILE_TIME_LIMIT
# .. setting_default: 660
# .. setting_description: Hard time limit (seconds) of a compile task.
LC_MODULESTORE_COMPILE_TIME_LIMIT = 660
# .. setting_name: LC_MODULESTORE_COMPILE_STALE_INTERVAL
# .. setting_default: 300
# .. setting_description: Seconds between two runs of the periodic lc_modulestore.compile_stale task (celery
#   beat), which compiles every course whose served head lags its latest publish or draft change.
LC_MODULESTORE_COMPILE_STALE_INTERVAL = int(os.environ.get("LC_MODULESTORE_COMPILE_STALE_INTERVAL", 300))
CELERY_BEAT_SCHEDULE = {
    "lc_modulestore.compile_stale": {
        "task": "lc_modulestore.compile_stale",
        "schedule": LC_MODULESTORE_COMPILE_STALE_INTERVAL,
        "options": {"queue": LC_MODULESTORE_COMPILE_QUEUE},
    },
}
# Split in MongoDB (shim.backends.mongo, lc_migrate_from_mongo): connection URI, database, collection prefix.
# Split in MongoDB (router, lc_verify, lc_flag's gate, lc_migrate_from_mongo, lc_export_mongo): URI, database,
# collection prefix, separator; read once by lc_modulestore.rollout.mongo_location.
# .. setting_name: LC_MODULESTORE_MONGO_URI
# .. setting_default: "mongodb://127.0.0.1:27017" (environment variable LC_MODULESTORE_MONGO_URI)
# .. setting_description: Connection URI of split's MongoDB.
LC_MODULESTORE_MONGO_URI = os.environ.get("LC_MODULESTORE_MONGO_URI", "mongodb://127.0.0.1:27017")
# .. setting_name: LC_MODULESTORE_MONGO_DB
# .. setting_default: "edxapp" (environment variable LC_MODULESTORE_MONGO_DB)
# .. setting_description: Database of split's MongoDB.
LC_MODULESTORE_MONGO_DB = os.environ.get("LC_MODULESTORE_MONGO_DB", "edxapp")
# .. setting_name: LC_MODULESTORE_MONGO_COLLECTION
# .. setting_default: "modulestore"
# .. setting_description: Collection prefix of split's documents in MongoDB.
LC_MODULESTORE_MONGO_COLLECTION = "modulestore"
# .. setting_name: LC_MODULESTORE_MONGO_SEPARATOR
# .. setting_default: "." (environment variable LC_MODULESTORE_MONGO_SEPARATOR)
# .. setting_description: Between the collection prefix and split's names ("." as split has it; "_" for the
#   nx-27017 stand-in, which rejects dots).
LC_MODULESTORE_MONGO_SEPARATOR = os.environ.get("LC_MODULESTORE_MONGO_SEPARATOR", ".")
# Corpus of real exports (read at test/demo time, never copied into the repo).
# .. setting_name: LC_DEMO_COURSE_DIR
# .. setting_default: ../shared/corpus/openedx-demo-course (environment variable LC_DEMO_COURSE_DIR)
# .. setting_description: A real course export (OLX directory) used by make demo and the slow tests;
#   without it the demo imports the bundled fixture course and those tests skip.
LC_DEMO_COURSE_DIR = os.environ.get(
    "LC_DEMO_COURSE_DIR", str(BASE_DIR.parent / "shared" / "corpus" / "openedx-demo-course")
)
# .. setting_name: LC_DEMO_LIBRARY_DIR
# .. setting_default: ../shared/corpus/openedx-demo-content-library (environment variable LC_DEMO_LIBRARY_DIR)
# .. setting_description: A real content library export used by the tests that need one (they skip without it).
LC_DEMO_LIBRARY_DIR = os.environ.get(
    "LC_DEMO_LIBRARY_DIR", str(BASE_DIR.parent / "shared" / "corpus" / "openedx-demo-content-library")
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    # Third-party libraries (edxval, edx-toggles, kombu, XBlock) log routine notices at WARNING;
    # only errors reach the console unless LC_LOG_LEVEL asks for more.
    "root": {"handlers": ["console"], "level": os.environ.get("LC_THIRD_PARTY_LOG_LEVEL", "ERROR")},
    "loggers": {
        "lc_modulestore": {"level": os.environ.get("LC_LOG_LEVEL", "WARNING")},
        "compiler": {"level": os.environ.get("LC_LOG_LEVEL", "WARNING")},
        "shim": {"level": os.environ.get("LC_LOG_LEVEL", "WARNING")},
    },
}
