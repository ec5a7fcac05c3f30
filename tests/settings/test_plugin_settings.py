"""plugin_settings as edx-django-utils calls it: common defaults, production tokens, compile-task routes."""
from __future__ import annotations

import sys
import types

import pytest
from django.conf import UserSettingsHolder
from edx_django_utils.plugins import add_plugins

from lc_modulestore.apps import LcModulestoreConfig
from lc_modulestore.settings import common, production

TASKS = common.COMPILE_TASKS


def routed_queue(routes, task: str):
    """The queue Celery's routers (prepared from ``routes`` in any accepted form) pick for ``task``, in order."""
    from celery.app.routes import prepare

    for router in prepare(routes):
        route = router(task, (), {}, {})
        if route:
            return route["queue"]
    return None


def test_common_defaults_fill_only_missing_settings() -> None:
    site = types.SimpleNamespace(LC_MODULESTORE_KEEP_OLD_STRUCTURES=3)
    common.plugin_settings(site)
    assert site.LC_MODULESTORE_KEEP_OLD_STRUCTURES == 3
    assert site.LC_MODULESTORE_MONGO_SEPARATOR == "."
    assert site.LC_MODULESTORE_COMPILE_QUEUE == "lc_modulestore.compile"
    assert set(common.DEFAULTS) <= set(vars(site))


def test_common_keeps_values_a_settings_holder_serves_from_its_defaults() -> None:
    # The old plugin_settings wrote into settings.__dict__, which shadowed a value the holder serves from
    # the settings it wraps (Django's override_settings holder, edx-platform's derived settings): 7 became 1.
    wrapped = types.SimpleNamespace(LC_MODULESTORE_KEEP_OLD_STRUCTURES=7)
    holder = UserSettingsHolder(wrapped)
    common.plugin_settings(holder)
    assert holder.LC_MODULESTORE_KEEP_OLD_STRUCTURES == 7


def test_mutable_defaults_are_copied() -> None:
    first, second = types.SimpleNamespace(), types.SimpleNamespace()
    common.plugin_settings(first)
    common.plugin_settings(second)
    first.LC_MODULESTORE_XBLOCK_CLASSES["html"] = "x:Y"
    assert second.LC_MODULESTORE_XBLOCK_CLASSES == {} == common.LC_MODULESTORE_XBLOCK_CLASSES


def test_routes_without_site_routes() -> None:
    site = types.SimpleNamespace()
    common.plugin_settings(site)
    assert site.CELERY_TASK_ROUTES == {task: {"queue": "lc_modulestore.compile"} for task in TASKS}


def test_site_dict_routes_are_kept_and_its_own_glob_wins() -> None:
    site = types.SimpleNamespace(CELERY_TASK_ROUTES={
        "grades.*": {"queue": "edx.lms.core.high"},
        "lc_modulestore.compile_drafts": {"queue": "site.drafts"},
    })
    common.plugin_settings(site)
    routes = site.CELERY_TASK_ROUTES
    assert routes["grades.*"] == {"queue": "edx.lms.core.high"}
    assert routed_queue(routes, "lc_modulestore.compile_drafts") == "site.drafts"
    assert routed_queue(routes, "lc_modulestore.compile_publish_log") == "lc_modulestore.compile"
    assert routed_queue(routes, "lc_modulestore.compile_stale") == "lc_modulestore.compile"

    globbed = types.SimpleNamespace(CELERY_TASK_ROUTES={"lc_modulestore.*": {"queue": "site.all"}})
    common.plugin_settings(globbed)
    for task in TASKS:
        assert routed_queue(globbed.CELERY_TASK_ROUTES, task) == "site.all"


@pytest.mark.parametrize("form", [list, tuple])
def test_site_list_routes_are_asked_first(form) -> None:
    site_router = {"lc_modulestore.compile_stale": {"queue": "site.stale"}, "other.task": {"queue": "q"}}
    site = types.SimpleNamespace(CELERY_TASK_ROUTES=form([site_router]))
    common.plugin_settings(site)
    routes = site.CELERY_TASK_ROUTES
    assert isinstance(routes, form) and routes[0] is site_router and len(routes) == 2
    assert routed_queue(routes, "lc_modulestore.compile_stale") == "site.stale"
    assert routed_queue(routes, "lc_modulestore.compile_publish_log") == "lc_modulestore.compile"
    assert routed_queue(routes, "other.task") == "q"


def test_a_single_router_path_is_kept_first() -> None:
    site = types.SimpleNamespace(CELERY_TASK_ROUTES="openedx.core.lib.celery.routers.route_task")
    common.plugin_settings(site)
    assert site.CELERY_TASK_ROUTES[0] == "openedx.core.lib.celery.routers.route_task"
    assert site.CELERY_TASK_ROUTES[1] == {task: {"queue": "lc_modulestore.compile"} for task in TASKS}


