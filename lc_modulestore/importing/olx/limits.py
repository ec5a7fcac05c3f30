"""
The size and depth limits an OLX import enforces, read from Django settings with safe defaults.

An export is uploaded by course staff, not by the operator: a 1 MB ``.tar.gz``
may expand to gigabytes, a static file may be larger than openedx-core takes,
and a chain of pointer files may be deeper than Python's recursion limit. Every
limit is checked *before* the thing it guards is read whole (a tar member's
header before extraction, a file's size before ``read``), so a refusal costs
neither memory nor a traceback. The settings (ADR 0023):

``LC_MODULESTORE_OLX_MAX_ARCHIVE_BYTES``
    total size of an archive's members once expanded (default 2 GiB);
``LC_MODULESTORE_OLX_MAX_MEMBERS``
    number of members of an archive, or files of a directory export (default 20,000);
``LC_MODULESTORE_OLX_MAX_FILE_BYTES``
    size of one file that is read whole: XML, JSON, html (default 16 MiB);
``LC_MODULESTORE_OLX_MAX_ASSET_BYTES``
    size of one ``static/`` file (default and ceiling: openedx-core's ``Media.MAX_FILE_SIZE``, 50 MB);
``LC_MODULESTORE_OLX_MAX_XML_DEPTH``
    element nesting of one XML file (default 100; lxml's own ceiling is 256);
``LC_MODULESTORE_OLX_MAX_TREE_DEPTH``
    levels of block nesting, the course being level 1 and pointer files included (default 10).
    Real courses nest at most 7-8 levels (course, chapter, sequential, vertical,
    split_test, vertical, problem). The default is what the embedded SQLite can
    publish: openedx-core's publish crawls dependencies with one more nested
    subquery per level, and at 11 levels SQLite fails with "parser stack
    overflow" (measured with openedx-core 1.15.2; MariaDB published 16 levels).
    Raise it on MariaDB if a course needs it.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from openedx_content.models_api import Media

#: Keys, url_names and asset paths are stored in 255-character columns (``LearningCoreCourse``, ``CourseBlock``).
MAX_NAME_LENGTH = 255

_DEFAULTS = {
    "max_archive_bytes": ("LC_MODULESTORE_OLX_MAX_ARCHIVE_BYTES", 2 * 1024**3),
    "max_members": ("LC_MODULESTORE_OLX_MAX_MEMBERS", 20_000),
    "max_file_bytes": ("LC_MODULESTORE_OLX_MAX_FILE_BYTES", 16 * 1024**2),
    "max_asset_bytes": ("LC_MODULESTORE_OLX_MAX_ASSET_BYTES", Media.MAX_FILE_SIZE),
    "max_xml_depth": ("LC_MODULESTORE_OLX_MAX_XML_DEPTH", 100),
    "max_tree_depth": ("LC_MODULESTORE_OLX_MAX_TREE_DEPTH", 10),
}


@dataclass(frozen=True)
class OlxLimits:
    """One import's limits (see the module docstring for each setting)."""

    max_archive_bytes: int
    max_members: int
    max_file_bytes: int
    max_asset_bytes: int
    max_xml_depth: int
    max_tree_depth: int

    @staticmethod
    def setting_name(limit: str) -> str:
        """The Django setting of ``limit`` (a field name), for messages that tell how to raise it."""
        return _DEFAULTS[limit][0]


def current_limits() -> OlxLimits:
    """
    The limits in force now, from settings.

    Read per import (not at module import) so ``override_settings`` and a
    changed settings module take effect. The asset limit never exceeds
    openedx-core's own, which would otherwise fail later with a traceback.
    """
    values = {name: int(getattr(settings, setting, default)) for name, (setting, default) in _DEFAULTS.items()}
    values["max_asset_bytes"] = min(values["max_asset_bytes"], Media.MAX_FILE_SIZE)
    return OlxLimits(**values)


__all__ = ["MAX_NAME_LENGTH", "OlxLimits", "current_limits"]
