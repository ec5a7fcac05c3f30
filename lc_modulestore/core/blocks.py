"""
Which XBlock class serves each block type, and the fields every block has in Open edX.

The LMS builds blocks from edx-platform classes (with ``InheritanceMixin``
and friends mixed in). Outside edx-platform we use:

* the real Open edX blocks published as ``xblocks-contrib`` (html, problem,
  video, …), whose entry points carry ``_extracted`` names, so they are mapped
  here explicitly;
* light classes for the structural blocks that only exist in edx-platform
  (course, chapter, sequential, vertical, split_test, library_content,
  conditional, about, course_info, static_tab), declaring the fields the LMS
  reads from them with split's types;
* any other installed XBlock found by its ``xblock.v1`` entry point;
* :class:`GenericBlock` for anything else, so unknown types keep their fields;
* :class:`ErrorBlock` in place of a block whose class cannot be built from its
  stored data (the read path substitutes it, as split does).

``settings.LC_MODULESTORE_XBLOCK_CLASSES`` (``{block_type: "module:Class"}``)
overrides the defaults. Every class is mixed with :class:`InheritanceMixin` and
:class:`OpenEdxBlockMixin`, as edx-platform mixes ``xblock_mixins`` in.
"""
from __future__ import annotations

import datetime
import functools
import html
import importlib
from typing import Any

from django.conf import settings
from xblock.core import XBlock, XBlockMixin
from xblock.fields import (
    Boolean,
    Date,
    Dict,
    Field,
    Float,
    Integer,
    List,
    Scope,
    String,
    Timedelta,
)
from xblock.fragment import Fragment
from xblock.plugin import PluginMissingError
from xblock.runtime import Mixologist

# split's DEFAULT_START_DATE: a block without a start (own or inherited) is not yet released.
DEFAULT_START_DATE = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)


class InheritanceMixin(XBlockMixin):
    """
    The settings a block inherits from its ancestors when it does not set them (split §4.3).

    The read path treats exactly the names in ``InheritanceMixin.fields`` as
    inheritable; ``format`` is deliberately not here.
    """

    graded = Boolean(scope=Scope.settings, default=False)
    start = Date(scope=Scope.settings, default=DEFAULT_START_DATE)
    due = Date(scope=Scope.settings, default=None)
    relative_weeks_due = Integer(scope=Scope.settings, default=None)
    graceperiod = Timedelta(scope=Scope.settings, default=None)
    days_early_for_beta = Float(scope=Scope.settings, default=None)
    self_paced = Boolean(scope=Scope.settings, default=False)
    visible_to_staff_only = Boolean(scope=Scope.settings, default=False)
    group_access = Dict(scope=Scope.settings, default={})
    user_partitions = List(scope=Scope.settings, default=[])
    hide_from_toc = Boolean(scope=Scope.settings, default=False)
    in_entrance_exam = Boolean(scope=Scope.settings, default=False)
    showanswer = String(scope=Scope.settings, default="finished")
    show_correctness = String(scope=Scope.settings, default="always")
    rerandomize = String(scope=Scope.settings, default="never")
    max_attempts = Integer(scope=Scope.settings, default=None)
    show_reset_button = Boolean(scope=Scope.settings, default=False)
    use_latex_compiler = Boolean(scope=Scope.settings, default=False)
    matlab_api_key = String(scope=Scope.settings, default=None)
    video_speed_optimizations = Boolean(scope=Scope.settings, default=True)
    video_auto_advance = Boolean(scope=Scope.settings, default=False)
    video_bumper = Dict(scope=Scope.settings, default={})
    edxnotes = Boolean(scope=Scope.settings, default=False)
    edxnotes_visibility = Boolean(scope=Scope.user_info, default=True)
    course_edit_method = String(scope=Scope.settings, default="Studio")
    giturl = String(scope=Scope.settings, default=None)
    xqa_key = String(scope=Scope.settings, default=None)
    static_asset_path = String(scope=Scope.settings, default="")


