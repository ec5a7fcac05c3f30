"""
XBlocks from a structure: the runtime that builds the blocks of one course branch at one version.

One :class:`CourseRuntime` serves one structure of one course branch. It turns
``BlockData`` into real XBlock instances (classes from
``lc_modulestore.core.blocks.load_block_class``), with:

* usage keys from the course key (``course_key.make_usage_key(type, id)``),
  carrying branch and version as split's do (or neither, with ``strip_keys``,
  as edx-platform's Mixed store returns them);
* field data (:mod:`shim.field_data`): settings and children read straight from
  the structure, never copied or mutated (structures are shared through the
  caches), split's inheritance, writes kept in memory on the block's own field
  data (the store never persists);
* content fields read from the block's definition: in one ``get_definitions``
  call by :meth:`CourseRuntime.prefetch_definitions` (``lazy=False``), else on
  first use; a lazy read of a block the store expects to be read
  (:meth:`CourseRuntime.expect_reads`: the blocks to the depth a
  ``get_course``/``get_item`` asked for) fetches its definition together with
  the next ones of that depth, in batches of at most ``definition_batch_size``
  (ADR 0018), so a traversal costs a few queries, not one per block;
* a block whose class cannot be built from its data (the class fails to load, its
  ``__init__`` raises, a stored setting does not deserialize) is served as an
  ``ErrorBlock`` (type ``error``, same id), as split's ``xblock_from_json`` does (ADR 0013).

Services: ``field-data`` here, the LMS ones from :mod:`shim.services`, plus any
passed in; ``resources_fs`` is an OSFS at
``LC_MODULESTORE_FS_ROOT/<org>/<course>/<run>``, created as split does.

Everything the runtime holds is set by its constructor or by its own methods:
the store and the field data call methods (``memoize_blocks``,
``note_local_write``), they never assign attributes of a runtime.
"""
from __future__ import annotations

import itertools
import json
import logging
import os
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from fs.osfs import OSFS
from opaque_keys.edx.locator import DefinitionLocator
from xblock.core import XBlockMixin
from xblock.field_data import DictFieldData
from xblock.fields import (
    Boolean,
    Float,
    Integer,
    Reference,
    ReferenceList,
    ReferenceValueDict,
    Scope,
    ScopeIds,
    String,
)
from xblock.runtime import MemoryIdManager, Runtime

from lc_modulestore.api import (
    INHERITABLE_FIELD_NAMES,
    InvalidCourseKeyError,
    load_block_class,
    load_error_block_class,
)
from shim import outline
from shim.entries import CourseEntry
from shim.exceptions import ItemNotFoundError
from shim.field_data import BlockFieldData
from shim.services import default_services
from shim.split_types import BlockData, BlockKey
from shim.stored_blocks import search_parents

#: Stored JSON types a field class (exactly that class, not a subclass) always accepts in ``from_json``.
_ALWAYS_ACCEPTED: dict[type, tuple[type, ...]] = {Integer: (int,), Float: (float, int), Boolean: (bool,)}

#: Per block class: ``{setting name: (field, stored types its from_json always accepts)}``.
_SETTINGS_CHECKS: dict[type, dict[str, tuple[Any, tuple[type, ...]]]] = {}


def _settings_checks(cls: type) -> dict[str, tuple[Any, tuple[type, ...]]]:
    """
    What :meth:`CourseRuntime._check_settings` needs of ``cls``'s settings, worked out once per class.

    A String always accepts a str (checking would sanitize large texts, CAPA markdown, for nothing); an
    Integer, Float or Boolean, exactly that class, always accepts the JSON types of ``_ALWAYS_ACCEPTED``.
    Every other value is deserialized.
    """
    checks = _SETTINGS_CHECKS.get(cls)
    if checks is None:
        checks = _SETTINGS_CHECKS[cls] = {
            name: (field, (str,) if isinstance(field, String) else _ALWAYS_ACCEPTED.get(type(field), ()))
            for name, field in cls.fields.items()
            if field.scope == Scope.settings
        }
    return checks


log = logging.getLogger(__name__)
_RUNTIME_NUMBERS = itertools.count(1)

