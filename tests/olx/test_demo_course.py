"""The full Open edX demo course (shared corpus): imported, then checked against the OLX on disk.

Expected values come from parsing the export here, independently, with lxml; nothing from the
corpus is written into this file.
"""
from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from django.conf import settings
from lxml import etree
from openedx_content.models_api import PublishableEntityVersion, PublishLog

from lc_modulestore.importing.olx.api import import_olx
from lc_modulestore.models import CourseAsset, CourseBlock
from tests.demo_course import DEMO_COURSE_KEY, demo_course_dir
from tests.olx.helpers import course, entity_children, fields, version

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
KEY = DEMO_COURSE_KEY
CONTAINERS = {"course", "chapter", "sequential", "vertical", "library_content"}


def _course_dir() -> Path:
    course_dir = demo_course_dir()
    if course_dir is None:
        pytest.skip(f"demo course not found under {settings.LC_DEMO_COURSE_DIR}")
    return course_dir


def _expected_outline(course_dir: Path):
    """{(type, id): (definition element, [child keys])} and the root's url_name, read with plain lxml."""
    parser = etree.XMLParser(remove_blank_text=True)
    blocks: dict[tuple[str, str], tuple[etree._Element, list[tuple[str, str]]]] = {}

    def load(element, block_id=None):
        if len(element) == 0 and set(element.attrib) <= {"url_name", "org", "course"}:
            block_id = block_id or element.get("url_name")
            path = course_dir / element.tag / f"{element.get('url_name').replace(':', '/')}.xml"
            element = etree.parse(str(path), parser).getroot()
        block_id = block_id or element.get("url_name")
        children = []
        if element.tag in CONTAINERS:
            for child in element:
                if isinstance(child.tag, str) and child.tag != "wiki":
                    children.append(load(child))
        blocks[(element.tag, block_id)] = (element, children)
        return (element.tag, block_id)

    pointer = etree.parse(str(course_dir / "course.xml"), parser).getroot()
    load(pointer, "course")
    return blocks, pointer.get("url_name")


def test_demo_course_imports_completely_and_faithfully(now):
    course_dir = _course_dir()
    expected, url_name = _expected_outline(course_dir)
    result = import_olx(course_dir.parent if course_dir.name == "course" else course_dir, KEY, publish=True,
                        created=now)
    lc = course(KEY)
    assert result.published

    # Counts: every outline block, of every type, and nothing else besides the detached pages.
    by_type: dict[str, int] = {}
    for block_type, _ in expected:
        by_type[block_type] = by_type.get(block_type, 0) + 1
    assert (by_type["chapter"], by_type["sequential"], by_type["vertical"]) == (6, 17, 58)
    stored = CourseBlock.objects.filter(course=lc, detached=False)
    stored_by_type: dict[str, int] = {}
    for block_type in stored.values_list("block_type", flat=True):
        stored_by_type[block_type] = stored_by_type.get(block_type, 0) + 1
    assert stored_by_type == by_type

    # Order: children as authored, both in the field data and in Learning Core's entity lists.
    policy = json.loads((course_dir / "policies" / url_name / "policy.json").read_text())
    for (block_type, block_id), (element, children) in expected.items():
        data = fields(lc, block_type, block_id, published=True)
        assert [tuple(c) for c in data.children] == children, (block_type, block_id)
        if children:
            assert entity_children(lc, block_type, block_id, published=True) == children
        # display_name: the policy wins over the XML attribute (as in edx-platform).
        policy_key = f"course/{url_name}" if block_type == "course" else f"{block_type}/{block_id}"
        display_name = policy.get(policy_key, {}).get("display_name", element.get("display_name"))
        if display_name is not None:
            assert data.settings.get("display_name") == display_name, (block_type, block_id)
            assert version(lc, block_type, block_id, published=True).title == display_name[:500]
        if block_type == "html" and element.get("filename"):
            html = (course_dir / "html" / f"{element.get('filename')}.html").read_text()
            assert data.content["data"].strip() == html.strip(), block_id
        if block_type == "video" and element.get("youtube_id_1_0"):
            assert data.settings["youtube_id_1_0"] == element.get("youtube_id_1_0")
        if block_type == "problem":
            assert data.content["data"].lstrip().startswith("<problem")

    # Course settings from policy.json and grading_policy.json.
    root = fields(lc, "course", "course", published=True)
    course_policy = policy[f"course/{url_name}"]
    start = datetime.datetime.fromisoformat(course_policy["start"].replace("Z", "+00:00"))
    assert root.settings["start"] == start
    assert root.settings["tabs"] == course_policy["tabs"]
    grading = json.loads((course_dir / "policies" / url_name / "grading_policy.json").read_text())
    assert root.settings["grading_policy"] == grading

    # Detached pages and assets.
    about = sorted(p.stem for p in (course_dir / "about").glob("*.html"))
    assert sorted(CourseBlock.objects.filter(course=lc, block_type="about").values_list("block_id", flat=True)) \
        == about
    overview = fields(lc, "about", "overview", published=True)
    assert overview.content["data"] == (course_dir / "about" / "overview.html").read_text()
    items = json.loads((course_dir / "info" / "updates.items.json").read_text())
    assert fields(lc, "course_info", "updates").content["items"] == items
    static_files = [p for p in (course_dir / "static").rglob("*") if p.is_file()]
    assert CourseAsset.objects.filter(course=lc).count() == len(static_files) == result.assets
    assets_meta = json.loads((course_dir / "policies" / "assets.json").read_text())
    for asset in CourseAsset.objects.filter(course=lc)[:20]:
        meta = assets_meta.get(asset.path.replace("/", "_").replace(" ", "_"))
        if meta:
            assert asset.content_type == meta["contentType"] and asset.locked == meta["locked"]

    # Re-import: nothing changes, nothing is published.
    versions, logs = PublishableEntityVersion.objects.count(), PublishLog.objects.count()
    again = import_olx(course_dir, KEY, publish=True, created=now)
    assert (again.created, again.updated, again.deleted, again.assets_changed, again.published) == (0, 0, 0, 0, False)
    assert (PublishableEntityVersion.objects.count(), PublishLog.objects.count()) == (versions, logs)