INHERITABLE_FIELD_NAMES: frozenset[str] = frozenset(InheritanceMixin.fields)


class OpenEdxBlockMixin(XBlockMixin):
    """Fields every Open edX block has (edx-platform's XModuleMixin/XmlMixin), not inherited."""

    display_name = String(scope=Scope.settings, default=None)
    xml_attributes = Dict(scope=Scope.settings, default={})
    format = String(scope=Scope.settings, default=None)
    weight = Float(scope=Scope.settings, default=None)


class _ContainerBlock(XBlock):
    """A structural block: renders its children in order."""

    has_children = True

    def student_view(self, context: dict | None = None) -> Fragment:
        fragment = Fragment()
        for child in self.get_children():
            fragment.add_fragment_resources(child_fragment := child.render("student_view", context))
            fragment.add_content(child_fragment.content)
        return fragment


class CourseBlock(_ContainerBlock):
    """The course root (``course``): course-wide settings the LMS reads from it."""

    end = Date(scope=Scope.settings, default=None)
    enrollment_start = Date(scope=Scope.settings, default=None)
    enrollment_end = Date(scope=Scope.settings, default=None)
    certificate_available_date = Date(scope=Scope.settings, default=None)
    advertised_start = String(scope=Scope.settings, default=None)
    advanced_modules = List(scope=Scope.settings, default=[])
    tabs = List(scope=Scope.settings, default=[])
    grading_policy = Dict(scope=Scope.settings, default={})
    discussion_topics = Dict(scope=Scope.settings, default={})
    discussions_settings = Dict(scope=Scope.settings, default={})
    course_image = String(scope=Scope.settings, default="images_course_image.jpg")
    banner_image = String(scope=Scope.settings, default="images_course_image.jpg")
    language = String(scope=Scope.settings, default=None)
    catalog_visibility = String(scope=Scope.settings, default="both")
    invitation_only = Boolean(scope=Scope.settings, default=False)
    mobile_available = Boolean(scope=Scope.settings, default=True)
    enable_subsection_gating = Boolean(scope=Scope.settings, default=False)
    cert_html_view_enabled = Boolean(scope=Scope.settings, default=True)
    minimum_grade_credit = Float(scope=Scope.settings, default=0.8)
    pdf_textbooks = List(scope=Scope.settings, default=[])
    html_textbooks = List(scope=Scope.settings, default=[])
    lti_passports = List(scope=Scope.settings, default=[])
    textbooks = List(scope=Scope.settings, default=[])
    wiki_slug = String(scope=Scope.content, default=None)
    license = String(scope=Scope.settings, default=None)
    announcement = Date(scope=Scope.settings, default=None)
    display_organization = String(scope=Scope.settings, default=None)
    display_coursenumber = String(scope=Scope.settings, default=None)
    certificates_display_behavior = String(scope=Scope.settings, default="end")

    # What edx-platform's CourseBlock derives from its key and grading policy; the LMS
    # (get_course_by_id callers, CourseOverview) reads these on every course block.
    @property
    def id(self):
        """The course key (``course.id`` throughout the LMS)."""
        return self.location.course_key

    @property
    def org(self) -> str:
        return self.location.org

    @property
    def number(self) -> str:
        return self.location.course

    @property
    def display_org_with_default(self) -> str:
        return self.display_organization or self.org.replace("&#38;", "&")

    @property
    def display_number_with_default(self) -> str:
        return self.display_coursenumber or self.number.replace("&#38;", "&")

    @property
    def grade_cutoffs(self) -> dict[str, float]:
        """The grading policy's cutoffs; split's default policy passes at 0.5."""
        return self.grading_policy.get("GRADE_CUTOFFS", {"Pass": 0.5})

    @property
    def lowest_passing_grade(self) -> float | None:
        return min(self.grade_cutoffs.values()) if self.grade_cutoffs else None


class ChapterBlock(_ContainerBlock):
    """A section (``chapter``)."""


