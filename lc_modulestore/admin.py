"""Django admin: the operators' view of Learning Core courses."""
from django.contrib import admin

from .models import CourseBlock, LearningCoreCourse


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
