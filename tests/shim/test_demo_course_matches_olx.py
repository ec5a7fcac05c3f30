"""
Issue 8, done when: the demo course read through ``shim.api.modulestore()`` matches its OLX.

The course is imported, published and compiled (both branches) once for the
module. Every expectation comes from reading the export on disk here, with
plain lxml (:mod:`tests.shim.olx_expected`), never from our importer; nothing
from the corpus is written into the repository. Skipped without the corpus.
"""
from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import transaction
from opaque_keys.edx.keys import CourseKey
from xblock.fields import Scope

from compiler import api as compiler_api
from lc_modulestore.api import BlockData, BlockKey, CourseWriter, get_course
from lc_modulestore.importing.olx.api import import_olx
from shim import api as shim_api
from tests.demo_course import DEMO_COURSE_KEY, compile_both_branches, demo_course_dir
from tests.olx.helpers import fields as stored_fields
from tests.shim.fixtures import new_request
from tests.shim.olx_expected import (
    INHERITABLE,
    ExpectedBlock,
    ExpectedCourse,
    canonical_xml,
    expected_json,
    inner_xml,
    read_expected_course,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
BRANCH_SETTINGS = [shim_api.ModuleStoreEnum.Branch.published_only, shim_api.ModuleStoreEnum.Branch.draft_preferred]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo course imported with ``publish``, both branches compiled; rolled back after the module."""
    course_dir = demo_course_dir()
    if course_dir is None:
        pytest.skip(f"demo course not found under {settings.LC_DEMO_COURSE_DIR}")
    with django_db_blocker.unblock():
        with transaction.atomic():
            import_olx(course_dir, DEMO_COURSE_KEY, publish=True, created=NOW)
            compile_both_branches(DEMO_COURSE_KEY)
            yield CourseKey.from_string(DEMO_COURSE_KEY), read_expected_course(course_dir)
            transaction.set_rollback(True)


@pytest.fixture
def modulestore():
    """The real entry point, configured from settings, as a fresh process would build it."""
    shim_api.clear_existing_modulestores()
    yield shim_api.modulestore()
    shim_api.clear_existing_modulestores()


def _walk(block) -> Iterator:
    yield block
    for child in block.get_children():
        yield from _walk(child)


def _pairs(expected: ExpectedBlock, actual) -> Iterator[tuple[ExpectedBlock, object]]:
    """(expected, actual) block pairs, matched by place in the tree; asserts the same tree on the way."""
    location = actual.location
    assert location.block_type == expected.block_type, expected.where()
    if expected.block_id is not None:
        assert location.block_id == expected.block_id, expected.where()
    yield expected, actual
    children = actual.get_children()
    assert [(c.location.block_type, c.location.block_id) for c in children] == [
        (e.block_type, e.block_id if e.block_id is not None else c.location.block_id)
        for e, c in zip(expected.children, children)
    ] and len(children) == len(expected.children), f"children of {expected.where()}"
    for expected_child, child in zip(expected.children, children):
        assert child.parent == location, expected_child.where()
        yield from _pairs(expected_child, child)


def _served_structure(store, course_key, branch_setting: str) -> dict:
    """The head structure the store serves for ``branch_setting`` (split's backend call, through the store)."""
    branch = "draft-branch" if branch_setting == shim_api.ModuleStoreEnum.Branch.draft_preferred else "published-branch"
    index = store.get_course_index(course_key)
    return store.db_connection.get_structure(index["versions"][branch], course_context=course_key)


def _read_course(store, course_key, branch_setting: str):
    with store.branch_setting(branch_setting):
        return store.get_course(course_key, depth=None, lazy=False)


def _as_json(block, name: str):
    field = block.fields[name]
    return field.to_json(getattr(block, name))


# ----------------------------------------------------------------------------------------- tree --
@pytest.mark.parametrize("branch_setting", BRANCH_SETTINGS)
def test_same_tree_ids_and_order(demo, modulestore, branch_setting):
    course_key, expected = demo
    course = _read_course(modulestore, course_key, branch_setting)
    pairs = list(_pairs(expected.root, course))
    assert len(pairs) == len(expected.blocks())
    # Nothing else in the course: every stored block is in the outline or a detached page.
    with modulestore.branch_setting(branch_setting):
        stored = {(b.location.block_type, b.location.block_id) for b in modulestore.get_items(course_key)}
        assert modulestore.get_orphans(course_key) == []
    outline = {(b.location.block_type, b.location.block_id) for b in _walk(course)}
    detached = {(d.block_type, d.block_id) for d in expected.detached}
    assert stored == outline | detached


# --------------------------------------------------------------------------------------- fields --
def _field_mismatches(modulestore, course_key, expected: ExpectedCourse, branch_setting: str) -> list[str]:
    """Every explicitly set attribute / policy value compared with the block's field (or stored setting)."""
    course = _read_course(modulestore, course_key, branch_setting)
    problems: list[str] = []
    undeclared: dict[tuple[str, str], tuple[ExpectedBlock, dict]] = {}
    for block, xblock in _pairs(expected.root, course):
        names = set(block.attributes) | set(block.policy)
        if block.parent is None and expected.grading_policy is not None:
            names.add("grading_policy")
        for name in sorted(names):
            field = xblock.fields.get(name)
            if name == "grading_policy" and block.parent is None:
                want = field.to_json(field.from_json(expected.grading_policy))
            elif field is None or field.scope not in (Scope.settings, Scope.content):
                key = (xblock.location.block_type, xblock.location.block_id)
                undeclared.setdefault(key, (block, {}))[1][name] = expected_json(block, name, None)
                continue
            else:
                want = expected_json(block, name, field)
            if block.block_type == "video" and name == "edx_video_id" and not want:
                # VideoBlock's import registers a video without an id in edxval under a new one (ADR 0004).
                if not xblock.edx_video_id:
                    problems.append(f"{block.where()}: no edx_video_id was assigned")
                continue
            if not field.is_set_on(xblock):
                problems.append(f"{block.where()}: {name} is not set (expected {want!r})")
            elif _as_json(xblock, name) != want:
                problems.append(f"{block.where()}: {name} = {_as_json(xblock, name)!r}, expected {want!r}")
        if block.block_type == "video" and "youtube" in block.attributes:
            # youtube="1.00:id,1.50:id2": one youtube_id_<speed> field per speed.
            for pair in block.attributes["youtube"].split(","):
                speed, _, youtube_id = pair.strip().partition(":")
                short = f"{float(speed):g}"  # 0.75, 1, 1.25, 1.5
                name = "youtube_id_" + (short if "." in short else f"{short}.0").replace(".", "_")
                if getattr(xblock, name) != youtube_id:
                    problems.append(f"{block.where()}: {name} = {getattr(xblock, name)!r}, expected {youtube_id!r}")
        if "display_name" not in names:
            default = xblock.fields["display_name"].default
            if xblock.display_name != default:
                problems.append(f"{block.where()}: display_name {xblock.display_name!r}, expected the default")
    # Names the block's class does not declare are kept as settings in the served structure (ADR 0004),
    # where split's get_items(settings=…) matches them; read them there, as split's backend returns it.
    # A class with its own XML parser keeps them verbatim in xml_attributes instead (edx-platform's rule).
    structure = _served_structure(modulestore, course_key, branch_setting)
    for (block_type, block_id), (block, values) in undeclared.items():
        stored = structure["blocks"][shim_api.BlockKey(block_type, block_id)].fields
        for name, want in values.items():
            if block_type == "video" and name == "youtube":
                continue  # VideoBlock's own attribute, read into youtube_id_<speed> (checked above)
            raw = block.attributes.get(name)
            if name not in stored and raw is not None and stored.get("xml_attributes", {}).get(name) == raw:
                continue
            if stored.get(name, "<absent>") != want:
                problems.append(f"{block_type}/{block_id}: stored setting {name} = {stored.get(name, '<absent>')!r}, "
                                f"expected {want!r}")
    return problems


@pytest.mark.parametrize("branch_setting", BRANCH_SETTINGS)
def test_every_set_attribute_and_policy_value_is_the_field_value(demo, modulestore, branch_setting):
    course_key, expected = demo
    assert _field_mismatches(modulestore, course_key, expected, branch_setting) == []


def test_inherited_settings_come_from_the_nearest_ancestor_that_sets_them(demo, modulestore):
    course_key, expected = demo
    course = _read_course(modulestore, course_key, BRANCH_SETTINGS[0])
    problems = []
    inherited_somewhere = set()
    for block, xblock in _pairs(expected.root, course):
        for name in INHERITABLE:
            field = xblock.fields[name]
            source = next((b for b in (block, *block.ancestors()) if b.sets(name)), None)
            actual = _as_json(xblock, name)
            if source is None:
                want = field.to_json(field.default)
            else:
                want = expected_json(source, name, field)
                if source is not block:
                    inherited_somewhere.add(name)
            if actual != want:
                problems.append(f"{block.where()}: {name} = {actual!r}, expected {want!r} "
                                f"from {source.where() if source else 'the default'}")
    assert problems == []
    # The corpus must exercise inheritance at all, or this test proves nothing.
    assert {"start", "graded"} & inherited_somewhere


# -------------------------------------------------------------------------------------- content --
def test_content_fields_match_the_files(demo, modulestore):
    course_key, expected = demo
    course = _read_course(modulestore, course_key, BRANCH_SETTINGS[0])
    checked = {"html": 0, "problem": 0, "other": 0}
    for block, xblock in _pairs(expected.root, course):
        element = block.element
        if block.block_type == "html" and element.get("filename"):
            html = (block.file.parent.parent / "html" / f"{element.get('filename').replace(':', '/')}.html")
            assert xblock.data.strip() == html.read_text(encoding="utf-8").strip(), block.where()
            checked["html"] += 1
        elif block.block_type == "problem":
            # The problem's own element, minus the attributes its class keeps as settings.
            definition = canonical_xml(_without_settings_attributes(element, xblock))
            assert xblock.data.strip() and canonical_xml(xblock.data) == definition, block.where()
            checked["problem"] += 1
        elif block.block_type not in {"video", "lti", "annotatable"} and not block.children \
                and "data" in xblock.fields and (len(element) or (element.text or "").strip()):
            # Types without a class of their own keep their inner XML as content data.
            assert _normalized(xblock.data) == _normalized(inner_xml(element)), block.where()
            checked["other"] += 1
    assert all(checked.values()), checked


def _without_settings_attributes(element, xblock) -> str:
    from lxml import etree

    copy = etree.fromstring(etree.tostring(element))
    for name in list(copy.attrib):
        field = xblock.fields.get(name)
        if name in ("url_name", "filename", "xblock-family") or (field is not None and field.scope == Scope.settings):
            del copy.attrib[name]
    return etree.tostring(copy, encoding="unicode")


def _normalized(text: str) -> str:
    try:
        return canonical_xml(f"<root>{text}</root>")
    except Exception:  # plain text content
        return re.sub(r"\s+", " ", text).strip()


# ------------------------------------------------------------------------------------- detached --
def test_detached_pages_are_readable_and_nobodys_children(demo, modulestore):
    course_key, expected = demo
    assert expected.detached, "the demo export has about/ and info/ pages"
    course = _read_course(modulestore, course_key, BRANCH_SETTINGS[0])
    in_tree = {b.location for b in _walk(course)}
    for page in expected.detached:
        usage = course_key.make_usage_key(page.block_type, page.block_id)
        xblock = modulestore.get_item(usage)
        assert xblock.location == usage and usage not in in_tree
        assert xblock.data == page.data, usage
        for name, value in page.extra_fields.items():
            assert _as_json(xblock, name) == value, (usage, name)
        assert modulestore.get_parent_location(usage) is None
        assert modulestore.has_item(usage)
    # Detached pages are not orphans, and get_items(include_orphans=False) keeps them (split's rule).
    assert modulestore.get_orphans(course_key) == []
    kept = {(b.location.block_type, b.location.block_id)
            for b in modulestore.get_items(course_key, include_orphans=False)}
    assert {(p.block_type, p.block_id) for p in expected.detached} <= kept


# ---------------------------------------------------------------------------------------- draft --
def test_draft_branch_shows_a_draft_edit_that_published_reads_do_not(demo, modulestore):
    """
    The demo export has no ``drafts/``: make draft edits through the CourseWriter instead, compile the
    draft branch, and read both branches through the same store.
    """
    course_key, expected = demo
    assert not (demo_course_dir() / "drafts").exists(), "the export has drafts/: read those instead"
    sequential = next(b for b in expected.blocks() if b.block_type == "sequential"
                      and not any(x.sets("due") for x in (b, *b.ancestors())))
    vertical = sequential.children[0]
    leaf = vertical.children[0]
    lc_course = get_course(DEMO_COURSE_KEY)
    writer = CourseWriter(lc_course, created=NOW)
    due = datetime.datetime(2031, 5, 6, 7, 8, tzinfo=datetime.timezone.utc)

    def draft_of(block: ExpectedBlock, **changes) -> BlockData:
        current = stored_fields(lc_course, block.block_type, block.block_id)
        data = BlockData(BlockKey(block.block_type, block.block_id), title=current.settings.get("display_name", ""),
                         settings=dict(current.settings), content=dict(current.content),
                         children=tuple(BlockKey(*c) for c in current.children),
                         is_container=bool(block.children))
        return BlockData(**{**data.__dict__, **changes})

    new_html = BlockKey("html", "draft_only_html")
    writer.save_block(BlockData(new_html, title="Draft only", settings={"display_name": "Draft only"},
                                content={"data": "<p>draft</p>"}, olx="<html/>"))
    writer.save_block(draft_of(vertical, children=(*(BlockKey(c.block_type, c.block_id) for c in vertical.children),
                                                   new_html)))
    seq = draft_of(sequential)
    writer.save_block(draft_of(sequential, settings={**seq.settings, "due": due}))
    compiler_api.compile_drafts(DEMO_COURSE_KEY)
    new_request()

    leaf_key = course_key.make_usage_key(leaf.block_type, leaf.block_id)
    vertical_key = course_key.make_usage_key("vertical", vertical.block_id)
    draft_html = course_key.make_usage_key("html", new_html.id)
    with modulestore.branch_setting(BRANCH_SETTINGS[1]):
        assert modulestore.get_item(leaf_key).due == due  # inherited from the edited sequential
        children = modulestore.get_item(vertical_key).get_children()
        assert children[-1].location == draft_html and children[-1].data == "<p>draft</p>"
        assert modulestore.has_item(draft_html)
        assert modulestore.has_changes(modulestore.get_item(vertical_key))
    with modulestore.branch_setting(BRANCH_SETTINGS[0]):
        assert modulestore.get_item(leaf_key).due is None
        assert [c.location for c in modulestore.get_item(vertical_key).get_children()] == [
            course_key.make_usage_key(c.block_type, c.block_id) for c in vertical.children
        ]
        assert not modulestore.has_item(draft_html)
