"""Django admin: the operators' view of Learning Core courses."""
from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.html import format_html_join
from django_celery_results.admin import TaskResultAdmin
from django_celery_results.models import TaskResult
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import CourseLocator

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
    FLAG_CHOICES,
    FLAGS,
    SHADOW_READS,
    FlagChangeRefusedError,
    enable_problems,
    flag_status,
    latest_verify_run,
    set_course_override,
    set_org_override,
    shadow_read_totals,
    shorten,
    verify_run_moved,
)
from lc_modulestore.rollout.models import OVERRIDE_OFF, OVERRIDE_ON
from lc_modulestore.rollout.serving import serving_status

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
    list_filter = ("org",)  # plus the three filters added below the class (served from, compile state, verify)
    search_fields = ("course_key", "org")
    readonly_fields = (
        "related",
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

    def has_add_permission(self, request):
        return False  # courses come from imports and migrations

    def has_delete_permission(self, request, obj=None):
        return False  # deleting a course deletes its compiled index: never one click

    @admin.display(description="served from")
    def served_from(self, obj: LearningCoreCourse) -> str:
        status = flag_status(obj.course_key)
        serving = serving_status(obj.course_key)
        if status.enabled and not serving.compiled:
            return f"{serving.served_from} ({status.decided_by} on; not in Learning Core)"
        return f"{serving.served_from} ({status.decided_by})"

    @admin.display(description="see also")
    def related(self, obj: LearningCoreCourse) -> str:
        """Links to this course's verify runs, shadow mismatches and counts, overrides and compile task results."""
        key = str(obj.course_key)
        links = [
            ("verifyrun", "course_key", key, "verify runs"),
            ("shadowmismatch", "course_key", key, "shadow mismatches"),
            ("shadowreadcount", "course_key", key, "shadow read counts"),
            ("courseflagoverride", "course_id", key, "course overrides"),
            ("orgflagoverride", "org", obj.org, "org overrides"),
        ]
        items = [(reverse(f"admin:lc_modulestore_{model}_changelist") + f"?{field}={value}", label)
                 for model, field, value, label in links]
        items.append((reverse("admin:django_celery_results_taskresult_changelist")
                      + f"?q={obj.learning_package_id}", "compile task results (by learning package id)"))
        return format_html_join(" · ", '<a href="{}">{}</a>', items)

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
        if run is None:
            return "never verified"
        if run.passed:
            moved = verify_run_moved(run)
            return f"{run}; " + ("; ".join(moved) if moved else "heads still current")
        return str(run)

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
        "mongo_short",
        "learning_core_short",
        "error_short",
    )
    list_filter = ("method", "course_key")
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

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="mongo value")
    def mongo_short(self, obj: ShadowMismatch) -> str:
        return shorten(obj.mongo_value)  # whole on the detail page

    @admin.display(description="learning core value")
    def learning_core_short(self, obj: ShadowMismatch) -> str:
        return shorten(obj.learning_core_value)

    @admin.display(description="error")
    def error_short(self, obj: ShadowMismatch) -> str:
        return shorten(obj.error)


@admin.register(ShadowReadCount)
class ShadowReadCountAdmin(admin.ModelAdmin):
    """Shadowed reads per course and method: how many were compared and how many disagreed (written by the router)."""

    list_display = ("course_key", "method", "reads", "matched", "mismatched", "first_read", "last_read")
    list_filter = ("method", "course_key")
    search_fields = ("course_key",)
    ordering = ("course_key", "method")
    readonly_fields = ("course_key", "method", "reads", "mismatched", "first_read", "last_read")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CourseBlock)
