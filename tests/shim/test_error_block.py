"""
A block whose class cannot be built from its stored data is served as an ErrorBlock (split's
``xblock_from_json``), and the rest of the course reads as usual (ADR 0013).
"""
from __future__ import annotations

import json

import pytest
from xblock.core import XBlock
from xblock.fields import Integer, Scope
from xblock.reference.user_service import XBlockUser

from lc_modulestore.core import blocks
from shim.services import StaticUserService
from shim.store import ReadOnlySplitModuleStore
from tests.shim.courses import tree_blocks
from tests.shim.documents import Block, build_course, children

pytestmark = pytest.mark.django_db
KEY = "course-v1:Org+Broken+Run"


class FussyBlock(XBlock):
    """A block that reads a setting while it is built, and refuses a negative one (as many real classes do)."""

    limit = Integer(scope=Scope.settings, default=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.limit < 0:
            raise ValueError(f"limit must not be negative, got {self.limit}")
        self.limit_seen_in_init = self.limit


@pytest.fixture
def fussy_classes(settings):
    """Serve ``fussy`` with FussyBlock and ``missing`` with a class whose module does not exist."""
    settings.LC_MODULESTORE_XBLOCK_CLASSES = {"fussy": f"{__name__}:FussyBlock", "missing": "no_such_module:Block"}
    blocks._unmixed_class.cache_clear()
    yield
    blocks._unmixed_class.cache_clear()


def _course(broken: list[Block]):
    """The tree course with ``broken`` blocks added to its unit v1, after h1 and p1."""
    course_blocks = tree_blocks()
    unit = next(b for b in course_blocks if b.key == ("vertical", "v1"))
    unit.fields = {**unit.fields, "children": unit.fields["children"] + children(*(b.key for b in broken))}
    return build_course(KEY, course_blocks + broken)


def _walk(block):
    yield block
    for child in block.get_children():
        yield from _walk(child)


def _staff_store(backend, tmp_path, *, staff: bool) -> ReadOnlySplitModuleStore:
    user = XBlockUser(is_current_user=True)
    user.opt_attrs["edx-platform.user_is_staff"] = staff
    return ReadOnlySplitModuleStore(backend, fs_root=str(tmp_path / "fs"), services={"user": StaticUserService(user)})


def test_a_setting_that_does_not_deserialize_makes_only_that_block_an_error_block(store, caplog):
    built = _course([Block("problem", "p_bad", fields={"display_name": "Bad", "max_attempts": "three"})])
    course = store.get_course(built.course_key, depth=None, lazy=False)

    seen = [(b.location.block_type, b.location.block_id) for b in _walk(course)]
    assert seen == [("course", "course"), ("chapter", "c1"), ("sequential", "s1"), ("vertical", "v1"),
                    ("html", "h1"), ("problem", "p1"), ("error", "p_bad")]
    error = list(_walk(course))[-1]
    assert error.category == "error"
    assert error.location.version_agnostic().for_branch(None) == built.course_key.make_usage_key("error", "p_bad")
    assert error.error_msg.startswith(
        f"problem/p_bad of {built.course_key} (published-branch) could not be loaded: ValueError"
    )
    assert "three" in error.error_msg
    kept = json.loads(error.contents)
    assert (kept["block_type"], kept["block_id"]) == ("problem", "p_bad")
    assert kept["fields"] == {"display_name": "Bad", "max_attempts": "three"}
    assert "problem/p_bad" in caplog.text
    # The siblings, and what they inherit, are untouched.
    p1 = store.get_item(built.course_key.make_usage_key("problem", "p1"))
    assert p1.max_attempts == 2 and p1.graded is True and "Paris" in p1.data
    # Asked for directly, the broken block is the same error block, not an exception.
    direct = store.get_item(built.course_key.make_usage_key("problem", "p_bad"))
    assert direct.location.block_type == "error" and direct.error_msg == error.error_msg
    found = store.get_items(built.course_key, qualifiers={"category": "problem"})
    assert sorted(b.location.block_type for b in found) == ["error", "problem"]


def test_a_class_that_raises_while_being_built_becomes_an_error_block(store, fussy_classes):
    built = _course([Block("fussy", "f_bad", fields={"limit": -1}), Block("fussy", "f_ok", fields={"limit": 3})])
    unit = store.get_item(built.course_key.make_usage_key("vertical", "v1"), depth=None)
    bad, ok = unit.get_children()[-2:]
    assert bad.location.block_type == "error" and "ValueError: limit must not be negative, got -1" in bad.error_msg
    assert bad.error_msg.startswith("fussy/f_bad of ")
    # Field data is there while a block is built: the good one read its stored limit in __init__.
    assert ok.location.block_type == "fussy" and ok.limit_seen_in_init == 3


def test_a_class_that_cannot_be_imported_becomes_an_error_block(store, fussy_classes):
    built = _course([Block("missing", "m1", fields={"display_name": "Gone"})])
    unit = store.get_item(built.course_key.make_usage_key("vertical", "v1"), depth=None)
    error = unit.get_children()[-1]
    assert error.location.block_id == "m1" and "ModuleNotFoundError" in error.error_msg
    assert [c.location.block_type for c in unit.get_children()[:-1]] == ["html", "problem"]


def test_staff_see_the_error_and_learners_do_not(backend, tmp_path):
    built = _course([Block("problem", "p_bad", fields={"max_attempts": "three"})])
    usage = built.course_key.make_usage_key("problem", "p_bad")
    for staff in (True, False):
        store = _staff_store(backend, tmp_path, staff=staff)
        error = store.get_item(usage)
        content = error.runtime.render(error, "student_view").content
        assert ("could not be loaded" in content and "three" in content) is staff
        assert "not available" in content or staff
