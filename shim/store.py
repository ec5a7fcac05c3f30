"""
The read-only split ModuleStore: ``ModuleStoreRead`` with ``DraftVersioningModuleStore`` semantics.

Every keyed read is one pipeline, in this order:

1. check the key (wrong kind or deprecated: ``ItemNotFoundError`` / False / None, as split);
2. map it to a branch (:meth:`ReadOnlySplitModuleStore._map_revision_to_branch`: the key's own
   branch, else ``revision=``, else the branch setting);
3. look the course up (:meth:`_lookup_course`): the index (once per ``bulk_operations``
   scope, :mod:`shim.bulk`, else request-cached by the backend) gives the head
   structure id; the structure comes from the scope (once per scope, as split's
   bulk record keeps it), else from the structure cache or one query; the result
   is a :class:`~shim.entries.CourseEntry`;
4. answer from the structure (:mod:`shim.outline`, :mod:`shim.matching`,
   :mod:`shim.assets`) or build XBlocks (:mod:`shim.runtime`, one per entry per
   request or scope).

Nothing is ever written: every write method raises ``ReadOnlyModuleStoreError``
naming the course (:mod:`shim.refusals`).
"""
from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from edx_django_utils.cache import RequestCache
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import (
    BlockUsageLocator,
    CourseLocator,
    LibraryLocator,
    LibraryUsageLocator,
)

from shim.assets import all_asset_metadata, find_asset_metadata
from shim.backends.base import CourseIndexDoc, PersistenceBackend, Structure
from shim.bulk import BulkReadsMixin, course_identity
from shim.entries import CourseEntry, CourseSummary
from shim.enums import DETACHED_XBLOCK_TYPES, ModuleStoreEnum
from shim.exceptions import (
    InsufficientSpecificationError,
    InvalidBranchSetting,
    ItemNotFoundError,
    MultipleCourseBlocksFound,
    UnsupportedRevisionError,
    VersionConflictError,
)
from shim.matching import block_matches
from shim.outline import anchored_blocks, descendants, orphans, parents_with_path_to_root
from shim.refusals import WRITE_METHODS, RefusedWritesMixin
from shim.runtime import DEFINITION_BATCH_SIZE, CourseRuntime
from shim.split_types import BlockKey
from shim.stored_blocks import keys_of_types

log = logging.getLogger(__name__)

RUNTIME_CACHE_NAMESPACE = "lc_modulestore.course_cache"


