"""
Issue 17 items 4 and 5: ``lc_compile --full`` repairs what is stored; definitions are checksummed; a damaged
or misplaced row raises an error naming the course and the row, and is never served.
"""
from __future__ import annotations

import io
import re

import bson
import pytest
from django.apps import apps as django_apps
from django.core.cache import caches
from django.core.management import CommandError, call_command
from opaque_keys.edx.keys import CourseKey

from compiler import api
from lc_modulestore.api import PUBLISHED_BRANCH, CorruptDocumentError, checksum, encode_definition
from lc_modulestore.models import CompiledDefinition, CompiledStructure, CourseIndex
from shim.backends.mysql import MySQLPersistenceBackend
from shim.caches import STRUCTURE_CACHE_ALIAS, StructureCache, clear_request_caches
from tests.compiler.helpers import build_course

pytestmark = pytest.mark.django_db

KEY = "course-v1:Org+C+R"
K = re.escape(KEY)


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _html_definition(course_key: str = KEY) -> CompiledDefinition:
    structure = api.structure_document(course_key)
    html = next(b for b in structure["blocks"] if b["block_type"] == "html")
    return CompiledDefinition.objects.get(objectid=str(html["definition"]))


def _rewrite_definition(row: CompiledDefinition, document: dict, *, keep_checksum: bool = False) -> None:
    data = encode_definition(document)
    CompiledDefinition.objects.filter(pk=row.pk).update(
        data=data, checksum=row.checksum if keep_checksum else checksum(data)
    )


def _definition_doc(row: CompiledDefinition) -> dict:
    return bson.decode(bytes(row.data))


# -- integrity ----------------------------------------------------------------------------------------


def test_definitions_are_stored_with_their_checksum():
    build_course()
    api.compile_course(KEY, branch=PUBLISHED_BRANCH)
    rows = list(CompiledDefinition.objects.all())
    assert rows and all(row.checksum == checksum(bytes(row.data)) for row in rows)


def test_a_flipped_byte_in_a_definition_is_refused_never_served():
    build_course()
    api.compile_course(KEY, branch=PUBLISHED_BRANCH)
    row = _html_definition()
    flipped = bytes(row.data).replace(b"<html>", b"<htmm>")
    assert flipped != bytes(row.data)
    CompiledDefinition.objects.filter(pk=row.pk).update(data=flipped)  # the checksum is the old one
    with pytest.raises(CorruptDocumentError, match=rf"{row.objectid}.*{K}.*checksum"):
        api.definition_documents([row.objectid], course_key=KEY)
    backend = MySQLPersistenceBackend()
    with pytest.raises(CorruptDocumentError, match=rf"{row.objectid}.*checksum"):
        backend.get_definition(bson.ObjectId(row.objectid), course_context=CourseKey.from_string(KEY))
    with pytest.raises(CorruptDocumentError, match=row.objectid):
        backend.get_definitions([bson.ObjectId(row.objectid)], course_context=CourseKey.from_string(KEY))


def test_a_definition_without_fields_is_refused():
    build_course()
    api.compile_course(KEY, branch=PUBLISHED_BRANCH)
    row = _html_definition()
    document = _definition_doc(row)
    del document["fields"]
    _rewrite_definition(row, document)  # a valid checksum: only the shape is wrong
    with pytest.raises(CorruptDocumentError, match=rf"{row.objectid}.*no fields"):
        api.definition_documents([row.objectid])
    with pytest.raises(CorruptDocumentError, match=rf"{row.objectid}.*no fields"):
        MySQLPersistenceBackend().get_definition(bson.ObjectId(row.objectid), course_context=None)


