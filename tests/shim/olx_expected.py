"""
What a course read through the modulestore should look like, from an OLX export read here with plain lxml.

Deliberately independent of ``lc_modulestore.importing.olx``: the rules below are
written from OLX's own definition (edx-platform's XML course loader,
``xmodule/modulestore/xml.py`` and ``xml_block.py``), not from our importer:

* ``course.xml`` is a pointer ``<course url_name= org= course=/>`` to ``course/<url_name>.xml``;
  the root's block id in split is always ``course``;
* an element with no children, no text and exactly a ``url_name`` attribute is a pointer to
  ``<tag>/<url_name>.xml`` (a ``:`` in the url_name is a ``/`` in the path);
* anything else is defined inline, its id is its ``url_name`` (None here when it has none:
  the loader makes one up, so only its place in the tree can be checked);
* structural blocks take their child elements as children (except ``<wiki>``/``<textbook>``
  in a course and ``<show>`` in a conditional); every other block is a leaf;
* ``policies/<course url_name>/policy.json`` overrides attributes, keyed ``<type>/<url_name>``;
* every file in ``about/``, ``info/`` and ``tabs/`` is a detached page (``about``, ``course_info``,
  ``static_tab``) named by its file stem; ``<stem>.<field>.json`` sets a field of that page.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

#: Block types whose child elements are child blocks (edx-platform classes with ``has_children``).
CONTAINER_TYPES = frozenset({
    "course", "chapter", "sequential", "vertical", "library_content", "split_test", "conditional",
    "videosequence", "unit",
})
_NOT_BLOCKS = {"course": frozenset({"wiki", "textbook"}), "conditional": frozenset({"show"})}
#: Attributes an export writes for its own use; no field gets them.
EXPORT_ONLY_ATTRIBUTES = frozenset({"url_name", "filename", "xblock-family"})
#: split's inheritable settings (reference: split-modulestore.md §4.3), ``edxnotes_visibility`` (user scope) aside.
INHERITABLE = (
    "graded", "start", "due", "relative_weeks_due", "graceperiod", "days_early_for_beta", "self_paced",
    "visible_to_staff_only", "group_access", "user_partitions", "hide_from_toc", "in_entrance_exam",
    "showanswer", "show_correctness", "rerandomize", "max_attempts", "show_reset_button", "use_latex_compiler",
    "matlab_api_key", "video_speed_optimizations", "video_auto_advance", "video_bumper", "edxnotes",
    "course_edit_method", "giturl", "xqa_key", "static_asset_path",
)
_PARSER = dict(remove_blank_text=True, resolve_entities=False, no_network=True)
_DETACHED_FOLDERS = (("about", "about"), ("info", "course_info"), ("tabs", "static_tab"))


@dataclass
class ExpectedBlock:
    """One block of the outline as the export defines it."""

    block_type: str
    block_id: str | None
    element: etree._Element  # the definition element (pointers resolved), children included
    file: Path
    attributes: dict[str, str]  # own attributes, export-only ones and namespaced ones left out
    policy: dict[str, Any]
    parent: ExpectedBlock | None = None
    children: list[ExpectedBlock] = field(default_factory=list)

    def walk(self) -> Iterator[ExpectedBlock]:
        """This block, then its descendants depth first (document order)."""
        yield self
        for child in self.children:
            yield from child.walk()

    def sets(self, name: str) -> bool:
        """Whether the export sets ``name`` on this block (attribute or policy)."""
        return name in self.policy or name in self.attributes

    def ancestors(self) -> Iterator[ExpectedBlock]:
        block = self.parent
        while block is not None:
            yield block
            block = block.parent

    def where(self) -> str:
        return f"{self.block_type}/{self.block_id} ({self.file.name})"


@dataclass
class ExpectedDetached:
    """An about / course_info / static_tab page."""

    block_type: str
    block_id: str
    data: str
    extra_fields: dict[str, Any]  # from <stem>.<field>.json


@dataclass
class ExpectedCourse:
    url_name: str
    root: ExpectedBlock
    policy: dict[str, dict[str, Any]]
    grading_policy: dict[str, Any] | None
    detached: list[ExpectedDetached]

    def blocks(self) -> list[ExpectedBlock]:
        return list(self.root.walk())


def is_pointer(element: etree._Element) -> bool:
    """OLX's pointer rule: ``<tag url_name="x"/>`` (a course pointer also carries ``org`` and ``course``)."""
    expected = {"url_name", "org", "course"} if element.tag == "course" else {"url_name"}
    has_text = bool((element.text or "").strip())
    return len(element) == 0 and set(element.attrib) == expected and not has_text


