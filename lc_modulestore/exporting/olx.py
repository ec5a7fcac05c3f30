"""
Writing a course from Learning Core as a Studio-style OLX export (directory or ``.tar.gz``).

The layout is what Studio writes and :mod:`lc_modulestore.importing.olx` reads:
``course.xml`` pointing at ``course/<run>.xml``, one file per block under
``<block_type>/``, html bodies in ``html/<id>.html``, course settings in
``policies/<run>/policy.json`` and ``grading_policy.json``, ``about/``,
``info/``, ``tabs/`` for detached blocks, ``static/`` plus
``policies/assets.json`` for assets. A leaf is written as the OLX the importer
stored for it (its Component's ``block.xml``), so nothing the block class did
not understand is lost; settings the OLX does not carry go to ``policy.json``,
which the importer applies over attributes, as edx-platform does.

``--branch draft`` writes the draft state as the export's main tree (an import
of it, published, makes the draft the published state).
"""
from __future__ import annotations

import datetime
import json
import mimetypes
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from openedx_content.models_api import ComponentVersionMedia, Draft, Published

from lc_modulestore.api import (
    DRAFT_BRANCH,
    PUBLISHED_BRANCH,
    BlockKey,
    CourseNotFoundError,
    LcModulestoreError,
    load_block_class,
    parse_course_key,
)
from lc_modulestore.models_api import BlockFieldData, CourseAsset, CourseBlock, LearningCoreCourse

COURSE_ROOT = BlockKey("course", "course")
_DETACHED_FOLDERS = {"about": "about", "course_info": "info", "static_tab": "tabs"}
# Settings the importer derives from elsewhere, never read back from attributes or policy.
_DERIVED = frozenset({"xml_attributes"})
# edx-platform's ConditionalBlock: the field its condition reads → the attribute that names it in OLX.
_CONDITION_ATTRIBUTES = {"poll_answer": "poll_answer", "is_attempted": "attempted", "is_correct": "correct",
                         "voted": "voted"}


class ExportError(LcModulestoreError):
    """An export that cannot be written (the message names the course and the path)."""


@dataclass
class ExportResult:
    """What an export wrote."""

    course_key: str
    branch: str
    path: str
    blocks: int
    assets: int


@dataclass
class _Block:
    key: BlockKey
    settings: dict[str, Any]
    content: dict[str, Any]
    children: list[BlockKey]
    olx: str | None
    version_id: int = 0


