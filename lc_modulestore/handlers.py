"""
Receivers: Learning Core publish/draft events and asset changes enqueue compiles; a Celery task starts with
fresh flag answers.

Learning Core sends ``ENTITIES_PUBLISHED`` / ``ENTITIES_DRAFT_CHANGED`` after
its transaction commits; the course writer sends ``course_assets_changed`` after
the transaction that changed asset metadata commits (ADR 0028). The receivers only enqueue Celery tasks
(:mod:`lc_modulestore.tasks`); the compile runs there. They are connected in
:meth:`lc_modulestore.apps.LcModulestoreConfig.ready` with a ``dispatch_uid``.
"""
from __future__ import annotations

import logging

from django.conf import settings

from lc_modulestore.core.api import DRAFT_BRANCH, PUBLISHED_BRANCH
from lc_modulestore.rollout.api import clear_flag_cache
from lc_modulestore.tasks import compile_course_task, compile_drafts_task, compile_publish_log_task

log = logging.getLogger(__name__)


def on_entities_published(sender=None, *, learning_package=None, change_log=None, **kwargs) -> None:
    """Compile the published branch as of the new PublishLog (and the draft branch: publishing changes it too)."""
    try:
        compile_publish_log_task.delay(change_log.publish_log_id)
    except Exception:  # pylint: disable=broad-except
        # Never fail the publish itself (this runs in its on_commit). Not lost: the course's head now lags its
        # latest publish, so `lc_compile --stale` and the periodic lc_modulestore.compile_stale compile it.
        log.exception("The compile of PublishLog %s could not be enqueued or failed (eager); "
                      "lc_modulestore.compile_stale will compile it", change_log.publish_log_id)


def on_entities_draft_changed(sender=None, *, learning_package=None, change_log=None, **kwargs) -> None:
    """Compile the draft branch after a quiet period; the task compiles the latest draft log, so bursts collapse."""
    try:
        compile_drafts_task.apply_async(
            args=[learning_package.id], countdown=getattr(settings, "LC_MODULESTORE_DRAFT_COMPILE_DEBOUNCE", 5)
        )
    except Exception:  # pylint: disable=broad-except
        log.exception("The draft compile of learning package %s could not be enqueued or failed (eager); "
                      "lc_modulestore.compile_stale will compile it", learning_package.id)


def on_course_assets_changed(sender=None, *, course=None, **kwargs) -> None:
    """
    Compile both branches again: asset metadata belongs to both, as in split, and no log records its change.

    Each compile finds its head stale by the assets' digest in the structure id (ADR 0028) and patches it.
    """
    for branch in (PUBLISHED_BRANCH, DRAFT_BRANCH):
        try:
            compile_course_task.delay(str(course.course_key), branch)
        except Exception:  # pylint: disable=broad-except
            # Never fail the asset write that committed. Not caught up by compile_stale, which compares log ids:
            # the log says so, and `lc_compile COURSE --branch both` compiles it.
            log.exception("The %s compile of %s after an asset change could not be enqueued or failed (eager); "
                          "run lc_compile %s --branch both", branch, course.course_key, course.course_key)


def clear_flags_before_task(**kwargs) -> None:
    """Celery tasks are not requests: start each with fresh course flag answers, as a request would."""
    clear_flag_cache()