class CourseBlockAdmin(admin.ModelAdmin):
    list_display = ("course", "block_type", "block_id", "detached", "entity")
    list_filter = ("block_type", "detached")
    search_fields = ("block_id",)
    readonly_fields = ("course", "block_type", "block_id", "entity", "detached")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _OverrideForm(forms.ModelForm):
    """
    An override as ``lc_flag`` takes it: a flag from the choice list, a validated target, a note, ``force``.

    The verify gate runs in ``clean()`` (:func:`enable_problems`), so a refused
    enable is a form error naming why, not a silent row; forcing needs a note.
    """

    waffle_flag = forms.ChoiceField(choices=FLAG_CHOICES)
    force = forms.BooleanField(required=False, help_text="Enable even though the verify gate refuses (needs a note); "
                                                         "the row is marked forced.")

    def target(self) -> dict:
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        enabling = data.get("override_choice") == OVERRIDE_ON
        problems = enable_problems(flag=FLAGS[data["waffle_flag"]], **self.target()) if enabling else []
        if problems and not data.get("force"):
            raise forms.ValidationError("Refusing to enable: " + "; ".join(problems)
                                        + ". Tick 'force' and give a note to go ahead anyway.")
        if problems and not (data.get("note") or "").strip():
            raise forms.ValidationError("Forcing needs a note saying why.")
        return data


class CourseOverrideForm(_OverrideForm):
    course_id = forms.CharField(max_length=255, help_text="course-v1:Org+Course+Run")

    class Meta:
        model = CourseFlagOverride
        fields = ("waffle_flag", "course_id", "override_choice", "note")

    def clean_course_id(self):
        text = self.cleaned_data["course_id"].strip()
        try:
            key = CourseKey.from_string(text)
        except InvalidKeyError:
            raise forms.ValidationError(f"{text!r} is not a course key (course-v1:Org+Course+Run)") from None
        if not isinstance(key, CourseLocator) or key.org is None or key.deprecated:
            raise forms.ValidationError(f"{text!r} is not a course run key (course-v1:Org+Course+Run)")
        return key.for_branch(None)

    def target(self) -> dict:
        return {"course_key": self.cleaned_data["course_id"]}


class OrgOverrideForm(_OverrideForm):
    class Meta:
        model = OrgFlagOverride
        fields = ("waffle_flag", "org", "override_choice", "note")

    def target(self) -> dict:
        return {"org": self.cleaned_data["org"]}


class _AppendOnlyOverrideAdmin(admin.ModelAdmin):
    """
    Override rows are an audit trail: the admin adds new rows and never edits or deletes old ones.

    A new row is written by the same API as ``lc_flag`` (:func:`set_course_override`
    / :func:`set_org_override`): the same verify gate, the same audit note,
    ``forced`` set by the API, ``changed_by`` and ``change_date`` from the
    request, so an operator cannot back-date a change or sign it with someone
    else's name.
    """

    list_filter = ("waffle_flag", "override_choice", "forced")
    readonly_fields = ("forced", "changed_by", "change_date")
    date_hierarchy = "change_date"
    ordering = ("-change_date", "-id")

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        return [*self.form.Meta.fields, "force"] if obj is None else [*self.form.Meta.fields, *self.readonly_fields]

    def write(self, form, **kwargs):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        enabled = {OVERRIDE_ON: True, OVERRIDE_OFF: False}.get(data["override_choice"])
        try:
            row = self.write(form, enabled=enabled, changed_by=request.user if request.user.is_authenticated else None,
                             note=data.get("note", ""), force=bool(data.get("force")),
                             flag=FLAGS[data["waffle_flag"]])
        except FlagChangeRefusedError as exc:  # the gate changed between clean() and save: nothing written
            raise PermissionDenied(str(exc)) from exc
        for field in row._meta.concrete_fields:
            setattr(obj, field.attname, getattr(row, field.attname))
        obj._state.adding = False


@admin.register(CourseFlagOverride)
class CourseFlagOverrideAdmin(_AppendOnlyOverrideAdmin):
    form = CourseOverrideForm
    list_display = ("course_id", "waffle_flag", "override_choice", "forced", "changed_by", "change_date", "note")
    search_fields = ("course_id", "note")

    def write(self, form, **kwargs):
        return set_course_override(form.cleaned_data["course_id"], kwargs.pop("enabled"), **kwargs)


