"""
Query budgets (issue #8), counted with django_assert_max_num_queries:

* get_item cold: index + structure (2); reading a content field adds at most 1;
* get_course(depth=None, lazy=False) and a full traversal reading every field: 3, whatever the size;
* the same with the default lazy=True (the LMS's get_course_by_id): 3 too, the first content read fetching
  every definition of the depth asked for, in batches of at most definition_batch_size (ADR 0018);
* warm structure cache: get_item costs the index only (1), and nothing inside bulk_operations after entry.
"""
from __future__ import annotations

import pytest
from opaque_keys.edx.locator import CourseLocator

from lc_modulestore.models import CompiledDefinition
from shim.exceptions import ItemNotFoundError
from shim.split_types import BlockKey
from shim.store import ReadOnlySplitModuleStore
from tests.shim.courses import build_greek_hero, build_tree
from tests.shim.documents import Block, build_course, children
from tests.shim.fixtures import new_request

pytestmark = pytest.mark.django_db


def _big_course(course_key: str, chapters: int, per_chapter: int):
    blocks = [Block("course", "course", fields={
        "display_name": "Big", "children": children(*[("chapter", f"c{i}") for i in range(chapters)])})]
    for i in range(chapters):
        blocks.append(Block("chapter", f"c{i}", fields={
            "display_name": f"C{i}", "children": children(("sequential", f"s{i}"))}))
        blocks.append(Block("sequential", f"s{i}", fields={
            "display_name": f"S{i}", "graded": True, "format": "Homework",
            "children": children(*[("html", f"h{i}_{j}") for j in range(per_chapter)])}))
        blocks.extend(Block("html", f"h{i}_{j}", fields={"display_name": f"H{i}.{j}"},
                            content={"data": f"<p>{i}.{j}</p>"}) for j in range(per_chapter))
    return build_course(course_key, blocks)


def _read_every_field(block, seen):
    seen.append(block.location)
    for name in block.fields:
        getattr(block, name)
    for child in block.get_children():
        _read_every_field(child, seen)


def test_get_item_cold_is_index_plus_structure_and_a_content_field_adds_one(store, django_assert_max_num_queries):
    built = build_tree()
    with django_assert_max_num_queries(2):
        html = store.get_item(built.course_key.make_usage_key("html", "h1"))
    with django_assert_max_num_queries(1):
        assert html.data.startswith("<p>")
    with django_assert_max_num_queries(0):
        assert html.display_name == "Intro"


@pytest.mark.parametrize("chapters,per_chapter", [(2, 2), (12, 8)])
def test_whole_course_traversal_reading_every_field_is_three_queries(store, django_assert_max_num_queries,
                                                                      chapters, per_chapter):
    built = _big_course(f"course-v1:Org+Big{chapters}+Run", chapters, per_chapter)
    seen = []
    with django_assert_max_num_queries(3):
        course = store.get_course(built.course_key, depth=None, lazy=False)
        _read_every_field(course, seen)
    assert len(seen) == 1 + chapters * (2 + per_chapter)
    assert seen[-1].block_id == f"h{chapters - 1}_{per_chapter - 1}"


def test_lazy_traversal_pays_per_definition_and_depth_zero_prefetches_nothing(store, django_assert_num_queries):
    built = _big_course("course-v1:Org+Lazy+Run", 2, 3)
    seen = []
    # index + structure + one definition per block that has content fields (root and 6 html;
    # chapter and sequential declare no content-scope field, so reading theirs never loads a definition)
    with django_assert_num_queries(2 + 7):
        course = store.get_course(built.course_key, depth=0)
        _read_every_field(course, seen)


@pytest.mark.parametrize("chapters,per_chapter", [(2, 3), (12, 8)])
def test_lazy_whole_course_traversal_reading_every_field_is_three_queries(store, django_assert_num_queries,
                                                                           chapters, per_chapter):
    """
    ``get_course(key, depth=None)`` with the default ``lazy=True``, as the LMS's ``get_course_by_id`` asks,
    then every field of every block: index + structure + one batch of definitions at 19 and at 121 blocks.
    It paid one ``get_definition`` query per block with content (issue 14: 10,001 queries at 10k blocks).
    """
    built = _big_course(f"course-v1:Org+LazyBig{chapters}+Run", chapters, per_chapter)
    seen = []
    with django_assert_num_queries(3):
        course = store.get_course(built.course_key, depth=None)
        _read_every_field(course, seen)
    assert len(seen) == 1 + chapters * (2 + per_chapter)


def test_lazy_traversal_batches_are_bounded(backend, tmp_path, django_assert_max_num_queries):
    """With a batch size of 10, 121 definitions come in at most ceil(121 / 10) = 13 queries, never one per block."""
    store = ReadOnlySplitModuleStore(backend, fs_root=str(tmp_path / "fs"), definition_batch_size=10)
    built = _big_course("course-v1:Org+Batched+Run", 12, 8)
    seen = []
    with django_assert_max_num_queries(2 + 13) as captured:
        course = store.get_course(built.course_key, depth=None)
        _read_every_field(course, seen)
    definition_queries = [q["sql"] for q in captured.captured_queries if "compileddefinition" in q["sql"].lower()]
    assert len(definition_queries) >= 10  # 97 definitions are read: several batches, each of at most 10
    assert len(seen) == 121


def _every_value(block, values):
    for name in block.fields:
        values[(str(block.location), name)] = repr(getattr(block, name))
    for child in block.get_children():
        _every_value(child, values)
    return values


