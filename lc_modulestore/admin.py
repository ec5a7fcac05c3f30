"""Django admin: the operators' view of Learning Core courses."""
from django.contrib import admin
from django.utils import timezone

from .flags import clear_flag_cache
from .models import CourseBlock, CourseFlagOverride, LearningCoreCourse, OrgFlagOverride, VerifyRun


@admin.register(LearningCoreCourse)
class LearningCoreCourseAdmin(admin.ModelAdmin):
    list_display = ("course_key", "org", "learning_package", "created")
    search_fields = ("course_key", "org")
    readonly_fields = ("course_key", "org", "course", "run", "learning_package", "root", "created", "created_by")


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
