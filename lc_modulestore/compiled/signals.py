"""
Signals the compiled documents send. A leaf module: it declares, it imports nothing of the project.

Receivers are connected in :meth:`lc_modulestore.apps.LcModulestoreConfig.ready`
(``dispatch_uid`` on every one), never at import time.
"""
import django.dispatch

#: Sent after a compile moved a course's published head, with ``course_key`` (a CourseLocator),
#: exactly as edx-platform's ``SignalHandler.course_published`` is, so LMS read models rebuild.
course_published = django.dispatch.Signal()

__all__ = ["course_published"]
