"""
XBlocks from a structure: the runtime that builds blocks, their field data, and the LMS services.

One :class:`CourseRuntime` serves one structure of one course branch. It turns
``BlockData`` into real XBlock instances (classes from
``lc_modulestore.core.blocks.load_block_class``), with:

* usage keys from the course key (``course_key.make_usage_key(type, id)``),
  carrying branch and version as split's do (or neither, with ``strip_keys``,
  as edx-platform's Mixed store returns them);
* settings and children read straight from the structure, never copied or
  mutated (structures are shared through the caches);
* content fields read from the block's definition, loaded on first use, or in
  one ``get_definitions`` call by :meth:`CourseRuntime.prefetch_definitions`;
* split's inheritance: an unset inheritable field (``INHERITABLE_FIELD_NAMES``)
  reads the nearest ancestor that sets it; other fields fall back to template
  defaults, then to the field default;
* writes kept in memory on the block's own field data (the store never persists);
* a block whose class cannot be built from its data (the class fails to load, its
  ``__init__`` raises, a stored setting does not deserialize) is served as an
  ``ErrorBlock`` (type ``error``, same id), as split's ``xblock_from_json`` does (ADR 0013).

Services (infrastructure §4): ``field-data``, ``user``, ``cache``, ``sandbox``,
``xqueue``, ``replace_urls``, ``i18n``, plus any passed in; ``resources_fs`` is
an OSFS at ``LC_MODULESTORE_FS_ROOT/<org>/<course>/<run>``, created as split does.
"""
from __future__ import annotations

import copy
import json
import logging
import os
import re
import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from fs.osfs import OSFS
from opaque_keys.edx.locator import DefinitionLocator
from xblock.core import XBlockMixin
from xblock.field_data import DictFieldData, FieldData
from xblock.fields import Reference, ReferenceList, ReferenceValueDict, Scope, ScopeIds, String
from xblock.reference.user_service import UserService, XBlockUser
from xblock.runtime import MemoryIdManager, Runtime

from lc_modulestore.api import (
    INHERITABLE_FIELD_NAMES,
    InvalidCourseKeyError,
    load_block_class,
    load_error_block_class,
)
from shim import outline
from shim.exceptions import ItemNotFoundError
from shim.split_types import BlockData, BlockKey

if TYPE_CHECKING:
    from shim.store import CourseEntry

log = logging.getLogger(__name__)

DefinitionLoader = Callable[[Any, Any], dict[str, Any]]
BulkDefinitionLoader = Callable[[Any, list[Any]], list[dict[str, Any]]]


class ModulestoreBlockMixin(XBlockMixin):
    """What every modulestore block offers the LMS besides its fields (edx-platform's XModuleMixin basics)."""

    @property
    def location(self):
        """The block's usage key (with branch and version, as split returns it)."""
        return self.scope_ids.usage_id

    @property
    def category(self) -> str:
        return self.scope_ids.block_type

    @property
    def course_id(self):
        return self.scope_ids.usage_id.course_key

    @property
    def url_name(self) -> str:
        return self.scope_ids.usage_id.block_id

    @property
    def display_name_with_default(self) -> str:
        name = getattr(self, "display_name", None)
        return name if name is not None else self.url_name.replace("_", " ")


