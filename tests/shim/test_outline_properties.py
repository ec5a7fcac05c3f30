"""Properties of the structure walks over random block graphs (DAGs, shared children, cycles, orphans)."""
from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shim.outline import anchored_blocks, descendants, orphans, parent_with_path_to_root, parents_map, preorder
from shim.split_types import BlockData, BlockKey

ROOT = BlockKey("course", "course")


@st.composite
def structures(draw):
    count = draw(st.integers(min_value=0, max_value=12))
    keys = [ROOT] + [BlockKey(draw(st.sampled_from(["chapter", "html", "about"])), f"b{i}") for i in range(count)]
    blocks = {}
    for key in keys:
        kids = draw(st.lists(st.sampled_from(keys), max_size=4, unique=True))
        blocks[key] = BlockData(block_type=key.type, fields={"children": kids} if kids else {})
    return {"root": ROOT, "blocks": blocks}


def _reachable(structure):
    seen, todo = set(), [structure["root"]]
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        todo.extend(structure["blocks"][key].fields.get("children", []))
    return seen


@settings(max_examples=500, deadline=None)
@given(structures())
def test_path_to_root_means_reachable_from_the_root(structure):
    parents = parents_map(structure)
    assume(not parents.get(ROOT))  # split's roots are nobody's child
    reachable = _reachable(structure)
    assert anchored_blocks(structure) == reachable


def _has_path_up(key, parents, seen=frozenset()):
    """split's definition, walked upwards (with a guard split lacks, for cycles)."""
    own = parents.get(key, [])
    if not own and key.type == "course":
        return True
    return any(_has_path_up(p, parents, seen | {key}) for p in own if p not in seen)


@settings(max_examples=300, deadline=None)
@given(structures())
def test_anchored_blocks_agree_with_splits_upward_definition(structure):
    parents = parents_map(structure)
    anchored = anchored_blocks(structure)
    for key in structure["blocks"]:
        assert (key in anchored) == _has_path_up(key, parents), key


@settings(max_examples=300, deadline=None)
@given(structures())
def test_parent_is_least_valid_parent_and_lists_the_block(structure):
    parents = parents_map(structure)
    for key in structure["blocks"]:
        parent = parent_with_path_to_root(structure, key)
        valid = sorted(p for p in parents.get(key, []) if _has_path_up(p, parents))
        assert parent == (valid[0] if valid else None)
        if parent is not None:
            assert key in structure["blocks"][parent].fields["children"]


@settings(max_examples=300, deadline=None)
@given(structures())
def test_orphans_are_unlisted_non_root_non_detached(structure):
    listed = {c for b in structure["blocks"].values() for c in b.fields.get("children", [])}
    expected = sorted(k for k in structure["blocks"] if k != ROOT and k not in listed and k.type != "about")
    assert orphans(structure) == expected


@settings(max_examples=300, deadline=None)
@given(structures(), st.integers(min_value=0, max_value=3))
def test_descendants_cover_reachable_blocks_without_repeats(structure, depth):
    everything = descendants(structure, [ROOT], None)
    assert len(everything) == len(set(everything))
    assert set(everything) == _reachable(structure)
    assert set(descendants(structure, [ROOT], depth)) <= set(everything)
    assert descendants(structure, [ROOT], 0) == [ROOT]


@settings(max_examples=300, deadline=None)
@given(structures(), st.integers(min_value=0, max_value=3))
def test_preorder_is_descendants_depth_first(structure, depth):
    """The batching order (ADR 0018) covers what descendants covers, each block once, parents before children."""
    everything = preorder(structure, [ROOT], None)
    assert len(everything) == len(set(everything))
    assert set(everything) == set(descendants(structure, [ROOT], None))
    assert set(preorder(structure, [ROOT], depth)) <= set(descendants(structure, [ROOT], depth))
    assert preorder(structure, [ROOT], 0) == [ROOT]
    position = {key: i for i, key in enumerate(everything)}
    for key in everything[1:]:
        listing = [p for p in parents_map(structure).get(key, []) if p in position]
        assert any(position[p] < position[key] for p in listing)
