"""
Signals the course writer sends. A leaf module: it declares, it imports nothing of the project.

Receivers are connected in :meth:`lc_modulestore.apps.LcModulestoreConfig.ready`
(``dispatch_uid`` on every one), never at import time.
"""
import django.dispatch

#: Sent after the transaction that changed a course's asset metadata (``CourseAsset`` rows) commits, with
#: ``course`` (the :class:`~lc_modulestore.courses.models.LearningCoreCourse`). Asset writes make no Learning
#: Core log, so nothing else tells the compiler that both branches' ``assets`` are out of date (ADR 0028).
course_assets_changed = django.dispatch.Signal()

__all__ = ["course_assets_changed"]