class BlockFieldData(FieldData):
    """
    Field data of one block instance: split's ``SplitMongoKVS`` plus ``InheritingFieldData``.

    Reads: children (as usage keys) and settings from the structure's
    ``BlockData.fields``; content from the definition; parent from the runtime's
    parent map. Writes and deletes stay in this object.
    """

    def __init__(self, runtime: CourseRuntime, block_key: BlockKey, block_data: BlockData) -> None:
        self._runtime = runtime
        self._block_key = block_key
        self._block_data = block_data
        self._local: dict[str, Any] = {}
        self._deleted: set[str] = set()

    def get(self, block, name):
        if name in self._local:
            return self._local[name]
        if name in self._deleted:
            raise KeyError(name)
        field = block.fields[name]
        scope = field.scope
        if scope == Scope.children:
            return [self._runtime.usage_key(BlockKey(*c)) for c in self._block_data.fields["children"]]
        if scope == Scope.parent:
            parent = self._runtime.parent_of(self._block_key)
            return self._runtime.usage_key(parent) if parent is not None else None
        if scope == Scope.settings:
            return self._runtime.convert_reference(field, self._block_data.fields[name])
        if scope == Scope.content:
            return self._runtime.definition_fields(self._block_data.definition)[name]
        raise KeyError(name)  # user scopes: nothing stored here (the LMS wraps its own user state)

    def has(self, block, name):
        try:
            self.get(block, name)
        except KeyError:
            return False
        return True

    def set(self, block, name, value):
        self._runtime.has_local_writes = True
        self._local[name] = value
        self._deleted.discard(name)

    def delete(self, block, name):
        self._runtime.has_local_writes = True
        self._local.pop(name, None)
        self._deleted.add(name)

    def default(self, block, name):
        defaults = self._block_data.defaults
        if name in INHERITABLE_FIELD_NAMES and not self._runtime.has_local_writes:
            # Fast path (no block of this runtime was written in memory): the structure alone
            # decides inheritance, so look the value up in the runtime's memoized map.
            parent = self._runtime.parent_of(self._block_key)
            if parent is not None and parent.type == "library_content" and name in defaults:
                return defaults[name]
            inherited = self._runtime.inherited_settings(self._block_key)
            if name in inherited:
                return copy.deepcopy(inherited[name])
        elif name in INHERITABLE_FIELD_NAMES:
            field = block.fields[name]
            ancestor = block.get_parent()
            # Under library_content, template defaults win over inheritance (split's rule).
            if ancestor is not None and ancestor.scope_ids.block_type == "library_content" and name in defaults:
                return defaults[name]
            while ancestor is not None:
                if name in ancestor.fields and ancestor.fields[name].is_set_on(ancestor):
                    return field.to_json(ancestor.fields[name].read_from(ancestor))
                ancestor = ancestor.get_parent()
        if name in defaults:
            return defaults[name]
        raise KeyError(name)


class _Sandbox:
    """
    The ``sandbox`` service, as edx-platform's: unsafe (unjailed) code only for the courses an operator lists.

    ``settings.LC_MODULESTORE_COURSES_WITH_UNSAFE_CODE`` is a list of regexes matched against the
    course key, like edx-platform's ``COURSES_WITH_UNSAFE_CODE``; default none. Otherwise problems
    with Python scripts need codejail configured (``settings.CODE_JAIL``).
    """

    def __init__(self, course_key) -> None:
        self._course_id = str(course_key)

    def can_execute_unsafe_code(self) -> bool:
        patterns = getattr(settings, "LC_MODULESTORE_COURSES_WITH_UNSAFE_CODE", [])
        return any(re.match(pattern, self._course_id) for pattern in patterns)

    def get_python_lib_zip(self) -> bytes | None:
        return None


class _DiscussionConfig:
    """
    The ``discussion_config_service`` the discussion block asks for.

    Inline discussions are visible unless the course chose the new (non-legacy) provider;
    the forum service itself is enabled by ``FEATURES['ENABLE_DISCUSSION_SERVICE']``, as in the LMS.
    Without edx-platform's forum permissions, no user has forum permissions here.
    """

    def __init__(self, runtime: "CourseRuntime") -> None:
        self._runtime = runtime

    @property
    def is_discussion_enabled(self) -> bool:
        return bool(settings.FEATURES.get("ENABLE_DISCUSSION_SERVICE", False))

    def is_discussion_visible(self, course_key) -> bool:
        root = self._runtime.structure["blocks"].get(BlockKey(*self._runtime.structure["root"]))
        provider = ((root.fields.get("discussions_settings") or {}) if root else {}).get("provider_type", "legacy")
        return provider == "legacy"

    def has_permission(self, user, permission: str, course_key) -> bool:
        return False


