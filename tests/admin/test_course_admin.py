"""The operators' admin: course page (flag, heads, verify, shadow) and compile tasks in the TaskResult admin."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django_celery_results.models import TaskResult

from compiler import api as compiler_api
from lc_modulestore.api import PUBLISHED_BRANCH
from lc_modulestore.models import CourseIndex, ShadowMismatch, ShadowReadCount, VerifyRun
from lc_modulestore.rollout.api import set_course_override
from lc_modulestore.rollout.heads import learning_core_heads
from lc_modulestore.tasks import compile_drafts_task
from tests.compiler.helpers import build_course

pytestmark = pytest.mark.django_db
KEY = "course-v1:Org+Adm+R"


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw")
    client.force_login(user)
    return client


def test_course_admin_shows_flag_heads_verify_and_shadow(admin_client):
    course, _ = build_course(KEY)
    compiler_api.compile_course(KEY, branch=PUBLISHED_BRANCH)
    VerifyRun.objects.create(course_key=course.course_key, started=timezone.now(), finished=timezone.now(),
                             passed=True, summary="all 6 blocks agree", blocks_compared=6,
                             heads={"learning_core": learning_core_heads(course.course_key), "mongo": {}})
    set_course_override(KEY, True, force=True, note="no Mongo twin in this test")  # the gate re-reads Mongo heads
    ShadowMismatch.objects.create(course_key=course.course_key, method="get_item", field="display_name")
    ShadowReadCount.objects.create(course_key=course.course_key, method="get_item", reads=1200, mismatched=1)
    ShadowReadCount.objects.create(course_key=course.course_key, method="has_item", reads=34, mismatched=0)
    head = CourseIndex.objects.get(course=course).published_structure

    listing = admin_client.get(reverse("admin:lc_modulestore_learningcorecourse_changelist")).content.decode()
    assert KEY in listing and head.objectid in listing and "Learning Core (course override)" in listing
    assert "passed" in listing

    page = admin_client.get(
        reverse("admin:lc_modulestore_learningcorecourse_change", args=[course.pk])).content.decode()
    assert f"{head.block_count} blocks" in page and f"{head.stored_size:,} bytes stored" in page
    assert "all 6 blocks agree" in page and "not compiled" in page  # the draft branch was never compiled
    assert "1,234 read(s) compared: 1,233 matched, 1 mismatched" in listing and "1,234 read(s) compared" in page
    assert admin_client.get(reverse("admin:lc_modulestore_shadowmismatch_changelist")).status_code == 200
    counts = admin_client.get(reverse("admin:lc_modulestore_shadowreadcount_changelist")).content.decode()
    assert "has_item" in counts and "1199" in counts  # get_item: 1,200 reads, 1,199 matched


def test_compile_tasks_are_listed_in_the_task_result_admin(admin_client):
    course, _ = build_course(KEY)
    result = compile_drafts_task.delay(course.learning_package_id)
    row = TaskResult.objects.get(task_id=result.id)
    assert row.task_name == "lc_modulestore.compile_drafts" and row.status == "SUCCESS"
    listing = admin_client.get(reverse("admin:django_celery_results_taskresult_changelist")).content.decode()
    assert "lc_modulestore.compile_drafts" in listing


def test_derived_rows_are_read_only_and_a_course_cannot_be_deleted_in_one_click(admin_client):
    """Issue 15 finding 3: courses, verify runs, mismatches and task results offered Add and Delete."""
    course, _ = build_course(KEY)
    compiler_api.compile_course(KEY, branch=PUBLISHED_BRANCH)
    run = VerifyRun.objects.create(course_key=course.course_key, started=timezone.now(), passed=False)
    mismatch = ShadowMismatch.objects.create(course_key=course.course_key, method="get_item", field="x")
    task = TaskResult.objects.create(task_id="t-1", task_name="lc_modulestore.compile_drafts", status="FAILURE")
    for model, pk in (("lc_modulestore/learningcorecourse", course.pk), ("lc_modulestore/verifyrun", run.pk),
                      ("lc_modulestore/shadowmismatch", mismatch.pk), ("django_celery_results/taskresult", task.pk)):
        assert admin_client.get(f"/admin/{model}/add/").status_code == 403, model
        assert admin_client.post(f"/admin/{model}/{pk}/delete/", {"post": "yes"}).status_code == 403, model
    assert CourseIndex.objects.filter(course=course).exists()
    page = admin_client.get(f"/admin/lc_modulestore/learningcorecourse/{course.pk}/change/").content.decode()
    assert f"/admin/lc_modulestore/verifyrun/?course_key={KEY}" in page.replace("%2B", "+")
    assert "/admin/lc_modulestore/shadowmismatch/?course_key=" in page and "courseflagoverride/?course_id=" in page
    assert "/admin/django_celery_results/taskresult/?q=" in page


def test_course_list_filters(admin_client):
    course, _ = build_course(KEY)
    compiler_api.compile_course(KEY, branch=PUBLISHED_BRANCH)
    build_course("course-v1:Org+Never+R")
    url = reverse("admin:lc_modulestore_learningcorecourse_changelist")
    never = admin_client.get(url + "?compiled=none").content.decode()
    assert "course-v1:Org+Never+R" in never and KEY not in never
    assert KEY in admin_client.get(url + "?compiled=current").content.decode()
    assert KEY in admin_client.get(url + "?verify=never").content.decode()
    assert KEY not in admin_client.get(url + "?verify=passed").content.decode()
    assert KEY in admin_client.get(url + "?served_from=mongo").content.decode()
    assert KEY not in admin_client.get(url + "?served_from=lc").content.decode()


def test_long_mismatch_values_are_shortened_in_the_list_and_whole_on_the_page(admin_client):
    course, _ = build_course(KEY)
    value = repr("x" * 80_000)
    row = ShadowMismatch.objects.create(course_key=course.course_key, method="get_item", field="data",
                                        mongo_value=value, learning_core_value="'y'")
    listing = admin_client.get(reverse("admin:lc_modulestore_shadowmismatch_changelist")).content.decode()
    assert value not in listing and "(80,002 chars)" in listing
    page = admin_client.get(reverse("admin:lc_modulestore_shadowmismatch_change", args=[row.pk])).content.decode()
    assert "x" * 80_000 in page
