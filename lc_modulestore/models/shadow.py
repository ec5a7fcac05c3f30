"""What shadow reads found: one row per mismatching field (or failed Learning Core read), and counts of every read."""
from __future__ import annotations

from django.db import models
from opaque_keys.edx.django.models import CourseKeyField


class ShadowMismatch(models.Model):
    """
    A shadow read (ADR 0009) where Learning Core disagreed with Mongo, or failed.

    One row per difference (capped per read), so the course admin and
    ``lc_shadow_report`` can say which block and field, with both values.
    Rows are only ever added; delete old ones freely, nothing depends on them.
    """

    course_key = CourseKeyField(max_length=255, db_index=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    method = models.CharField(max_length=64, help_text="The modulestore read that was shadowed.")
    location = models.CharField(max_length=255, blank=True, help_text="Block usage key (or course) that differed.")
    field = models.CharField(max_length=255, blank=True)
    mongo_value = models.TextField(blank=True)
    learning_core_value = models.TextField(blank=True)
    error = models.TextField(blank=True, help_text="The exception, when the Learning Core read failed.")

    class Meta:
        indexes = [models.Index(fields=["course_key", "-created"], name="lcms_shadow_course_latest")]

    def __str__(self) -> str:
        what = f"error {self.error[:60]}" if self.error else f"{self.location} {self.field}"
        return f"shadow {self.method} {self.course_key}: {what}"


class ShadowReadCount(models.Model):
    """
    How many reads of one course (and modulestore method) were shadowed, and how many of them disagreed.

    Mismatch rows alone cannot tell "no mismatch" from "not read": a course
    whose shadow reads all matched looked the same as one nobody visited.
    Counting every compared read gives operators the evidence they switch on
    (ADR 0015): *N reads compared, M disagreed*. One row per course and
    method, incremented in place; ``mismatched`` counts reads, not fields
    (one read may store several :class:`ShadowMismatch` rows, or, capped, fewer).
    """

    course_key = CourseKeyField(max_length=255)
    method = models.CharField(max_length=64, help_text="The modulestore read that was shadowed.")
    reads = models.PositiveBigIntegerField(default=0, help_text="Reads compared (matched or not).")
    mismatched = models.PositiveBigIntegerField(
        default=0, help_text="Reads where Learning Core disagreed or failed (a subset of reads)."
    )
    first_read = models.DateTimeField(auto_now_add=True)
    last_read = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course_key", "method"], name="lcms_shadow_count_unique")]

    @property
    def matched(self) -> int:
        return self.reads - self.mismatched

    def __str__(self) -> str:
        return f"shadow {self.method} {self.course_key}: {self.reads} read(s), {self.mismatched} mismatched"