def export_olx(course_key: str, path: str | Path, *, branch: str = "published") -> ExportResult:
    """
    Write ``course_key``'s ``branch`` state to ``path`` (a new or empty directory, or a ``.tar.gz`` file).

    Refuses to write into a non-empty directory or over an existing archive, so
    an export never mixes with other files.
    """
    branch = {"published": PUBLISHED_BRANCH, "draft": DRAFT_BRANCH}.get(branch, branch)
    if branch not in (PUBLISHED_BRANCH, DRAFT_BRANCH):
        raise ExportError(f"{course_key}: unknown branch {branch!r} (published or draft)")
    key = parse_course_key(course_key)
    try:
        course = LearningCoreCourse.objects.get(course_key=key)
    except LearningCoreCourse.DoesNotExist:
        raise CourseNotFoundError(f"Course {course_key} is not in Learning Core") from None
    target = Path(path)
    archive = target.name.endswith(".tar.gz")
    if archive and target.exists():
        raise ExportError(f"{course_key}: {target} already exists")
    if not archive and target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ExportError(f"{course_key}: {target} is not an empty directory")
    blocks = _read_blocks(course, published=branch == PUBLISHED_BRANCH)
    if COURSE_ROOT not in blocks:
        raise ExportError(f"{course_key}: the course has no {branch} state to export")
    # Studio's export of the published state carries the units changed since in drafts/, as the importer reads them.
    drafts = _read_blocks(course, published=False) if branch == PUBLISHED_BRANCH else {}
    if archive:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "course"
            root.mkdir()
            assets = _write(course, key, blocks, root, drafts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with tarfile.open(target, "w:gz") as tar:
                tar.add(root, arcname="course")
    else:
        target.mkdir(parents=True, exist_ok=True)
        try:
            assets = _write(course, key, blocks, target, drafts)
        except BaseException:
            for child in target.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
            raise
    return ExportResult(str(key), branch, str(target), blocks=len(blocks), assets=assets)


def _read_blocks(course: LearningCoreCourse, *, published: bool) -> dict[BlockKey, _Block]:
    """Every live block of the branch with its field data and (leaves) stored OLX, in three queries."""
    pointer = Published if published else Draft
    versions = dict(
        pointer.objects.filter(entity__course_block__course=course, version__isnull=False).values_list(
            "entity_id", "version_id"
        )
    )
    keys = {
        entity_id: BlockKey(block_type, block_id)
        for entity_id, block_type, block_id in CourseBlock.objects.filter(course=course).values_list(
            "entity_id", "block_type", "block_id"
        )
    }
    olx = dict(
        ComponentVersionMedia.objects.filter(component_version_id__in=versions.values(), path="block.xml")
        .values_list("component_version_id", "media__text")
    )
    fields = {f.entity_version_id: f for f in BlockFieldData.objects.filter(entity_version_id__in=versions.values())}
    blocks: dict[BlockKey, _Block] = {}
    for entity_id, version_id in versions.items():
        data = fields.get(version_id)
        if data is None or entity_id not in keys:
            continue
        key = keys[entity_id]
        blocks[key] = _Block(key, dict(data.settings), dict(data.content),
                             [BlockKey(*child) for child in data.children], olx.get(version_id), version_id)
    return _as_written(blocks)


def _as_written(blocks: dict[BlockKey, _Block]) -> dict[BlockKey, _Block]:
    """
    Error blocks under the type their OLX was written as, so the export re-imports (and the import tries again).

    The importer keeps a leaf it cannot load as ``error/<id>`` holding the leaf's own OLX (``<html …>``);
    written as ``error/<id>.xml`` behind an ``<error>`` pointer it would not read back. edx-platform's
    ErrorBlock exports its original XML the same way.
    """
    renamed: dict[BlockKey, BlockKey] = {}
    for key, block in blocks.items():
        if key.type == "error" and block.olx:
            original = BlockKey(etree.fromstring(block.olx).tag, key.id)
            if original not in blocks:
                renamed[key] = original
    if not renamed:
        return blocks
    result: dict[BlockKey, _Block] = {}
    for key, block in blocks.items():
        block.key = renamed.get(key, key)
        block.children = [renamed.get(child, child) for child in block.children]
        result[block.key] = block
    return result


def _to_json(block_type: str, name: str, value: Any) -> Any:
    """A stored value as its field's ``to_json`` gives it (dates as ISO strings), as edx-platform exports it."""
    field = load_block_class(block_type).fields.get(name)
    if field is not None and not isinstance(value, str | int | float | bool | list | dict | type(None)):
        try:
            value = field.to_json(value)
        except Exception:  # noqa: BLE001 - a value its field refuses is written as it is stored
            pass
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value)
    return str(value)


def _jsonable(block_type: str, settings: dict[str, Any]) -> dict[str, Any]:
    return {name: _to_json(block_type, name, value) for name, value in settings.items()}