def _parse(path: Path) -> etree._Element:
    return etree.parse(str(path), etree.XMLParser(**_PARSER)).getroot()


def read_expected_course(course_dir: Path) -> ExpectedCourse:
    """The export at ``course_dir`` (the folder holding ``course.xml``) as the modulestore should serve it."""
    pointer = _parse(course_dir / "course.xml")
    url_name = pointer.get("url_name")
    policy_dir = course_dir / "policies" / url_name
    policy = json.loads((policy_dir / "policy.json").read_text()) if (policy_dir / "policy.json").is_file() else {}
    grading = (json.loads((policy_dir / "grading_policy.json").read_text())
               if (policy_dir / "grading_policy.json").is_file() else None)

    def load(element: etree._Element, file: Path, parent: ExpectedBlock | None) -> ExpectedBlock:
        block_id = element.get("url_name")
        if is_pointer(element):
            file = course_dir / element.tag / f"{block_id.replace(':', '/')}.xml"
            element = _parse(file)
        attributes = {
            name: value for name, value in element.attrib.items()
            if name not in EXPORT_ONLY_ATTRIBUTES and "}" not in name
            and not (element.tag == "course" and name in ("org", "course"))
        }
        policy_key = f"course/{url_name}" if parent is None else f"{element.tag}/{block_id}"
        block = ExpectedBlock(
            block_type=element.tag,
            block_id="course" if parent is None else block_id,
            element=element,
            file=file,
            attributes=attributes,
            policy=policy.get(policy_key, {}) if block_id is not None else {},
            parent=parent,
        )
        if element.tag in CONTAINER_TYPES:
            skip = _NOT_BLOCKS.get(element.tag, frozenset())
            block.children = [
                load(child, file, block) for child in element
                if isinstance(child.tag, str) and child.tag not in skip
            ]
        return block

    root = load(pointer, course_dir / "course.xml", None)
    return ExpectedCourse(url_name, root, policy, grading, _detached(course_dir, url_name))


def _detached(course_dir: Path, url_name: str) -> list[ExpectedDetached]:
    """Every page file of about/, info/, tabs/ (and their per-run ``<url_name>/`` overrides, read after)."""
    pages: dict[tuple[str, str], ExpectedDetached] = {}
    for folder, block_type in _DETACHED_FOLDERS:
        for base in (course_dir / folder, course_dir / folder / url_name):
            if not base.is_dir():
                continue
            files = sorted(p for p in base.iterdir() if p.is_file() and not p.name.endswith("~"))
            for path in sorted(files, key=lambda p: p.suffix == ".json"):  # pages before their .json fields
                if path.suffix == ".json":
                    parts = path.name.split(".")
                    if len(parts) != 3 or parts[1] in ("data", "metadata"):
                        continue  # only <stem>.<field>.json sets a field
                    page = pages.setdefault((block_type, parts[0]), ExpectedDetached(block_type, parts[0], "", {}))
                    page.extra_fields[parts[1]] = json.loads(path.read_text())
                else:
                    page = pages.setdefault((block_type, path.stem), ExpectedDetached(block_type, path.stem, "", {}))
                    page.data = path.read_text(encoding="utf-8")
    return list(pages.values())


def decode_attribute(field, raw: str) -> Any:
    """edx-platform's ``deserialize_field``: JSON when it parses and the field takes it, else the raw string."""
    try:
        decoded = json.loads(raw)
    except (ValueError, TypeError):
        return raw
    if decoded is None or field is None:
        return decoded
    try:
        field.from_json(decoded)
    except (ValueError, TypeError):
        return raw
    return decoded


def expected_json(block: ExpectedBlock, name: str, field) -> Any:
    """The value ``name`` should have on ``block`` (policy over attribute), typed by ``field`` and back to JSON."""
    if name in block.policy:
        value = block.policy[name]
    else:
        value = decode_attribute(field, block.attributes[name])
    return field.to_json(field.from_json(value)) if field is not None else value


def canonical_xml(text: str) -> str:
    """XML text with insignificant whitespace between elements removed, attributes in a fixed order (C14N)."""
    element = etree.fromstring(text.strip().encode(), etree.XMLParser(**_PARSER))
    for node in element.iter():
        if node.text is not None and not node.text.strip():
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None
    return etree.tostring(element, method="c14n").decode()


def inner_xml(element: etree._Element) -> str:
    """The text and child elements of ``element`` (its own tag and attributes left out)."""
    return (element.text or "") + "".join(etree.tostring(child, encoding="unicode") for child in element)
