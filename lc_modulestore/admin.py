"""Django admin: the operators' view of Learning Core courses."""
from django.contrib import admin
from django.utils import timezone

from lc_modulestore.models import (
    CompiledStructure,
    CourseBlock,
    CourseFlagOverride,
    CourseIndex,
    LearningCoreCourse,
    OrgFlagOverride,
    ShadowMismatch,
    ShadowReadCount,
    VerifyRun,
)
from lc_modulestore.rollout.api import (
    SHADOW_READS,
    clear_flag_cache,
    flag_status,
    latest_verify_run,
    shadow_read_totals,
)

_HEAD_FIELDS = ("objectid", "compiled_at", "block_count", "raw_size", "stored_size", "full_compile", "compile_ms")


def _head(course: LearningCoreCourse, field: str) -> dict | None:
    """The compiled head of one branch, without its (large) ``data``."""
    index = CourseIndex.objects.filter(course=course).values(field).first()
    if not index or index[field] is None:
        return None
    return CompiledStructure.objects.filter(pk=index[field]).values(*_HEAD_FIELDS).first()


def _describe_head(head: dict | None) -> str:
    if head is None:
        return "not compiled"
    kind = "full" if head["full_compile"] else "incremental"
    return (
        f"{head['objectid']} compiled {head['compiled_at']:%Y-%m-%d %H:%M:%S} ({kind}, {head['compile_ms']:.0f} ms): "
        f"{head['block_count']} blocks, {head['stored_size']:,} bytes stored / {head['raw_size']:,} raw"
    )


@admin.register(LearningCoreCourse)
class LearningCoreCourseAdmin(admin.ModelAdmin):
    """
    One page per course with what an operator needs before and after switching it.

    Where it is served from (and which override decided), whether reads are
    shadowed, how many shadowed reads were compared and how many of them
    disagreed, each branch's compiled head (id, when, size) and the latest
    verify run. Read-only: switching is done with ``lc_flag`` or the override
    admins, which keep the audit trail.
    """

    list_display = (
        "course_key",
        "served_from",
        "published_head_summary",
        "latest_verify",
        "shadow_reads_compared",
        "shadow_mismatches",
    )
    search_fields = ("course_key", "org")
    readonly_fields = (
        "course_key",
        "org",
        "course",
        "run",
        "learning_package",
        "root",
        "created",
        "created_by",
        "served_from",
        "shadow_reads",
        "shadow_reads_compared",
        "shadow_mismatches",
        "published_head",
        "draft_head",
        "latest_verify",
        "latest_verify_summary",
    )

    @admin.display(description="served from")
    def served_from(self, obj: LearningCoreCourse) -> str:
        status = flag_status(obj.course_key)
        return f"{'Learning Core' if status.enabled else 'Mongo'} ({status.decided_by})"

    @admin.display(description="shadow reads")
    def shadow_reads(self, obj: LearningCoreCourse) -> str:
        status = flag_status(obj.course_key, flag=SHADOW_READS)
        return f"{'on' if status.enabled else 'off'} ({status.decided_by})"

    @admin.display(description="shadow reads compared")
    def shadow_reads_compared(self, obj: LearningCoreCourse) -> str:
        return str(shadow_read_totals(obj.course_key))

    @admin.display(description="shadow mismatches")
    def shadow_mismatches(self, obj: LearningCoreCourse) -> int:
        return ShadowMismatch.objects.filter(course_key=obj.course_key).count()

    @admin.display(description="published head")
    def published_head(self, obj: LearningCoreCourse) -> str:
        return _describe_head(_head(obj, "published_structure"))

    @admin.display(description="draft head")
    def draft_head(self, obj: LearningCoreCourse) -> str:
        return _describe_head(_head(obj, "draft_structure"))

    @admin.display(description="published head")
    def published_head_summary(self, obj: LearningCoreCourse) -> str:
        head = _head(obj, "published_structure")
        if head is None:
            return "not compiled"
        return f"{head['objectid']} {head['compiled_at']:%Y-%m-%d %H:%M} ({head['stored_size']:,} B)"

    @admin.display(description="latest verify")
    def latest_verify(self, obj: LearningCoreCourse) -> str:
        run = latest_verify_run(obj.course_key)
        return str(run) if run else "never verified"

    @admin.display(description="latest verify summary")
    def latest_verify_summary(self, obj: LearningCoreCourse) -> str:
        run = latest_verify_run(obj.course_key)
        return run.summary if run else ""


