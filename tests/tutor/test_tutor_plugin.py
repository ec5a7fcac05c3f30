"""
The Tutor plugin, rendered without Docker: ``tutor plugins enable lc_modulestore`` and ``tutor config save``
into a temporary TUTOR_ROOT, with Tutor 22 and the plugin in their own venv (``.venv-tutor``, made by
``scripts/tutor-venv.sh``, which ``make test`` runs). The rendered settings are executed against an
edx-platform-like namespace, so what is asserted is what the LMS and CMS would end up with.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TUTOR_VENV = ROOT / ".venv-tutor"
TUTOR = TUTOR_VENV / "bin" / "tutor"
ENGINE = "lc_modulestore.rollout.mount.LearningCoreSplitModuleStore"
TASKS = (
    "lc_modulestore.compile_publish_log",
    "lc_modulestore.compile_drafts",
    "lc_modulestore.compile_course",
    "lc_modulestore.compile_stale",
)

pytestmark = pytest.mark.skipif(
    not TUTOR.exists(),
    reason=f"{TUTOR_VENV} is absent: run scripts/tutor-venv.sh (make test does) to test the Tutor plugin",
)


def tutor(root: Path, *args: str) -> str:
    env = {**os.environ, "TUTOR_ROOT": str(root), "TUTOR_PLUGINS_ROOT": str(root / "plugins")}
    run = subprocess.run([str(TUTOR), *args], env=env, capture_output=True, text=True)
    assert run.returncode == 0, f"tutor {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}"
    return run.stdout


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tutor-root")
    tutor(root, "plugins", "enable", "lc_modulestore")
    tutor(root, "config", "save")
    return root / "env"


@pytest.fixture(scope="module")
def customised(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tutor-root-custom")
    tutor(root, "plugins", "enable", "lc_modulestore")
    tutor(root, "config", "save", "--set", "LC_MODULESTORE_COMPILE_QUEUE=site.compile", "--set",
          "LC_MODULESTORE_MOUNT=false", "--set", "OPENEDX_EXTRA_PIP_REQUIREMENTS=[\"site-package==1.0\"]",
          "--set", "LC_MODULESTORE_PIP_REQUIREMENT=git+https://example.org/lc-modulestore@v0.1.0")
    return root / "env"


def lc_block(settings_file: Path) -> str:
    text = settings_file.read_text()
    start = text.index("# lc-modulestore (tutor-contrib-lc-modulestore)")
    end = text.index("# end of lc-modulestore", start)
    return text[start:end]


def run_settings(block: str, *, routes=None) -> dict:
    """Execute the rendered block where edx-platform's settings would be (its default MODULESTORE shape)."""
    namespace = {
        "__name__": "tutor_rendered_settings",
        "INSTALLED_APPS": ["openedx_content", "lc_modulestore.apps.LcModulestoreConfig"],
        "MODULESTORE": {"default": {"ENGINE": "xmodule.modulestore.mixed.MixedModuleStore", "OPTIONS": {"stores": [
            {"NAME": "split", "ENGINE": "xmodule.modulestore.split_mongo.split_draft.DraftVersioningModuleStore"},
            {"NAME": "draft", "ENGINE": "xmodule.modulestore.mongo.DraftMongoModuleStore"},
        ]}}},
        "CELERY_BEAT_SCHEDULE": {"site.task": {"task": "site.task", "schedule": 60}},
    }
    if routes is not None:
        namespace["CELERY_TASK_ROUTES"] = routes
    import sys
    import types

    module = types.ModuleType("tutor_rendered_settings")
    module.__dict__.update(namespace)
    sys.modules[module.__name__] = module
    try:
        exec(compile(block, "rendered-settings", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module.__dict__


@pytest.mark.parametrize("variant", ["lms/production.py", "cms/production.py", "lms/development.py",
                                     "cms/development.py"])
def test_settings_mount_the_store_and_route_the_compile_queue(rendered, variant) -> None:
    block = lc_block(rendered / "apps" / "openedx" / "settings" / variant)
    settings = run_settings(block, routes={"site.*": {"queue": "site"}})
    stores = settings["MODULESTORE"]["default"]["OPTIONS"]["stores"]
    assert stores[0]["ENGINE"] == ENGINE and stores[1]["ENGINE"].endswith("DraftMongoModuleStore")
    assert settings["INSTALLED_APPS"].count("lc_modulestore.apps.LcModulestoreConfig") == 1
    assert settings["LC_MODULESTORE_MONGO_URI"] == "mongodb://mongodb:27017/?authSource=admin"
    assert settings["LC_MODULESTORE_MONGO_DB"] == "openedx"
    assert settings["LC_MODULESTORE_MONGO_COLLECTION"] == "modulestore"
    assert settings["LC_MODULESTORE_FS_ROOT"] == "/openedx/data/lc_modulestore"
    assert settings["CELERY_TASK_ROUTES"]["site.*"] == {"queue": "site"}
    for task in TASKS:
        assert settings["CELERY_TASK_ROUTES"][task] == {"queue": "lc_modulestore.compile"}
    beat = settings["CELERY_BEAT_SCHEDULE"]
    assert beat["site.task"]["schedule"] == 60
    assert beat["lc_modulestore.compile_stale"]["options"] == {"queue": "lc_modulestore.compile"}


def test_the_app_is_added_when_the_plugin_loader_did_not(rendered) -> None:
    block = lc_block(rendered / "apps" / "openedx" / "settings" / "lms" / "production.py")
    listed = run_settings(block)  # the plugin loader listed it already: not listed twice
    assert listed["INSTALLED_APPS"].count("lc_modulestore.apps.LcModulestoreConfig") == 1
    bare = run_settings("INSTALLED_APPS.remove('lc_modulestore.apps.LcModulestoreConfig')\n" + block)
    assert bare["INSTALLED_APPS"].count("lc_modulestore.apps.LcModulestoreConfig") == 1


def test_config_values_reach_the_settings(customised) -> None:
    block = lc_block(customised / "apps" / "openedx" / "settings" / "cms" / "production.py")
    settings = run_settings(block, routes=[{"site.*": {"queue": "site"}}])
    assert settings["MODULESTORE"]["default"]["OPTIONS"]["stores"][0]["ENGINE"].endswith("DraftVersioningModuleStore")
    assert settings["CELERY_TASK_ROUTES"][0] == {"site.*": {"queue": "site"}}
    assert settings["CELERY_TASK_ROUTES"][1] == {task: {"queue": "site.compile"} for task in TASKS}


def test_compose_worker_service(rendered, customised) -> None:
    for env_dir, queue in ((rendered, "lc_modulestore.compile"), (customised, "site.compile")):
        compose = yaml.safe_load((env_dir / "local" / "docker-compose.prod.yml").read_text())
        worker = compose["services"]["lc-modulestore-compile-worker"]
        assert worker["image"] == compose["services"]["cms-worker"]["image"]
        assert worker["environment"]["DJANGO_SETTINGS_MODULE"] == "cms.envs.tutor.production"
        assert worker["command"][:3] == ["celery", "--app=cms.celery", "worker"]
        assert f"--queues={queue}" in worker["command"] and "--beat" in worker["command"]
        assert "--concurrency=2" in worker["command"]
        assert worker["depends_on"] == ["cms"]
        assert "../apps/openedx/settings/cms:/openedx/edx-platform/cms/envs/tutor:roz" in worker["volumes"]


def test_k8s_worker_deployment(rendered) -> None:
    docs = [d for d in yaml.safe_load_all((rendered / "k8s" / "deployments.yml").read_text()) if d]
    (worker,) = [d for d in docs if d["metadata"]["name"] == "lc-modulestore-compile-worker"]
    container = worker["spec"]["template"]["spec"]["containers"][0]
    assert worker["spec"]["replicas"] == 1  # the beat runs here: one replica sends compile_stale once
    assert "--queues=lc_modulestore.compile" in container["args"]


def test_openedx_image_installs_the_package(rendered, customised) -> None:
    dockerfile = (rendered / "build" / "openedx" / "Dockerfile").read_text()
    assert dockerfile.count("install 'lc-modulestore==0.1.0'") == 1
    custom = (customised / "build" / "openedx" / "Dockerfile").read_text()
    # The site replaced OPENEDX_EXTRA_PIP_REQUIREMENTS: its package and ours are both installed, ours once.
    assert "install 'site-package==1.0'" in custom
    assert custom.count("install 'git+https://example.org/lc-modulestore@v0.1.0'") == 1


def test_init_task_migrates(rendered) -> None:
    script = (rendered / "plugins" / "lc_modulestore" / "jobs" / "init" / "lms.sh").read_text()
    assert "./manage.py lms migrate lc_modulestore" in script
    assert 'mkdir -p "/openedx/data/lc_modulestore"' in script
    root = rendered.parent
    run = subprocess.run([str(TUTOR_VENV / "bin" / "python"), str(Path(__file__).with_name("init_tasks.py")),
                          str(root)], env={**os.environ, "TUTOR_ROOT": str(root),
                                           "TUTOR_PLUGINS_ROOT": str(root / "plugins")},
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [["lms", script.rstrip("\n")]]
