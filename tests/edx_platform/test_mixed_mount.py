"""
The lowest-layer mount as the LMS builds it: edx-platform's ``modulestore()`` from ``settings.MODULESTORE``.

``MODULESTORE`` has the shape ``docs/deploy.md`` recommends: edx-platform's ``MixedModuleStore`` whose
``split`` entry names ``lc_modulestore.rollout.mount.LearningCoreSplitModuleStore`` as its ``ENGINE``,
its ``DOC_STORE_CONFIG`` and ``OPTIONS`` kept as split's. Each test builds the store afresh, as
edx-platform's own tests do (``override_settings`` and ``clear_existing_modulestores()``, plus the
contentstore cache). Split's Mongo side is the mongomock database ``connect_to_mongodb`` hands out
(``support.MONGO_DATABASES``), holding the same course with one visible difference: its course
display name, so every answer says which side served it.
"""
from __future__ import annotations

import contextlib
import re

import pytest
from django.test import override_settings
from opaque_keys.edx.keys import CourseKey

from lc_modulestore.models import CompiledStructure
from lc_modulestore.rollout.api import set_course_override
from shim import api as shim_api
from shim.api import ReadOnlyModuleStoreError
from tests.edx_platform.compare import course_answers
from tests.edx_platform.conftest import FIXTURE_KEY
from tests.edx_platform.edx import edx_mixins, project_select
from tests.edx_platform.test_mount import Recording, mongo_db, new_request, set_flag  # noqa: F401

pytestmark = pytest.mark.django_db
KEY = CourseKey.from_string(FIXTURE_KEY)
MOUNT_ENGINE = "lc_modulestore.rollout.mount.LearningCoreSplitModuleStore"
SPLIT_ENGINE = "xmodule.modulestore.split_mongo.split_draft.DraftVersioningModuleStore"
MONGO_NAME = "The course as Mongo holds it"
#: Every call split's Mongo backend receives, in order (the mount's ``split_backend`` records here).
CALLS: list[tuple] = []


def recording_mongo_backend(**doc_store_config):
    """The mount's ``split_backend`` (a dotted path in ``OPTIONS``): split's Mongo backend, every call recorded."""
    from xmodule.modulestore.split_mongo.mongo_connection import MongoPersistenceBackend

    return Recording(MongoPersistenceBackend(**doc_store_config), CALLS)


def modulestore_setting(tmp_path, *, engine: str = MOUNT_ENGINE, **options) -> dict:
    """``settings.MODULESTORE`` as ``docs/deploy.md`` shows it: Mixed, its split entry's ENGINE replaced."""
    return {
        "default": {
            "ENGINE": "xmodule.modulestore.mixed.MixedModuleStore",
            "OPTIONS": {
                "mappings": {},
                "stores": [{
                    "NAME": "split",
                    "ENGINE": engine,
                    "DOC_STORE_CONFIG": {"host": "localhost", "db": "edxapp", "collection": "modulestore"},
                    "OPTIONS": {
                        "default_class": "lc_modulestore.core.blocks.GenericBlock",
                        "fs_root": str(tmp_path / "data"),
                        "render_template": "common.djangoapps.edxmako.shortcuts.render_to_string",  # the LMS's
                        # the block classes: the project's catalogue here, edx-platform's entry points in the LMS
                        "xblock_select": project_select,
                        **options,
                    },
                }],
            },
        }
    }


@contextlib.contextmanager
def lms_modulestore(tmp_path, **kwargs):
    """edx-platform's ``modulestore()`` built from the settings (and forgotten after, as its tests do)."""
    from xmodule.contentstore import django as contentstore_django
    from xmodule.modulestore import django as modulestore_django

    with override_settings(
        MODULESTORE=modulestore_setting(tmp_path, **kwargs),
        CONTENTSTORE={"ENGINE": "xmodule.contentstore.mongo.MongoContentStore", "DOC_STORE_CONFIG": {}},
        MODULESTORE_BRANCH="published-only",  # the LMS's (lms/envs/common.py)
        XBLOCK_MIXINS=edx_mixins(),
        XBLOCK_FIELD_DATA_WRAPPERS=(),
    ):
        modulestore_django.clear_existing_modulestores()
        contentstore_django._CONTENTSTORE.clear()
        try:
            yield modulestore_django.modulestore()
        finally:
            modulestore_django.clear_existing_modulestores()
            contentstore_django._CONTENTSTORE.clear()


