"""
The shared demo course (401 blocks) through edx-platform's own split and through the project's store,
over the same backend: every block, every field both classes have, parents, orphans, queries.
Skipped without the demo corpus (and, like the whole folder, without the edx-platform snapshot).
"""
from __future__ import annotations

import pytest

from tests.edx_platform.compare import course_answers
from tests.edx_platform.test_split_over_backend import new_request, stores
from tests.lms_paths.test_demo_course_paths import demo  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.mark.parametrize("branch", ["published-only", "draft-preferred"])
def test_demo_course_answers_equal(demo, tmp_path, branch):  # noqa: F811
    key, _ = demo
    edx, ours = stores(tmp_path, branch)
    theirs = course_answers(edx, key)
    new_request()
    mine = course_answers(ours, key)
    theirs_fields, mine_fields = theirs.pop("fields"), mine.pop("fields")
    assert theirs == mine
    assert len(theirs["blocks"]) >= 401 and theirs["orphans"] == [] and theirs["with_data"] == 0
    for block, values in theirs_fields.items():
        common = values.keys() & mine_fields[block].keys()
        assert {n: values[n] for n in common} == {n: mine_fields[block][n] for n in common}, block
