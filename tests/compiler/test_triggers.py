"""Learning Core events → Celery tasks (eager here) → compiles → course_published."""
from __future__ import annotations

from unittest import mock

import pytest

from compiler import storage
from lc_modulestore import tasks
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, course_published, publish_course
from lc_modulestore.models import CourseIndex
from tests.compiler.helpers import build_course, leaf

pytestmark = pytest.mark.django_db


def test_publishing_compiles_the_published_branch_and_announces_it(django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, course_key, **kwargs):
        received.append(course_key)

    course_published.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            course, writer = build_course()  # creates drafts and publishes once
        index = CourseIndex.objects.get(course=course)
        log_id = index.published_structure.publish_log_id
        assert received == [course.course_key]
        assert index.draft_structure is not None  # draft changes compiled too (eager: no debounce wait)

        with django_capture_on_commit_callbacks(execute=True):
            writer.save_block(leaf("html", "p0_0_0_0", text="edited"))
            log = publish_course(course)
        index.refresh_from_db()
        assert index.published_structure.publish_log_id == log.id != log_id
        assert not index.published_structure.full_compile  # incremental from the previous structure
        assert received == [course.course_key, course.course_key]
    finally:
        course_published.disconnect(receiver)


def test_draft_compiles_are_debounced_and_collapse(settings, django_capture_on_commit_callbacks):
    settings.LC_MODULESTORE_DRAFT_COMPILE_DEBOUNCE = 17
    course, writer = build_course(publish=False)
    with mock.patch.object(tasks.compile_drafts_task, "apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=True):
            writer.save_block(leaf("html", "p0_0_0_0", text="one"))
            writer.save_block(leaf("html", "p0_0_0_1", text="two"))
    assert apply_async.call_args_list == [mock.call(args=[course.learning_package_id], countdown=17)] * 2
    # the queued tasks run later; the first compiles the latest draft log, the second finds nothing to do
    first = tasks.compile_drafts_task.delay(course.learning_package_id).get()
    second = tasks.compile_drafts_task.delay(course.learning_package_id).get()
    assert first["installed"] and not first["stale"]
    assert second["stale"] and not second["installed"]
    assert storage.head_log_id(course, DRAFT_BRANCH) == first["log_id"]


def test_publish_task_is_idempotent_and_ignores_packages_without_a_course():
    course, _ = build_course()
    log_id = course.learning_package.publishlog_set.get().id
    assert tasks.compile_publish_log_task.delay(log_id).get()["installed"]
    assert tasks.compile_publish_log_task.delay(log_id).get()["stale"]
    assert storage.head_log_id(course, PUBLISHED_BRANCH) == log_id
    assert "skipped" in tasks.compile_publish_log_task.delay(10**9).get()


def test_draft_events_before_the_course_root_exists_do_not_break_authoring(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        course, writer = build_course(publish=False, sections=0)  # only the root: fine
        writer.save_block(leaf("html", "loose"))
    from compiler.api import compile_drafts_of_package
    from lc_modulestore.api import create_course
    from tests.compiler.helpers import T0

    empty = create_course("course-v1:Org+Empty+R", title="E", created=T0)
    with django_capture_on_commit_callbacks(execute=True):
        from lc_modulestore.api import CourseWriter

        CourseWriter(empty, created=T0).save_block(leaf("html", "first"))  # no root yet
    assert "skipped" in tasks.compile_drafts_task.delay(empty.learning_package_id).get()
    with pytest.raises(Exception, match="no root"):
        compile_drafts_of_package(empty.learning_package_id)


@pytest.mark.django_db(transaction=True)
def test_a_draft_edit_outside_any_transaction_is_compiled_with_its_field_data():
    """Autocommit authoring: the draft event fires after the version *and* its field data are committed."""
    course, writer = build_course(publish=False)  # real commits: every draft event compiles (eager)
    writer.save_block(leaf("html", "p0_0_0_0", text="autocommit edit"))
    from compiler import api
    from compiler.snapshot import latest_draft_log

    assert storage.head_log_id(course, DRAFT_BRANCH) == latest_draft_log(course).pk
    doc = api.structure_document(str(course.course_key), branch=DRAFT_BRANCH)
    html = next(b for b in doc["blocks"] if b["block_id"] == "p0_0_0_0")
    definition = api.definition_documents([str(html["definition"])])[str(html["definition"])]
    assert definition["fields"]["data"] == "<html>autocommit edit</html>"
