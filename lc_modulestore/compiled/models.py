"""
Split-format documents compiled from Learning Core history.

Split keeps three collections: ``active_versions`` (course index),
``structures`` and ``definitions``. We keep the same three things in MySQL,
each tied by foreign key to the Learning Core row it was compiled from, so a
deleted learning package or a pruned publish log takes its compiled documents
with it (``on_delete=CASCADE``): nothing compiled can outlive its source.
"""
from __future__ import annotations

from django.db import models
from openedx_content.models_api import DraftChangeLog, PublishLog

from lc_modulestore.compiled.codec import checksum
from lc_modulestore.core.branches import BRANCH_CHOICES, DRAFT_BRANCH, PUBLISHED_BRANCH
from lc_modulestore.courses.models import BlockFieldData, LearningCoreCourse


class CompiledStructure(models.Model):
    """
    One split structure document (``structures`` collection), stored compressed.

    Immutable once written, like split's: a new publish compiles a new row and
    moves the course index head. A published structure hangs off the PublishLog
    it represents; a draft structure off the DraftChangeLog it was compiled after.
    ``data`` is ``zlib(bson(document))``; ``checksum`` (blake2b of ``data``) lets
    readers refuse a corrupt row with an error naming the course.
    """

    objectid = models.CharField(max_length=24, unique=True, help_text="The structure's _id, 24 hex chars.")
    course = models.ForeignKey(LearningCoreCourse, on_delete=models.CASCADE, related_name="structures")
    branch = models.CharField(max_length=32, choices=BRANCH_CHOICES)
    publish_log = models.ForeignKey(
        PublishLog, on_delete=models.CASCADE, null=True, blank=True, related_name="lc_structures"
    )
    draft_change_log = models.ForeignKey(
        DraftChangeLog, on_delete=models.CASCADE, null=True, blank=True, related_name="lc_structures"
    )
    data = models.BinaryField()
    checksum = models.CharField(max_length=64)
    entry_index = models.BinaryField(
        null=True,
        blank=True,
        help_text=(
            "Every block entry's key and offset in the uncompressed structure (entry_index module, ADR 0027), "
            "so readers need not scan for them; null for rows written before it (readers scan)."
        ),
    )
    raw_size = models.PositiveBigIntegerField(help_text="Bytes of the uncompressed BSON document.")
    stored_size = models.PositiveBigIntegerField(help_text="Bytes of `data`.")
    block_count = models.PositiveIntegerField()
    compiled_at = models.DateTimeField()
    compile_ms = models.FloatField(default=0)
    compile_queries = models.PositiveIntegerField(default=0)
    full_compile = models.BooleanField(default=True)
    has_pins = models.BooleanField(
        default=False,
        help_text="The course had pinned entity-list rows; the next publish is compiled in full, not incrementally.",
    )
    rebuilt_blocks = models.PositiveIntegerField(
        default=0,
        help_text="Block entries built from Learning Core data; the rest were copied from the previous structure.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "branch", "publish_log"], name="lcms_structure_per_publish"),
            models.UniqueConstraint(
                fields=["course", "branch", "draft_change_log"], name="lcms_structure_per_draft_log"
            ),
            # A published structure never points at a draft log and vice versa. Both may be NULL for an
            # instant: on MySQL/MariaDB (no deferred constraints) Django's cascade delete first sets the
            # nullable FK to NULL, then deletes the row, so "exactly one set" would make deletes fail.
            models.CheckConstraint(
                condition=(
                    models.Q(branch=PUBLISHED_BRANCH, draft_change_log__isnull=True)
                    | models.Q(branch=DRAFT_BRANCH, publish_log__isnull=True)
                ),
                name="lcms_structure_source_matches_branch",
            ),
        ]
        indexes = [models.Index(fields=["course", "branch", "-id"], name="lcms_structure_course_branch")]

    def __str__(self) -> str:
        return f"{self.course.course_key} {self.branch} {self.objectid}"


class CompiledDefinition(models.Model):
    """
    One split definition document (``definitions`` collection): the content-scope fields of one field-data version.

    Definitions are per entity version, so they cascade with it. ``data`` is
    uncompressed BSON (definitions are small and read one or a few at a time);
    ``checksum`` (blake2b of ``data``) lets readers refuse a damaged row, as for structures.
    """

    field_data = models.OneToOneField(
        BlockFieldData, on_delete=models.CASCADE, primary_key=True, related_name="definition"
    )
    objectid = models.CharField(max_length=24, unique=True, help_text="The definition's _id, 24 hex chars.")
    block_type = models.CharField(max_length=255)
    data = models.BinaryField()
    checksum = models.CharField(
        max_length=64, default="", help_text="blake2b-256 of `data`; a row without one is refused on read."
    )

    def save(self, *args, **kwargs) -> None:
        """A row saved one by one (fixtures, the admin) gets the checksum of its bytes, as the compiler's do."""
        if not self.checksum and self.data is not None:
            self.checksum = checksum(bytes(self.data))
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.block_type} {self.objectid}"


class CourseIndex(models.Model):
    """
    The course index (split's ``active_versions`` row): which structure each branch reads now.

    Moving a head is the only mutable step of a compile. It happens in the same
    transaction that checks the head is older than the structure being
    installed, so a late compile of an older log never wins.
    """

    course = models.OneToOneField(LearningCoreCourse, on_delete=models.CASCADE, primary_key=True, related_name="index")
    objectid = models.CharField(max_length=24, unique=True, help_text="The index's _id, 24 hex chars.")
    published_structure = models.ForeignKey(
        CompiledStructure, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    draft_structure = models.ForeignKey(
        CompiledStructure, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    edited_by = models.IntegerField(default=-1)
    edited_on = models.DateTimeField()
    last_update = models.DateTimeField()

    class Meta:
        verbose_name_plural = "course indexes"

    def __str__(self) -> str:
        return f"index of {self.course.course_key}"
