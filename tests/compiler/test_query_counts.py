"""Compiles read Learning Core in a fixed number of queries, whatever the course size."""
from __future__ import annotations

import pytest
from openedx_content.models_api import PublishLog

from compiler import api, snapshot
from compiler.transform import build_structure
from lc_modulestore.api import PUBLISHED_BRANCH, LazyStructure, publish_course
from tests.compiler.helpers import K, build_course, container, leaf

pytestmark = pytest.mark.django_db

# Whole compile, reads and writes (index lock, definitions, structure row, head swap, pruning); measured
# equal at both sizes, so these bounds are exact: one more query per container would fail the bigger course.
MAX_FULL_QUERIES = 26
MAX_INCREMENTAL_QUERIES = 28

SIZES = [
    pytest.param(dict(sections=1, subsections=2, units=2, components=2), id="8-leaves"),
    pytest.param(dict(sections=3, subsections=3, units=3, components=4), id="108-leaves"),
]


@pytest.mark.parametrize("shape", SIZES)
def test_full_compile_query_count_does_not_grow_with_the_course(shape, django_assert_max_num_queries):
    course, _ = build_course(**shape)
    with django_assert_max_num_queries(MAX_FULL_QUERIES):
        result = api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    assert result.full and result.installed


@pytest.mark.parametrize("shape", SIZES)
def test_incremental_compile_query_count_does_not_grow_with_the_course(shape, django_assert_max_num_queries):
    course, writer = build_course(**shape)
    api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    writer.save_block(leaf("html", "p0_0_0_0", text="edited"))
    log = publish_course(course)
    with django_assert_max_num_queries(MAX_INCREMENTAL_QUERIES):
        result = api.compile_publish_log(log.id)
    assert not result.full and result.installed
    assert result.rebuilt_blocks == 5  # the leaf and its unit, subsection, section and course root


@pytest.mark.parametrize("shape", SIZES)
def test_incremental_compile_decodes_only_what_the_edit_touches(shape, monkeypatch):
    """
    A leaf edit or a reorder leaves the set of blocks as it was: the previous structure's other entries pass
    through as stored bytes, so the number decoded does not grow with the course (ADR 0014).
    """
    decoded: list = []
    real_get = LazyStructure.get
    monkeypatch.setattr(LazyStructure, "get", lambda self, key: decoded.append(key) or real_get(self, key))
    course, writer = build_course(**shape)
    api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)

    writer.save_block(leaf("html", "p0_0_0_0", text="edited"))
    result = api.compile_publish_log(publish_course(course).id)
    assert not result.full and result.rebuilt_blocks == 5
    # the 5 rebuilt entries, and the subtree edits of their passed-through children (at most one level each)
    assert len(set(decoded)) <= 5 + shape["sections"] + shape["subsections"] + shape["units"] + shape["components"]

    decoded.clear()
    writer.save_block(container("vertical", "u0_0_0", [K("html" if d % 2 == 0 else "problem", f"p0_0_0_{d}")
                                                       for d in reversed(range(shape["components"]))]))
    result = api.compile_publish_log(publish_course(course).id)
    assert not result.full and result.rebuilt_blocks == 4  # the unit and its 3 ancestors
    assert len(set(decoded)) <= 4 + shape["sections"] + shape["subsections"] + shape["units"] + shape["components"]
    assert api.structure_document(str(course.course_key))["blocks"] == _full_compile_blocks(course)


def _full_compile_blocks(course) -> list:
    log_id = PublishLog.objects.filter(learning_package_id=course.learning_package_id).latest("id").id
    return build_structure(snapshot.full_published_snapshot(course, log_id)).document["blocks"]
