"""Reading an imported course back out of Learning Core, for the OLX tests."""
from __future__ import annotations

from pathlib import Path

from django.apps import apps
from openedx_content import api as content_api
from openedx_content.models_api import ComponentVersionMedia, Container, Draft, PublishableEntityVersion, Published

from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, decode_definition, decode_structure
from lc_modulestore.models import BlockFieldData, CourseBlock, LearningCoreCourse
from lc_modulestore.models_api import CompiledDefinition, CourseIndex

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "olx"
# Every importable course of fixtures/olx (broken/ and hostile/ hold refused exports) → the key it is imported as.
FIXTURE_COURSES = {"full": "course-v1:Full+F1+2026", "era2013": "course-v1:Era+X13+2013_Spring",
                   "era2014": "course-v1:Era+X14+2014_T1", "era2017": "course-v1:Era+X17+2017_T2",
                   "era2021": "course-v1:Era+X21+2021"}


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


def entity_versions(lc_course: LearningCoreCourse) -> dict[int, tuple[int | None, int | None]]:
    """Every entity of the course's learning package → (draft version_num, published version_num), by openedx-core."""
    def number(entity_version: PublishableEntityVersion | None) -> int | None:
        return entity_version.version_num if entity_version is not None else None

    return {
        entity.pk: (number(content_api.get_draft_version(entity)), number(content_api.get_published_version(entity)))
        for entity in content_api.get_publishable_entities(lc_course.learning_package_id)
    }


def compiled_documents(course_key: str) -> dict[str, tuple[dict, dict[str, dict]]]:
    """Both branches' compiled structure and its definitions, decoded: what a compile wrote for the course."""
    index = CourseIndex.objects.select_related("published_structure", "draft_structure").get(
        course__course_key=course_key)
    documents = {}
    for branch, row in ((PUBLISHED_BRANCH, index.published_structure), (DRAFT_BRANCH, index.draft_structure)):
        structure = decode_structure(bytes(row.data), row.checksum, what=course_key)
        definitions = {
            d.objectid: decode_definition(bytes(d.data), d.checksum, what=d.objectid)
            for d in CompiledDefinition.objects.filter(
                objectid__in=[str(b["definition"]) for b in structure["blocks"]])
        }
        documents[branch] = (structure, definitions)
    return documents