def edit_mongo_blocks(database, edit) -> int:
    """
    ``edit(block)`` on the blocks of the course's structures in split's Mongo collections, as Studio edits:
    each changed structure is a new version (a new ``_id``, its ``previous_version`` the old one) and the
    course index points at it. (The Mongo copy is exported from Learning Core with its structure ids, and
    split caches a structure's blocks by id: an edit in place would make both sides one structure.)
    Returns how many structures changed.
    """
    from bson import ObjectId

    structures, indexes = database["modulestore.structures"], database["modulestore.active_versions"]
    replaced = {}
    for structure in list(structures.find()):
        if sum(bool(edit(block)) for block in structure["blocks"]):
            old = structure["_id"]
            structure.update(_id=ObjectId(), previous_version=old)
            structures.insert_one(structure)
            replaced[old] = structure["_id"]
    for index in list(indexes.find()):
        versions = {branch: replaced.get(version, version) for branch, version in index["versions"].items()}
        indexes.update_one({"_id": index["_id"]}, {"$set": {"versions": versions}})
    return len(replaced)


def rename_course(block) -> bool:
    if block["block_type"] != "course":
        return False
    block["fields"]["display_name"] = MONGO_NAME
    return True


@pytest.fixture
def mongo(mongo_db):  # noqa: F811
    """The fixture course in Mongo, its course block renamed there (Learning Core keeps its own name)."""
    assert edit_mongo_blocks(mongo_db, rename_course)
    CALLS.clear()
    yield mongo_db
    CALLS.clear()


def split_store(mixed):
    """The split entry Mixed built from ``stores``."""
    (store,) = mixed.modulestores
    return store


def test_modulestore_builds_the_mount_inside_mixed(mongo, tmp_path):
    from xmodule.modulestore.mixed import MixedModuleStore
    from xmodule.modulestore.split_mongo.mongo_connection import DjangoFlexPersistenceBackend

    from lc_modulestore.rollout.mount import LearningCoreSplitModuleStore, RoutingPersistenceBackend

    with lms_modulestore(tmp_path) as store:
        assert isinstance(store, MixedModuleStore)
        split = split_store(store)
        assert type(split) is LearningCoreSplitModuleStore
        assert isinstance(split.db_connection, RoutingPersistenceBackend)
        # without ``split_backend``, the Mongo side is the backend split built itself, as today
        assert type(split.db_connection.split_backend) is DjangoFlexPersistenceBackend
        # Mixed's signal handler, handed to its stores, as it is to plain split: course_published's sender is Mixed
        assert split.signal_handler.modulestore_class is MixedModuleStore
    with lms_modulestore(tmp_path, split_backend=f"{__name__}.recording_mongo_backend") as store:
        assert isinstance(split_store(store).db_connection.split_backend, Recording)


def test_flag_off_course_is_read_through_the_same_calls_as_plain_split_in_mixed(mongo, tmp_path):
    """Flag off: the mount under Mixed asks split's Mongo backend exactly what plain split under Mixed asks."""
    set_flag(False)
    with lms_modulestore(tmp_path, engine=SPLIT_ENGINE) as plain:  # edx-platform today
        split_store(plain).db_connection = recording_mongo_backend(
            host="localhost", db="edxapp", collection="modulestore"
        )
        today = course_answers(plain, KEY)
        today["name"] = plain.get_course(KEY).display_name
    plain_calls = list(CALLS)
    CALLS.clear()
    new_request()
    with lms_modulestore(tmp_path, split_backend=f"{__name__}.recording_mongo_backend") as mixed:
        mounted = course_answers(mixed, KEY)
        mounted["name"] = mixed.get_course(KEY).display_name
    assert plain_calls and CALLS == plain_calls
    assert mounted == today and mounted["name"] == MONGO_NAME


def test_flag_on_course_is_learning_cores_with_the_answers_of_the_projects_store(mongo, tmp_path):
    set_flag(True)
    with lms_modulestore(tmp_path, split_backend=f"{__name__}.recording_mongo_backend") as mixed:
        theirs = course_answers(mixed, KEY)
        name = mixed.get_course(KEY).display_name
    assert CALLS == []  # Mongo was never asked
    new_request()
    shim_api.clear_existing_modulestores()
    try:
        with override_settings(LC_MODULESTORE_FS_ROOT=str(tmp_path / "ours")):
            ours_store = shim_api.modulestore()
            ours = course_answers(ours_store, KEY)
            assert name == ours_store.get_course(KEY).display_name != MONGO_NAME
    finally:
        shim_api.clear_existing_modulestores()
    theirs_fields, ours_fields = theirs.pop("fields"), ours.pop("fields")
    assert theirs == ours
    assert theirs_fields.keys() == ours_fields.keys()
    for block, values in theirs_fields.items():  # edx-platform's mixins and the project's add a few fields each
        common = values.keys() & ours_fields[block].keys()
        assert {n: values[n] for n in common} == {n: ours_fields[block][n] for n in common}, block


