"""factory-boy factories for Learning Core courses (synthetic outlines via ``lc_modulestore.importing.synthetic``)."""
from __future__ import annotations

import datetime

import factory

from lc_modulestore.importing.synthetic import build_synthetic_course
from lc_modulestore.models import LearningCoreCourse

_CREATED = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


class SyntheticCourseFactory(factory.Factory):
    """
    A published synthetic course: ``SyntheticCourseFactory(sections=2, components=3)``.

    Each instance gets its own course key (``course-v1:Synth+C<n>+Run``);
    pass ``course_key=...`` to choose one, ``publish=False`` to leave it draft.
    """

    class Meta:
        model = LearningCoreCourse

    course_key = factory.Sequence(lambda n: f"course-v1:Synth+C{n}+Run")
    sections = 2
    subsections = 2
    units = 2
    components = 3
    seed = 0
    created = _CREATED
    publish = True
    with_settings = True

    @classmethod
    def _create(cls, model_class, course_key, **kwargs):
        return build_synthetic_course(course_key, **kwargs)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("SyntheticCourseFactory writes to the database: use create(), not build()")