@admin.register(ShadowMismatch)
class ShadowMismatchAdmin(admin.ModelAdmin):
    """Mismatches found by shadow reads (written by the router; the admin only shows and prunes them)."""

    list_display = (
        "created",
        "course_key",
        "method",
        "location",
        "field",
        "mongo_value",
        "learning_core_value",
        "error",
    )
    list_filter = ("method",)
    search_fields = ("course_key", "location", "field")
    ordering = ("-created", "-id")
    readonly_fields = (
        "course_key",
        "created",
        "method",
        "location",
        "field",
        "mongo_value",
        "learning_core_value",
        "error",
    )

    def has_add_permission(self, request):
        return False


@admin.register(ShadowReadCount)
class ShadowReadCountAdmin(admin.ModelAdmin):
    """Shadowed reads per course and method: how many were compared and how many disagreed (written by the router)."""

    list_display = ("course_key", "method", "reads", "matched", "mismatched", "first_read", "last_read")
    list_filter = ("method",)
    search_fields = ("course_key",)
    ordering = ("course_key", "method")
    readonly_fields = ("course_key", "method", "reads", "mismatched", "first_read", "last_read")

    def has_add_permission(self, request):
        return False


@admin.register(CourseBlock)
class CourseBlockAdmin(admin.ModelAdmin):
    list_display = ("course", "block_type", "block_id", "detached", "entity")
    list_filter = ("block_type", "detached")
    search_fields = ("block_id",)
    readonly_fields = ("course", "block_type", "block_id", "entity", "detached")


class _AppendOnlyOverrideAdmin(admin.ModelAdmin):
    """
    Override rows are an audit trail: the admin adds new rows and never edits or deletes old ones.

    ``changed_by`` and ``change_date`` are filled from the request, so an
    operator cannot back-date a change or sign it with someone else's name.
    """

    list_filter = ("waffle_flag", "override_choice", "forced")
    readonly_fields = ("forced", "changed_by", "change_date")
    date_hierarchy = "change_date"
    ordering = ("-change_date", "-id")

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.changed_by = request.user if request.user.is_authenticated else None
        obj.change_date = timezone.now()
        super().save_model(request, obj, form, change)
        clear_flag_cache()


@admin.register(CourseFlagOverride)
class CourseFlagOverrideAdmin(_AppendOnlyOverrideAdmin):
    list_display = ("course_id", "waffle_flag", "override_choice", "forced", "changed_by", "change_date", "note")
    search_fields = ("course_id", "note")
    fields = ("waffle_flag", "course_id", "override_choice", "note", "forced", "changed_by", "change_date")


@admin.register(OrgFlagOverride)
class OrgFlagOverrideAdmin(_AppendOnlyOverrideAdmin):
    list_display = ("org", "waffle_flag", "override_choice", "forced", "changed_by", "change_date", "note")
    search_fields = ("org", "note")
    fields = ("waffle_flag", "org", "override_choice", "note", "forced", "changed_by", "change_date")


@admin.register(VerifyRun)
class VerifyRunAdmin(admin.ModelAdmin):
    """Verify runs are written by the verify command; the admin only shows them."""

    list_display = ("course_key", "started", "finished", "passed", "diff_count")
    list_filter = ("passed",)
    search_fields = ("course_key",)
    ordering = ("-started", "-id")
    readonly_fields = ("course_key", "started", "finished", "passed", "diff_count", "summary")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
