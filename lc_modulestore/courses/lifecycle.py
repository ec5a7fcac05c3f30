"""
The course as a whole in Learning Core: create it, find it, publish it, and ask whether a publish would change anything.

Block-level writes go through :class:`~lc_modulestore.courses.authoring.CourseWriter`;
this module holds what acts on the course record and its learning package at once.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from openedx_content import api as content_api
from openedx_content.models_api import ComponentVersionMedia, Published, PublishLog

from lc_modulestore.core.errors import CourseExistsError, CourseNotFoundError
from lc_modulestore.core.keys import BlockKey, parse_course_key
from lc_modulestore.courses.data import BlockData
from lc_modulestore.courses.models import BlockFieldData, CourseBlock, LearningCoreCourse


def create_course(
    course_key: str, *, title: str, created: datetime, created_by: int | None = None
) -> LearningCoreCourse:
    """Create the learning package and course record for ``course_key`` (no blocks yet)."""
    key = parse_course_key(course_key)
    if LearningCoreCourse.objects.filter(course_key=key).exists():
        raise CourseExistsError(f"Course {key} already exists in Learning Core")
    with transaction.atomic():
        package = content_api.create_learning_package(str(key), title, created=created)
        return LearningCoreCourse.objects.create(
            course_key=key,
            org=key.org,
            course=key.course,
            run=key.run,
            learning_package=package,
            wiki_slug=f"{key.org}.{key.course}.{key.run}",
            created=created,
            created_by=created_by if created_by is not None else -1,
        )


def get_course(course_key: str) -> LearningCoreCourse:
    """The course record for ``course_key``, or :class:`CourseNotFoundError`."""
    key = parse_course_key(course_key)
    try:
        return LearningCoreCourse.objects.select_related("learning_package").get(course_key=key)
    except LearningCoreCourse.DoesNotExist:
        raise CourseNotFoundError(f"No Learning Core course {key}") from None


def publish_course(
    course: LearningCoreCourse,
    *,
    message: str = "",
    published_at: datetime | None = None,
    published_by: int | None = None,
) -> PublishLog:
    """Publish every draft change of the course (one PublishLog)."""
    return content_api.publish_all_drafts(
        course.learning_package_id, message=message, published_at=published_at, published_by=published_by
    )




def published_state_matches(course: LearningCoreCourse, blocks: Iterable[BlockData]) -> bool:
    """
    True if publishing ``blocks`` would change nothing: every block published as is, nothing else published.

    Re-importing an unchanged source (OLX or split) checks this first, so it
    makes no new versions and no empty publish.
    """
    blocks = list(blocks)
    if not blocks:
        return False
    rows = {
        BlockKey(r.block_type, r.block_id): r
        for r in CourseBlock.objects.filter(course=course).only("block_type", "block_id", "entity_id")
    }
    published = {
        p.entity_id: p.version
        for p in Published.objects.filter(entity__course_block__course=course).select_related("version")
    }
    wanted_entities = set()
    for data in blocks:
        row = rows.get(data.key)
        if row is None or published.get(row.entity_id) is None:
            return False
        wanted_entities.add(row.entity_id)
    if any(version is not None and entity not in wanted_entities for entity, version in published.items()):
        return False
    version_ids = [published[rows[data.key].entity_id].pk for data in blocks]
    fields = {f.entity_version_id: f for f in BlockFieldData.objects.filter(entity_version_id__in=version_ids)}
    olx = {
        m.component_version_id: m.media.text
        for m in ComponentVersionMedia.objects.filter(component_version_id__in=version_ids, path="block.xml")
        .select_related("media")
    }
    for data in blocks:
        version = published[rows[data.key].entity_id]
        stored = fields.get(version.pk)
        if (
            stored is None
            or version.title != data.title
            or stored.settings != data.settings
            or stored.content != data.content
            or [tuple(c) for c in stored.children] != [tuple(c) for c in data.children]
            or (data.olx is not None and olx.get(version.pk) != data.olx)
        ):
            return False
    return True




def blocks_of(course: LearningCoreCourse, keys: Iterable[BlockKey]) -> dict[BlockKey, CourseBlock]:
    """The usage-key map rows for ``keys`` (missing keys are absent from the result)."""
    wanted = set(keys)
    rows = CourseBlock.objects.filter(course=course, block_type__in={k.type for k in wanted})
    return {k: r for r in rows if (k := BlockKey(r.block_type, r.block_id)) in wanted}


__all__ = ["blocks_of", "create_course", "get_course", "publish_course", "published_state_matches"]