@pytest.mark.parametrize("batch_size", [1, 7, 500])
def test_lazy_batched_traversal_reads_what_lazy_false_and_depth_zero_read(backend, tmp_path, batch_size):
    built = build_greek_hero()
    key = CourseLocator("testx", "GreekHero", "run")
    answers = []
    for kwargs in ({"depth": None}, {"depth": None, "lazy": False}, {"depth": 0}):
        new_request()
        store = ReadOnlySplitModuleStore(backend, fs_root=str(tmp_path / "fs"), definition_batch_size=batch_size)
        answers.append(_every_value(store.get_course(key, **kwargs), {}))
    assert answers[0] == answers[1] == answers[2]
    assert len(answers[0]) > 50 and built.published_id


def test_lazy_traversal_that_reads_no_content_fetches_no_definition(store, django_assert_num_queries):
    built = _big_course("course-v1:Org+NoContent+Run", 3, 4)
    with django_assert_num_queries(2):
        course = store.get_course(built.course_key, depth=None)
        names = [child.display_name for child in course.get_children()]
    assert names == ["C0", "C1", "C2"]


def test_a_missing_definition_fails_only_its_own_block_in_a_batched_traversal(store):
    built = _big_course("course-v1:Org+Missing+Run", 2, 3)
    missing = built.definitions[BlockKey("html", "h1_1")]
    CompiledDefinition.objects.filter(objectid=str(missing)).delete()
    course = store.get_course(built.course_key, depth=None)
    htmls = [leaf for chapter in course.get_children() for seq in chapter.get_children() for leaf in seq.get_children()]
    assert htmls[0].data == "<p>0.0</p>"  # the batch: every definition but the missing one
    with pytest.raises(ItemNotFoundError, match=str(missing)):
        htmls[4].data  # noqa: B018 - h1_1: its own read raises, as without batching
    assert [h.data for h in htmls if h.location.block_id != "h1_1"] == [
        "<p>0.0</p>", "<p>0.1</p>", "<p>0.2</p>", "<p>1.0</p>", "<p>1.2</p>"]


def test_warm_structure_cache_get_item_is_one_query_then_none_in_bulk(store, django_assert_max_num_queries):
    built = build_greek_hero()
    key = CourseLocator("testx", "GreekHero", "run")
    store.get_item(key.make_usage_key("chapter", "chapter1"))  # warms the structure cache
    new_request()
    with django_assert_max_num_queries(1):
        store.get_item(key.make_usage_key("chapter", "chapter2"))
    new_request()
    with django_assert_max_num_queries(1):
        with store.bulk_operations(key):
            for block_id in ("chapter1", "chapter2", "chapter3", "chap"):
                store.get_item(key.make_usage_key("chapter", block_id))
            store.get_course(key)
            store.has_item(key.make_usage_key("problem", "problem1"))
            store.get_parent_location(key.make_usage_key("problem", "problem1"))
            store.get_items(key, qualifiers={"category": "problem"})
    assert built.published_id


def test_warm_cache_inside_bulk_is_zero_after_entry(store, django_assert_num_queries):
    build_greek_hero()
    key = CourseLocator("testx", "GreekHero", "run")
    store.get_course(key)
    new_request()
    with store.bulk_operations(key):
        with django_assert_num_queries(0):
            store.get_item(key.make_usage_key("chapter", "chapter1"))
            store.get_items(key)


def test_has_item_and_has_course_cost(store, django_assert_max_num_queries):
    build_greek_hero()
    key = CourseLocator("testx", "GreekHero", "run")
    with django_assert_max_num_queries(2):
        assert store.has_item(key.make_usage_key("chapter", "chapter1"))
    new_request()
    with django_assert_max_num_queries(1):
        assert store.has_course(key)


def test_listing_courses_is_two_queries(store, django_assert_max_num_queries):
    build_greek_hero()
    build_tree()
    with django_assert_max_num_queries(2):
        assert len(store.get_courses()) == 2
    store.backend.structure_cache.clear_local()
    from django.core.cache import caches
    caches["course_structure_cache"].clear()
    with django_assert_max_num_queries(2):
        assert len(store.get_course_summaries()) == 2


def test_a_warm_get_item_does_not_walk_the_whole_course(store):
    """
    Each request builds a new runtime, and inherited fields ask it for parents. Nothing a warm get_item does may
    iterate over every block of the cached structure (it did: the runtime rebuilt a parents map per request,
    so a warm get_item grew with the course: 5 → 16 → 59 ms at 1k → 10k → 50k blocks).
    """

    class CountingBlocks(dict):
        walks = 0

        def items(self):
            CountingBlocks.walks += 1
            return super().items()

        def __iter__(self):
            CountingBlocks.walks += 1
            return super().__iter__()

    _big_course("course-v1:testx+Big+run", chapters=4, per_chapter=5)
    key = CourseLocator("testx", "Big", "run")
    leaves = [key.make_usage_key("html", f"h{i}_{j}") for i in range(4) for j in range(5)]
    first = store.get_item(leaves[0])
    assert first.graded is True  # inherited from the sequential; warms the structure and what derives from it
    structure = first.runtime.structure
    structure["blocks"] = CountingBlocks(structure["blocks"])
    for leaf_key in leaves[1:]:
        new_request()
        leaf = store.get_item(leaf_key)
        assert leaf.runtime.structure is structure  # warm: the cached structure object
        assert leaf.graded is True
        assert leaf.get_parent().location.block_id == f"s{leaf_key.block_id[1]}"
    # at most once per structure object (a point read may have found parents by byte search until now, so the
    # map can be built by a later request), never once per request (it was 19 walks in 19 requests)
    assert CountingBlocks.walks <= 1
