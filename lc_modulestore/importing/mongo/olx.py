"""
OLX for a leaf migrated from split: the ``block.xml`` its Learning Core Component carries.

Split keeps field values, not OLX, so we write it. The field data
(:class:`~lc_modulestore.models.BlockFieldData`) stays the source of truth;
this text is what Learning Core tools (library export, the authoring UI)
expect every component to have, in the same inline form the OLX importer
stores (html content inside the element, no ``filename`` pointer).

* When the block's real class knows every field it was given, the class
  exports itself (``add_xml_to_node``), exactly as a course export would.
* Otherwise (unknown type, fields the class does not declare, an export that
  fails), a generic ``<type attr="…">data</type>`` keeps every value.
"""
from __future__ import annotations

import datetime
import functools
import json
import logging
from typing import Any

from fs.memoryfs import MemoryFS
from lxml import etree
from opaque_keys.edx.locator import CourseLocator
from xblock.core import XBlock, XBlockAside
from xblock.fields import ScopeIds
from xblock.runtime import DictKeyValueStore, KvsFieldData, MemoryIdManager, Runtime

from lc_modulestore.api import BlockKey, GenericBlock, is_known_block_type, load_block_class

log = logging.getLogger(__name__)


class _ExportRuntime(Runtime):
    """Just enough runtime for a block to export itself into a memory filesystem."""

    def __init__(self) -> None:
        super().__init__(
            services={"field-data": KvsFieldData(DictKeyValueStore())},
            id_reader=MemoryIdManager(),
            id_generator=MemoryIdManager(),
        )
        self.export_fs = MemoryFS()

    def handler_url(self, *args: Any, **kwargs: Any) -> str:
        return ""

    def resource_url(self, *args: Any, **kwargs: Any) -> str:
        return ""

    def local_resource_url(self, *args: Any, **kwargs: Any) -> str:
        return ""

    def publish(self, *args: Any, **kwargs: Any) -> None:
        return None

    def load_block_type(self, block_type: str) -> type[XBlock]:
        return load_block_class(block_type)

    def applicable_aside_types(self, block: XBlock) -> list[str]:
        """
        XBlock's answer (every installed aside type), looked up once per process.

        ``add_xml_to_node`` asks for the block's asides; XBlock's own runtime
        scans every installed distribution's entry points on each call, which
        was most of a migration's time (≈35 ms per leaf). Installed asides do
        not change while the process runs.
        """
        return list(_installed_aside_types())


@functools.cache
def _installed_aside_types() -> tuple[str, ...]:
    return tuple(aside_type for aside_type, _cls in XBlockAside.load_classes())


def leaf_olx(
    course_key: CourseLocator, key: BlockKey, settings: dict[str, Any], content: dict[str, Any]
) -> tuple[str, bool]:
    """The OLX of one leaf, and whether its real class wrote it (False: the generic form)."""
    cls = load_block_class(key.type)
    names = set(settings) | set(content)
    if is_known_block_type(key.type) and not issubclass(cls, GenericBlock) and names <= set(cls.fields):
        try:
            return _class_export(cls, course_key, key, settings, content), True
        except Exception as exc:  # any class failure: the generic form still keeps every value
            log.info("OLX export of %s/%s with %s failed (%s); using the generic form", key.type, key.id,
                     cls.__name__, exc)
    return generic_olx(key, settings, content), False


def _class_export(
    cls: type[XBlock], course_key: CourseLocator, key: BlockKey, settings: dict[str, Any], content: dict[str, Any]
) -> str:
    runtime = _ExportRuntime()
    usage = course_key.make_usage_key(key.type, key.id)
    block = runtime.construct_xblock_from_class(cls, ScopeIds(None, key.type, usage, usage))
    for name, value in {**settings, **content}.items():
        setattr(block, name, cls.fields[name].from_json(value))
    node = etree.Element(key.type)
    block.add_xml_to_node(node)
    xml_files = [p for p in runtime.export_fs.walk.files(filter=["*.xml"]) if p.startswith(f"/{key.type}/")]
    if len(xml_files) == 1:  # pointer-style export: the definition is in its own file
        element = etree.fromstring(runtime.export_fs.readbytes(xml_files[0]))
    else:
        element = node
    filename = element.attrib.pop("filename", None)
    if filename is not None:  # html: the body went to <filename>.html; inline it as the OLX importer stores it
        html_path = f"/{key.type}/{filename}.html"
        if not runtime.export_fs.exists(html_path):
            raise ValueError(f"export named {html_path} but did not write it")
        for child in list(element):
            element.remove(child)
        element.text = runtime.export_fs.readtext(html_path)
    element.tag = key.type
    element.set("url_name", key.id)
    element.tail = None
    return etree.tostring(element, encoding="unicode")


def generic_olx(key: BlockKey, settings: dict[str, Any], content: dict[str, Any]) -> str:
    """
    ``<type url_name=id setting="…">data</type>``: every settings and content value, nothing interpreted.

    A ``data`` that is itself an element of this type (a problem's
    ``<problem>…</problem>``) becomes the element; any other ``data`` is its
    text. Non-string values are JSON, as XBlock's XML export writes them.
    """
    data = content.get("data")
    element = None
    if isinstance(data, str) and data.lstrip().startswith(f"<{key.type}"):
        try:
            parsed = etree.fromstring(data.encode())
        except etree.XMLSyntaxError:
            parsed = None
        if parsed is not None and parsed.tag == key.type:
            element = parsed
    if element is None:
        element = etree.Element(key.type)
        if data not in (None, ""):
            element.text = data if isinstance(data, str) else _attribute(data)
    values = {**{k: v for k, v in content.items() if k != "data"}, **settings}
    extra = values.pop("xml_attributes", None)
    for name, value in values.items():
        _set(element, name, value)
    if isinstance(extra, dict):
        for name, value in extra.items():
            if name not in element.attrib:
                _set(element, name, value)
    element.set("url_name", key.id)
    return etree.tostring(element, encoding="unicode")


def _set(element: etree._Element, name: str, value: Any) -> None:
    if value is None:
        return
    try:
        element.set(name, _attribute(value))
    except ValueError:  # not a valid XML attribute name; the value stays in the field data
        log.info("field %r of <%s> cannot be an XML attribute; left out of block.xml", name, element.tag)


def _attribute(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return json.dumps(value, sort_keys=True, default=str)


__all__ = ["generic_olx", "leaf_olx"]
