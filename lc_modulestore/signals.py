"""
Signals: Learning Core publish/draft events trigger compiles; a finished published compile announces itself.

Learning Core sends ``ENTITIES_PUBLISHED`` / ``ENTITIES_DRAFT_CHANGED`` after
its transaction commits. The receivers only enqueue Celery tasks
(:mod:`lc_modulestore.tasks`); the compile runs there.
"""
from __future__ import annotations

import logging

import django.dispatch
from django.conf import settings
from openedx_content.api import signals as content_signals

#: Sent after a compile moved a course's published head, with ``course_key`` (a CourseLocator),
#: exactly as edx-platform's ``SignalHandler.course_published`` is, so LMS read models rebuild.
course_published = django.dispatch.Signal()

log = logging.getLogger(__name__)


def on_entities_published(sender=None, *, learning_package=None, change_log=None, **kwargs) -> None:
    """Compile the published branch as of the new PublishLog (and the draft branch: publishing changes it too)."""
    from .tasks import compile_publish_log_task

    try:
        compile_publish_log_task.delay(change_log.publish_log_id)
    except Exception:  # pylint: disable=broad-except
        # Never fail the publish itself (this runs in its on_commit); `manage.py lc_compile` repairs.
        log.exception("Could not enqueue the compile of PublishLog %s", change_log.publish_log_id)


def on_entities_draft_changed(sender=None, *, learning_package=None, change_log=None, **kwargs) -> None:
    """Compile the draft branch after a quiet period; the task compiles the latest draft log, so bursts collapse."""
    from .tasks import compile_drafts_task

    try:
        compile_drafts_task.apply_async(
            args=[learning_package.id], countdown=getattr(settings, "LC_MODULESTORE_DRAFT_COMPILE_DEBOUNCE", 5)
        )
    except Exception:  # pylint: disable=broad-except
        log.exception("Could not enqueue the draft compile of learning package %s", learning_package.id)


content_signals.ENTITIES_PUBLISHED.connect(on_entities_published, dispatch_uid="lc_modulestore.compile_published")
content_signals.ENTITIES_DRAFT_CHANGED.connect(on_entities_draft_changed, dispatch_uid="lc_modulestore.compile_drafts")
