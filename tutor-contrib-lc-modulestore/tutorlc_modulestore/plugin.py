"""
The Tutor plugin: everything docs/deploy.md's hand-edit path does, as Tutor hooks.

* ``OPENEDX_EXTRA_PIP_REQUIREMENTS`` gets ``LC_MODULESTORE_PIP_REQUIREMENT`` (the openedx image installs
  lc-modulestore); a site that sets that list itself still gets the requirement, from a Dockerfile patch.
* LMS and CMS settings (``openedx-common-settings``): the app, the ``MODULESTORE`` mount (split's entry
  served by ``lc_modulestore.rollout.mount.LearningCoreSplitModuleStore``), the Learning Core store's
  settings, the compile tasks' routes and the periodic ``lc_modulestore.compile_stale``.
* A Celery worker service (docker compose and Kubernetes) for ``LC_MODULESTORE_COMPILE_QUEUE``.
* An init task (``tutor local do init``) that runs the app's migrations.
* Config values ``LC_MODULESTORE_*`` with defaults (``tutor config save --set LC_MODULESTORE_...=...``).
"""
from __future__ import annotations

from importlib import resources
from typing import Any

from tutor import hooks

from .__about__ import __version__

MOUNT_ENGINE = "lc_modulestore.rollout.mount.LearningCoreSplitModuleStore"

# ---- configuration -----------------------------------------------------------------------------------------
hooks.Filters.CONFIG_DEFAULTS.add_items([
    ("LC_MODULESTORE_VERSION", __version__),
    # What pip installs into the openedx image: a release, or e.g. "git+https://…/lc-modulestore@main".
    ("LC_MODULESTORE_PIP_REQUIREMENT", f"lc-modulestore=={__version__}"),
    # Serve split's courses through the Learning Core mount (per-course flags decide; off = app only).
    ("LC_MODULESTORE_MOUNT", True),
    ("LC_MODULESTORE_COMPILE_QUEUE", "lc_modulestore.compile"),
    ("LC_MODULESTORE_COMPILE_WORKER_CONCURRENCY", 2),
    ("LC_MODULESTORE_COMPILE_STALE_INTERVAL", 300),
    # Split's MongoDB, as Tutor runs it (the router's Mongo side, lc_verify, lc_migrate_from_mongo).
    ("LC_MODULESTORE_MONGO_URI",
     "mongodb://{% if MONGODB_USERNAME and MONGODB_PASSWORD %}{{ MONGODB_USERNAME }}:{{ MONGODB_PASSWORD }}@"
     "{% endif %}{{ MONGODB_HOST }}:{{ MONGODB_PORT }}/?authSource={{ MONGODB_AUTH_SOURCE }}"),
    ("LC_MODULESTORE_MONGO_DB", "{{ MONGODB_DATABASE }}"),
    ("LC_MODULESTORE_MONGO_COLLECTION", "modulestore"),
    ("LC_MODULESTORE_MONGO_SEPARATOR", "."),
    ("LC_MODULESTORE_FS_ROOT", "/openedx/data/lc_modulestore"),
    ("LC_MODULESTORE_KEEP_OLD_STRUCTURES", 1),
    ("LC_MODULESTORE_DRAFT_COMPILE_DEBOUNCE", 5),
    ("LC_MODULESTORE_STRUCTURE_LRU_SIZE", 64),
])


