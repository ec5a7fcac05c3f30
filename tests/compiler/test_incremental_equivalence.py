"""
Full and incremental compiles give byte-identical structures, over random edit sequences (hypothesis).

Each example builds a small course, then applies random edits and publishes
(all drafts, or a random subset through ``publish_from_drafts``). After every
publish the course is compiled the way production does it (incremental from
the previous structure) and compared, byte for byte, with a full compile of
the same publish.
"""
from __future__ import annotations

import datetime
import itertools

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openedx_content import api as content_api
from openedx_content.models_api import Draft

from compiler import api
from lc_modulestore.api import DRAFT_BRANCH, CourseWriter
from tests.compiler.conftest import full_build_bytes, full_draft_build_bytes, stored_bytes
from tests.compiler.helpers import T0, K, build_course, container, leaf

pytestmark = pytest.mark.django_db(transaction=False)

_course_numbers = itertools.count()

OPS = st.lists(
    st.tuples(
        st.sampled_from([
            "edit_leaf", "reorder_unit", "add_child", "remove_child", "delete_leaf", "edit_settings",
            "detach_unit", "attach_unit", "share_leaf", "publish_all", "publish_subset",
        ]),
        st.integers(min_value=0, max_value=1000),
        st.integers(min_value=0, max_value=1000),
    ),
    min_size=1,
    max_size=14,
)


class Model:
    """The course outline as the test edits it (block keys), mirrored into Learning Core through CourseWriter."""

    def __init__(self, course, writer: CourseWriter) -> None:
        self.course = course
        self.writer = writer
        self.units = {f"u{a}_{b}_{c}": [K("html" if d % 2 == 0 else "problem", f"p{a}_{b}_{c}_{d}") for d in range(2)]
                      for a in range(2) for b in range(2) for c in range(2)}
        self.seqs = {f"s{a}_{b}": [f"u{a}_{b}_{c}" for c in range(2)] for a in range(2) for b in range(2)}
        self.seq_settings = {s: {"due": T0 + datetime.timedelta(days=7)} for s in self.seqs}
        self.pool: list[str] = []  # units detached from every subsection
        self.deleted: set[K] = set()
        self.counter = 0
        self.tick = 0

    def now(self) -> datetime.datetime:
        self.tick += 1
        return T0 + datetime.timedelta(minutes=self.tick, microseconds=self.tick * 7)

    def _writer(self) -> CourseWriter:
        self.writer.created = self.now()
        return self.writer

    def save_unit(self, unit: str) -> None:
        self._writer().save_block(container("vertical", unit, self.units[unit]))

    def save_seq(self, seq: str) -> None:
        self._writer().save_block(
            container("sequential", seq, [K("vertical", u) for u in self.seqs[seq]], settings=self.seq_settings[seq])
        )

    def leaves(self) -> list[K]:
        return sorted({k for kids in self.units.values() for k in kids} - self.deleted)

    def apply(self, op: str, x: int, y: int) -> int | None:
        """Apply one edit; return the PublishLog id when the op published."""
        units = sorted(self.units)
        unit = units[x % len(units)]
        seqs = sorted(self.seqs)
        seq = seqs[y % len(seqs)]
        if op == "edit_leaf" and self.leaves():
            key = self.leaves()[x % len(self.leaves())]
            self.counter += 1
            self._writer().save_block(leaf(key.type, key.id, text=f"edit {self.counter}",
                                           settings={"weight": float(self.counter)}))
        elif op == "reorder_unit" and len(self.units[unit]) > 1:
            self.units[unit] = list(reversed(self.units[unit]))
            self.save_unit(unit)
        elif op == "add_child":
            self.counter += 1
            new = leaf("html", f"new{self.counter}")
            self._writer().save_block(new)
            self.units[unit].append(new.key)
            self.save_unit(unit)
        elif op == "remove_child" and self.units[unit]:
            self.units[unit].pop(y % len(self.units[unit]))
            self.save_unit(unit)
        elif op == "delete_leaf" and self.leaves():
            key = self.leaves()[x % len(self.leaves())]
            self._writer().delete_block(key)
            self.deleted.add(key)
            for kids in self.units.values():
                while key in kids:
                    kids.remove(key)
        elif op == "edit_settings":
            self.counter += 1
            self.seq_settings[seq] = {"due": T0 + datetime.timedelta(days=self.counter), "graded": bool(x % 2)}
            self.save_seq(seq)
        elif op == "detach_unit" and len(self.seqs[seq]) > 1:
            gone = self.seqs[seq].pop(x % len(self.seqs[seq]))
            if not any(gone in us for us in self.seqs.values()):
                self.pool.append(gone)
            self.save_seq(seq)
        elif op == "attach_unit" and self.pool:
            self.seqs[seq].append(self.pool.pop(x % len(self.pool)))
            self.save_seq(seq)
        elif op == "share_leaf" and self.leaves():
            key = self.leaves()[y % len(self.leaves())]
            if key not in self.units[unit]:
                self.units[unit].append(key)
                self.save_unit(unit)
        elif op == "publish_all":
            return content_api.publish_all_drafts(self.course.learning_package_id, published_at=self.now()).id
        elif op == "publish_subset":
            drafts = list(Draft.objects.filter(entity__learning_package_id=self.course.learning_package_id)
                          .with_unpublished_changes().order_by("entity_id").values_list("entity_id", flat=True))
            if drafts:
                chosen = drafts[x % len(drafts):][: 1 + y % 3]
                return content_api.publish_from_drafts(
                    self.course.learning_package_id, Draft.objects.filter(entity_id__in=chosen),
                    published_at=self.now(),
                ).id
        return None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(ops=OPS)
