"""The structure cache: bounded in-process LRU in front of the shared cache, which drops bad entries."""
from __future__ import annotations

from django.core.cache import caches

from shim.caches import MAX_SHARED_CACHE_BYTES, StructureCache


def test_lru_is_bounded_and_keeps_the_recently_used():
    cache = StructureCache(max_entries=2)
    cache.set("a", {"n": 1})
    cache.set("b", {"n": 2})
    assert cache.get("a") == {"n": 1}  # a is now the most recent
    cache.set("c", {"n": 3})
    assert list(cache._lru) == ["a", "c"]
    caches["course_structure_cache"].clear()
    assert cache.get("b") is None


def test_shared_cache_serves_other_processes_and_bad_entries_are_dropped():
    caches["course_structure_cache"].clear()
    StructureCache().set("x", {"blocks": {}})
    assert StructureCache().get("x") == {"blocks": {}}
    caches["course_structure_cache"].set(StructureCache._key("bad"), b"not zlib")
    assert StructureCache().get("bad") is None
    assert caches["course_structure_cache"].get(StructureCache._key("bad")) is None


def test_structures_of_two_megabytes_compressed_stay_out_of_the_shared_cache():
    import os

    caches["course_structure_cache"].clear()
    big = {"blob": os.urandom(MAX_SHARED_CACHE_BYTES)}
    StructureCache(max_entries=0).set("big", big)
    assert caches["course_structure_cache"].get(StructureCache._key("big")) is None
    assert StructureCache(max_entries=0).get("big") is None
