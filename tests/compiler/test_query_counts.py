"""Compiles read Learning Core in a fixed number of queries, whatever the course size."""
from __future__ import annotations

import pytest

from compiler import api
from lc_modulestore.api import PUBLISHED_BRANCH, publish_course

from .helpers import build_course, leaf

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