def test_rollback_through_mixed_serves_mongo_from_the_next_request(mongo, tmp_path):
    set_flag(True)
    with lms_modulestore(tmp_path, split_backend=f"{__name__}.recording_mongo_backend") as mixed:
        learning_core_name = mixed.get_course(KEY).display_name
        assert learning_core_name != MONGO_NAME and CALLS == []
        set_flag(False)  # the operator's rollback; set_flag starts the next request
        assert mixed.get_course(KEY).display_name == MONGO_NAME
        assert [c[0] for c in CALLS][:1] == ["get_course_index"]
        set_flag(True)  # and forward again, with no restart
        CALLS.clear()
        assert mixed.get_course(KEY).display_name == learning_core_name and CALLS == []


def _no_pending_writes(mixed) -> bool:
    """No bulk-operation record of split's holds a structure, definition or index not yet written."""
    records = split_store(mixed)._active_bulk_ops.records.values()
    return not any(set(r.structures) - r.structures_in_db or set(r.definitions) - r.definitions_in_db
                   or r.index != r.initial_index for r in records)


@pytest.mark.parametrize("write", ["update_item", "create_item", "delete_item", "publish"])
def test_writes_to_a_learning_core_course_are_refused_through_mixed(mongo, tmp_path, write):
    """
    Refused before anything is written, in the database or in split's bulk-operation record: a refused
    ``publish`` used to leave its new structure there, so every later read of the course in the thread
    ended its bulk operation by writing it and failed with ReadOnlyModuleStoreError.
    """
    set_flag(True)
    with lms_modulestore(tmp_path, split_backend=f"{__name__}.recording_mongo_backend") as mixed:
        block = mixed.get_items(KEY, qualifiers={"category": "problem"})[0]
        block.display_name = "changed"
        structures = CompiledStructure.objects.count()
        calls = {
            "update_item": lambda: mixed.update_item(block, user_id=1),
            "create_item": lambda: mixed.create_item(1, KEY, "html", block_id="new_html"),
            "delete_item": lambda: mixed.delete_item(block.location, 1),
            "publish": lambda: mixed.publish(block.location, 1),
        }
        with pytest.raises(ReadOnlyModuleStoreError, match=re.escape(str(KEY))):
            calls[write]()
        assert _no_pending_writes(mixed)
        assert CompiledStructure.objects.count() == structures
        new_request()
        assert mixed.get_item(block.location).display_name != "changed"  # the course still reads
        assert len(mixed.get_items(KEY)) > 10
    assert CALLS == []  # nothing reached Mongo either


def test_a_landed_compile_reaches_course_published_through_mixed(tmp_path, django_capture_on_commit_callbacks):
    """Under Mixed the mount sends through Mixed's signal handler, as split does: the sender is MixedModuleStore."""
    from xmodule.modulestore.django import SignalHandler
    from xmodule.modulestore.mixed import MixedModuleStore

    from compiler import api as compiler_api
    from lc_modulestore.api import publish_course
    from tests.compiler.helpers import build_course, leaf
    from tests.demo_course import compile_both_branches

    key = "course-v1:Pub+M1+R"
    course, writer = build_course(key)
    compile_both_branches(key)
    set_course_override(key, True, force=True, note="signal test")
    new_request()
    leaf_key = CourseKey.from_string(key).make_usage_key("html", "p0_0_0_0")
    received = []
    with lms_modulestore(tmp_path) as mixed:
        def receiver(sender, course_key, **kwargs):
            received.append((sender, str(course_key), mixed.get_item(leaf_key).display_name))

        SignalHandler.course_published.connect(receiver, weak=False, dispatch_uid="tests.edx_platform.mixed")
        try:
            writer.save_block(leaf("html", "p0_0_0_0", settings={"display_name": "edited"}))
            with django_capture_on_commit_callbacks(execute=True):
                assert compiler_api.compile_publish_log(publish_course(course).id).installed
        finally:
            SignalHandler.course_published.disconnect(dispatch_uid="tests.edx_platform.mixed")
    assert received == [(MixedModuleStore, key, "edited")]
