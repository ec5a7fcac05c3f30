"""Courses that exist in both stores: built in Learning Core, compiled, exported to Mongo (the twin)."""
from __future__ import annotations

import datetime

from django.core.cache import caches

from compiler import api as compiler_api
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, BlockKey, CourseWriter, publish_course
from lc_modulestore.rollout.mongo_export.api import export_course_to_mongo
from shim.backends.mongo import MongoBackend
from shim.backends.mysql import MySQLPersistenceBackend
from shim.caches import StructureCache
from shim.store import ReadOnlySplitModuleStore
from tests.compiler.helpers import T0, build_course, leaf

CHANGED_BLOCK = BlockKey("html", "p0_0_0_0")


def twin_course(course_key: str, database, *, separator: str = ".", **shape):
    """A compiled Learning Core course (both branches) with an identical copy in Mongo; returns the course."""
    course, _ = build_course(course_key, **shape)
    compiler_api.compile_course(course_key, branch=PUBLISHED_BRANCH)
    compiler_api.compile_drafts(course_key)
    export_course_to_mongo(course_key, database=database, separator=separator)
    return course


def diverge(course, display_name: str, *, hours: int = 1) -> None:
    """Change one html block's display name in Learning Core only (published and compiled; Mongo keeps the old)."""
    when = T0 + datetime.timedelta(hours=hours)
    CourseWriter(course, created=when).save_block(
        leaf("html", CHANGED_BLOCK.id, settings={"display_name": display_name})
    )
    publish_course(course, published_at=when)
    key = str(course.course_key)
    compiler_api.compile_course(key, branch=PUBLISHED_BRANCH)
    compiler_api.compile_drafts(key)


def stores(database, *, separator: str = ".", tmp_path=None):
    """(Learning Core store on MySQL, Mongo store over ``database``), keys stripped as the LMS gets them."""
    fs_root = str(tmp_path) if tmp_path else None
    lc = ReadOnlySplitModuleStore(MySQLPersistenceBackend(structure_cache=StructureCache()), strip_keys=True,
                                  fs_root=fs_root)
    backend = MongoBackend(database=database, collection_separator=separator,
                           structure_cache=caches["course_structure_cache"])  # as MongoBackend.from_settings()
    mongo = ReadOnlySplitModuleStore(backend,
                                     strip_keys=True, fs_root=fs_root)
    return lc, mongo


__all__ = ["CHANGED_BLOCK", "DRAFT_BRANCH", "PUBLISHED_BRANCH", "diverge", "stores", "twin_course"]
