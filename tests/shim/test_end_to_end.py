"""
End to end: Learning Core → compiler → documents → backend → store → XBlocks.

Runs once the compiler (``compiler.api``) is merged; until then it is skipped,
and the rest of the suite reads hand-built documents (``tests/shim/documents.py``).
"""
from __future__ import annotations

import datetime

import pytest
from opaque_keys.edx.locator import CourseLocator

from lc_modulestore.api import BlockData, BlockKey, CourseWriter, create_course, publish_course
from tests.shim.fixtures import new_request

compiler_api = pytest.importorskip("compiler.api", reason="the compiler is not merged yet")

pytestmark = pytest.mark.django_db
K = BlockKey
T0 = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
DUE = T0 + datetime.timedelta(days=7)


def _course(course_key: str, *, chapters: int, units: int):
    course = create_course(course_key, title="E2E", created=T0)
    writer = CourseWriter(course, created=T0)
    chapter_keys = []
    for a in range(chapters):
        unit_keys = []
        for b in range(units):
            html = BlockData(K("html", f"h{a}_{b}"), title="H", settings={"display_name": f"H{a}.{b}"},
                             content={"data": f"<p>{a}.{b}</p>"}, olx="<html/>")
            problem = BlockData(K("problem", f"p{a}_{b}"), title="P", settings={"display_name": f"P{a}.{b}"},
                                content={"data": "<problem/>"}, olx="<problem/>")
            writer.save_block(html)
            writer.save_block(problem)
            writer.save_block(BlockData(K("vertical", f"v{a}_{b}"), title="V", children=[html.key, problem.key],
                                        is_container=True))
            unit_keys.append(K("vertical", f"v{a}_{b}"))
        writer.save_block(BlockData(K("sequential", f"s{a}"), title="S", settings={"due": DUE, "format": "HW"},
                                    children=unit_keys, is_container=True))
        writer.save_block(BlockData(K("chapter", f"c{a}"), title="C", children=[K("sequential", f"s{a}")],
                                    is_container=True))
        chapter_keys.append(K("chapter", f"c{a}"))
    writer.save_block(BlockData(K("course", "course"), title="Course", settings={"start": T0},
                                children=chapter_keys, is_container=True))
    publish_course(course, published_at=T0)
    compiler_api.compile_course(str(course.course_key), branch="published-branch")
    compiler_api.compile_drafts(str(course.course_key))
    return course


def _walk(block, seen):
    seen.append(block)
    for name in block.fields:
        getattr(block, name)
    for child in block.get_children():
        _walk(child, seen)


@pytest.mark.parametrize("chapters,units", [(1, 1), (4, 5)])
def test_compiled_course_reads_in_three_queries_with_inheritance(store, django_assert_max_num_queries,
                                                                 chapters, units):
    _course(f"course-v1:E2E+C{chapters}+R", chapters=chapters, units=units)
    key = CourseLocator("E2E", f"C{chapters}", "R")
    new_request()
    seen = []
    with django_assert_max_num_queries(3):
        _walk(store.get_course(key, depth=None, lazy=False), seen)
    assert len(seen) == 1 + chapters * (2 + 3 * units)
    problem = next(b for b in seen if b.location.block_type == "problem")
    assert problem.due == DUE and problem.format is None
    assert problem.data == "<problem/>"
    assert not store.has_changes(seen[0])
    assert store.get_orphans(key) == []
    with store.branch_setting("draft-preferred"):
        assert store.get_course(key).location.branch == "draft-branch"
