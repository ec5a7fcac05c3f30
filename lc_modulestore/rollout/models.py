"""
Per-course and per-org overrides of waffle flags, and the verify runs that gate switching a course over.

Switching a course from split-in-Mongo to Learning Core is an operational
decision that someone must be able to explain afterwards ("who turned this
on, when, and had it been verified?"). So overrides are never updated in
place: every change is a new row (``ConfigurationModel``-style), and the
current value of an override is simply the newest row for its key. Rows
refuse to be saved twice, so history cannot be rewritten through the ORM.
"""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField

OVERRIDE_ON = "on"
OVERRIDE_OFF = "off"
OVERRIDE_UNSET = "unset"
OVERRIDE_CHOICES = [
    (OVERRIDE_ON, "Force on"),
    (OVERRIDE_OFF, "Force off"),
    (OVERRIDE_UNSET, "Unset (fall through)"),
]


class _AppendOnlyModel(models.Model):
    """A row that is written once and never changed: the audit trail is the table itself."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(
                f"{type(self).__name__} {self.pk} is an audit record and cannot be changed; add a new row instead"
            )
        super().save(*args, **kwargs)


class _FlagOverride(_AppendOnlyModel):
    """What every override row records: which flag, which choice, who, when, why."""

    waffle_flag = models.CharField(
        max_length=255, db_index=True, help_text="Full flag name, e.g. lc_modulestore.use_learning_core"
    )
    override_choice = models.CharField(
        max_length=8,
        choices=OVERRIDE_CHOICES,
        default=OVERRIDE_ON,
        help_text="'unset' ends an earlier override: the next level (org, then the flag) decides again.",
    )
    note = models.TextField(blank=True, help_text="Why this change was made (ticket, incident, verify run…).")
    forced = models.BooleanField(
        default=False,
        help_text="Set when an operator enabled the flag without a passing verify run (lc_flag --force).",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who made the change (empty for changes made by a script without --user).",
    )
    change_date = models.DateTimeField(db_index=True, help_text="When the change was made.")

    class Meta:
        abstract = True
        get_latest_by = ("change_date", "id")


class CourseFlagOverride(_FlagOverride):
    """
    Forces a waffle flag on or off for one course run; beats the org override and the flag itself.

    The newest row per (flag, course) is the current override; older rows are its history.
    """

    course_id = CourseKeyField(max_length=255, db_index=True)

    class Meta(_FlagOverride.Meta):
        verbose_name = "course flag override"
        indexes = [
            models.Index(fields=["waffle_flag", "course_id", "-change_date", "-id"], name="lcms_flag_course_latest")
        ]

    def __str__(self) -> str:
        return f"{self.waffle_flag} {self.override_choice} for {self.course_id} ({self.change_date:%Y-%m-%d %H:%M})"


class OrgFlagOverride(_FlagOverride):
    """
    Forces a waffle flag on or off for every course of one organization, unless a course override says otherwise.

    The newest row per (flag, org) is the current override; older rows are its history.
    """

    org = models.CharField(max_length=255, db_index=True)

    class Meta(_FlagOverride.Meta):
        verbose_name = "org flag override"
        indexes = [models.Index(fields=["waffle_flag", "org", "-change_date", "-id"], name="lcms_flag_org_latest")]

    def __str__(self) -> str:
        return f"{self.waffle_flag} {self.override_choice} for org {self.org} ({self.change_date:%Y-%m-%d %H:%M})"


class VerifyRun(models.Model):
    """
    One comparison of a course as Learning Core serves it against the course in split (Mongo).

    A course is switched to Learning Core only after its latest run passed
    (``lc_flag enable`` checks; ``--force`` overrides and is audited on the
    override row). A run with no ``finished`` time is still going (or died)
    and counts as not passed.
    """

    course_key = CourseKeyField(max_length=255, db_index=True)
    started = models.DateTimeField()
    finished = models.DateTimeField(null=True, blank=True)
    passed = models.BooleanField(default=False)
    diff_count = models.PositiveIntegerField(default=0, help_text="How many differences the comparison found.")
    summary = models.TextField(blank=True, help_text="Human-readable outcome: what differed, or what was compared.")
    blocks_compared = models.PositiveIntegerField(default=0, help_text="Blocks compared over every branch.")
    assets_compared = models.PositiveIntegerField(
        default=0, help_text="Asset files found on both sides and compared by length, md5 and content type.",
    )
    mongo_location = models.JSONField(
        default=dict, blank=True,
        help_text="Where Mongo was read: uri (no password), db, collection, separator (the gate re-reads it), and "
                  "contentstore: the GridFS db and bucket asset files were read from (null: not compared).",
    )
    heads = models.JSONField(
        default=dict, blank=True,
        help_text='The heads compared, per side and branch: {"mongo": {branch: id}, "learning_core": {…}}. '
                  "Enabling refuses a pass whose heads are no longer the current ones.",
    )

    class Meta:
        get_latest_by = ("started", "id")
        indexes = [models.Index(fields=["course_key", "-started", "-id"], name="lcms_verify_course_latest")]

    def __str__(self) -> str:
        state = "running" if self.finished is None else ("passed" if self.passed else f"failed ({self.diff_count})")
        return f"verify {self.course_key} {self.started:%Y-%m-%d %H:%M}: {state}"



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