class SequenceBlock(_ContainerBlock):
    """A subsection (``sequential``): grading format and exam settings live here."""

    is_time_limited = Boolean(scope=Scope.settings, default=False)
    default_time_limit_minutes = Integer(scope=Scope.settings, default=None)
    is_proctored_enabled = Boolean(scope=Scope.settings, default=False)
    is_practice_exam = Boolean(scope=Scope.settings, default=False)
    is_onboarding_exam = Boolean(scope=Scope.settings, default=False)
    exam_review_rules = String(scope=Scope.settings, default="")
    hide_after_due = Boolean(scope=Scope.settings, default=False)
    show_summary_info_after_quiz = Boolean(scope=Scope.settings, default=False)
    position = Integer(scope=Scope.user_state, default=1)


class VerticalBlock(_ContainerBlock):
    """A unit (``vertical``)."""


class SplitTestBlock(_ContainerBlock):
    """A content experiment (``split_test``): one child per partition group."""

    user_partition_id = Integer(scope=Scope.content, default=-1)
    group_id_to_child = Dict(scope=Scope.content, default={})


class LibraryContentBlock(_ContainerBlock):
    """Randomized content from a library (``library_content``)."""

    source_library_id = String(scope=Scope.settings, default=None)
    source_library_version = String(scope=Scope.settings, default=None)
    max_count = Integer(scope=Scope.settings, default=1)
    capa_type = String(scope=Scope.settings, default="any")
    allow_resetting_children = Boolean(scope=Scope.settings, default=False)
    selected = List(scope=Scope.user_state, default=[])


class ConditionalBlock(_ContainerBlock):
    """Shows its children when other blocks' state meets a condition (``conditional``)."""

    show_tag_list = List(scope=Scope.content, default=[])
    sources_list = List(scope=Scope.content, default=[])
    conditional_attr = String(scope=Scope.content, default="")
    conditional_value = String(scope=Scope.content, default="")
    conditional_message = String(scope=Scope.content, default="")


class GenericBlock(_ContainerBlock):
    """
    Any block type with no installed class. Keeps whatever fields it was given.

    Declared fields cover the generic import rule (attributes → settings, inner
    XML → content ``data``); undeclared settings stay in the stored structure
    and are matched by ``get_items`` like any other.
    """

    data = String(scope=Scope.content, default="")

    def student_view(self, context: dict | None = None) -> Fragment:
        return Fragment(f'<div class="lc-generic-block" data-block-type="{self.scope_ids.block_type}"></div>')


@XBlock.wants("user")
class ErrorBlock(XBlock):
    """
    What a block becomes when its class cannot be built from its stored data (edx-platform's ``ErrorBlock``).

    split does not let one bad block fail a whole course load: when constructing a
    block raises, it serves this instead, with the block type ``error`` and the
    original block id, the original data kept as JSON in ``contents`` and the
    failure in ``error_msg``. Staff see both; learners see only that something is
    missing. It has no children, so a broken container hides its subtree, as in split.
    """

    contents = String(scope=Scope.content, default="")
    error_msg = String(scope=Scope.content, default="Error not available")

    def student_view(self, context: dict | None = None) -> Fragment:
        user_service = self.runtime.service(self, "user")
        user = user_service.get_current_user() if user_service is not None else None
        if user is not None and user.opt_attrs.get("edx-platform.user_is_staff"):
            return Fragment(
                '<div class="lc-error-block"><p>This block could not be loaded.</p>'
                f"<pre>{html.escape(self.error_msg)}</pre><pre>{html.escape(self.contents)}</pre></div>"
            )
        return Fragment('<div class="lc-error-block"><p>This content is not available.</p></div>')