@admin.register(OrgFlagOverride)
class OrgFlagOverrideAdmin(_AppendOnlyOverrideAdmin):
    form = OrgOverrideForm
    list_display = ("org", "waffle_flag", "override_choice", "forced", "changed_by", "change_date", "note")
    search_fields = ("org", "note")

    def write(self, form, **kwargs):
        return set_org_override(form.cleaned_data["org"], kwargs.pop("enabled"), **kwargs)


@admin.register(VerifyRun)
class VerifyRunAdmin(admin.ModelAdmin):
    """Verify runs are written by the verify command; the admin only shows them."""

    list_display = ("course_key", "started", "finished", "passed", "diff_count", "blocks_compared")
    list_filter = ("passed", "course_key")
    search_fields = ("course_key",)
    ordering = ("-started", "-id")
    readonly_fields = ("course_key", "started", "finished", "passed", "diff_count", "blocks_compared",
                       "mongo_location", "heads", "summary")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServedFromFilter(admin.SimpleListFilter):
    """Courses by where the router serves them now (flag answer checked against the compiled index)."""

    title = "served from"
    parameter_name = "served_from"

    def lookups(self, request, model_admin):
        return [("lc", "Learning Core"), ("mongo", "Mongo"), ("fallback", "flag on, not compiled: Mongo")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        wanted = set()
        for course in queryset.only("pk", "course_key"):
            status = serving_status(course.course_key)
            kind = ("fallback" if status.flag_on and not status.compiled
                    else "lc" if status.served_from == "Learning Core" else "mongo")
            if kind == self.value() or (self.value() == "mongo" and kind == "fallback"):
                wanted.add(course.pk)
        return queryset.filter(pk__in=wanted)


class CompileStateFilter(admin.SimpleListFilter):
    """Courses by compile state: no index, published head current, or lagging the latest publish."""

    title = "compile state"
    parameter_name = "compiled"

    def lookups(self, request, model_admin):
        return [("none", "not compiled"), ("current", "published head current"), ("lags", "lags the latest publish")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(index__isnull=True)
        if value in ("current", "lags"):
            latest = Subquery(PublishLogOf.latest(OuterRef("learning_package_id")))
            annotated = queryset.filter(index__isnull=False).annotate(latest_log=latest)
            current = [c.pk for c in annotated.select_related("index__published_structure")
                       if c.index.published_structure and c.index.published_structure.publish_log_id == c.latest_log]
            return annotated.filter(pk__in=current) if value == "current" else annotated.exclude(pk__in=current)
        return queryset


class PublishLogOf:
    """The newest publish log of a learning package, through the course's own relation (no openedx_content import)."""

    @staticmethod
    def latest(package_ref):
        model = LearningCoreCourse._meta.get_field("learning_package").related_model
        return (model.publishlog_set.rel.related_model.objects.filter(learning_package_id=package_ref)
                .order_by("-id").values("id")[:1])


class VerifyResultFilter(admin.SimpleListFilter):
    """Courses by their latest verify run: passed, failed, never verified."""

    title = "latest verify"
    parameter_name = "verify"

    def lookups(self, request, model_admin):
        return [("passed", "passed"), ("failed", "failed or running"), ("never", "never verified")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        latest = VerifyRun.objects.filter(course_key=OuterRef("course_key")).order_by("-started", "-id")
        annotated = queryset.annotate(last_passed=Subquery(latest.values("passed")[:1]),
                                      last_id=Subquery(latest.values("id")[:1]))
        if self.value() == "never":
            return annotated.filter(last_id__isnull=True)
        return annotated.filter(last_id__isnull=False, last_passed=self.value() == "passed")


LearningCoreCourseAdmin.list_filter = (ServedFromFilter, CompileStateFilter, VerifyResultFilter, "org")


class ReadOnlyTaskResultAdmin(TaskResultAdmin):
    """Compile task results are evidence (what ran, what failed): shown, never added, edited or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


if admin.site.is_registered(TaskResult):
    admin.site.unregister(TaskResult)
admin.site.register(TaskResult, ReadOnlyTaskResultAdmin)
