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
        # Concurrent writers (Celery worker + web) wait instead of failing at once.
        db.setdefault("OPTIONS", {})["timeout"] = 30
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
# This settings module is the standalone project: load lc_modulestore.settings.celery's app at start-up.
LC_MODULESTORE_STANDALONE_CELERY = True

# ---- lc-modulestore's own settings (all optional; these are the defaults) ----
# Root directory for per-course resource filesystems (split creates fs_root/<org>/<course>/<run>).
LC_MODULESTORE_FS_ROOT = str(VAR_DIR / "fs_root")
# How many superseded structures per branch stay readable for in-flight requests.
LC_MODULESTORE_KEEP_OLD_STRUCTURES = 1
# Seconds to wait for more draft edits before compiling the draft branch.
LC_MODULESTORE_DRAFT_COMPILE_DEBOUNCE = 5
# Split in MongoDB (router, lc_verify, lc_flag's gate, lc_migrate_from_mongo, lc_export_mongo): URI, database,
# collection prefix, separator; read once by lc_modulestore.rollout.mongo_location.
LC_MODULESTORE_MONGO_URI = os.environ.get("LC_MODULESTORE_MONGO_URI", "mongodb://127.0.0.1:27017")
LC_MODULESTORE_MONGO_DB = os.environ.get("LC_MODULESTORE_MONGO_DB", "edxapp")
LC_MODULESTORE_MONGO_COLLECTION = "modulestore"
# Between the collection prefix and split's names ("." as split has it; "_" for nx-27017, which rejects dots).
LC_MODULESTORE_MONGO_SEPARATOR = os.environ.get("LC_MODULESTORE_MONGO_SEPARATOR", ".")
# Corpus of real exports (read at test/demo time, never copied into the repo).
LC_DEMO_COURSE_DIR = os.environ.get(
    "LC_DEMO_COURSE_DIR", str(BASE_DIR.parent / "shared" / "corpus" / "openedx-demo-course")
)
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