def _detached_html_subclass(name: str, doc: str, **fields: Field) -> type[XBlock]:
    """
    An HtmlBlock subclass tagged ``detached``, as edx-platform tags its about/course_info/static_tab classes.

    split reads the tag (``XBlock.load_tagged_classes('detached')``) to tell course-level pages, which
    no block lists as a child, from orphans: without it ``get_orphans`` and ``include_orphans=False`` count them.
    """
    from xblocks_contrib import HtmlBlock

    return XBlock.tag("detached")(type(name, (HtmlBlock,), {"__doc__": doc, "__module__": __name__, **fields}))


@functools.cache
def _detached_classes() -> dict[str, type[XBlock]]:
    return {
        "about": _detached_html_subclass("AboutBlock", "An ``about`` page of the course (detached)."),
        "course_info": _detached_html_subclass(
            "CourseInfoBlock",
            "A ``course_info`` page (updates, handouts; detached).",
            items=List(scope=Scope.content, default=[]),
        ),
        "static_tab": _detached_html_subclass(
            "StaticTabBlock",
            "A custom course tab (``static_tab``; detached).",
            course_staff_only=Boolean(scope=Scope.settings, default=False),
        ),
    }


DEFAULT_BLOCK_CLASSES: dict[str, str] = {
    "html": "xblocks_contrib:HtmlBlock",
    "problem": "xblocks_contrib:ProblemBlock",
    "video": "xblocks_contrib:VideoBlock",
    "annotatable": "xblocks_contrib:AnnotatableBlock",
    "discussion": "xblocks_contrib:DiscussionXBlock",
    "lti": "xblocks_contrib:LTIBlock",
    "poll_question": "xblocks_contrib:PollBlock",
    "word_cloud": "xblocks_contrib:WordCloudBlock",
    "course": f"{__name__}:CourseBlock",
    "chapter": f"{__name__}:ChapterBlock",
    "sequential": f"{__name__}:SequenceBlock",
    "vertical": f"{__name__}:VerticalBlock",
    "split_test": f"{__name__}:SplitTestBlock",
    "library_content": f"{__name__}:LibraryContentBlock",
    "conditional": f"{__name__}:ConditionalBlock",
    "error": f"{__name__}:ErrorBlock",  # what an import keeps of a block its class refuses (ADR 0022)
}

_MIXINS = Mixologist([InheritanceMixin, OpenEdxBlockMixin])


def _import(path: str) -> type[XBlock]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@functools.cache
def _unmixed_class(block_type: str) -> type[XBlock] | None:
    configured = {**DEFAULT_BLOCK_CLASSES, **getattr(settings, "LC_MODULESTORE_XBLOCK_CLASSES", {})}
    if block_type in configured:
        return _import(configured[block_type])
    if block_type in _detached_classes():
        return _detached_classes()[block_type]
    try:
        return XBlock.load_class(block_type)
    except PluginMissingError:
        return None


def is_known_block_type(block_type: str) -> bool:
    """True if a real class (not :class:`GenericBlock`) serves ``block_type``."""
    return _unmixed_class(block_type) is not None


def load_block_class(block_type: str) -> type[XBlock]:
    """The class, with Open edX mixins, that serves ``block_type`` (GenericBlock when none is installed)."""
    return _MIXINS.mix(_unmixed_class(block_type) or GenericBlock)


def load_error_block_class() -> type[XBlock]:
    """:class:`ErrorBlock` with the Open edX mixins, as every other block class gets them."""
    return _MIXINS.mix(ErrorBlock)


def storable_value(field: Field, value: Any) -> Any:
    """A field value as split stores it: ``field.to_json(value)``, except datetimes, which stay datetimes."""
    if value is None or isinstance(value, datetime.datetime):
        return value
    return field.to_json(value)


__all__ = [
    "DEFAULT_BLOCK_CLASSES",
    "DEFAULT_START_DATE",
    "INHERITABLE_FIELD_NAMES",
    "ErrorBlock",
    "GenericBlock",
    "InheritanceMixin",
    "OpenEdxBlockMixin",
    "is_known_block_type",
    "load_block_class",
    "load_error_block_class",
    "storable_value",
]