@hooks.Filters.CONFIG_DEFAULTS.add(priority=hooks.priorities.LOW)
def _add_pip_requirement(items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Append the requirement to Tutor's default ``OPENEDX_EXTRA_PIP_REQUIREMENTS`` (a later item wins)."""
    current = [value for name, value in items if name == "OPENEDX_EXTRA_PIP_REQUIREMENTS"]
    requirements = list(current[-1]) if current else []
    if "{{ LC_MODULESTORE_PIP_REQUIREMENT }}" not in requirements:
        requirements.append("{{ LC_MODULESTORE_PIP_REQUIREMENT }}")
    return [*items, ("OPENEDX_EXTRA_PIP_REQUIREMENTS", requirements)]


# ---- the openedx image -------------------------------------------------------------------------------------
hooks.Filters.ENV_PATCHES.add_item((
    "openedx-dockerfile-post-python-requirements",
    """{% if LC_MODULESTORE_PIP_REQUIREMENT not in OPENEDX_EXTRA_PIP_REQUIREMENTS %}
# lc-modulestore (OPENEDX_EXTRA_PIP_REQUIREMENTS was set without it)
RUN --mount=type=cache,target=/openedx/.cache/pip,sharing=shared \\
    $PIP_COMMAND install '{{ LC_MODULESTORE_PIP_REQUIREMENT }}'
{% endif %}""",
))

# ---- LMS and CMS settings (production and development) -----------------------------------------------------
hooks.Filters.ENV_PATCHES.add_item((
    "openedx-common-settings",
    """# lc-modulestore (tutor-contrib-lc-modulestore)
import sys as _lc_sys
from lc_modulestore.settings.common import add_compile_task_routes as _lc_add_compile_task_routes
# The app: edx-platform's plugin loader adds it from its entry points; listed here only if it did not.
if not {"lc_modulestore", "lc_modulestore.apps.LcModulestoreConfig"} & set(INSTALLED_APPS):
    INSTALLED_APPS.append("lc_modulestore.apps.LcModulestoreConfig")
LC_MODULESTORE_COMPILE_QUEUE = {{ LC_MODULESTORE_COMPILE_QUEUE|tojson }}
LC_MODULESTORE_MONGO_URI = {{ LC_MODULESTORE_MONGO_URI|tojson }}
LC_MODULESTORE_MONGO_DB = {{ LC_MODULESTORE_MONGO_DB|tojson }}
LC_MODULESTORE_MONGO_COLLECTION = {{ LC_MODULESTORE_MONGO_COLLECTION|tojson }}
LC_MODULESTORE_MONGO_SEPARATOR = {{ LC_MODULESTORE_MONGO_SEPARATOR|tojson }}
LC_MODULESTORE_FS_ROOT = {{ LC_MODULESTORE_FS_ROOT|tojson }}
LC_MODULESTORE_KEEP_OLD_STRUCTURES = {{ LC_MODULESTORE_KEEP_OLD_STRUCTURES|int }}
LC_MODULESTORE_DRAFT_COMPILE_DEBOUNCE = {{ LC_MODULESTORE_DRAFT_COMPILE_DEBOUNCE|int }}
LC_MODULESTORE_STRUCTURE_LRU_SIZE = {{ LC_MODULESTORE_STRUCTURE_LRU_SIZE|int }}
{%- if LC_MODULESTORE_MOUNT %}
# The mount: split's entry of Mixed's stores is served by edx-platform's split store over a backend that
# routes each course, per request, to Learning Core (flag on) or to split's Mongo documents (flag off).
for _lc_store in MODULESTORE["default"]["OPTIONS"]["stores"]:
    if _lc_store.get("NAME") == "split" or _lc_store.get("ENGINE", "").endswith(".DraftVersioningModuleStore"):
        _lc_store["ENGINE"] = "__MOUNT_ENGINE__"
{%- endif %}
# The compile tasks go to their own queue (the lc-modulestore-compile-worker service), beside the site's routes.
_lc_add_compile_task_routes(_lc_sys.modules[__name__])
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "lc_modulestore.compile_stale": {
        "task": "lc_modulestore.compile_stale",
        "schedule": {{ LC_MODULESTORE_COMPILE_STALE_INTERVAL|int }},
        "options": {"queue": LC_MODULESTORE_COMPILE_QUEUE},
    },
}
# end of lc-modulestore""".replace("__MOUNT_ENGINE__", MOUNT_ENGINE),
))

# ---- the compile worker --------------------------------------------------------------------------------------
# One service: it consumes only the compile queue and runs the beat for compile_stale (one replica, so the
# periodic task is sent once). It uses the CMS settings: Studio is where courses are published.
WORKER_COMMAND = [
    "celery", "--app=cms.celery", "worker", "--loglevel=info",
    "--hostname=lc_modulestore.compile.%h",
    "--queues={{ LC_MODULESTORE_COMPILE_QUEUE }}",
    "--concurrency={{ LC_MODULESTORE_COMPILE_WORKER_CONCURRENCY }}",
    "--beat", "--schedule=/openedx/data/lc_modulestore-celerybeat-schedule",
    "--max-tasks-per-child=100", "--prefetch-multiplier=1", "--without-gossip", "--without-mingle",
]


def _yaml_list(indent: int) -> str:
    return "".join(f'\n{" " * indent}- "{arg}"' for arg in WORKER_COMMAND)


hooks.Filters.ENV_PATCHES.add_item((
    "local-docker-compose-prod-services",
    """lc-modulestore-compile-worker:
  image: {{ DOCKER_IMAGE_OPENEDX }}
  environment:
    SERVICE_VARIANT: cms
    DJANGO_SETTINGS_MODULE: cms.envs.tutor.production
  command:""" + _yaml_list(4) + """
  restart: unless-stopped
  volumes:
    - ../apps/openedx/settings/lms:/openedx/edx-platform/lms/envs/tutor:roz
    - ../apps/openedx/settings/cms:/openedx/edx-platform/cms/envs/tutor:roz
    - ../apps/openedx/config:/openedx/config:roz
    - ../../data/cms:/openedx/data:z
    - ../../data/openedx-media:/openedx/media:z
    - ../../data/openedx-media-private:/openedx/media-private:z
  depends_on:
    - cms""",
))

hooks.Filters.ENV_PATCHES.add_item((
    "k8s-deployments",
    """---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: lc-modulestore-compile-worker
  labels:
    app.kubernetes.io/name: lc-modulestore-compile-worker
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: lc-modulestore-compile-worker
  template:
    metadata:
      labels:
        app.kubernetes.io/name: lc-modulestore-compile-worker
    spec:
      securityContext:
        runAsUser: 1000
        runAsGroup: 1000
      containers:
        - name: lc-modulestore-compile-worker
          image: {{ DOCKER_IMAGE_OPENEDX }}
          args:""" + _yaml_list(10) + """
          env:
          - name: SERVICE_VARIANT
            value: cms
          - name: DJANGO_SETTINGS_MODULE
            value: cms.envs.tutor.production
          volumeMounts:
            - mountPath: /openedx/edx-platform/lms/envs/tutor/
              name: settings-lms
            - mountPath: /openedx/edx-platform/cms/envs/tutor/
              name: settings-cms
            - mountPath: /openedx/config
              name: config
      volumes:
        - name: settings-lms
          configMap:
            name: openedx-settings-lms
        - name: settings-cms
          configMap:
            name: openedx-settings-cms
        - name: config
          configMap:
            name: openedx-config""",
))

# ---- init: migrations ------------------------------------------------------------------------------------------
TEMPLATES = resources.files("tutorlc_modulestore") / "templates"
hooks.Filters.ENV_TEMPLATE_ROOTS.add_item(str(TEMPLATES))
# The init script is also rendered into env/plugins/lc_modulestore/jobs/ (what `tutor config save` writes), so
# an operator can read what `tutor local do init` will run.
hooks.Filters.ENV_TEMPLATE_TARGETS.add_item(("lc_modulestore/jobs", "plugins"))
hooks.Filters.CLI_DO_INIT_TASKS.add_item(
    ("lms", (TEMPLATES / "lc_modulestore" / "jobs" / "init" / "lms.sh").read_text(encoding="utf-8"))
)
