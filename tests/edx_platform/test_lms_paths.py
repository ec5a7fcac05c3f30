"""
The LMS paths that use only the ModuleStore API (``tests/lms_paths/lms.py``) through edx-platform's own split
and through the project's store, over the same backend: the same course overview, block-structure collect
and ``path_to_location`` answers (keys compared without branch and version).
"""
from __future__ import annotations

import pytest
from opaque_keys.edx.keys import CourseKey, UsageKey

from tests.edx_platform.conftest import FIXTURE_KEY, SYNTHETIC_KEY
from tests.edx_platform.test_split_over_backend import new_request, stores
from tests.lms_paths import lms

pytestmark = pytest.mark.django_db


def plain(value):
    """Keys without branch and version, recursively (split's answers carry both)."""
    if isinstance(value, UsageKey):
        return (value.block_type, value.block_id)
    if isinstance(value, CourseKey):
        return str(value.for_branch(None).version_agnostic())
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(plain(v) for v in value)
    return value


def answers(store, key):
    leaves = [b.location for b in store.get_items(key) if not b.has_children and b.location.block_type != "course"]
    course_key = CourseKey.from_string(str(key))
    return {
        "overview": plain(lms.course_overview_fields(store, course_key)),
        "collect": plain(lms.collect_block_structure(store, course_key)),
        "paths": sorted(plain(lms.path_to_location(store, course_key.make_usage_key(leaf.block_type, leaf.block_id)))
                        for leaf in leaves if leaf.block_type not in ("about", "course_info", "static_tab")),
    }


@pytest.mark.parametrize("branch", ["published-only", "draft-preferred"])
@pytest.mark.parametrize("course", [FIXTURE_KEY, SYNTHETIC_KEY])
def test_lms_paths_answer_the_same_through_edx_platforms_split(lms_courses, tmp_path, branch, course, monkeypatch):
    from xmodule.modulestore.exceptions import ItemNotFoundError as SplitItemNotFoundError

    # lms.py catches the project's ItemNotFoundError; under edx-platform the LMS catches split's own
    monkeypatch.setattr(lms, "ItemNotFoundError", (lms.ItemNotFoundError, SplitItemNotFoundError))
    edx, ours = stores(tmp_path, branch)
    key = CourseKey.from_string(course)
    theirs = answers(edx, key)
    new_request()
    mine = answers(ours, key)
    assert theirs["paths"] and theirs["collect"]
    assert theirs["collect"].keys() == mine["collect"].keys()
    for block, fields in theirs.pop("collect").items():
        other = mine["collect"][block]
        differing = {n: (v, other.get(n)) for n, v in fields.items() if other.get(n) != v}
        assert not differing, f"{course} ({branch}): {block}"
    mine.pop("collect")
    for what in theirs:
        assert theirs[what] == mine[what], f"{course} ({branch}): {what}"
