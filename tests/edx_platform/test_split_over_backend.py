"""
edx-platform's own ``DraftVersioningModuleStore`` over the project's ``MySQLPersistenceBackend``, beside
``shim.api``'s store over the same documents: equal answers, block by block and field by field.
"""
from __future__ import annotations

import pytest
from edx_django_utils.cache import RequestCache
from opaque_keys.edx.keys import CourseKey

from shim import api as shim_api
from shim.backends.mysql import MySQLPersistenceBackend
from shim.caches import StructureCache
from tests.edx_platform.compare import course_answers
from tests.edx_platform.conftest import FIXTURE_KEY, SYNTHETIC_KEY
from tests.edx_platform.edx import edx_split_store

pytestmark = pytest.mark.django_db
BRANCHES = ["published-only", "draft-preferred"]


def new_request():
    RequestCache.clear_all_namespaces()


def stores(tmp_path, branch):
    backend = MySQLPersistenceBackend(structure_cache=StructureCache())
    edx = edx_split_store(backend, fs_root=tmp_path / "edx", branch=branch)
    ours = shim_api.create_modulestore(fs_root=str(tmp_path / "ours"), branch_setting_func=lambda: branch)
    return edx, ours


@pytest.mark.parametrize("branch", BRANCHES)
@pytest.mark.parametrize("course", [FIXTURE_KEY, SYNTHETIC_KEY])
def test_edx_platform_split_answers_as_the_project_store(lms_courses, tmp_path, branch, course):
    edx, ours = stores(tmp_path, branch)
    key = CourseKey.from_string(course)
    theirs = course_answers(edx, key)
    new_request()
    mine = course_answers(ours, key)
    assert theirs.keys() == mine.keys()
    # The classes are the same; the mixins differ (edx-platform's XModuleMixin adds a few fields of its own,
    # the project's OpenEdxBlockMixin others): every field both sides have must agree, value and set-ness.
    for block, values in theirs.pop("fields").items():
        other = mine["fields"][block]
        common = values.keys() & other.keys()
        assert len(common) > 10
        assert {n: values[n] for n in common} == {n: other[n] for n in common}, f"{course} ({branch}): {block}"
    mine.pop("fields")
    for what in theirs:
        assert theirs[what] == mine[what], f"{course} ({branch}): {what} differs"
    assert theirs["problems"], "the course has problems"


def test_get_items_by_category_accepts_the_backends_blocks(lms_courses, tmp_path):
    """Defect 1: split's ``_block_matches`` raised TypeError on the backend's BlockData."""
    edx, _ = stores(tmp_path, "published-only")
    problems = edx.get_items(CourseKey.from_string(FIXTURE_KEY), qualifiers={"category": "problem"})
    assert problems and {p.location.block_type for p in problems} == {"problem"}


def test_a_lazy_false_read_leaves_no_definition_fields_for_the_next_request(lms_courses, tmp_path):
    """Defect 2: ``cache_items(lazy=False)`` merged definition fields into the cached structure's blocks."""
    backend = MySQLPersistenceBackend(structure_cache=StructureCache())
    key = CourseKey.from_string(FIXTURE_KEY)
    edx = edx_split_store(backend, fs_root=tmp_path / "edx")
    assert edx.get_items(key, settings={"data": {"$exists": True}}) == []
    edx.get_course(key, depth=None, lazy=False)
    new_request()
    assert edx.get_items(key, settings={"data": {"$exists": True}}) == []
    # the project's store over the same (shared, cached) structures sees none either
    ours = shim_api.ReadOnlySplitModuleStore(backend, fs_root=str(tmp_path / "ours"), strip_keys=True)
    assert ours.get_items(key, settings={"data": {"$exists": True}}) == []


def test_detached_blocks_are_not_orphans(lms_courses, tmp_path):
    """Defect 3: without the ``detached`` tag split counted about/course_info/static_tab blocks as orphans."""
    edx, ours = stores(tmp_path, "published-only")
    key = CourseKey.from_string(FIXTURE_KEY)
    detached = [b for b in edx.get_items(key) if b.location.block_type in ("about", "course_info", "static_tab")]
    assert detached, "the fixture course has detached blocks"
    assert edx.get_orphans(key) == []
    assert len(edx.get_items(key, include_orphans=False)) == len(edx.get_items(key))


def test_structures_are_splits_types_and_survive_the_shared_cache(lms_courses):
    """Where split is loaded: split's BlockData (and the project's) and BlockKey, kept through the pickled cache."""
    from xmodule.modulestore import BlockData as SplitBlockData
    from xmodule.util.keys import BlockKey as SplitBlockKey

    from shim.split_types import BlockData, BlockKey, private_copy

    first = MySQLPersistenceBackend(structure_cache=StructureCache())
    index = first.get_course_index(CourseKey.from_string(FIXTURE_KEY))
    head = index["versions"]["published-branch"]
    structure = first.get_structure(head)
    other_process = MySQLPersistenceBackend(structure_cache=StructureCache())
    again = other_process.get_structure(head)  # from the shared (pickled) cache
    for s in (structure, again):
        assert isinstance(s["root"], SplitBlockKey) and isinstance(s["root"], BlockKey)
        block = next(iter(s["blocks"].values()))
        assert isinstance(block, SplitBlockData) and isinstance(block, BlockData) and block.get_asides() == block.asides
    assert again["blocks"] == structure["blocks"]
    copy = private_copy(structure)
    block_key = next(iter(copy["blocks"]))
    copy["blocks"][block_key].fields["data"] = "changed"
    copy["blocks"][block_key].definition_loaded = True
    assert "data" not in structure["blocks"][block_key].fields
    assert structure["blocks"][block_key].definition_loaded is False
