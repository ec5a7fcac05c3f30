"""
A real Celery worker on Redis compiles what Learning Core publishes (MariaDB only).

The worker is a subprocess, so it must see the test's rows: that needs a shared
server database (MariaDB's ``test_…`` database, committed data: ``transaction=True``).
Skipped without ``LC_REDIS_URL`` (the CI script sets it) or when Redis is unreachable.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from lc_modulestore.api import publish_course
from lc_modulestore.models import CourseIndex
from lc_modulestore.settings.celery import app
from tests.compiler.helpers import build_course, leaf

ROOT = Path(__file__).resolve().parents[2]


def _redis_url() -> str:
    url = os.environ.get("LC_REDIS_URL")
    if not url:
        pytest.skip("LC_REDIS_URL is not set")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis at {url} is unreachable: {exc}")
    return url


def _drop_connection_pools() -> None:
    """Make the app build broker connections from its current conf again (pools are cached on first use)."""
    app.close()
    app._pool = None  # noqa: SLF001  (Celery has no public reset)
    app.amqp._producer_pool = None  # noqa: SLF001


def _wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.celery_worker
@pytest.mark.mysql_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_compiles_each_publish():
    if connection.vendor != "mysql":
        pytest.skip("the worker subprocess needs a server database shared with the test")
    redis_url = _redis_url()
    queue = f"lcms-test-{uuid.uuid4().hex[:8]}"
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_default_queue", "task_routes")}
    app.conf.update(task_always_eager=False, broker_url=redis_url, task_default_queue=queue,
                    task_routes={"lc_modulestore.compile_*": {"queue": queue}})  # LC_MODULESTORE_COMPILE_QUEUE's
    app.amqp.flush_routes()  # routes are read once
    app.amqp.router = app.amqp.Router()
    _drop_connection_pools()  # earlier tests may have built them for the in-memory broker
    db = connection.settings_dict
    env = {
        **os.environ,
        "LC_CELERY_BROKER_URL": redis_url,
        "LC_DATABASE_URL": f"mysql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "lc_modulestore.settings",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "lc_modulestore.settings.celery", "worker", "--pool=solo", "-Q", queue,
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        course, writer = build_course()  # publish → ENTITIES_PUBLISHED on commit → task on Redis → worker
        assert _wait_for(
            lambda: CourseIndex.objects.filter(course=course, published_structure__isnull=False).exists()
        ), "the worker did not compile the first publish"
        writer.save_block(leaf("html", "p0_0_0_0", text="edited"))
        log = publish_course(course)
        assert _wait_for(
            lambda: CourseIndex.objects.filter(course=course, published_structure__publish_log=log).exists()
        ), "the worker did not compile the edit"
        head = CourseIndex.objects.get(course=course).published_structure
        assert not head.full_compile  # incremental, from the structure the worker compiled before
    finally:
        worker.terminate()
        try:
            output = worker.communicate(timeout=20)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0].decode(errors="replace")
        print(output[-4000:])
        app.conf.update(saved)
        app.amqp.flush_routes()
        app.amqp.router = app.amqp.Router()
        _drop_connection_pools()
