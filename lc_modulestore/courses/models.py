"""
The course, as Learning Core holds it.

Learning Core 1.15.2 knows learning packages, components and three container
types (section/subsection/unit). An Open edX course needs more: a root that
owns the outline, containers of any block type (``split_test``, ``conditional``,
``library_content``…), usage keys, realized XBlock field values and assets.
Those live here, beside (never inside) openedx_content's own tables.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField
from openedx_content.models_api import (
    Container,
    ContainerVersion,
    LearningPackage,
    Media,
    PublishableEntity,
    PublishableEntityVersion,
)
from openedx_django_lib.fields import case_sensitive_char_field

from lc_modulestore.core.extended_json import ExtendedJSONDecoder, ExtendedJSONEncoder


@Container.register_subclass
class CourseRoot(Container):
    """
    The root of a course outline: the container behind ``block-v1:…+type@course+block@course``.

    Learning Core has no course root. Making the root a real Container (rather
    than an ordered list kept outside Learning Core) means every publish below
    it produces side-effect records all the way up, so "the course changed" is
    visible in the publish log itself, and the root's own settings (dates,
    grading policy, tabs…) are versioned like any other block's. See ADR 0002.
    """

    type_code = "lc_course"
    olx_tag_name = "course"

    container = models.OneToOneField(Container, on_delete=models.CASCADE, parent_link=True, primary_key=True)

    class Meta:
        verbose_name = "course root"


class CourseRootVersion(ContainerVersion):
    """A version of a :class:`CourseRoot`: its children and (via BlockFieldData) its settings."""

    container_version = models.OneToOneField(
        ContainerVersion, on_delete=models.CASCADE, parent_link=True, primary_key=True
    )

    class Meta:
        verbose_name = "course root version"


@Container.register_subclass
class BlockContainer(Container):
    """
    A container for any XBlock type with children that Learning Core does not model.

    Section/Subsection/Unit only accept their own child types (a Unit takes only
    Components), but real OLX puts ``split_test``, ``library_content`` or
    ``conditional`` inside verticals, and old exports nest blocks freely. Those
    blocks, and any chapter/sequential/vertical whose children break Learning
    Core's typing, become a BlockContainer. Its block type is kept in the
    usage-key map (:class:`CourseBlock`), not in the container type.
    """

    type_code = "lc_block"

    container = models.OneToOneField(Container, on_delete=models.CASCADE, parent_link=True, primary_key=True)

    class Meta:
        verbose_name = "block container"


class BlockContainerVersion(ContainerVersion):
    """A version of a :class:`BlockContainer`."""

    container_version = models.OneToOneField(
        ContainerVersion, on_delete=models.CASCADE, parent_link=True, primary_key=True
    )

    class Meta:
        verbose_name = "block container version"


class LearningCoreCourse(models.Model):
    """
    One course run in Learning Core: course key ↔ learning package ↔ root container.

    Course keys are an LMS concept that Learning Core does not know; the LMS,
    the router and the compiled course index all start from this row. Deleting
    the learning package deletes the course and, by cascade, everything compiled
    from it.
    """

    course_key = CourseKeyField(max_length=255, unique=True)
    org = case_sensitive_char_field(max_length=255, db_index=True)
    course = case_sensitive_char_field(max_length=255)
    run = case_sensitive_char_field(max_length=255)
    learning_package = models.OneToOneField(LearningPackage, on_delete=models.CASCADE, related_name="lc_course")
    root = models.OneToOneField(
        CourseRoot,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lc_course",
        help_text="The course's root container; set once by the first import.",
    )
    wiki_slug = models.CharField(max_length=255, blank=True, db_index=True)
    created = models.DateTimeField()
    created_by = models.IntegerField(
        default=-1, help_text="User id as split records it; negative ids are system users."
    )

    class Meta:
        verbose_name = "Learning Core course"
        constraints = [models.UniqueConstraint(fields=["org", "course", "run"], name="lcms_course_org_course_run")]

    def __str__(self) -> str:
        return str(self.course_key)


class CourseBlock(models.Model):
    """
    The usage-key map: (course, block_type, block_id) ↔ PublishableEntity.

    Usage keys (``block-v1:Org+Course+Run+type@problem+block@p1``) are a runtime
    concern: one learning package could be served under several course keys, and
    OLX ``url_name``s contain characters that Learning Core codes forbid. So the
    block id lives here, unique both ways, and entity refs stay opaque. See ADR 0003.
    """

    course = models.ForeignKey(LearningCoreCourse, on_delete=models.CASCADE, related_name="blocks")
    block_type = case_sensitive_char_field(max_length=255)
    block_id = case_sensitive_char_field(max_length=255)
    entity = models.OneToOneField(PublishableEntity, on_delete=models.CASCADE, related_name="course_block")
    detached = models.BooleanField(
        default=False,
        help_text="about/course_info/static_tab: part of the course, nobody's child (split's detached blocks).",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "block_type", "block_id"], name="lcms_block_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.course.course_key}:{self.block_type}/{self.block_id}"


class BlockFieldData(models.Model):
    """
    The XBlock field values one entity version realizes, by scope.

    Written once, when the version is created, and never changed: parsing OLX
    needs the XBlock classes, so it happens at import time, and the compiler only
    copies these values into documents. ``settings`` go to the structure,
    ``content`` to the definition, as split stores them. Values are split's
    storable form (``field.to_json()``; datetimes stay datetimes), kept as
    Extended JSON.
    """

    entity_version = models.OneToOneField(
        PublishableEntityVersion, on_delete=models.CASCADE, primary_key=True, related_name="block_field_data"
    )
    block_type = case_sensitive_char_field(max_length=255)
    settings = models.JSONField(default=dict, encoder=ExtendedJSONEncoder, decoder=ExtendedJSONDecoder)
    content = models.JSONField(default=dict, encoder=ExtendedJSONEncoder, decoder=ExtendedJSONDecoder)
    children = models.JSONField(
        default=list,
        help_text="[[block_type, block_id], …] as authored, in order. The compiler reads live children "
        "from the container's entity list; this copy is for verification and export.",
    )

    def save(self, *args, **kwargs):
        if self._state.adding is False:
            raise ValidationError(f"Field data of entity version {self.pk} is immutable")
        super().save(*args, **kwargs)

    class Meta:
        verbose_name_plural = "block field data"


class CourseAsset(models.Model):
    """
    A static file of a course (``static/`` in OLX, the contentstore in split) and its metadata.

    The bytes are Learning Core Media (content-addressed, in the learning
    package); the metadata is split's ``AssetMetadata``, which the compiler puts
    in the structure's ``assets``. Assets are not versioned in split either.
    """

    course = models.ForeignKey(LearningCoreCourse, on_delete=models.CASCADE, related_name="assets")
    asset_type = models.CharField(max_length=64, default="asset")
    path = case_sensitive_char_field(max_length=255, help_text="Path under static/, e.g. images/logo.png")
    media = models.ForeignKey(
        Media,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text="The file's bytes; empty when only the metadata is known (a split course migrated without its "
        "contentstore files).",
    )
    content_type = models.CharField(max_length=255, blank=True)
    locked = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, encoder=ExtendedJSONEncoder, decoder=ExtendedJSONDecoder)
    edited_on = models.DateTimeField()
    edited_by = models.IntegerField(default=-1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "asset_type", "path"], name="lcms_asset_path_unique")
        ]

    def __str__(self) -> str:
        return f"{self.course.course_key}:{self.path}"
