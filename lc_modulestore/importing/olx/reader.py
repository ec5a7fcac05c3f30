"""
Reading an OLX export from disk into an in-memory tree, with every check that needs no database.

The rules follow edx-platform's XML course import (``xmodule/modulestore/xml.py``,
``xml_importer.py``, ``xml_block.py``):

* ``course.xml`` is a pointer ``<course url_name=X org= course=/>`` to
  ``course/X.xml``; any element that is only ``<tag url_name="y"/>`` is a pointer
  to ``tag/y.xml`` (a ``:`` in a url_name is a ``/`` in the path);
* a block's id is its ``url_name``; an inline block without one gets a stable
  id derived from a hash of its XML (and its parent, so twins stay distinct);
* ``policies/<course url_name>/policy.json`` holds settings keyed
  ``"<block_type>/<url_name>"`` and ``grading_policy.json`` the course's grading policy;
* ``about/``, ``info/`` and ``tabs/`` hold the detached blocks, ``static/`` the
  assets (their metadata in ``policies/assets.json``), ``drafts/`` unpublished
  changes, each draft root naming its ``parent_url`` and ``index_in_children_list``.

Nothing here touches the database; everything that can be wrong with the files
(malformed XML or JSON, a missing pointer target, a duplicate url_name, a
cycle) raises :class:`~lc_modulestore.core.errors.OlxError` naming the file and,
where lxml knows it, the line.
"""
from __future__ import annotations

import hashlib
import json
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import UsageKey

from lc_modulestore.api import BlockKey, GenericBlock, OlxError, is_known_block_type, load_block_class
from lc_modulestore.importing.olx.archive import open_course_dir
from lc_modulestore.importing.olx.limits import MAX_NAME_LENGTH, OlxLimits
from lc_modulestore.importing.olx.paths import ExportRoot
from lc_modulestore.importing.olx.shapes import check_assets_metadata, check_course_policy, check_grading_policy

# edx-platform's EDX_XML_PARSER settings; never fetch anything from the network.
_PARSER_OPTIONS = dict(dtd_validation=False, load_dtd=False, remove_blank_text=True, no_network=True)
# c4x asset names: anything but word characters, '.', '%' and '-' becomes '_'.
_ASSET_NAME_INVALID = re.compile(r"[^\w.%-]", re.UNICODE)
# Children of these elements are not blocks (edx-platform reads them into fields).
_NON_BLOCK_CHILD_TAGS: dict[str, frozenset[str]] = {
    "course": frozenset({"wiki", "textbook"}),
    "conditional": frozenset({"show"}),
}
COURSE_ROOT_KEY = BlockKey("course", "course")
DRAFT_ATTRIBUTES = ("parent_url", "parent_sequential_url", "index_in_children_list")


@dataclass
class OlxNode:
    """One block read from OLX: its definition element (pointers resolved) and its children."""

    key: BlockKey
    element: etree._Element
    file: Path
    line: int | None
    base_dir: Path
    children: list[OlxNode] = field(default_factory=list)
    is_container: bool = False
    html_file: Path | None = None  # html blocks: the ``filename`` pointer's resolved .html file
    # Why the block cannot be loaded although its OLX is well-formed (an html ``filename`` naming a file the
    # export lacks): it is kept as an error block, as edx-platform's import keeps a block that fails to load.
    unloadable: str | None = None

    def walk(self) -> Iterator[OlxNode]:
        """This node and its descendants, children before parents (save order)."""
        for child in self.children:
            yield from child.walk()
        yield self


@dataclass
class DetachedBlock:
    """An ``about``, ``course_info`` or ``static_tab`` block read from ``about/``, ``info/`` or ``tabs/``."""

    key: BlockKey
    data: str
    file: Path
    items: list[Any] | None = None  # course_info/updates: updates.items.json


@dataclass
class AssetFile:
    """A file under ``static/`` and its metadata from ``policies/assets.json``."""

    path: str  # under static/, with '/' separators
    file: Path
    content_type: str
    locked: bool
    metadata: dict[str, Any]


