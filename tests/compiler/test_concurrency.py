"""Two compiles racing on MariaDB: the index row lock keeps an older log from replacing a newer head."""
from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from compiler import api, storage
from lc_modulestore import tasks
from lc_modulestore.api import PUBLISHED_BRANCH, publish_course
from lc_modulestore.models import CompiledStructure, CourseIndex
from tests.compiler.helpers import build_course, leaf


@pytest.mark.mysql_only
@pytest.mark.django_db(transaction=True)
def test_an_older_log_compiled_concurrently_never_wins(monkeypatch):
    if connection.vendor != "mysql":
        pytest.skip("needs MariaDB/MySQL row locks (SELECT … FOR UPDATE)")
    # Real commits here: keep the on-commit triggers from compiling behind the test's back.
    monkeypatch.setattr(tasks.compile_publish_log_task, "delay", lambda *a, **k: None)
    monkeypatch.setattr(tasks.compile_drafts_task, "apply_async", lambda *a, **k: None)
    course, writer = build_course()
    log1 = course.learning_package.publishlog_set.get()
    writer.save_block(leaf("html", "p0_0_0_0", text="newer"))
    log2 = publish_course(course)

    newer_locked, release = threading.Event(), threading.Event()
    real_locked_index = storage.locked_index

    def locked_index(course_arg):
        index = real_locked_index(course_arg)
        if threading.current_thread().name == "newer":
            newer_locked.set()  # hold the index lock until the older compile is waiting for it
            assert release.wait(30)
        return index

    monkeypatch.setattr(storage, "locked_index", locked_index)
    results, errors = {}, []

    def run(name, log_id):
        try:
            results[name] = api.compile_publish_log(log_id)
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    newer = threading.Thread(target=run, args=("newer", log2.id), name="newer")
    older = threading.Thread(target=run, args=("older", log1.id), name="older")
    newer.start()
    assert newer_locked.wait(30), errors
    older.start()
    older.join(timeout=2)
    assert older.is_alive(), "the older compile must be blocked on the index lock held by the newer one"
    release.set()
    newer.join(30)
    older.join(30)
    assert not errors, errors
    assert results["newer"].installed
    assert results["older"].stale and not results["older"].installed
    index = CourseIndex.objects.get(course=course)
    assert index.published_structure.publish_log_id == log2.id
    assert not CompiledStructure.objects.filter(publish_log=log1, branch=PUBLISHED_BRANCH).exists()