def test_an_index_pointing_at_another_course_structure_is_refused():
    build_course(KEY)
    build_course("course-v1:Org+Other+R")
    api.compile_course(KEY, branch=PUBLISHED_BRANCH)
    api.compile_course("course-v1:Org+Other+R", branch=PUBLISHED_BRANCH)
    other = CourseIndex.objects.get(course__course_key="course-v1:Org+Other+R").published_structure
    CourseIndex.objects.filter(course__course_key=KEY).update(published_structure=other)
    with pytest.raises(CorruptDocumentError, match=rf"{K}.*{other.objectid}.*Org\+Other\+R"):
        api.structure_document(KEY)
    clear_request_caches()  # an earlier test's index document of the same key
    backend = MySQLPersistenceBackend(structure_cache=StructureCache(max_entries=0))
    with pytest.raises(CorruptDocumentError, match=rf"{K}.*{other.objectid}.*another course"):
        backend.get_course_index(CourseKey.from_string(KEY))
    caches[STRUCTURE_CACHE_ALIAS].clear()
    with pytest.raises(CorruptDocumentError, match=rf"{other.objectid}.*{K}.*Org\+Other\+R"):
        backend.get_structure(bson.ObjectId(other.objectid), course_context=CourseKey.from_string(KEY))


def test_the_migration_checksums_rows_compiled_before_it():
    build_course()
    api.compile_course(KEY, branch=PUBLISHED_BRANCH)
    CompiledDefinition.objects.update(checksum="")  # as rows written before migration 0007
    with pytest.raises(CorruptDocumentError, match="checksum"):
        api.definition_documents([_html_definition().objectid])
    migration = __import__("lc_modulestore.migrations.0007_compiler_definition_checksum", fromlist=["x"])
    migration.checksum_existing_rows(django_apps, None)
    row = _html_definition()
    assert row.checksum == checksum(bytes(row.data))
    assert api.definition_documents([row.objectid])[row.objectid]["fields"]


# -- repair ---------------------------------------------------------------------------------------------


def test_lc_compile_full_rewrites_a_damaged_structure_even_when_the_head_is_current():
    build_course()
    api.compile_course(KEY, branch=PUBLISHED_BRANCH)
    head = CourseIndex.objects.get(course__course_key=KEY).published_structure
    good = bytes(head.data)
    CompiledStructure.objects.filter(pk=head.pk).update(data=good[:-3] + b"xyz")
    with pytest.raises(CorruptDocumentError, match=rf"{K}.*checksum"):
        api.structure_document(KEY)
    out = _run("lc_compile", KEY, "--full")
    assert "repaired" in out and "stale" not in out
    head.refresh_from_db()
    assert bytes(head.data) == good and head.checksum == checksum(good)
    assert api.structure_document(KEY)["blocks"]


def test_lc_compile_full_rewrites_damaged_definitions():
    build_course()
    api.compile_course(KEY, branch=PUBLISHED_BRANCH)
    row = _html_definition()
    good = bytes(row.data)
    wrong = _definition_doc(row)
    wrong["fields"]["data"] = wrong["fields"]["data"].replace("<html>", "<q>")
    before = {r.pk: bytes(r.data) for r in CompiledDefinition.objects.exclude(pk=row.pk)}
    _rewrite_definition(row, wrong)  # damage the checksum cannot see: it was recomputed
    result = api.compile_course(KEY, branch=PUBLISHED_BRANCH, full=True)
    assert result.repaired and not result.stale and result.definitions_written == 1
    assert result.block_count > 0 and result.stored_size > 0
    row.refresh_from_db()
    assert bytes(row.data) == good and row.checksum == checksum(good)
    assert {r.pk: bytes(r.data) for r in CompiledDefinition.objects.exclude(pk=row.pk)} == before


def test_lc_compile_full_of_a_current_head_reports_the_structure_not_zero_blocks():
    build_course()
    api.compile_course(KEY, branch=PUBLISHED_BRANCH)
    again = api.compile_course(KEY, branch=PUBLISHED_BRANCH)
    assert again.stale and again.block_count > 0 and again.stored_size > 0  # not "stale, 0 blocks, 0 B"
    full = api.compile_course(KEY, branch=PUBLISHED_BRANCH, full=True)
    assert full.repaired and full.full and full.block_count == again.block_count
    assert full.structure_id == again.structure_id


def test_lc_dump_structure_names_the_course_of_a_damaged_definition():
    build_course()
    api.compile_course(KEY, branch=PUBLISHED_BRANCH)
    row = _html_definition()
    CompiledDefinition.objects.filter(pk=row.pk).update(checksum="0" * 64)
    with pytest.raises(CommandError, match=rf"{K}.*{row.objectid}"):
        _run("lc_dump_structure", KEY)