class _Cache:
    """The ``cache`` service: the Django ``default`` cache (get/set), as edx-platform provides it."""

    def get(self, key: str, default: Any = None) -> Any:
        return caches["default"].get(key, default)

    def set(self, key: str, value: Any, *args: Any, **kwargs: Any) -> None:
        caches["default"].set(key, value, *args, **kwargs)


class _NoXQueue:
    """The ``xqueue`` service when no XQueue is configured: external graders are unavailable."""

    interface = None
    default_queuename = None
    waittime = 5

    def construct_callback(self, dispatch: str = "score_update") -> str:
        raise RuntimeError("No XQueue is configured for this modulestore runtime")


class _ReplaceURLs:
    """The ``replace_urls`` service: ``/static/x`` → the course's asset URL, as split courses serve them."""

    _STATIC = re.compile(r"""(?P<quote>["'])/static/(?P<path>[^"'?#]+)""")

    def __init__(self, course_key) -> None:
        self.course_key = course_key.for_branch(None) if course_key.org else course_key

    def replace_urls(self, text: str, static_replace_only: bool = False, **kwargs: Any) -> str:
        def asset_url(match: re.Match) -> str:
            path = match.group("path").replace("/", "_")
            return f"{match.group('quote')}/{self.course_key.make_asset_key('asset', path)}"

        return self._STATIC.sub(asset_url, text)


def anonymous_user_service() -> UserService:
    """A ``user`` service for an anonymous, non-staff user (callers pass their own for real users)."""
    return StaticUserService(XBlockUser(is_current_user=True))


# The optional attributes edx-platform's user service always sets; blocks index them directly
# (VideoBlock reads ``edx-platform.request_country_code`` with ``[]``), so each must be present.
LMS_USER_ATTRIBUTE_DEFAULTS: dict[str, Any] = {
    "edx-platform.is_authenticated": False,
    "edx-platform.user_id": None,
    "edx-platform.username": None,
    "edx-platform.user_is_staff": False,
    "edx-platform.user_role": "student",
    "edx-platform.anonymous_user_id": None,
    "edx-platform.request_country_code": None,
    "edx-platform.user_is_beta_tester": False,
    "edx-platform.user_is_global_staff": False,
}


