"""Reading an imported course back out of Learning Core, for the OLX tests."""
from __future__ import annotations

from pathlib import Path

from django.apps import apps
from openedx_content import api as content_api
from openedx_content.models_api import ComponentVersionMedia, Container, Draft, PublishableEntityVersion, Published

from lc_modulestore.models import BlockFieldData, CourseBlock, LearningCoreCourse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "olx"


def row_counts() -> dict[str, int]:
    """Rows in every table an import can write (Learning Core, ours, edxval)."""
    counts = {}
    for label in ("openedx_content", "lc_modulestore", "edxval"):
        for model in apps.get_app_config(label).get_models():
            counts[model._meta.label] = model.objects.count()
    return counts


def course(key: str) -> LearningCoreCourse:
    return LearningCoreCourse.objects.get(course_key=key)


def version(lc_course: LearningCoreCourse, block_type: str, block_id: str, *, published: bool = False
            ) -> PublishableEntityVersion | None:
    block = CourseBlock.objects.get(course=lc_course, block_type=block_type, block_id=block_id)
    pointer = (Published if published else Draft).objects.filter(entity_id=block.entity_id).first()
    return pointer.version if pointer else None


def fields(lc_course: LearningCoreCourse, block_type: str, block_id: str, *, published: bool = False
           ) -> BlockFieldData:
    return version(lc_course, block_type, block_id, published=published).block_field_data


def olx(lc_course: LearningCoreCourse, block_type: str, block_id: str) -> str:
    v = version(lc_course, block_type, block_id)
    return ComponentVersionMedia.objects.get(component_version_id=v.pk, path="block.xml").media.text


def entity_children(lc_course: LearningCoreCourse, block_type: str, block_id: str, *, published: bool = False
                    ) -> list[tuple[str, str]]:
    """A container's children as Learning Core's entity list has them."""
    block = CourseBlock.objects.get(course=lc_course, block_type=block_type, block_id=block_id)
    container = Container.objects.get(pk=block.entity_id)
    return [
        (row.entity.course_block.block_type, row.entity.course_block.block_id)
        for row in content_api.get_entities_in_container(container, published=published)
    ]