class ReadOnlySplitModuleStore(BulkReadsMixin, RefusedWritesMixin):
    """
    Split's read API over a read-only persistence backend.

    ``backend`` duck-types split's ``MongoPersistenceBackend`` read methods
    (:class:`shim.backends.base.PersistenceBackend`). ``services`` are added to
    every runtime (``user``, …); ``branch_setting_func`` gives the default
    branch setting (LMS: published-only, preview: draft-preferred).
    ``strip_keys`` returns keys without branch and version, as edx-platform's
    Mixed store hands them to the LMS (split itself keeps both: the default).
    ``definition_batch_size`` bounds how many definitions one lazy read fetches (ADR 0018).
    """

    def __init__(
        self,
        backend: PersistenceBackend,
        *,
        fs_root: str | None = None,
        services: dict[str, Any] | None = None,
        branch_setting_func: Callable[[], str] | None = None,
        event_handler: Callable[[Any, str, dict], None] | None = None,
        strip_keys: bool = False,
        definition_batch_size: int = DEFINITION_BATCH_SIZE,
        **_: Any,
    ) -> None:
        self.backend = backend
        self.db_connection = backend  # split's attribute name
        self.fs_root = fs_root
        self.services = dict(services or {})
        self.default_branch_setting_func = branch_setting_func or (lambda: ModuleStoreEnum.Branch.published_only)
        self.event_handler = event_handler
        self.strip_keys = strip_keys
        self.definition_batch_size = definition_batch_size
        self._thread = threading.local()

    # =========================================================== branches ====
    @contextlib.contextmanager
    def branch_setting(self, branch_setting: str, course_id=None) -> Iterator[None]:
        """Read ``branch_setting`` (published-only / draft-preferred) in this thread until the block exits."""
        if branch_setting not in (ModuleStoreEnum.Branch.published_only, ModuleStoreEnum.Branch.draft_preferred):
            raise InvalidBranchSetting(f"Unknown branch setting {branch_setting!r}")
        previous = getattr(self._thread, "branch_setting", None)
        self._thread.branch_setting = branch_setting
        try:
            yield
        finally:
            self._thread.branch_setting = previous

    def get_branch_setting(self, course_id=None) -> str:
        """The thread's branch setting, else the configured default."""
        return getattr(self._thread, "branch_setting", None) or self.default_branch_setting_func()

    def _map_revision_to_branch(self, key, revision=None):
        """The key on the branch a read uses: its own, else ``revision``, else the branch setting."""
        if isinstance(key, LibraryLocator | LibraryUsageLocator):
            draft = published = ModuleStoreEnum.BranchName.library
        else:
            draft, published = ModuleStoreEnum.BranchName.draft, ModuleStoreEnum.BranchName.published
        course_key = key.course_key if hasattr(key, "course_key") else key
        if revision == ModuleStoreEnum.RevisionOption.published_only:
            return key.for_branch(published)
        if revision == ModuleStoreEnum.RevisionOption.draft_only:
            return key.for_branch(draft)
        if revision is not None:
            raise UnsupportedRevisionError(f"Unsupported revision {revision!r}")
        if course_key.branch is not None or course_key.org is None:
            return key  # a branch on the key wins; a version-only key reads that version
        if self.get_branch_setting(key) == ModuleStoreEnum.Branch.draft_preferred:
            return key.for_branch(draft)
        return key.for_branch(published)

    def _out(self, key):
        """A key as this store returns it: split's (branch and version kept) or, with ``strip_keys``, Mixed's."""
        if not self.strip_keys or key is None:
            return key
        return key.version_agnostic().for_branch(None)

    # ============================================================ lookups ====
    def get_course_index(self, course_key, ignore_case: bool = False) -> CourseIndexDoc | None:
        """The course index: the bulk scope's copy if one is open, else the backend's (request-cached)."""
        record = self._active_record(course_key, ignore_case)
        if record is not None and record.index_loaded:
            return record.index
        return self.backend.get_course_index(course_key, ignore_case)

    def get_course_index_info(self, course_key) -> CourseIndexDoc | None:
        if not isinstance(course_key, CourseLocator) or course_key.deprecated:
            raise ItemNotFoundError(course_key)
        if not (course_key.org and course_key.course and course_key.run):
            return None
        return self.get_course_index(course_key)

    def _lookup_course(self, course_key, head_validation: bool = True) -> CourseEntry:
        """Split's ``_lookup_course``: the structure a branch (or version) key names."""
        if not course_key.version_guid:
            head_validation = True
        if head_validation and course_identity(course_key) is not None:
            if course_key.branch is None:
                raise InsufficientSpecificationError(course_key)
            index = self.get_course_index(course_key)
            if index is None or course_key.branch not in index["versions"]:
                raise ItemNotFoundError(course_key)
            version_guid = index["versions"][course_key.branch]
            if course_key.version_guid is not None and version_guid != course_key.version_guid:
                raise VersionConflictError(course_key, version_guid)
        elif course_key.version_guid is None:
            raise InsufficientSpecificationError(course_key)
        else:
            version_guid = course_key.version_guid
        structure = self._get_structure(course_key, version_guid)
        if structure is None:
            raise ItemNotFoundError(f"Structure: {version_guid}")
        return CourseEntry(course_key.replace(version_guid=version_guid), structure)

    def _get_structure(self, course_key, version_guid) -> Structure | None:
        """Split's ``SplitBulkWriteMixin.get_structure``: once per bulk scope, else from the backend every time."""
        record = self._active_record(course_key)
        # This store never changes a structure: it reads the backend's shared objects where it offers them.
        get_structure = getattr(self.backend, "get_shared_structure", self.backend.get_structure)
        if record is None:
            return get_structure(version_guid, course_context=course_key)
        if version_guid not in record.structures:
            structure = get_structure(version_guid, course_context=course_key)
            if structure is None:
                return None  # not remembered: a missing structure is looked for again, as in split
            record.structures[version_guid] = structure
        return record.structures[version_guid]

    def _runtime(self, entry: CourseEntry) -> tuple[CourseRuntime, bool]:
        """The runtime of ``entry`` (one per course key and version per request or bulk scope) and if it is new."""
        cache_key = str(entry.course_key)
        record = self._active_record(entry.course_key)
        if record is not None and cache_key in record.runtimes:
            return record.runtimes[cache_key], False
        request_cache = RequestCache(f"{RUNTIME_CACHE_NAMESPACE}.{id(self)}")  # runtimes carry this store's services
        cached = request_cache.get_cached_response(cache_key)
        if cached.is_found:
            runtime, new = cached.value, False
        else:
            runtime, new = self.create_runtime(entry), True
            request_cache.set(cache_key, runtime)
        runtime.memoize_blocks(record is not None)
        if record is not None:
            record.runtimes[cache_key] = runtime
        return runtime, new

    def create_runtime(self, entry: CourseEntry) -> CourseRuntime:
        """A new runtime for one structure (services and fs root from the store's configuration)."""
        return CourseRuntime(
            entry,
            modulestore=self,
            load_definition=self.get_definition,
            load_definitions=self.get_definitions,
            services=self.services,
            fs_root=self.fs_root,
            event_handler=self.event_handler,
            strip_keys=self.strip_keys,
            definition_batch_size=self.definition_batch_size,
        )

    def get_definition(self, course_key, definition_id) -> dict[str, Any]:
        """One definition document (split's ``SplitBulkWriteMixin.get_definition``)."""
        return self.backend.get_definition(definition_id, course_context=course_key)

    def get_definitions(self, course_key, ids) -> list[dict[str, Any]]:
        """Many definition documents in one backend call."""
        return list(self.backend.get_definitions(ids, course_context=course_key))

    def _load_items(self, entry: CourseEntry, block_keys: list[BlockKey], depth: int | None = 0,
                    lazy: bool = True, **_: Any) -> list:
        """
        XBlocks for ``block_keys``; ``lazy=False`` loads every definition to ``depth`` in one call first.

        Lazily, the runtime is told which blocks ``depth`` covers: their definitions are fetched
        in batches when a content field is first read, instead of one query per block.
        """
        runtime, _new = self._runtime(entry)
        if not lazy:
            runtime.prefetch_definitions(descendants(entry.structure, block_keys, depth))
        else:
            runtime.expect_reads(block_keys, depth)  # a first content read fetches a batch (ADR 0018)
        return [runtime.load_block(key) for key in block_keys]

    # ============================================================ courses ====
    def make_course_key(self, org: str, course: str, run: str) -> CourseLocator:
        return CourseLocator(org, course, run)

    def make_course_usage_key(self, course_key) -> BlockUsageLocator:
        """Always ``course/course`` (split's hard-coded root id); CCX keys keep their class."""
        try:
            from ccx_keys.locator import CCXBlockUsageLocator, CCXLocator  # optional dependency
        except ImportError:
            return BlockUsageLocator(course_key, "course", "course")
        cls = CCXBlockUsageLocator if isinstance(course_key, CCXLocator) else BlockUsageLocator
        return cls(course_key, "course", "course")

    def get_course(self, course_id, depth: int | None = 0, **kwargs: Any):
        """The course root block; ``ItemNotFoundError`` for unknown courses or keys of the wrong kind."""
        if not isinstance(course_id, CourseLocator) or course_id.deprecated:
            raise ItemNotFoundError(course_id)
        course_id = self._map_revision_to_branch(course_id, kwargs.pop("revision", None))
        entry = self._lookup_course(course_id)
        return self._load_items(entry, [entry.structure["root"]], depth, **kwargs)[0]

    def has_course(self, course_id, ignore_case: bool = False, **kwargs: Any):
        """The course key with its stored casing if the course exists, else None (False for wrong-kind keys)."""
        if not isinstance(course_id, CourseLocator) or course_id.deprecated:
            return False
        index = self.get_course_index(course_id, ignore_case)
        if not index:
            return None
        return self._out(CourseLocator(index["org"], index["course"], index["run"], course_id.branch))

    def _branch_for_listing(self) -> str:
        setting = self.get_branch_setting()
        if setting == ModuleStoreEnum.Branch.draft_preferred:
            return ModuleStoreEnum.BranchName.draft
        if setting == ModuleStoreEnum.Branch.published_only:
            return ModuleStoreEnum.BranchName.published
        raise InsufficientSpecificationError()

    def _matching_heads(self, branch: str, **kwargs: Any) -> tuple[list, dict]:
        indexes = self.backend.find_matching_course_indexes(
            branch, search_targets=None, org_target=kwargs.get("org"), course_keys=kwargs.get("course_keys")
        )
        version_guids, by_version = [], {}
        for index in indexes:
            guid = index["versions"][branch]
            version_guids.append(guid)
            by_version.setdefault(guid, []).append(index)
        return version_guids, by_version

    def get_courses(self, **kwargs: Any) -> list:
        """Root blocks of every course on the branch the setting selects (``org=``, ``course_keys=`` filter)."""
        branch = self._branch_for_listing()
        guids, by_version = self._matching_heads(branch, **kwargs)
        if not guids:
            return []
        courses = []
        find = getattr(self.backend, "find_shared_structures_by_id", self.backend.find_structures_by_id)
        for structure in find(guids):
            for index in by_version[structure["_id"]]:
                locator = CourseLocator(index["org"], index["course"], index["run"], branch=branch)
                entry = CourseEntry(locator.replace(version_guid=structure["_id"]), structure)
                courses.append(self._load_items(entry, [structure["root"]], depth=0)[0])
        return courses

    def get_course_summaries(self, **kwargs: Any) -> list[CourseSummary]:
        """Summaries (display name, number, org, end) of every course on the setting's branch."""
        branch = self._branch_for_listing()
        guids, by_version = self._matching_heads(branch, **kwargs)
        if not guids:
            return []
        summaries = []
        for partial in self.backend.find_courselike_blocks_by_id(guids, "course"):
            for index in by_version[partial["_id"]]:
                locator = CourseLocator(index["org"], index["course"], index["run"])
                course_blocks = [b for k, b in partial["blocks"].items() if k.type == "course"]
                if not course_blocks:
                    raise ItemNotFoundError(locator)
                if len(course_blocks) > 1:
                    raise MultipleCourseBlocksFound(f"{locator} has {len(course_blocks)} course blocks")
                info = {f: course_blocks[0].fields[f] for f in CourseSummary.course_info_fields
                        if f in course_blocks[0].fields}
                summaries.append(CourseSummary(locator, **info))
        return summaries

    def get_courses_for_wiki(self, wiki_slug: str, **kwargs: Any) -> list[CourseLocator]:
        """Keys of the courses whose wiki is ``wiki_slug``."""
        indexes = self.backend.find_matching_course_indexes(search_targets={"wiki_slug": wiki_slug})
        return [CourseLocator(i["org"], i["course"], i["run"]) for i in indexes]

    def get_course_history_info(self, course_key) -> dict[str, Any]:
        if not isinstance(course_key, CourseLocator) or course_key.deprecated:
            raise ItemNotFoundError(course_key)
        structure = self._lookup_course(self._map_revision_to_branch(course_key)).structure
        return {k: structure.get(k) for k in ("original_version", "previous_version", "edited_by", "edited_on")}

    def get_modulestore_type(self, course_key=None) -> str:
        return ModuleStoreEnum.Type.split

    def get_course_errors(self, course_key) -> list:
        return []

    def get_errored_courses(self) -> dict:
        return {}

    # ============================================================== items ====
    def has_item(self, usage_key, revision=None, **kwargs: Any) -> bool:
        """Whether the block exists on the branch read; False for unknown courses and wrong-kind keys."""
        if not isinstance(usage_key, BlockUsageLocator) or usage_key.deprecated:
            return False
        usage_key = self._map_revision_to_branch(usage_key, revision)
        if usage_key.block_id is None:
            raise InsufficientSpecificationError(usage_key)
        try:
            structure = self._lookup_course(usage_key.course_key).structure
        except ItemNotFoundError:
            return False
        return BlockKey.from_usage_key(usage_key) in structure["blocks"]

    def get_item(self, usage_key, depth: int | None = 0, revision=None, **kwargs: Any):
        """The XBlock at ``usage_key``; ``depth``/``lazy`` only decide what is prefetched."""
        if not isinstance(usage_key, BlockUsageLocator) or usage_key.deprecated:
            raise ItemNotFoundError(usage_key)
        usage_key = self._map_revision_to_branch(usage_key, revision)
        with self.bulk_operations(usage_key.course_key):
            entry = self._lookup_course(usage_key.course_key)
            block_key = BlockKey.from_usage_key(usage_key)
            if block_key not in entry.structure["blocks"]:
                raise ItemNotFoundError(usage_key)
            return self._load_items(entry, [block_key], depth, **kwargs)[0]

    def get_items(self, course_locator, settings=None, content=None, qualifiers=None, include_orphans=True,
                  revision=None, **kwargs: Any) -> list:
        """
        Blocks matching every criterion (split's ``get_items``).

        ``qualifiers`` match the BlockData (``category`` → ``block_type``; ``name``
        → block id, a string or a collection; ``children`` → settings);
        ``settings`` match the structure's fields; ``content`` match the
        definition (loaded per candidate). ``include_orphans=False`` keeps
        blocks with a path to the root, and detached blocks.
        """
        if not isinstance(course_locator, CourseKey) or course_locator.deprecated:
            return []
        course_locator = self._map_revision_to_branch(course_locator, revision)
        entry = self._lookup_course(course_locator)
        blocks = entry.structure["blocks"]
        qualifiers = dict(qualifiers or {})
        settings = dict(settings or {})
        runtime, _ = self._runtime(entry)

        def matches_all(block_data) -> bool:
            if not (block_matches(block_data, qualifiers) and block_matches(block_data.fields, settings)):
                return False
            if content:
                return block_matches(runtime.definition_fields(block_data.definition), content)
            return True

        if "name" in qualifiers:
            # split's special case: match names first, and only the remaining qualifiers as given
            name = qualifiers.pop("name")
            found = [
                key for key in blocks
                if (key.id == name if isinstance(name, str) else key.id in name) and matches_all(blocks[key])
            ]
            return self._load_items(entry, found, **kwargs)

        if "category" in qualifiers:
            qualifiers["block_type"] = qualifiers.pop("category")
        if "children" in qualifiers:
            settings["children"] = qualifiers.pop("children")

        anchored = anchored_blocks(entry.structure) if not include_orphans else set()
        # the key alone answers a lone block_type qualifier: then a candidate is not decoded to be matched
        by_key_only = set(qualifiers) <= {"block_type"} and not settings and not content
        found = []
        for key, block in self._candidates(blocks, qualifiers):
            if not by_key_only and not matches_all(block()):
                continue
            if include_orphans or key.type in DETACHED_XBLOCK_TYPES or key in anchored:
                found.append(key)
        return self._load_items(entry, found, depth=0, **kwargs) if found else []

    @staticmethod
    def _candidates(blocks, qualifiers: dict[str, Any]) -> Iterator[tuple[BlockKey, Callable[[], Any]]]:
        """
        ``(key, its block on demand)`` of every block that can match: a ``block_type`` qualifier is tried on the
        key first.

        A block's ``block_type`` is always set and always its key's type, so the key answers that qualifier
        exactly as the block would, and a stored structure decodes only the blocks of that type.
        """
        if "block_type" not in qualifiers:
            for key, block in blocks.items():
                yield key, lambda block=block: block
            return
        by_type = {"block_type": qualifiers["block_type"]}
        for key in keys_of_types(blocks, lambda block_type: block_matches({"block_type": block_type}, by_type)):
            yield key, lambda key=key: blocks[key]

    def get_parent_location(self, location, revision=None, **kwargs: Any):
        """Split's parent: the alphabetically least parent with a path to the root, or None."""
        if revision == ModuleStoreEnum.RevisionOption.draft_preferred:
            revision = ModuleStoreEnum.RevisionOption.draft_only
        if not isinstance(location, BlockUsageLocator) or location.deprecated:
            raise ItemNotFoundError(location)
        location = self._map_revision_to_branch(location, revision)
        entry = self._lookup_course(location.course_key)
        parent = self._parents(entry).get(BlockKey.from_usage_key(location))
        if parent is None:
            return None
        return self._out(BlockUsageLocator.make_relative(location, block_type=parent.type, block_id=parent.id))

    def _parents(self, entry: CourseEntry) -> dict[BlockKey, BlockKey]:
        """Every block's parent in ``entry``'s structure (built once per structure object: ``shim.outline``)."""
        return parents_with_path_to_root(entry.structure)

    def get_orphans(self, course_key, **kwargs: Any) -> list:
        """Usage keys of blocks that are not the root, nobody's child and not detached."""
        if not isinstance(course_key, CourseLocator) or course_key.deprecated:
            raise ItemNotFoundError(course_key)
        course_key = self._map_revision_to_branch(course_key)
        structure = self._lookup_course(course_key).structure
        return [self._out(course_key.make_usage_key(k.type, k.id)) for k in orphans(structure)]

    def get_block_original_usage(self, usage_key):
        """``(original usage key, original version)`` of a block copied from a library, else ``(None, None)``."""
        usage_key = self._map_revision_to_branch(usage_key)
        block = self._lookup_course(usage_key.course_key).structure["blocks"].get(BlockKey.from_usage_key(usage_key))
        if block is not None and block.edit_info.original_usage is not None:
            return BlockUsageLocator.from_string(block.edit_info.original_usage), block.edit_info.original_usage_version
        return None, None

    # ================================================ draft and published ====
    def _get_head(self, xblock, branch: str):
        try:
            structure = self._lookup_course(xblock.location.course_key.for_branch(branch)).structure
        except ItemNotFoundError:
            return None
        return structure["blocks"].get(BlockKey.from_usage_key(xblock.location))

    @staticmethod
    def _get_version(block_data):
        source = block_data.edit_info.source_version
        return source if source is not None else block_data.edit_info.update_version

    def has_changes(self, xblock) -> bool:
        """Whether the block or any draft descendant differs from what was last published."""
        course_key = xblock.location.course_key
        draft = self._lookup_course(course_key.for_branch(ModuleStoreEnum.BranchName.draft)).structure["blocks"]
        published = self._lookup_course(
            course_key.for_branch(ModuleStoreEnum.BranchName.published)
        ).structure["blocks"]

        def changed(block_key: BlockKey) -> bool:
            draft_block = draft.get(block_key)
            published_block = published.get(block_key)
            if draft_block is None or published_block is None:
                return True
            if self._get_version(draft_block) != self._get_version(published_block):
                return True
            return any(changed(BlockKey(*child)) for child in draft_block.fields.get("children", []))

        return changed(BlockKey.from_usage_key(xblock.location))

    def has_published_version(self, xblock) -> bool:
        """Whether the block exists on the published branch (up to date or not)."""
        return self._get_head(xblock, ModuleStoreEnum.BranchName.published) is not None

    def compute_published_info_internal(self, xblock) -> None:
        published = self._get_head(xblock, ModuleStoreEnum.BranchName.published)
        if published is not None:
            xblock._published_by = published.edit_info.edited_by
            xblock._published_on = published.edit_info.edited_on

    # ============================================================= assets ====
    def _find_course_assets(self, course_key) -> dict[str, list[dict]]:
        return self._lookup_course(course_key).structure.get("assets", {})

    def get_all_asset_metadata(self, course_key, asset_type, start=0, maxresults=-1, sort=None, **kwargs: Any):
        """Asset metadata of ``asset_type`` (every type if None), sorted by filename unless ``sort`` says."""
        course_key = self._map_revision_to_branch(course_key)
        assets = self._find_course_assets(course_key)
        return all_asset_metadata(course_key, assets, asset_type, start, maxresults, sort)

    def find_asset_metadata(self, asset_key, **kwargs: Any):
        """The metadata of one asset, or None."""
        asset_key = self._map_revision_to_branch(asset_key)
        return find_asset_metadata(asset_key, self._find_course_assets(asset_key.course_key))

    def check_supports(self, course_key, method: str) -> bool:
        return hasattr(self, method)

    # ====================================================== infrastructure ====
    def heartbeat(self) -> dict[str, bool]:
        return {ModuleStoreEnum.Type.split: self.backend.heartbeat()}

    def close_connections(self) -> None:
        self.backend.close_connections()

    def ensure_indexes(self) -> None:
        self.backend.ensure_indexes()


__all__ = ["WRITE_METHODS", "CourseEntry", "CourseSummary", "ReadOnlySplitModuleStore"]