class StaticUserService(UserService):
    """
    A ``user`` service that always returns the one user it was made with.

    Attributes edx-platform always provides and the caller did not set get their
    anonymous defaults (:data:`LMS_USER_ATTRIBUTE_DEFAULTS`).
    """

    def __init__(self, user: XBlockUser, *, django_user: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name, value in LMS_USER_ATTRIBUTE_DEFAULTS.items():
            user.opt_attrs.setdefault(name, value)
        self._user = user
        # edx-platform's service carries the Django user too; blocks (discussion) read it by this name.
        self._django_user = django_user if django_user is not None else AnonymousUser()

    def get_current_user(self) -> XBlockUser:
        return self._user


class CourseRuntime(Runtime):
    """Builds the XBlocks of one structure (one course branch at one version)."""

    def __init__(
        self,
        entry: CourseEntry,
        *,
        modulestore: Any = None,
        load_definition: DefinitionLoader,
        load_definitions: BulkDefinitionLoader,
        services: dict[str, Any] | None = None,
        fs_root: str | None = None,
        event_handler: Callable[[Any, str, dict], None] | None = None,
        strip_keys: bool = False,
    ) -> None:
        ids = MemoryIdManager()
        course_key = entry.course_key
        merged = {
            "user": anonymous_user_service(),
            "cache": _Cache(),
            "sandbox": _Sandbox(course_key),
            "xqueue": _NoXQueue(),
            "replace_urls": _ReplaceURLs(course_key),
            **(services or {}),
        }
        merged.setdefault("discussion_config_service", _DiscussionConfig(self))
        super().__init__(id_reader=ids, id_generator=ids, services=merged, mixins=(ModulestoreBlockMixin,))
        self.modulestore = modulestore  # blocks (video, lti) read the course through runtime.modulestore
        self.course_entry = entry
        if strip_keys and course_key.org:
            course_key = course_key.version_agnostic().for_branch(None)  # what Mixed hands the LMS
        self.course_key = course_key  # the context of every key this runtime makes
        self.course_id = course_key  # subsystems (grading) read runtime.course_id
        self.structure = entry.structure
        self.definitions: dict[Any, dict[str, Any]] = {}
        self._load_definition = load_definition
        self._load_definitions = load_definitions
        self._event_handler = event_handler
        self._parents: dict[BlockKey, list[BlockKey]] | None = None  # the structure's, derived once per structure
        self._inherited: dict[BlockKey, dict[str, Any]] = {}
        # Set once any block of this runtime is written in memory; inheritance then walks the
        # live ancestor blocks (split's InheritingFieldData) instead of the structure map.
        self.has_local_writes = False
        self.block_cache: dict[BlockKey, Any] | None = None  # set by the store inside bulk_operations
        self._constructing: dict[Any, BlockFieldData] = {}  # field data of blocks inside their __init__
        self._checked_settings: set[BlockKey] = set()  # blocks whose stored settings deserialize
        root = fs_root or settings.LC_MODULESTORE_FS_ROOT
        parts = [course_key.org, course_key.course, course_key.run] if course_key.org else [str(entry.version_guid)]
        parts = [str(p) for p in parts]
        path = os.path.realpath(os.path.join(root, *parts))
        if not path.startswith(os.path.join(os.path.realpath(root), "")):  # course-v1:..+..+x (issue 17)
            raise InvalidCourseKeyError(f"{course_key}: its resources folder {path} is outside LC_MODULESTORE_FS_ROOT")
        os.makedirs(path, exist_ok=True)
        self.resources_fs = OSFS(path)

    # -- keys and tree -----------------------------------------------------------
    def usage_key(self, block_key: BlockKey):
        return self.course_key.make_usage_key(block_key.type, block_key.id)

    def inherited_settings(self, block_key: BlockKey) -> dict[str, Any]:
        """
        The inheritable settings ``block_key`` gets from its ancestors, nearest ancestor winning.

        Computed from the structure once per block and memoized (the structure is
        immutable), so a whole-course read does not walk every block's ancestors
        once per field.
        """
        chain: list[BlockKey] = []
        key: BlockKey | None = block_key
        while key is not None and key not in self._inherited:
            chain.append(key)
            key = self.parent_of(key)
            if key in chain:  # cyclic data: stop where split would recurse forever
                break
        inherited = self._inherited.get(key, {}) if key is not None else {}
        for child in reversed(chain):
            parent = self.parent_of(child)
            if parent is not None and parent in self.structure["blocks"]:
                own = self.structure["blocks"][parent].fields
                set_here = {n: v for n, v in own.items() if n in INHERITABLE_FIELD_NAMES}
                if set_here:
                    inherited = {**inherited, **set_here}
            self._inherited[child] = inherited
        return self._inherited[block_key]

    def parent_of(self, block_key: BlockKey) -> BlockKey | None:
        """
        The block's parent for ``get_parent()`` (the last block in structure order listing it).

        From the parents map derived once per structure object, not once per runtime: a request
        builds a new runtime, and rebuilding the map made a warm ``get_item`` linear in the course
        (5 → 16 → 59 ms at 1k → 10k → 50k blocks).
        """
        if self._parents is None:  # held here: every inheritable field default asks, so keep it a dict lookup
            self._parents = outline.parents_map(self.structure)
        parents = self._parents.get(block_key)
        return parents[-1] if parents else None

    def convert_reference(self, field, value):
        """Reference-typed settings are stored as ``[type, id]``: make them usage keys (split's conversion)."""
        if value is None:
            return value
        if isinstance(field, ReferenceList):
            return [self.usage_key(BlockKey(*v)) if isinstance(v, list | tuple) else v for v in value]
        if isinstance(field, ReferenceValueDict):
            return {k: self.usage_key(BlockKey(*v)) if isinstance(v, list | tuple) else v for k, v in value.items()}
        if isinstance(field, Reference) and isinstance(value, list | tuple):
            return self.usage_key(BlockKey(*value))
        return value

    # -- definitions ---------------------------------------------------------------
    def definition_fields(self, definition_id) -> dict[str, Any]:
        """The content fields of a definition, loading it on first use."""
        if definition_id not in self.definitions:
            document = self._load_definition(self.course_key, definition_id)
            self.definitions[definition_id] = document.get("fields", {})
        return self.definitions[definition_id]

    def prefetch_definitions(self, block_keys: Iterable[BlockKey]) -> None:
        """Load the definitions of ``block_keys`` not loaded yet, in one bulk call."""
        blocks = self.structure["blocks"]
        wanted = {blocks[k].definition for k in block_keys if k in blocks} - set(self.definitions) - {None}
        if not wanted:
            return
        for document in self._load_definitions(self.course_key, sorted(wanted, key=str)):
            self.definitions[document["_id"]] = document.get("fields", {})

    # -- blocks ----------------------------------------------------------------------
    def get_block(self, usage_id, for_parent=None):
        """The XBlock at ``usage_id`` in this structure (``ItemNotFoundError`` if absent)."""
        return self.load_block(BlockKey(usage_id.block_type, usage_id.block_id), for_parent=for_parent)

    def load_block(self, block_key: BlockKey, for_parent=None):
        """
        The XBlock for ``block_key``, or an ``ErrorBlock`` in its place if its class cannot be built.

        Like split's ``xblock_from_json``, a block whose class fails to load or
        construct (or, here, refuses one of its stored settings) does not fail
        the course: it is served as an ``error`` block that keeps its data and
        names the failure, and the rest of the course reads as usual.
        """
        if self.block_cache is not None and block_key in self.block_cache:
            return self.block_cache[block_key]
        block_data = self.structure["blocks"].get(block_key)
        if block_data is None:
            raise ItemNotFoundError(self.usage_key(block_key))
        if block_data.definition is None:
            raise ValueError(f"Block {block_key.type}/{block_key.id} of {self.course_key} has no definition")
        try:
            block = self._construct(block_key, block_data, for_parent)
        except Exception as exc:  # whatever a block class raises: served as an ErrorBlock
            log.warning("Block %s/%s of %s could not be loaded; serving an ErrorBlock", block_key.type,
                        block_key.id, self.course_key, exc_info=True)
            block = self._error_block(block_key, block_data, exc, for_parent)
            block.course_version = self.course_entry.version_guid
            if self.block_cache is not None:
                self.block_cache[block_key] = block
            return block
        edit_info = block_data.edit_info
        block._edited_by = block.edited_by = edit_info.edited_by
        block._edited_on = block.edited_on = edit_info.edited_on
        block.previous_version = edit_info.previous_version
        block.update_version = edit_info.update_version
        block.source_version = edit_info.source_version
        block.course_version = self.course_entry.version_guid
        block.definition_locator = DefinitionLocator(block_key.type, block_data.definition)
        if self.block_cache is not None:
            self.block_cache[block_key] = block
        return block

    def _construct(self, block_key: BlockKey, block_data: BlockData, for_parent):
        """Build the block with its field data (available to its ``__init__``) and check its stored settings."""
        cls = load_block_class(block_data.block_type or block_key.type)
        usage_key = self.usage_key(block_key)
        scope_ids = ScopeIds(None, block_key.type, block_data.definition, usage_key)
        field_data = BlockFieldData(self, block_key, block_data)
        self._constructing[usage_key] = field_data
        try:
            block = self.construct_xblock_from_class(cls, scope_ids, for_parent=for_parent)
        finally:
            del self._constructing[usage_key]
        block._lc_field_data = field_data
        if block_key not in self._checked_settings:
            self._check_settings(block, block_data)
            self._checked_settings.add(block_key)
        return block

    def _check_settings(self, block, block_data: BlockData) -> None:
        """
        Deserialize every stored setting the class declares, so that a value it refuses fails the load.

        edx-platform's classes read most of their settings while being built, so a
        bad value there turns the block into an ErrorBlock at load; ours are light
        and read lazily, so the check is explicit. Content fields stay lazy (their
        definitions are not loaded for this): a bad one raises when it is read, as in split.
        """
        for name, value in block_data.fields.items():
            field = block.fields.get(name)
            if field is None or field.scope != Scope.settings or value is None:
                continue
            if isinstance(value, str) and isinstance(field, String):
                continue  # always accepted; skips sanitizing large texts (CAPA markdown) for nothing
            field.from_json(self.convert_reference(field, value))

    def _error_block(self, block_key: BlockKey, block_data: BlockData, exc: Exception, for_parent):
        """split's substitute for a block that cannot be built: type ``error``, same id, data and failure kept."""
        usage_key = self.usage_key(BlockKey("error", block_key.id))
        course_key = self.course_entry.course_key
        course = f"{course_key.version_agnostic().for_branch(None)} ({course_key.branch})" if course_key.org \
            else str(course_key)
        message = (
            f"{block_key.type}/{block_key.id} of {course} could not be loaded: "
            f"{type(exc).__name__}: {exc}\n\n{''.join(traceback.format_exception(exc))}"
        )
        contents = json.dumps(
            {"block_type": block_key.type, "block_id": block_key.id, "definition": block_data.definition,
             "fields": block_data.fields, "defaults": block_data.defaults},
            indent=4, sort_keys=True, default=str,
        )
        scope_ids = ScopeIds(None, "error", usage_key, usage_key)
        block = self.construct_xblock_from_class(load_error_block_class(), scope_ids, for_parent=for_parent)
        block._lc_field_data = DictFieldData({"error_msg": message, "contents": contents})
        return block

    def service(self, block, service_name):
        if service_name in ("field-data", "field-data-unbound"):
            bound = block.__dict__.get("_bound_field_data")
            if bound is not None and service_name == "field-data":
                return bound  # the LMS's per-user wrapper, set by bind_for_student
            field_data = block.__dict__.get("_lc_field_data")
            if field_data is None:  # still in its __init__
                field_data = self._constructing.get(block.scope_ids.usage_id)
            if field_data is None:
                raise RuntimeError(f"{block.scope_ids.usage_id} was not built by this runtime")
            return field_data
        return super().service(block, service_name)

    # -- Runtime's abstract methods ---------------------------------------------------
    def handler_url(self, block, handler_name, suffix="", query="", thirdparty=False):
        url = f"/courses/{self.course_key.for_branch(None) if self.course_key.org else self.course_key}"
        url += f"/xblock/{block.scope_ids.usage_id}/handler/{handler_name}"
        if suffix:
            url += f"/{suffix}"
        return f"{url}?{query}" if query else url

    def resource_url(self, resource):
        return f"/static/{resource}"

    def local_resource_url(self, block, uri):
        return f"/xblock/resource/{block.scope_ids.block_type}/{uri}"

    def publish(self, block, event_type, event_data):
        if self._event_handler is not None:
            self._event_handler(block, event_type, event_data)
        else:
            log.debug("XBlock event %s from %s: %s", event_type, block.scope_ids.usage_id, event_data)


__all__ = ["BlockFieldData", "CourseRuntime", "ModulestoreBlockMixin", "StaticUserService", "anonymous_user_service"]