DefinitionLoader = Callable[[Any, Any], dict[str, Any]]
BulkDefinitionLoader = Callable[[Any, list[Any]], list[dict[str, Any]]]

#: Most definitions one lazy read fetches at once (ADR 0018): a full traversal of a 10k-block course is
#: about 20 queries instead of 10,001, and no query carries more ids than this (bounded SQL, bounded rows).
DEFINITION_BATCH_SIZE = 500


#: Attributes split sets on every block it builds (``CachingDescriptorSystem.xblock_from_json``), and the
#: ``EditInfo`` attribute each one comes from (None: the definition locator).
_BUILT_ATTRIBUTES: dict[str, str | None] = {
    "_edited_by": "edited_by",
    "edited_by": "edited_by",
    "_edited_on": "edited_on",
    "edited_on": "edited_on",
    "previous_version": "previous_version",
    "update_version": "update_version",
    "source_version": "source_version",
    "definition_locator": None,
}


class _BuiltAttribute:
    """
    One of :data:`_BUILT_ATTRIBUTES`, found in the block's stored entry when it is first read.

    split sets them all while it builds a block, which costs a ``DefinitionLocator`` and the
    entry's whole ``edit_info`` per block; a category read of 2,361 problems paid about a third
    of its time for values the LMS rarely reads. A block built by :class:`CourseRuntime` answers
    the same values from the same entry on the first read, then keeps them as plain attributes
    (a non-data descriptor: the instance's own value wins, so setting one works as before). A
    block this runtime did not build from an entry has none of them, as before.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, block: Any, owner: type | None = None) -> Any:
        if block is None:
            return self
        field_data = block.__dict__.get("_lc_field_data")
        if not isinstance(field_data, BlockFieldData):
            raise AttributeError(f"{type(block).__name__!r} object has no attribute {self.name!r}")
        # the runtime that built it (an LMS may bind the block to another runtime for a learner)
        value = block.__dict__[self.name] = field_data.runtime.built_attribute(field_data, self.name)
        return value


class ModulestoreBlockMixin(XBlockMixin):
    """What every modulestore block offers the LMS besides its fields (edx-platform's XModuleMixin basics)."""

    _edited_by = edited_by = _BuiltAttribute()
    _edited_on = edited_on = _BuiltAttribute()
    previous_version = _BuiltAttribute()
    update_version = _BuiltAttribute()
    source_version = _BuiltAttribute()
    definition_locator = _BuiltAttribute()

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
        definition_batch_size: int = DEFINITION_BATCH_SIZE,
    ) -> None:
        if definition_batch_size < 1:
            raise ValueError(f"definition_batch_size must be at least 1, not {definition_batch_size}")
        ids = MemoryIdManager()
        course_key = entry.course_key
        merged = default_services(course_key=course_key, structure=entry.structure, services=services)
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
        self._definition_batch_size = definition_batch_size
        # What expect_reads() announced: plans not expanded yet, every plan seen, and the definitions
        # they hold in reading order (a definition's first position), with the ones already asked for.
        self._plans: list[tuple[tuple[BlockKey, ...], int | None]] = []
        self._plans_seen: set[tuple[tuple[BlockKey, ...], int | None]] = set()
        self._expected: list[Any] = []
        self._expected_at: dict[Any, int] = {}
        self._batched: set[Any] = set()
        self._event_handler = event_handler
        self._parents: dict[BlockKey, BlockKey] | None = None  # the structure's, derived once per structure
        self._number = next(_RUNTIME_NUMBERS)  # tells this runtime's reads from another request's
        self._inherited: dict[BlockKey, dict[str, Any]] = {}
        # Set once any block of this runtime is written in memory; inheritance then walks the
        # live ancestor blocks (split's InheritingFieldData) instead of the structure map.
        self._has_local_writes = False
        self._block_cache: dict[BlockKey, Any] | None = None  # blocks memoised inside a bulk_operations scope
        self._constructing: dict[int, BlockFieldData] = {}  # field data of blocks inside their __init__, by id(key)
        # Immutable things derived from the structure, shared by every runtime of it (one per request):
        # a warm get_items of 2k problems built 2k usage keys and definition locators per request otherwise.
        self._usage_keys: dict[BlockKey, Any] = outline.shared_memo(self.structure, f"usage keys {course_key}")
        self._definition_locators: dict[BlockKey, Any] = outline.shared_memo(self.structure, "definition locators")
        self._checked_settings: dict[BlockKey, bool] = outline.shared_memo(self.structure, "settings checked")
        self._classes: dict[str, type] = {}  # block type → its class with Open edX's and this runtime's mixins
        root = fs_root or settings.LC_MODULESTORE_FS_ROOT
        parts = [course_key.org, course_key.course, course_key.run] if course_key.org else [str(entry.version_guid)]
        parts = [str(p) for p in parts]
        path = os.path.realpath(os.path.join(root, *parts))
        if not path.startswith(os.path.join(os.path.realpath(root), "")):  # course-v1:..+..+x (issue 17)
            raise InvalidCourseKeyError(f"{course_key}: its resources folder {path} is outside LC_MODULESTORE_FS_ROOT")
        os.makedirs(path, exist_ok=True)
        self.resources_fs = OSFS(path)

    # -- state the store and the field data change, through these methods only ------
    def memoize_blocks(self, enabled: bool) -> None:
        """
        Start (with an empty memo) or stop memoising built blocks.

        The store turns it on when the runtime joins a ``bulk_operations`` scope (blocks built
        inside are reused, as in split's bulk record) and off when it is used outside one.
        """
        self._block_cache = {} if enabled else None

    def note_local_write(self) -> None:
        """A block of this runtime was written in memory: inheritance reads live ancestors from now on."""
        self._has_local_writes = True

    @property
    def has_local_writes(self) -> bool:
        """Whether any block of this runtime was written in memory (:meth:`note_local_write`)."""
        return self._has_local_writes

    # -- keys and tree -----------------------------------------------------------
    def usage_key(self, block_key: BlockKey):
        key = self._usage_keys.get(block_key)
        if key is None:
            key = self._usage_keys[block_key] = self.course_key.make_usage_key(block_key.type, block_key.id)
        return key

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
            # a cold point read: a few byte searches (a structure read by a second runtime builds the map)
            searched = search_parents(self.structure["blocks"], block_key, reader=self._number)
            if searched is not None:
                return searched[-1] if searched else None
            self._parents = outline.last_parents(self.structure)
        return self._parents.get(block_key)

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
        """
        The content fields of a definition, loading it on first use.

        A definition the store expects to be read (:meth:`expect_reads`) comes with
        the next expected ones not loaded yet, in one ``get_definitions`` call
        (:meth:`_fetch_batch`). Any other, or one the batch did not return, is
        loaded alone, so a missing definition raises ``ItemNotFoundError`` when
        its own block is read, exactly as without batching.
        """
        if definition_id not in self.definitions:
            self._expand_plans()
            if definition_id in self._expected_at and definition_id not in self._batched:
                self._fetch_batch(definition_id)
            if definition_id not in self.definitions:
                document = self._load_definition(self.course_key, definition_id)
                self.definitions[definition_id] = document.get("fields", {})
        return self.definitions[definition_id]

    def expect_reads(self, block_keys: Iterable[BlockKey], depth: int | None) -> None:
        """
        Note that ``block_keys`` and their descendants to ``depth`` are about to be read (a lazy load).

        Costs nothing now: the plan is expanded into definition ids only when a
        content field is first read, so a ``get_course(depth=None)`` that reads
        no content (most LMS calls) never walks the course for it.
        """
        plan = (tuple(block_keys), depth)
        if plan not in self._plans_seen:
            self._plans_seen.add(plan)
            self._plans.append(plan)

    def _expand_plans(self) -> None:
        """Add the definitions of every pending plan to the expected ones, in reading (depth-first) order."""
        blocks = self.structure["blocks"]
        while self._plans:
            roots, depth = self._plans.pop(0)
            for key in outline.preorder(self.structure, list(roots), depth):
                definition = blocks[key].definition
                if definition is not None and definition not in self._expected_at:
                    self._expected_at[definition] = len(self._expected)
                    self._expected.append(definition)

    def _fetch_batch(self, definition_id) -> None:
        """
        Load ``definition_id`` and the expected definitions after it not asked for yet, up to the batch size.

        The window starts at the definition read and wraps around, so each call
        loads a full batch while unloaded expected definitions remain: a traversal
        in any order costs at most ``ceil(expected / batch size)`` calls.
        """
        start = self._expected_at[definition_id]
        order = self._expected
        batch = []
        for position in (*range(start, len(order)), *range(start)):
            candidate = order[position]
            if candidate in self.definitions or candidate in self._batched:
                continue
            batch.append(candidate)
            if len(batch) >= self._definition_batch_size:
                break
        self._batched.update(batch)
        for document in self._load_definitions(self.course_key, batch):
            self.definitions[document["_id"]] = document.get("fields", {})

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
        if self._block_cache is not None and block_key in self._block_cache:
            return self._block_cache[block_key]
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
            if self._block_cache is not None:
                self._block_cache[block_key] = block
            return block
        # edit info and the definition locator are read from the entry when first asked (_BuiltAttribute)
        block.course_version = self.course_entry.version_guid
        if self._block_cache is not None:
            self._block_cache[block_key] = block
        return block

    def built_attribute(self, field_data: BlockFieldData, name: str) -> Any:
        """What split would have set as ``name`` (one of :data:`_BUILT_ATTRIBUTES`) on the block of ``field_data``."""
        block_key, block_data = field_data.block_key, field_data.block_data
        source = _BUILT_ATTRIBUTES[name]
        if source is not None:
            return getattr(block_data.edit_info, source)
        locator = self._definition_locators.get(block_key)
        if locator is None:
            locator = self._definition_locators[block_key] = DefinitionLocator(block_key.type, block_data.definition)
        return locator

    def _construct(self, block_key: BlockKey, block_data: BlockData, for_parent):
        """Build the block with its field data (available to its ``__init__``) and check its stored settings."""
        block_type = block_data.block_type or block_key.type
        cls = self._classes.get(block_type)
        if cls is None:  # mixed once per type and request, not once per block (two locked lookups each)
            cls = self._classes[block_type] = self.mixologist.mix(load_block_class(block_type))
        usage_key = self.usage_key(block_key)
        scope_ids = ScopeIds(None, block_key.type, block_data.definition, usage_key)
        field_data = BlockFieldData(self, block_key, block_data)
        self._constructing[id(usage_key)] = field_data  # by identity: hashing an opaque key costs more
        try:
            # construct_xblock_from_class, with the class already mixed
            block = cls(runtime=self, field_data=None, scope_ids=scope_ids, for_parent=for_parent)
        finally:
            del self._constructing[id(usage_key)]
        block._lc_field_data = field_data
        if block_key not in self._checked_settings:
            self._check_settings(block, block_data)
            self._checked_settings[block_key] = True
        return block

    def _check_settings(self, block, block_data: BlockData) -> None:
        """
        Deserialize every stored setting the class declares, so that a value it refuses fails the load.

        edx-platform's classes read most of their settings while being built, so a
        bad value there turns the block into an ErrorBlock at load; ours are light
        and read lazily, so the check is explicit. Content fields stay lazy (their
        definitions are not loaded for this): a bad one raises when it is read, as in split.
        """
        checks = _settings_checks(type(block))
        for name, value in block_data.fields.items():
            check = checks.get(name)
            if check is None or value is None:
                continue  # not a setting of this class, or unset
            field, accepted = check
            if type(value) in accepted:
                continue  # from_json cannot refuse it (_settings_checks)
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
        # Asked once or twice per field read (XBlock's ``_field_data``): the common answer comes first.
        if service_name == "field-data" or service_name == "field-data-unbound":
            attrs = block.__dict__
            if service_name == "field-data":
                bound = attrs.get("_bound_field_data")
                if bound is not None:
                    return bound  # the LMS's per-user wrapper, set by bind_for_student
            field_data = attrs.get("_lc_field_data")
            if field_data is None:  # still in its __init__
                field_data = self._constructing.get(id(block.scope_ids.usage_id))
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


__all__ = ["DEFINITION_BATCH_SIZE", "CourseRuntime", "ModulestoreBlockMixin"]