@dataclass
class DraftRoot:
    """A block from ``drafts/`` that is an unpublished child of ``parent`` at ``index``."""

    node: OlxNode
    parent: BlockKey
    index: int


@dataclass
class OlxCourse:
    """An OLX export read into memory: the outline, policies, detached blocks, assets and drafts."""

    course_dir: Path
    org: str
    course: str
    url_name: str
    root: OlxNode
    policy: dict[str, dict[str, Any]]
    grading_policy: dict[str, Any] | None
    wiki_slug: str | None
    detached: list[DetachedBlock]
    assets: list[AssetFile]
    drafts: list[DraftRoot]

    def blocks(self) -> Iterator[OlxNode]:
        """Every block of the published outline, children first, the root last."""
        return self.root.walk()

    def policy_for(self, key: BlockKey) -> dict[str, Any]:
        """The policy.json entry of a block (the root's is ``course/<url_name>``)."""
        if key.type == "course":
            return self.policy.get(f"course/{self.url_name}", {})
        return self.policy.get(f"{key.type}/{key.id}", {})


def _relative(path: Path, course_dir: Path) -> str:
    try:
        return str(path.relative_to(course_dir))
    except ValueError:
        return str(path)


def parse_xml_file(path: Path, course_dir: Path, *, root: ExportRoot | None = None) -> etree._Element:
    """
    Parse one XML file; malformed XML (bad UTF-8 included) raises OlxError with file and line.

    The file is read through ``root`` (size-limited, links checked) and its
    element nesting held to ``LC_MODULESTORE_OLX_MAX_XML_DEPTH``.
    """
    root = root or ExportRoot(course_dir)
    data = root.read_bytes(path)
    try:
        element = etree.fromstring(data, parser=etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise OlxError(f"malformed XML: {exc.msg}", file=root.display(path), line=line) from None
    _check_xml_depth(element, root.display(path), root.limits.max_xml_depth)
    return element


def _check_xml_depth(element: etree._Element, file: str, limit: int) -> None:
    depth = 0
    for event, node in etree.iterwalk(element, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > limit:
            raise OlxError(
                f"elements nest deeper than {limit} levels ({OlxLimits.setting_name('max_xml_depth')})",
                file=file, line=node.sourceline,
            )


def _load_json(path: Path, root: ExportRoot) -> Any:
    try:
        return json.loads(root.read_text(path))
    except json.JSONDecodeError as exc:
        raise OlxError(f"malformed JSON: {exc.msg}", file=root.display(path), line=exc.lineno) from None


def is_pointer_tag(element: etree._Element) -> bool:
    """``<tag url_name="x"/>`` (for ``course`` also ``org`` and ``course``): a pointer to ``tag/x.xml``."""
    expected = {"url_name", "course", "org"} if element.tag == "course" else {"url_name"}
    has_text = element.text is not None and element.text.strip() != ""
    return len(element) == 0 and set(element.attrib) == expected and not has_text


def _is_block_element(element: Any) -> bool:
    return isinstance(element.tag, str)


class _TreeReader:
    """Reads one outline (published or drafts/) with pointer resolution and the duplicate/cycle checks."""

    def __init__(self, root: ExportRoot, search_dirs: list[Path]) -> None:
        self.root = root
        self.course_dir = root.course_dir
        self.search_dirs = search_dirs
        self.seen: dict[BlockKey, OlxNode] = {}
        # Where each block was named (its pointer, or its inline element): a duplicate names both places.
        self.named_at: dict[BlockKey, tuple[Path, int | None]] = {}

    def where(self, file: Path, line: int | None) -> dict[str, Any]:
        return {"file": _relative(file, self.course_dir), "line": line}

    def pointer_target(self, tag: str, url_name: str, file: Path, line: int | None) -> Path | None:
        for base in self.search_dirs:
            for name in dict.fromkeys((url_name.replace(":", "/"), url_name)):
                candidate = self.root.join(
                    tag, f"{name}.xml", base=base, referrer=file, line=line, attribute="url_name", value=url_name
                )
                if candidate.is_file():
                    return candidate
        return None

    def _check_name(self, tag: str, url_name: str, file: Path, line: int | None) -> None:
        if len(url_name) > MAX_NAME_LENGTH:
            raise OlxError(
                f"<{tag}> url_name is {len(url_name)} characters long; at most {MAX_NAME_LENGTH} are stored",
                **self.where(file, line),
            )

    def _check_depth(self, key: BlockKey, ancestors: tuple[BlockKey, ...], file: Path, line: int | None) -> None:
        limit = self.root.limits.max_tree_depth
        if len(ancestors) >= limit:
            raise OlxError(
                f"{key.type}/{key.id} is nested deeper than {limit} blocks, pointer files included "
                f"({OlxLimits.setting_name('max_tree_depth')})",
                **self.where(file, line),
            )

    def read(
        self, element: etree._Element, file: Path, *, parent: BlockKey | None, ancestors: tuple[BlockKey, ...],
        position: int = 0, definition: bool = False,
    ) -> OlxNode:
        """
        Read ``element`` and its descendants; ``definition`` means it is a block's own file (never a pointer).
        """
        tag = element.tag
        line = element.sourceline
        named_at = (file, line)
        if is_pointer_tag(element) and not definition:
            url_name = element.get("url_name")
            key = BlockKey(tag, url_name)
            self._check_name(tag, url_name, file, line)
            self._check_cycle(key, ancestors, file, line)
            self._check_depth(key, ancestors, file, line)
            self._check_duplicate(key, file, line)
            target = self.pointer_target(tag, url_name, file, line)
            if target is None:
                raise OlxError(
                    f"<{tag} url_name={url_name!r}> points to {tag}/{url_name.replace(':', '/')}.xml, which does "
                    "not exist",
                    **self.where(file, line),
                )
            target_root = parse_xml_file(target, self.course_dir, root=self.root)
            if target_root.tag != tag:
                raise OlxError(
                    f"expected a <{tag}> root element (pointed to from {_relative(file, self.course_dir)}), "
                    f"found <{target_root.tag}>",
                    **self.where(target, target_root.sourceline),
                )
            for name in ("url_name", "org", "course"):
                target_root.attrib.pop(name, None)
            file, line, element = target, target_root.sourceline, target_root
        else:
            element = _copy_element(element)
            url_name = element.attrib.pop("url_name", None) or _fallback_id(element, parent, position)
            key = BlockKey(tag, url_name)
            self._check_name(tag, url_name, file, line)
            self._check_cycle(key, ancestors, file, line)
            self._check_depth(key, ancestors, file, line)
            self._check_duplicate(key, file, line)
        base_dir = self.search_dirs[0] if file.is_relative_to(self.search_dirs[0]) else self.course_dir
        node = OlxNode(key=key, element=element, file=file, line=line, base_dir=base_dir)
        self.seen[key] = node
        self.named_at[key] = named_at
        if tag == "html" and element.get("filename"):
            node.html_file = self._html_file(element.get("filename"), file, line)
            if node.html_file is None:
                name = element.get("filename").replace(":", "/")
                node.unloadable = f"filename={element.get('filename')!r} names html/{name}.html, which does not exist"
        child_elements = _block_children(element)
        if child_elements is not None:
            node.is_container = True
            for index, child in enumerate(child_elements):
                node.children.append(
                    self.read(child, file, parent=key, ancestors=ancestors + (key,), position=index)
                )
            for child in child_elements:
                element.remove(child)
        return node

    def _check_cycle(self, key: BlockKey, ancestors: tuple[BlockKey, ...], file: Path, line: int | None) -> None:
        if key in ancestors:
            chain = " → ".join(f"{k.type}/{k.id}" for k in ancestors[ancestors.index(key):] + (key,))
            raise OlxError(f"cycle in the course outline: {chain}", **self.where(file, line))

    def _check_duplicate(self, key: BlockKey, file: Path, line: int | None) -> None:
        """A second block of the same key: the error names this (second) place and the first one."""
        if key not in self.seen:
            return
        first = self.seen[key]
        first_file, first_line = self.named_at.get(key, (first.file, first.line))
        defined = "" if first_file == first.file else f", defined in {_relative(first.file, self.course_dir)}"
        raise OlxError(
            f"duplicate url_name {key.id!r} for block type {key.type!r} (first named in "
            f"{_relative(first_file, self.course_dir)}"
            + (f", line {first_line}" if first_line else "")
            + defined
            + ")",
            **self.where(file, line),
        )

    def _html_file(self, filename: str, file: Path, line: int | None) -> Path | None:
        """
        The .html file an html block's ``filename`` names, or None when the export does not have it.

        A name that leaves the export is refused (:class:`OlxError`, ADR 0023) before any file is looked at:
        hostile input is an error, a missing file only the block's.
        """
        name = filename.replace(":", "/")
        for base in self.search_dirs:
            for parts in (("html", f"{name}.html"), ("html", name), (name,)):
                candidate = self.root.join(
                    *parts, base=base, referrer=file, line=line, attribute="filename", value=filename
                )
                if candidate.is_file():
                    self.root.read_text(candidate)  # bad UTF-8 names the .html file, not its pointer
                    return candidate
        return None


def _copy_element(element: etree._Element) -> etree._Element:
    """A detached deep copy that keeps source line numbers (lxml's deepcopy keeps them)."""
    import copy

    copied = copy.deepcopy(element)
    copied.tail = None
    return copied


def _fallback_id(element: etree._Element, parent: BlockKey | None, position: int) -> str:
    """
    A stable id for an inline block without ``url_name`` (edx-platform hashes the XML).

    The parent and position are part of the hash, so identical inline blocks in
    different places stay distinct, and re-importing the same export gives the same ids.
    """
    digest = hashlib.sha1(etree.tostring(element, encoding="utf-8"))
    if parent is not None:
        digest.update(f"\0{parent.type}/{parent.id}/{position}".encode())
    return f"{element.tag}_{digest.hexdigest()[:12]}"


def _block_children(element: etree._Element) -> list[etree._Element] | None:
    """
    The child elements that are blocks, or None if the element is a leaf.

    Classes with ``has_children`` (course, chapter, split_test, …) take their
    child elements as blocks, except the few edx-platform reads into fields
    (``<wiki>`` in a course, ``<show>`` in a conditional). A type with no
    installed class is a container if all of its child elements look like
    blocks (a pointer, a ``url_name``, or a known block type); otherwise its
    inner XML is content.
    """
    cls = load_block_class(element.tag)
    elements = [child for child in element if _is_block_element(child)]
    skip = _NON_BLOCK_CHILD_TAGS.get(element.tag, frozenset())
    if not cls.has_children:
        return None
    if issubclass(cls, GenericBlock) and not is_known_block_type(element.tag):
        if not elements or not all(
            is_pointer_tag(child) or child.get("url_name") or is_known_block_type(child.tag) for child in elements
        ):
            return None
        text = (element.text or "").strip()
        if text:
            return None
    return [child for child in elements if child.tag not in skip]


def _read_policy(
    root: ExportRoot, url_name: str, line: int | None
) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None]:
    folder = root.join("policies", url_name, referrer="course.xml", line=line, attribute="url_name", value=url_name)
    policy: dict[str, dict[str, Any]] = {}
    grading: dict[str, Any] | None = None
    if (folder / "policy.json").is_file():
        loaded = _load_json(folder / "policy.json", root)
        if not isinstance(loaded, dict) or not all(isinstance(v, dict) for v in loaded.values()):
            raise OlxError(
                'policy.json must map "<block_type>/<url_name>" to objects',
                file=root.display(folder / "policy.json"),
            )
        check_course_policy(loaded.get(f"course/{url_name}", {}), file=root.display(folder / "policy.json"))
        policy = loaded
    if (folder / "grading_policy.json").is_file():
        grading = _load_json(folder / "grading_policy.json", root)
        check_grading_policy(grading, file=root.display(folder / "grading_policy.json"))
    return policy, grading


def _read_detached(root: ExportRoot, url_name: str = "") -> list[DetachedBlock]:
    """
    edx-platform's ``load_extra_content``: every file of ``about/``, ``info/`` and ``tabs/``, not only ``*.html``.

    A file's block id is its name without its last extension (``overview.html``,
    ``short_description``); ``<folder>/<course url_name>/`` is read after the
    folder and wins; ``<slug>.<field>.json`` sets a field of that block (only
    ``items``, course updates, is kept); editor backups (``*~``) are skipped.
    Every file goes through the export root's checks (links, sizes, encoding).
    """
    detached: dict[BlockKey, DetachedBlock] = {}
    items: dict[BlockKey, Path] = {}
    for folder, block_type in (("about", "about"), ("info", "course_info"), ("tabs", "static_tab")):
        for path in _detached_files(root, root.course_dir / folder, url_name):
            parts = path.name.split(".")
            if ".json" in path.name:
                if len(parts) == 3 and parts[1:] == ["items", "json"]:
                    items[BlockKey(block_type, parts[0])] = path
                continue
            key = BlockKey(block_type, path.stem)
            detached[key] = DetachedBlock(key, root.read_text(path), path)
    for key, items_file in items.items():
        if key.type == "course_info" and key in detached:
            value = _load_json(items_file, root)
            if not isinstance(value, list):
                raise OlxError("must be a JSON list of updates", file=root.display(items_file))
            detached[key].items = value
    return list(detached.values())


def _detached_files(root: ExportRoot, folder: Path, url_name: str) -> list[Path]:
    """The files edx-platform reads from a detached folder, in the order they apply (the run's subfolder last)."""
    files: list[Path] = []
    for directory in (folder, folder / url_name) if url_name else (folder,):
        files.extend(p for p in root.listing(directory, suffix="") if not p.name.endswith("~"))
    return files


def asset_name(path: str) -> str:
    """The name split gives ``static/<path>`` (its ``asset-v1`` block id): '/' and unsafe characters → '_'."""
    return _ASSET_NAME_INVALID.sub("_", path.replace("/", "_"))


def _read_assets(root: ExportRoot) -> list[AssetFile]:
    course_dir = root.course_dir
    static = course_dir / "static"
    if not static.is_dir():
        return []
    metadata: dict[str, Any] = {}
    if (course_dir / "policies" / "assets.json").is_file():
        metadata = _load_json(course_dir / "policies" / "assets.json", root)
        check_assets_metadata(metadata, file="policies/assets.json")
    assets = []
    for file in root.walk(static):
        path = file.relative_to(static).as_posix()
        if len(path) > MAX_NAME_LENGTH:
            raise OlxError(f"static path is {len(path)} characters long; at most {MAX_NAME_LENGTH} are stored",
                           file=root.display(file))
        root.check_asset_size(file)
        meta = metadata.get(asset_name(path)) or metadata.get(path) or {}
        content_type = meta.get("contentType") or mimetypes.guess_type(path)[0] or "application/octet-stream"
        assets.append(AssetFile(path, file, content_type, bool(meta.get("locked", False)), dict(meta)))
    return assets


def _parent_key(parent_url: str, file: Path, line: int | None, course_dir: Path) -> BlockKey:
    try:
        usage = UsageKey.from_string(parent_url)
    except InvalidKeyError:
        raise OlxError(f"parent_url {parent_url!r} is not a usage key", file=_relative(file, course_dir),
                       line=line) from None
    return BlockKey(usage.block_type, usage.block_id)


def _read_drafts(root: ExportRoot) -> list[DraftRoot]:
    """
    The draft roots of ``drafts/``: files naming a ``parent_url``, read with their draft descendants.

    A draft child is looked up in ``drafts/`` first, then in the published
    tree's files. Some exports also give draft children a ``parent_url``; a
    file already read as a descendant of another draft root is not a root.
    """
    course_dir = root.course_dir
    drafts_dir = course_dir / "drafts"
    if not drafts_dir.is_dir():
        return []
    candidates: list[tuple[Path, etree._Element, BlockKey, int]] = []
    for path in root.walk(drafts_dir, pattern=".xml"):
        element = parse_xml_file(path, course_dir, root=root)
        parent_url = element.get("parent_url") or element.get("parent_sequential_url")
        if not parent_url:
            continue  # a draft child, read through its parent's pointer
        index_text = element.get("index_in_children_list", "-1")
        try:
            index = int(index_text)
        except ValueError:
            raise OlxError(f"index_in_children_list {index_text!r} is not an integer",
                           file=_relative(path, course_dir), line=element.sourceline) from None
        parent = _parent_key(parent_url, path, element.sourceline, course_dir)
        for name in DRAFT_ATTRIBUTES:
            element.attrib.pop(name, None)
        if "url_name" not in element.attrib:
            folder = drafts_dir / element.tag
            relative = path.relative_to(folder) if path.is_relative_to(folder) else Path(path.name)
            element.set("url_name", relative.with_suffix("").as_posix().replace("/", ":"))
        candidates.append((path, element, parent, index))
    root_keys = {BlockKey(element.tag, element.get("url_name")) for _, element, _, _ in candidates}
    candidates.sort(key=lambda c: c[2] in root_keys)  # roots under published parents first
    reader = _TreeReader(root, [drafts_dir, course_dir])
    roots: list[DraftRoot] = []
    for path, element, parent, index in candidates:
        if BlockKey(element.tag, element.get("url_name")) in reader.seen:
            continue
        node = reader.read(element, path, parent=parent, ancestors=(parent,), definition=True)
        roots.append(DraftRoot(node, parent, index))
    return roots


def read_course_dir(course_dir: Path) -> OlxCourse:
    """Read an unpacked OLX course directory (the one holding ``course.xml``)."""
    course_dir = Path(course_dir)
    if not (course_dir / "course.xml").is_file():
        raise OlxError("no course.xml: not an OLX course directory", file=str(course_dir))
    root = ExportRoot(course_dir)
    pointer = parse_xml_file(course_dir / "course.xml", course_dir, root=root)
    if pointer.tag != "course":
        raise OlxError(f"root element must be <course>, found <{pointer.tag}>", file="course.xml",
                       line=pointer.sourceline)
    url_name = pointer.get("url_name") or pointer.get("slug")
    if not url_name:
        raise OlxError("<course> has no url_name", file="course.xml", line=pointer.sourceline)
    org, course = pointer.get("org", ""), pointer.get("course", "")
    reader = _TreeReader(root, [course_dir])
    outline = reader.read(pointer, course_dir / "course.xml", parent=None, ancestors=())
    outline.key = COURSE_ROOT_KEY  # split hard-codes the course root's block id (import_xblock)
    wiki = outline.element.find("wiki")
    wiki_slug = wiki.get("slug") if wiki is not None else None
    policy, grading = _read_policy(root, url_name, pointer.sourceline)
    course = OlxCourse(
        course_dir=course_dir,
        org=org,
        course=course,
        url_name=url_name,
        root=outline,
        policy=policy,
        grading_policy=grading,
        wiki_slug=wiki_slug,
        detached=_read_detached(root, url_name),
        assets=_read_assets(root),
        drafts=_read_drafts(root),
    )
    root.scan()  # every other file: XBlock classes may open them through their resources filesystem
    return course


__all__ = [
    "COURSE_ROOT_KEY",
    "AssetFile",
    "DetachedBlock",
    "DraftRoot",
    "OlxCourse",
    "OlxNode",
    "asset_name",
    "is_pointer_tag",
    "open_course_dir",
    "parse_xml_file",
    "read_course_dir",
]