def test_incremental_compile_equals_full_compile(ops, keep_all_structures):
    n = next(_course_numbers)
    course, writer = build_course(f"course-v1:Prop+C{n}+R", sections=2, subsections=2, units=2, components=2)
    first = api.compile_course(str(course.course_key), branch="published-branch")
    assert first.full
    model = Model(course, writer)
    incremental_seen = 0
    for op, x, y in ops + [("publish_all", 0, 0)]:
        log_id = model.apply(op, x, y)
        if log_id is None:
            continue
        result = api.compile_publish_log(log_id)
        assert result.installed, result
        incremental_seen += not result.full
        assert not result.full, f"unexpected fallback to a full compile: {result.fallback}"
        assert stored_bytes(course, log_id) == full_build_bytes(course, log_id), (op, x, y)
    assert incremental_seen >= 1


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(ops=OPS, compile_every=st.integers(min_value=1, max_value=3))
def test_incremental_draft_compile_equals_full_draft_compile(ops, compile_every, keep_all_structures):
    """
    The draft branch the same way: compiled from the draft structure it serves, over however many draft logs
    landed since (draft compiles are debounced, so ``compile_every`` skips some), equal to a full draft build.
    """
    n = next(_course_numbers)
    course, writer = build_course(f"course-v1:PropD+C{n}+R", sections=2, subsections=2, units=2, components=2)
    assert api.compile_drafts(str(course.course_key)).full
    model = Model(course, writer)
    incremental_seen = 0
    for i, (op, x, y) in enumerate(ops):
        model.apply(op, x, y)
        if i % compile_every and i != len(ops) - 1:
            continue
        result = api.compile_drafts(str(course.course_key))
        if result.stale:
            continue  # the op changed no draft (a publish): nothing new to compile
        assert result.installed, result
        assert not result.full, f"unexpected fallback to a full compile: {result.fallback}"
        incremental_seen += 1
        assert stored_bytes(course, result.log_id, DRAFT_BRANCH) == full_draft_build_bytes(course), (op, x, y)
    assume(incremental_seen >= 1)
