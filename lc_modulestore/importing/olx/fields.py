"""
Realizing XBlock field values from OLX: an :class:`~.reader.OlxNode` becomes a :class:`BlockData`.

Two rules (ADR 0004):

* **Real classes.** A leaf whose type has an installed XBlock class (html,
  problem, video, annotatable, lti, …) is parsed by that class's own
  ``parse_xml`` in a small import runtime (:class:`ImportRuntime`), exactly as
  edx-platform's XML import does. The fields it sets are split by scope:
  ``Scope.settings`` → ``settings``, ``Scope.content`` → ``content``.
* **Generic rule.** Structural blocks (course, chapter, sequential, vertical,
  split_test, …), detached blocks and types with no installed class:
  attributes and policy values become fields. An attribute the class declares
  is typed by that field (edx-platform's ``deserialize_field`` then
  ``from_json``) and goes to the field's scope; an undeclared one is a setting,
  JSON-looking values decoded. A leaf's inner XML is its content ``data`` (a ``data`` attribute when it has none).

Every value is stored in split's form (:func:`~lc_modulestore.core.blocks.storable_value`):
``field.to_json(value)``, datetimes kept as datetimes.
"""
from __future__ import annotations

import copy
import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fs.osfs import OSFS
from lxml import etree
from opaque_keys.edx.locator import CourseLocator
from xblock.core import XBlock
from xblock.field_data import DictFieldData
from xblock.fields import Field, Scope, ScopeIds
from xblock.runtime import IdGenerator, IdReader, Runtime

from lc_modulestore.api import (
    BlockData,
    BlockKey,
    GenericBlock,
    OlxError,
    is_known_block_type,
    load_block_class,
    storable_value,
)
from lc_modulestore.importing.olx.reader import DetachedBlock, OlxCourse, OlxNode

_MAX_TITLE = 500
# edx-platform's own marker (XmlMixin.metadata_to_strip) for "this element is not a pointer tag".
_NOT_A_POINTER = "x-is-pointer-node"
_STRUCTURAL_FIELDS = frozenset({"children", "parent"})
# Written by exports for the exporter's own use; XBlock.parse_xml ignores them too.
_EXPORT_ONLY_ATTRIBUTES = frozenset({"xblock-family", "url_name", "filename"})
# edx-platform's ConditionalBlock: attribute → (conditional_attr) of the source block.
_CONDITIONS = {"poll_answer": "poll_answer", "attempted": "is_attempted", "correct": "is_correct", "voted": "voted"}


class _IdManager(IdReader, IdGenerator):
    """Usage and definition ids are the block's usage key in the target course."""

    def __init__(self, course_key: CourseLocator) -> None:
        self.target_course_id = course_key  # VideoBlock reads this to import into edxval

    def create_definition(self, block_type: str, slug: str | None = None):
        return self.target_course_id.make_usage_key(block_type, slug or "unnamed")

    def create_usage(self, def_id):
        return def_id

    def create_aside(self, definition_id, usage_id, aside_type):  # pragma: no cover - no asides on import
        raise NotImplementedError("asides are not imported")

    def get_definition_id(self, usage_id):
        return usage_id

    def get_block_type(self, def_id):
        return def_id.block_type

    def get_usage_id_from_aside(self, aside_id):  # pragma: no cover
        raise NotImplementedError

    def get_definition_id_from_aside(self, aside_id):  # pragma: no cover
        raise NotImplementedError

    def get_aside_type_from_usage(self, aside_id):  # pragma: no cover
        raise NotImplementedError

    def get_aside_type_from_definition(self, aside_id):  # pragma: no cover
        raise NotImplementedError