def test_explicit_queues_of_edx_platform_get_the_tasks() -> None:
    site = types.SimpleNamespace(EXPLICIT_QUEUES={"lms.djangoapps.grades.tasks.x": {"queue": "g"}})
    common.plugin_settings(site)
    assert site.EXPLICIT_QUEUES["lms.djangoapps.grades.tasks.x"] == {"queue": "g"}
    assert site.EXPLICIT_QUEUES["lc_modulestore.compile_drafts"] == {"queue": "lc_modulestore.compile"}


@pytest.mark.parametrize("site_routes", [None, {"grades.*": {"queue": "g"}}, [{"grades.*": {"queue": "g"}}]])
def test_production_tokens_override_and_move_the_routes(site_routes) -> None:
    site = types.SimpleNamespace(EXPLICIT_QUEUES={})
    if site_routes is not None:
        site.CELERY_TASK_ROUTES = site_routes
    common.plugin_settings(site)
    site.ENV_TOKENS = {
        "LC_MODULESTORE_COMPILE_QUEUE": "edx.lms.core.lc_compile",
        "LC_MODULESTORE_MONGO_DB": "openedx",
        "UNRELATED": 1,
    }
    production.plugin_settings(site)
    assert site.LC_MODULESTORE_MONGO_DB == "openedx"
    assert site.LC_MODULESTORE_MONGO_URI == "mongodb://127.0.0.1:27017"  # not in the tokens: the default stays
    assert not hasattr(site, "UNRELATED")
    for task in TASKS:  # the queue the tokens named, not the default common routed to first
        assert routed_queue(site.CELERY_TASK_ROUTES, task) == "edx.lms.core.lc_compile"
        assert site.EXPLICIT_QUEUES[task] == {"queue": "edx.lms.core.lc_compile"}
    if isinstance(site_routes, dict):
        assert site.CELERY_TASK_ROUTES["grades.*"] == {"queue": "g"}
    if isinstance(site_routes, list):
        assert len(site.CELERY_TASK_ROUTES) == 2 and site.CELERY_TASK_ROUTES[0] == {"grades.*": {"queue": "g"}}


def test_production_without_tokens_changes_nothing_set() -> None:
    site = types.SimpleNamespace(LC_MODULESTORE_MONGO_DB="site-db")
    common.plugin_settings(site)
    production.plugin_settings(site)
    assert site.LC_MODULESTORE_MONGO_DB == "site-db"


@pytest.mark.parametrize("project_type", ["lms.djangoapp", "cms.djangoapp"])
def test_edx_django_utils_loader_calls_both_setting_types(project_type, monkeypatch) -> None:
    """The real loader (edx-django-utils' add_plugins over the installed entry points), as edx-platform runs it."""
    assert LcModulestoreConfig.plugin_app["settings_config"][project_type] == {
        "common": {"relative_path": "settings.common"},
        "production": {"relative_path": "settings.production"},
    }
    envs = types.ModuleType("fake_envs")
    envs.CELERY_TASK_ROUTES = {"site.*": {"queue": "site"}}
    monkeypatch.setitem(sys.modules, "fake_envs", envs)
    add_plugins("fake_envs", project_type, "common")
    assert envs.LC_MODULESTORE_COMPILE_QUEUE == "lc_modulestore.compile"
    envs.ENV_TOKENS = {"LC_MODULESTORE_COMPILE_QUEUE": "tokens.queue"}
    add_plugins("fake_envs", project_type, "production")
    assert envs.LC_MODULESTORE_COMPILE_QUEUE == "tokens.queue"
    assert envs.CELERY_TASK_ROUTES["site.*"] == {"queue": "site"}
    assert envs.CELERY_TASK_ROUTES["lc_modulestore.compile_publish_log"] == {"queue": "tokens.queue"}


def test_no_settings_dict_setdefault() -> None:
    import inspect

    for module in (common, production):
        assert "__dict__" not in inspect.getsource(module)


def test_loading_the_plugin_settings_inside_another_project_makes_no_directory(tmp_path) -> None:
    """edx-platform imports lc_modulestore.settings on the way to settings.common: no var/ made in its venv."""
    import os
    import subprocess

    var = tmp_path / "would-be-var"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lms.envs.production", "LC_VAR_DIR": str(var)}
    code = "import lc_modulestore.settings.common, lc_modulestore.settings.production"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert not var.exists()


def test_every_task_the_app_declares_is_routed_to_the_compile_queue() -> None:
    """A task missing from COMPILE_TASKS would run on the site's default queue, beside grading and emails."""
    from celery import current_app

    from lc_modulestore import tasks  # noqa: F401 - declares them

    declared = {name for name in current_app.tasks if name.startswith("lc_modulestore.")}
    assert declared == set(TASKS)
