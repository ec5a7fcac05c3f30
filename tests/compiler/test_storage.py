"""Storage: cascade delete, pruning, idempotence, older logs never win, crash safety, course_published."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openedx_content.models_api import (
    Draft,
    DraftChangeLog,
    DraftSideEffect,
    EntityListRow,
    LearningPackage,
    Published,
    PublishLog,
    PublishSideEffect,
)

from compiler import api, storage
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, course_published, publish_course
from lc_modulestore.models import CompiledDefinition, CompiledStructure, CourseIndex
from shim.backends.mysql import MySQLPersistenceBackend
from tests.compiler.helpers import build_course, leaf

pytestmark = pytest.mark.django_db


def delete_learning_package(lp_id: int) -> None:
    """
    Delete a learning package the only way openedx-core 1.15.2 allows (it has no API for it, and
    RESTRICT foreign keys make a bare ``LearningPackage.delete()`` fail): logs and lists first.
    """
    PublishSideEffect.objects.filter(effect__publish_log__learning_package_id=lp_id).delete()
    DraftSideEffect.objects.filter(effect__draft_change_log__learning_package_id=lp_id).delete()
    Published.objects.filter(entity__learning_package_id=lp_id).delete()
    Draft.objects.filter(entity__learning_package_id=lp_id).delete()
    PublishLog.objects.filter(learning_package_id=lp_id).delete()
    DraftChangeLog.objects.filter(learning_package_id=lp_id).delete()
    EntityListRow.objects.filter(entity__learning_package_id=lp_id).delete()
    LearningPackage.objects.filter(pk=lp_id).delete()


def _edit_and_publish(course, writer, n: int) -> PublishLog:
    writer.save_block(leaf("html", "p0_0_0_0", text=f"edit {n}"))
    return publish_course(course)


def test_deleting_the_learning_package_leaves_no_compiled_rows():
    course, writer = build_course()
    api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    api.compile_course(str(course.course_key), branch=DRAFT_BRANCH)
    assert CompiledStructure.objects.count() == 2 and CompiledDefinition.objects.exists()
    assert CourseIndex.objects.exists()
    other, _ = build_course("course-v1:Org+Other+R")
    api.compile_course(str(other.course_key), branch=PUBLISHED_BRANCH)

    delete_learning_package(course.learning_package_id)
    assert not CompiledStructure.objects.filter(course_id=course.pk).exists()
    assert not CourseIndex.objects.filter(course_id=course.pk).exists()
    remaining = set(CompiledDefinition.objects.values_list("field_data__entity_version__entity__learning_package_id",
                                                           flat=True))
    assert remaining == {other.learning_package_id}
    assert CompiledStructure.objects.filter(course=other).count() == 1


def test_pruning_an_old_publish_log_takes_its_structure():
    """A PublishLog no Published row points at any more (one-leaf course, edited since) can be deleted."""
    course, writer = build_course(components=1)
    first = api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    log2 = _edit_and_publish(course, writer, 2)
    api.compile_publish_log(log2.id)
    assert CompiledStructure.objects.filter(publish_log_id=first.log_id).exists()  # kept (KEEP_OLD_STRUCTURES=1)
    PublishSideEffect.objects.filter(effect__publish_log_id=first.log_id).delete()
    PublishLog.objects.filter(pk=first.log_id).delete()
    assert not CompiledStructure.objects.filter(publish_log_id=first.log_id).exists()
    assert CourseIndex.objects.get(course=course).published_structure.publish_log_id == log2.id
    CompiledStructure.objects.filter(publish_log_id=log2.id).delete()
    assert CourseIndex.objects.get(course=course).published_structure is None  # SET_NULL: nothing dangles


@pytest.mark.parametrize("keep", [0, 1, 2])
def test_keeps_the_head_and_n_older_structures(settings, keep):
    settings.LC_MODULESTORE_KEEP_OLD_STRUCTURES = keep
    course, writer = build_course()
    logs = [api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH).log_id]
    for n in range(4):
        log = _edit_and_publish(course, writer, n)
        api.compile_publish_log(log.id)
        logs.append(log.id)
    kept = list(CompiledStructure.objects.filter(course=course, branch=PUBLISHED_BRANCH)
                .order_by("publish_log_id").values_list("publish_log_id", flat=True))
    assert kept == logs[-(keep + 1):]


def test_compiling_a_log_twice_is_a_no_op():
    course, _ = build_course()
    first = api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    row = CompiledStructure.objects.get(course=course)
    again = api.compile_publish_log(first.log_id)
    assert again.stale and not again.installed
    assert list(CompiledStructure.objects.filter(course=course)) == [row]


def test_an_older_log_never_replaces_a_newer_head():
    course, writer = build_course()
    log1 = PublishLog.objects.filter(learning_package_id=course.learning_package_id).get()
    log2 = _edit_and_publish(course, writer, 2)
    newer = api.compile_publish_log(log2.id)
    assert newer.installed and newer.full  # no structure for log 1: compiled in full
    older = api.compile_publish_log(log1.id)
    assert older.stale and not older.installed
    assert CourseIndex.objects.get(course=course).published_structure.publish_log_id == log2.id
    assert not CompiledStructure.objects.filter(publish_log=log1).exists()


def test_the_head_check_is_repeated_under_the_index_lock(monkeypatch):
    """A compile that passed the early check loses to a newer head installed meanwhile (the in-transaction check)."""
    course, writer = build_course()
    log1 = PublishLog.objects.filter(learning_package_id=course.learning_package_id).get()
    log2 = _edit_and_publish(course, writer, 2)
    api.compile_publish_log(log2.id)
    monkeypatch.setattr(storage, "head_log_id", lambda *a, **k: None)  # the early (unlocked) check sees no head
    older = api.compile_publish_log(log1.id)
    assert older.stale and not older.installed
    assert CourseIndex.objects.get(course=course).published_structure.publish_log_id == log2.id


def test_a_crash_mid_compile_leaves_the_previous_structure_served(monkeypatch):
    course, writer = build_course()
    first = api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    log2 = _edit_and_publish(course, writer, 2)
    definitions = CompiledDefinition.objects.count()

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(storage, "prune", boom)  # fails after the structure row and the head swap are written
    with pytest.raises(RuntimeError, match="disk full"):
        api.compile_publish_log(log2.id)
    index = CourseIndex.objects.get(course=course)
    assert index.published_structure.objectid == first.structure_id
    assert not CompiledStructure.objects.filter(publish_log=log2).exists()
    assert CompiledDefinition.objects.count() == definitions
    monkeypatch.undo()
    assert api.compile_publish_log(log2.id).installed


def test_course_published_is_sent_on_commit_after_the_head_moves(django_capture_on_commit_callbacks):
    course, writer = build_course()
    received = []

    def receiver(sender, course_key, **kwargs):
        received.append(course_key)

    course_published.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
        assert received == [course.course_key]
        with django_capture_on_commit_callbacks(execute=True):
            api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)  # stale: no signal
            api.compile_course(str(course.course_key), branch=DRAFT_BRANCH)  # drafts: no signal
        assert received == [course.course_key]
    finally:
        course_published.disconnect(receiver)


def test_stored_sizes_are_recorded():
    course, _ = build_course(sections=3, units=3, components=4)
    result = api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    row = CompiledStructure.objects.get(course=course)
    assert row.raw_size > row.stored_size == len(bytes(row.data)) > 0
    assert (result.raw_size, result.stored_size, result.block_count) == (row.raw_size, row.stored_size, row.block_count)


@pytest.mark.parametrize("hex_literal_max", [storage.HEX_LITERAL_MAX_BYTES, 0], ids=["literal", "parameter"])
def test_the_structure_row_holds_exactly_the_encoded_bytes(hex_literal_max, monkeypatch):
    """On MySQL small rows are written as X'…' literals, larger ones as parameters: both store the same bytes."""
    monkeypatch.setattr(storage, "HEX_LITERAL_MAX_BYTES", hex_literal_max)
    course, _ = build_course(sections=2, units=2, components=3)
    with CaptureQueriesContext(connection) as queries:
        api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    insert = next(
        q["sql"] for q in queries.captured_queries if "INSERT INTO" in q["sql"] and "compiledstructure" in q["sql"]
    )
    if connection.vendor == "mysql":
        assert ("X'" in insert) == (hex_literal_max > 0)
    index = CourseIndex.objects.select_related("published_structure").get(course=course)
    row = CompiledStructure.objects.get(pk=index.published_structure_id)
    document = storage.decoded(row)  # checksum verified against the bytes read back
    assert bytes(row.data) == bytes(index.published_structure.data)
    assert len(document["blocks"]) == row.block_count > 0


@pytest.mark.parametrize("hex_literal_max", [storage.HEX_LITERAL_MAX_BYTES, 0], ids=["literal", "parameter"])
def test_every_compiled_structure_stores_its_entry_index_and_readers_use_it(hex_literal_max, monkeypatch):
    """Full and incremental compiles, both branches (ADR 0027); a row without one (written before) still reads."""
    monkeypatch.setattr(storage, "HEX_LITERAL_MAX_BYTES", hex_literal_max)
    course, writer = build_course(sections=2, units=2, components=3)
    api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    api.compile_course(str(course.course_key), branch=DRAFT_BRANCH)
    _edit_and_publish(course, writer, 1)
    api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)  # incremental: patches the previous one
    rows = list(CompiledStructure.objects.filter(course=course).order_by("pk"))
    assert len(rows) == 3 and not rows[-1].full_compile
    for row in rows:
        indexed = storage.lazily_decoded(row)
        assert indexed.indexed, row
        assert indexed.keys == [(b["block_type"], b["block_id"]) for b in storage.decoded(row)["blocks"]]
    head = rows[-1]
    backend = MySQLPersistenceBackend()
    served = backend.get_shared_structure(head.objectid)["blocks"]
    CompiledStructure.objects.filter(pk=head.pk).update(entry_index=None)
    backend.structure_cache.clear_local()
    assert not storage.lazily_decoded(CompiledStructure.objects.get(pk=head.pk)).indexed
    rescanned = backend.get_shared_structure(head.objectid)["blocks"]
    assert dict(rescanned.items()) == dict(served.items())