class ImportRuntime(Runtime):
    """
    The runtime ``parse_xml`` needs, and nothing more: policies, the course files, ids.

    ``parse_xml`` of the xblocks-contrib classes asks the runtime for the block's
    policy (``get_policy``), reads ``filename`` pointers through ``resources_fs``
    and asks for asides (none are imported).
    """

    def __init__(self, course: OlxCourse, course_key: CourseLocator) -> None:
        ids = _IdManager(course_key)
        super().__init__(ids, ids, services={"field-data": DictFieldData({})})
        self.olx_course = course
        self.course_key = course_key
        self._policies: dict[Any, dict[str, Any]] = {}
        self._filesystems: dict[Path, OSFS] = {}
        self.resources_fs: OSFS | None = None

    def use(self, node: OlxNode, policy: dict[str, Any]) -> None:
        """Point the runtime at ``node``'s files and policy before parsing it."""
        if node.base_dir not in self._filesystems:
            self._filesystems[node.base_dir] = OSFS(str(node.base_dir))
        self.resources_fs = self._filesystems[node.base_dir]
        self._policies[self.course_key.make_usage_key(node.key.type, node.key.id)] = policy

    def close(self) -> None:
        for filesystem in self._filesystems.values():
            filesystem.close()

    def get_policy(self, usage_id) -> dict[str, Any]:
        return self._policies.get(usage_id, {})

    def parse_asides(self, node, def_id, usage_id, id_generator) -> list:
        return []

    def get_asides(self, block) -> list:
        return []

    def construct_xblock_from_class(self, cls, scope_ids, field_data=None, *args, **kwargs):
        return super().construct_xblock_from_class(
            cls, scope_ids, field_data if field_data is not None else DictFieldData({}), *args, **kwargs
        )

    # Rendering is not an import concern.
    def handler_url(self, *args, **kwargs):  # pragma: no cover
        raise NotImplementedError("no handlers during import")

    def local_resource_url(self, *args, **kwargs):  # pragma: no cover
        raise NotImplementedError("no resources during import")

    def resource_url(self, *args, **kwargs):  # pragma: no cover
        raise NotImplementedError("no resources during import")

    def publish(self, *args, **kwargs):  # pragma: no cover
        return None


def decode_attribute(field: Field | None, value: str) -> Any:
    """
    An OLX attribute string as the JSON value a field takes (edx-platform's ``deserialize_field``).

    JSON-looking strings are decoded when the field accepts the result (or
    when there is no field); anything else stays the string it was.
    """
    try:
        decoded = json.loads(value)
    except (ValueError, TypeError):
        return value
    if decoded is None or field is None:
        return decoded
    try:
        field.from_json(decoded)
    except (ValueError, TypeError):
        return value
    return decoded


class FieldValueError(ValueError):
    """A value no rule of edx-platform's XML import turns into the field's type."""


def realize_value(field: Field, value: Any, *, source: str = "value") -> Any:
    """
    ``value`` in split's stored form for ``field``, by edx-platform's XML import rules.

    Raises :class:`FieldValueError` when no rule fits.

    ``source`` says where the value comes from:

    * ``"attribute"``: OLX text. First its JSON, where it parses and the field's
      ``from_json`` takes it (``deserialize_field``; JSON ``null`` is None),
      then the text itself through ``from_json``;
    * ``"value"``: a JSON value (policy.json, a decoded attribute): ``from_json``,
      as edx-platform's import field data hands it to the block;
    * ``"typed"``: what a class's ``parse_xml`` set. Kept as it is when the field
      can store it; a class that kept the text (``HtmlBlock`` keeps ``start``
      and ``due`` as written) gets it through ``from_json``, as edx-platform
      reads it back from its field data.

    The result is ``storable_value`` of the typed value.
    """
    candidates: list[Any] = []
    if source == "attribute":
        try:
            decoded = json.loads(value)
        except (ValueError, TypeError):
            pass
        else:
            if decoded is None:
                return None
            candidates.append(decoded)
    elif source == "typed":
        try:
            stored = storable_value(field, value)
            if not isinstance(stored, datetime.datetime):  # split keeps datetimes; from_json takes only text
                field.from_json(stored)  # what the read side does with it: a value it refuses is no value
            return stored
        except Exception:  # noqa: BLE001 - any refusal falls through to from_json, as edx-platform's reads do
            pass
    candidates.append(value)
    failure: Exception | None = None
    for candidate in candidates:
        try:
            return storable_value(field, field.from_json(candidate))
        except Exception as exc:  # noqa: BLE001 - a field class may raise anything on a bad value
            failure = exc
    raise FieldValueError(f"{type(failure).__name__}: {failure}") from failure


def _where(node: OlxNode, course: OlxCourse) -> dict[str, Any]:
    try:
        file = str(node.file.relative_to(course.course_dir))
    except ValueError:
        file = str(node.file)
    return {"file": file, "line": node.line}


@dataclass(frozen=True)
class FieldWarning:
    """A value kept as written because no import rule fits its field: where it is, which block, which field."""

    file: str
    line: int | None
    block: BlockKey
    field: str  # "*": the whole block, kept as an error block
    value: Any
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        if self.field == "*":
            return f"{where}: {self.block.type}/{self.block.id} kept as an error block: {self.reason}"
        return (
            f"{where}: {self.block.type}/{self.block.id} field {self.field!r}: {self.value!r} kept as written "
            f"(in xml_attributes): {self.reason}"
        )