def _attribute(value: Any) -> str:
    """A setting as edx-platform's export writes an attribute: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _write_xml(path: Path, element: etree._Element) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(etree.tostring(element, pretty_print=True, encoding="utf-8"))


def _write(course: LearningCoreCourse, key, blocks: dict[BlockKey, _Block], root: Path,
           drafts: dict[BlockKey, _Block]) -> int:
    # The course's url_name as the import recorded it (course/<url_name>.xml), else the run, as Studio names it.
    filename = (blocks[COURSE_ROOT].settings.get("xml_attributes") or {}).get("filename")
    run = Path(str(filename[0])).stem if isinstance(filename, list) and filename and filename[0] else key.run
    policy: dict[str, dict[str, Any]] = {}
    course_block = blocks[COURSE_ROOT]
    course_settings = _jsonable("course", course_block.settings)
    grading = course_settings.pop("grading_policy", None)
    # The course's xml_attributes stay in its policy: an export's policy.json may carry them (the demo course's does).
    policy[f"course/{run}"] = course_settings
    _write_xml(root / "course.xml", etree.Element("course", url_name=run, org=key.org, course=key.course))
    element = etree.Element("course")
    for name, value in (course_block.settings.get("xml_attributes") or {}).items():
        if isinstance(value, str) and name not in ("url_name", "filename"):
            element.set(name, value)
    for child in course_block.children:
        etree.SubElement(element, child.type, url_name=child.id)
    wiki_slug = course_block.content.get("wiki_slug")
    if wiki_slug:
        etree.SubElement(element, "wiki", slug=wiki_slug)
    _write_xml(root / "course" / f"{run}.xml", element)

    seen: set[BlockKey] = {COURSE_ROOT}
    stack = list(reversed(course_block.children))
    while stack:
        block_key = stack.pop()
        if block_key in seen or block_key not in blocks:
            continue
        seen.add(block_key)
        block = blocks[block_key]
        _write_block(block, root, policy)
        stack.extend(reversed(block.children))
    for block in blocks.values():
        folder = _DETACHED_FOLDERS.get(block.key.type)
        if folder is None:
            continue
        target = root / folder / f"{block.key.id}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(str(block.content.get("data", "")), encoding="utf-8")
        items = block.content.get("items", block.settings.get("items"))
        if block.key.type == "course_info" and items is not None:
            items_file = root / folder / f"{block.key.id}.items.json"
            items_file.write_text(json.dumps(items, indent=2, default=_default), encoding="utf-8")

    if drafts:
        _write_drafts(key, blocks, drafts, root, policy)
    policies = root / "policies" / run
    policies.mkdir(parents=True, exist_ok=True)
    (policies / "policy.json").write_text(json.dumps(policy, indent=4, sort_keys=True), encoding="utf-8")
    if grading is not None:
        (policies / "grading_policy.json").write_text(json.dumps(grading, indent=4, sort_keys=True),
                                                      encoding="utf-8")
    return _write_assets(course, root)


def _write_block(block: _Block, root: Path, policy: dict[str, dict[str, Any]], *, keep_policy: bool = False) -> None:
    key = block.key
    settings = _jsonable(key.type, {k: v for k, v in block.settings.items() if k not in _DERIVED})
    if block.olx is None:  # a container: settings as attributes, children as pointers
        element = etree.Element(key.type)
        for name, value in (block.settings.get("xml_attributes") or {}).items():
            if isinstance(value, str) and name not in ("url_name", "filename"):
                element.set(name, value)
        for name, value in sorted(settings.items()):
            element.set(name, _attribute(value))
        for child in block.children:
            etree.SubElement(element, child.type, url_name=child.id)
        if key.type == "conditional":
            _conditional_attributes(element, block.content)
        else:  # content fields of a container (split_test's groups, ...) are attributes too, as Studio writes them
            for name, value in sorted(_jsonable(key.type, block.content).items()):
                if name not in ("data", "children") and value is not None:
                    element.set(name, _attribute(value))
        _write_xml(root / key.type / f"{key.id}.xml", element)
        return
    element = etree.fromstring(block.olx)
    element.attrib.pop("url_name", None)
    filename = (block.settings.get("xml_attributes") or {}).get("filename")
    if key.type == "html" and isinstance(filename, list) and filename and filename[0]:
        # Studio's layout: html/<id>.xml names the file holding the body (the name the import recorded).
        name = Path(str(filename[0])).stem
        for child in list(element):
            element.remove(child)
        element.text = None
        element.attrib.pop("filename", None)
        element.set("filename", name)
        body = root / "html" / f"{name}.html"
        body.parent.mkdir(parents=True, exist_ok=True)
        body.write_text(str(block.content.get("data", "")), encoding="utf-8")
    # policy.json wins over attributes in the importer, as in edx-platform: settings the OLX lacks or spells
    # differently go there.
    overrides = {name: value for name, value in settings.items() if element.get(name) != _attribute(value)}
    if overrides and not (keep_policy and f"{key.type}/{key.id}" in policy):
        policy[f"{key.type}/{key.id}"] = overrides
    _write_xml(root / key.type / f"{key.id}.xml", element)


def _subtree(blocks: dict[BlockKey, _Block], block_key: BlockKey) -> list[BlockKey]:
    found, stack = [], [block_key]
    while stack:
        current = stack.pop()
        if current in blocks and current not in found:
            found.append(current)
            stack.extend(reversed(blocks[current].children))
    return found


def _write_drafts(key, published: dict[BlockKey, _Block], drafts: dict[BlockKey, _Block], root: Path,
                  policy: dict[str, dict[str, Any]]) -> None:
    """
    Units whose draft differs from the published state (or exists only as a draft), in ``drafts/``.

    Each unit names its parent (``parent_url``) and its place (``index_in_children_list``); its
    descendants are written under ``drafts/`` too, where the importer looks for them first.
    """
    parents = {child: block.key for block in drafts.values() for child in block.children}
    reachable = set(_subtree(drafts, COURSE_ROOT))
    for unit in (b for b in drafts.values() if b.key.type == "vertical" and b.key in reachable):
        keys = _subtree(drafts, unit.key)
        if all(k in published and published[k].version_id == drafts[k].version_id for k in keys):
            continue
        parent = parents.get(unit.key)
        if parent is None:
            continue
        for block_key in keys:
            _write_block(drafts[block_key], root / "drafts", policy, keep_policy=True)
        file = root / "drafts" / "vertical" / f"{unit.key.id}.xml"
        element = etree.parse(str(file)).getroot()
        parent_id = "course" if parent == COURSE_ROOT else parent.id
        element.set("parent_url", f"block-v1:{key.org}+{key.course}+{key.run}+type@{parent.type}+block@{parent_id}")
        element.set("index_in_children_list", str(drafts[parent].children.index(unit.key)))
        _write_xml(file, element)


def _conditional_attributes(element: etree._Element, content: dict[str, Any]) -> None:
    """ConditionalBlock's content fields as its OLX spells them: ``sources``, the condition, ``<show>`` tags."""
    if content.get("sources_list"):
        element.set("sources", ";".join(map(str, content["sources_list"])))
    attribute = _CONDITION_ATTRIBUTES.get(str(content.get("conditional_attr", "")))
    if attribute:
        element.set(attribute, str(content.get("conditional_value", "")))
    if content.get("conditional_message"):
        element.set("message", str(content["conditional_message"]))
    for source in content.get("show_tag_list") or ():
        etree.SubElement(element, "show", sources=str(source))


def _write_assets(course: LearningCoreCourse, root: Path) -> int:
    """static/ files and policies/assets.json, keyed as split names assets."""
    metadata: dict[str, dict[str, Any]] = {}
    count = 0
    for asset in CourseAsset.objects.filter(course=course, asset_type="asset").select_related("media"):
        # The metadata as the import stored it (assets.json's entry); the reader guesses what it leaves out.
        entry = dict(asset.metadata)
        if asset.content_type and asset.content_type != (mimetypes.guess_type(asset.path)[0] or ""):
            entry.setdefault("contentType", asset.content_type)
        if asset.locked:
            entry.setdefault("locked", True)
        if entry:
            metadata[asset.path] = json.loads(json.dumps(entry, default=_default))
        if asset.media is None:
            continue
        target = root / "static" / asset.path
        target.parent.mkdir(parents=True, exist_ok=True)
        with asset.media.read_file() as file:
            target.write_bytes(file.read())
        count += 1
    (root / "policies").mkdir(parents=True, exist_ok=True)
    (root / "policies" / "assets.json").write_text(json.dumps(metadata, indent=4, sort_keys=True), encoding="utf-8")
    return count


__all__ = ["ExportError", "ExportResult", "export_olx"]