class FieldRealizer:
    """Turns the nodes of one OLX course into ``BlockData``, using one :class:`ImportRuntime`."""

    def __init__(
        self, course: OlxCourse, course_key: CourseLocator, *, known_video_ids: dict[BlockKey, str] | None = None
    ) -> None:
        self.course = course
        self.course_key = course_key
        # A video without edx_video_id gets a new random one in edxval on every parse (as in edx-platform);
        # on re-import, reuse the id the block already has so an unchanged export stays unchanged, and
        # within one import, the id its first parse got (see _parse_with_class).
        self.known_video_ids = dict(known_video_ids or {})
        self.runtime = ImportRuntime(course, course_key)
        self.warnings: list[FieldWarning] = []
        # Blocks whose class refused their OLX, kept as ``error`` blocks: original key -> error key.
        self.renamed: dict[BlockKey, BlockKey] = {}

    def _warn(self, node: OlxNode, name: str, value: Any, exc: Exception) -> None:
        where = _where(node, self.course)
        self.warnings.append(FieldWarning(where["file"], where["line"], node.key, name, value, str(exc)))

    def close(self) -> None:
        self.runtime.close()

    # -- blocks -------------------------------------------------------------------
    def block_data(self, node: OlxNode) -> BlockData:
        """The BlockData of one outline block (its children must be realized separately)."""
        cls = load_block_class(node.key.type)
        policy = dict(self.course.policy_for(node.key))
        if node.key.type == "course" and self.course.grading_policy is not None:
            policy["grading_policy"] = self.course.grading_policy  # the file wins, as in edx-platform
        if node.unloadable is not None:  # edx-platform's import makes it an ErrorBlock when loading it fails
            name = f"{node.key.type}/{node.key.id}"
            return self._error_block(node, error_msg=f"{name} cannot be loaded: {node.unloadable}",
                                     reason=node.unloadable)
        try:
            if not node.is_container and is_known_block_type(node.key.type) and not issubclass(cls, GenericBlock):
                settings, content = self._parse_with_class(cls, node, policy)
            else:
                settings, content = self._generic(cls, node, policy)
        except OlxError:
            raise
        except Exception as exc:  # a block class refusing its OLX: kept as an error block, as split serves it
            if node.is_container:
                raise OlxError(
                    f"{node.key.type}/{node.key.id} cannot be parsed by {cls.__name__}: {exc}",
                    **_where(node, self.course),
                ) from exc
            return self._error_block(
                node, error_msg=f"{node.key.type}/{node.key.id} cannot be parsed by {cls.__name__}: {exc}",
                reason=f"{cls.__name__} refuses it: {type(exc).__name__}: {exc}",
            )
        if node.key.type == "course" and self.course.wiki_slug:
            content["wiki_slug"] = self.course.wiki_slug
        title = settings.get("display_name")
        return BlockData(
            key=node.key,
            title=(title if isinstance(title, str) else "")[:_MAX_TITLE],
            settings=settings,
            content=content,
            children=tuple(self.renamed.get(child.key, child.key) for child in node.children),
            is_container=node.is_container,
            olx=None if node.is_container else self._leaf_olx(node),
        )

    def _error_block(self, node: OlxNode, *, error_msg: str, reason: str) -> BlockData:
        """
        A leaf that cannot be loaded, as edx-platform's import keeps it: an ``error`` block holding the OLX and why.

        It keeps the block id (the read side serves a block it cannot build the
        same way), so one bad block does not abort a course edx-platform imports.
        ``error_msg`` (after the file) is the block's, ``reason`` the warning's.
        """
        where = _where(node, self.course)
        key = BlockKey("error", node.key.id)
        self.renamed[node.key] = key
        olx = self._leaf_olx(node)
        self.warnings.append(FieldWarning(where["file"], where["line"], node.key, "*", None, reason))
        return BlockData(key=key, title="", settings={},
                         content={"contents": olx, "error_msg": f"{where['file']}: {error_msg}"}, olx=olx)

    def _parse_with_class(
        self, cls: type[XBlock], node: OlxNode, policy: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        element = copy.deepcopy(node.element)
        new_video_id = False  # edxval will make up this video's id
        if node.key.type == "video":  # VideoBlock.parse_xml makes its own ids from url_name
            element.set("url_name", node.key.id)
            if not element.get("edx_video_id", "").strip():
                if node.key in self.known_video_ids:
                    element.set("edx_video_id", self.known_video_ids[node.key])
                else:
                    new_video_id = True
        # A value no rule fits is kept as written and reported, before the class sees it: some classes
        # (ProblemBlock, VideoBlock) raise on it, which would cost the whole block.
        kept: dict[str, Any] = {}
        for name, raw in list(element.attrib.items()):
            field = cls.fields.get(name)
            if field is None or name in _EXPORT_ONLY_ATTRIBUTES or field.scope not in (Scope.settings, Scope.content):
                continue
            try:
                realize_value(field, raw, source="attribute")
            except FieldValueError as exc:
                self._warn(node, name, raw, exc)
                kept[name] = raw
                del element.attrib[name]
        pointer_guard = bool(kept) and set(element.attrib) <= {"url_name"} and len(element) == 0 \
            and not (element.text or "").strip()
        if pointer_guard:  # what is left must not read as a pointer tag to a file that does not exist
            element.set(_NOT_A_POINTER, "true")
        policy = dict(policy)
        for name, value in list(policy.items()):
            field = cls.fields.get(name)
            if field is None or field.scope not in (Scope.settings, Scope.content):
                continue
            try:
                realize_value(field, value)
            except FieldValueError as exc:
                self._warn(node, name, value, exc)
                kept[name] = policy.pop(name)
        self.runtime.use(node, policy)
        usage = self.course_key.make_usage_key(node.key.type, node.key.id)
        block = cls.parse_xml(element, self.runtime, ScopeIds(None, node.key.type, usage, usage))
        if new_video_id and block.edx_video_id:
            # A video read twice in one import (published and under drafts/) is one video: its second
            # parse keeps the id edxval made up for the first, or an unchanged draft would differ.
            self.known_video_ids[node.key] = block.edx_video_id
        # Some classes (VideoBlock) do not apply the policy themselves; applying it again is harmless.
        for name, value in policy.items():
            field = block.fields.get(name)
            if field is not None and field.scope in (Scope.settings, Scope.content):
                try:
                    setattr(block, name, field.from_json(value))
                except Exception as exc:  # noqa: BLE001 - kept and reported, never an import failure
                    self._warn(node, name, value, exc)
                    kept[name] = value
            else:
                block.xml_attributes = {**block.xml_attributes, name: value}
        settings: dict[str, Any] = {}
        content: dict[str, Any] = {}
        for name, field in block.fields.items():
            if name in _STRUCTURAL_FIELDS or name in kept or field.scope not in (Scope.settings, Scope.content):
                continue
            if not field.is_set_on(block):
                continue
            value = field.read_from(block)
            try:
                stored = realize_value(field, value, source="typed")
            except FieldValueError as exc:
                raw = node.element.get(name, value)
                self._warn(node, name, raw, exc)
                kept[name] = raw
                continue
            (settings if field.scope == Scope.settings else content)[name] = stored
        attributes = {k: v for k, v in settings.get("xml_attributes", {}).items() if k != _NOT_A_POINTER}
        if kept or attributes != settings.get("xml_attributes", attributes):
            settings["xml_attributes"] = {**attributes, **kept}
        return settings, content

    def _generic(
        self, cls: type[XBlock], node: OlxNode, policy: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        settings: dict[str, Any] = {}
        content: dict[str, Any] = {}
        xml_attributes: dict[str, Any] = {}
        element = node.element
        values: dict[str, tuple[Any, str]] = {}  # name -> (value, source for realize_value)
        for name, raw in element.attrib.items():
            if name in _EXPORT_ONLY_ATTRIBUTES:
                continue
            if "}" in name:  # namespaced (xml:lang…): keep verbatim
                xml_attributes[name] = raw
                continue
            values[name] = (raw, "attribute")
        if node.key.type == "conditional":
            plain = {name: decode_attribute(cls.fields.get(name), raw) for name, (raw, _) in values.items()}
            conditional = _conditional_values(element, plain)
            values = {name: item for name, item in values.items() if name in plain}
            values.update((name, (value, "value")) for name, value in conditional.items())
        if node.key.type == "course":  # CourseBlock.definition_from_xml: <textbook title= book_url=/> pairs
            textbooks = [[t.get("title"), t.get("book_url")] for t in element.findall("textbook")]
            if textbooks:
                values["textbooks"] = (textbooks, "value")
        values.update((name, (value, "value")) for name, value in policy.items())
        for name, (value, source) in values.items():
            field = cls.fields.get(name)
            if name in _STRUCTURAL_FIELDS:
                continue
            if field is None:
                settings[name] = decode_attribute(None, value) if source == "attribute" else value
                continue
            if field.scope not in (Scope.settings, Scope.content):
                xml_attributes[name] = decode_attribute(field, value) if source == "attribute" else value
                continue
            try:
                stored = realize_value(field, value, source=source)
            except FieldValueError as exc:
                self._warn(node, name, value, exc)
                xml_attributes[name] = value
                continue
            (content if field.scope == Scope.content else settings)[name] = stored
        if not node.is_container:
            # A leaf's inner XML is its content ``data``; an explicit ``data`` attribute
            # (drag-and-drop-v2 keeps its JSON there) only stands when there is no inner XML.
            data = _inner_xml(element)
            if data and "data" in content:
                xml_attributes["data"] = content["data"]  # both given: keep the attribute, verbatim
            if data or ("data" in cls.fields and "data" not in content):
                content["data"] = data
        if xml_attributes:
            settings["xml_attributes"] = {**settings.get("xml_attributes", {}), **xml_attributes}
        return settings, content

    def _leaf_olx(self, node: OlxNode) -> str:
        element = copy.deepcopy(node.element)
        element.attrib.pop("url_name", None)
        element.set("url_name", node.key.id)
        if node.html_file is not None:
            element.attrib.pop("filename", None)
            for child in list(element):
                element.remove(child)
            element.text = node.html_file.read_text(encoding="utf-8")
        element.tail = None
        return etree.tostring(element, encoding="unicode")

    # -- detached -------------------------------------------------------------------
    def detached_data(self, block: DetachedBlock) -> BlockData:
        """The BlockData of an about/course_info/static_tab page."""
        cls = load_block_class(block.key.type)
        settings: dict[str, Any] = {}
        content: dict[str, Any] = {"data": block.data}
        if block.key.type == "static_tab":
            for tab in self.course.policy_for(BlockKey("course", "course")).get("tabs", []):
                if isinstance(tab, dict) and tab.get("type") == "static_tab" and tab.get("url_slug") == block.key.id:
                    settings["display_name"] = tab.get("name", "")
                    # edx-platform's import: the tab's course_staff_only is the block's (hidden tabs stay in the list)
                    settings["course_staff_only"] = bool(tab.get("course_staff_only", False))
        if block.items is not None:
            field = cls.fields.get("items")
            scope_target = content if field is None or field.scope == Scope.content else settings
            scope_target["items"] = block.items
        element = etree.Element(block.key.type, url_name=block.key.id)
        element.text = block.data
        title = settings.get("display_name", "")
        return BlockData(block.key, title=title[:_MAX_TITLE], settings=settings, content=content,
                         olx=etree.tostring(element, encoding="unicode"))


def _inner_xml(element: etree._Element) -> str:
    """Text and child elements of ``element``, serialized (the element's own tag and attributes left out)."""
    parts = [element.text or ""]
    for child in element:
        parts.append(etree.tostring(child, encoding="unicode", with_tail=True))
    return "".join(parts).strip()


def _conditional_values(element: etree._Element, values: dict[str, Any]) -> dict[str, Any]:
    """edx-platform's ConditionalBlock reading: sources, the condition attribute and ``<show>`` tags."""
    result: dict[str, Any] = {}
    sources = values.pop("sources", None)
    if isinstance(sources, str):
        result["sources_list"] = [s.strip() for s in sources.split(";") if s.strip()]
    for attribute, condition in _CONDITIONS.items():
        if attribute in values:
            value = values.pop(attribute)
            result["conditional_attr"] = condition
            result["conditional_value"] = json.dumps(value) if isinstance(value, bool) else str(value)
            break
    if "message" in values:
        result["conditional_message"] = str(values.pop("message"))
    shows = [s.strip() for show in element.findall("show") for s in show.get("sources", "").split(";") if s.strip()]
    if shows:
        result["show_tag_list"] = shows
    return result


__all__ = ["FieldRealizer", "FieldValueError", "FieldWarning", "ImportRuntime", "decode_attribute", "realize_value"]
