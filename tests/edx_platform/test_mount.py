"""
The lowest-layer mount (``lc_modulestore.rollout.mount``): edx-platform's split with a routed backend.

Split's Mongo side is a mongomock database (split's collection names contain dots, which the nx-27017
stand-in rejects) holding the same course exported from its compiled documents.
"""
from __future__ import annotations

import pytest
from django.core.cache import caches
from edx_django_utils.cache import RequestCache
from opaque_keys.edx.keys import CourseKey

from lc_modulestore.models import CompiledStructure
from lc_modulestore.rollout.api import export_course_to_mongo, set_course_override, shadow_read_totals
from lc_modulestore.rollout.flags import SHADOW_READS
from shim import api as shim_api
from shim.api import ReadOnlyModuleStoreError
from tests.edx_platform import support
from tests.edx_platform.compare import course_answers
from tests.edx_platform.conftest import FIXTURE_KEY
from tests.edx_platform.edx import edx_split_store

pytestmark = pytest.mark.django_db
KEY = CourseKey.from_string(FIXTURE_KEY)


class Recording:
    """Split's backend, with every call it receives recorded (method and arguments)."""

    def __init__(self, backend, calls):
        self._backend, self.calls = backend, calls

    def __getattr__(self, name):
        attr = getattr(self._backend, name)
        if not callable(attr) or name.startswith("__"):
            return attr

        def call(*args, **kwargs):
            self.calls.append((name, repr(args), repr(sorted(kwargs.items()))))
            return attr(*args, **kwargs)

        return call


@pytest.fixture
def mongo_db(lms_courses):
    """The fixture course in split's collections of a fresh mongomock database (``connect_to_mongodb``'s)."""
    import mongomock

    database = mongomock.MongoClient(tz_aware=True).get_database("edxapp")
    support.MONGO_DATABASES["edxapp"] = database
    export_course_to_mongo(FIXTURE_KEY, database=database, replace_foreign_index=True)
    yield database
    support.MONGO_DATABASES.pop("edxapp", None)


def mongo_backend_class(calls):
    from xmodule.modulestore.split_mongo.mongo_connection import MongoPersistenceBackend

    return lambda **config: Recording(MongoPersistenceBackend(**config), calls)


def plain_split(tmp_path, calls, branch="published-only"):
    """edx-platform's split as it runs today: split's own Mongo backend, recorded."""
    store = edx_split_store(None, fs_root=tmp_path / "plain", branch=branch)
    store.db_connection = mongo_backend_class(calls)(
        db="edxapp", collection="modulestore", host="localhost"
    )
    return store


def mounted(tmp_path, calls, branch="published-only", **options):
    from lc_modulestore.rollout.mount import LearningCoreSplitModuleStore

    return edx_split_store(None, fs_root=tmp_path / "mount", branch=branch, cls=LearningCoreSplitModuleStore,
                           split_backend=mongo_backend_class(calls), **options)


def new_request():
    RequestCache.clear_all_namespaces()
    caches["course_structure_cache"].clear()


def set_flag(enabled):
    set_course_override(FIXTURE_KEY, enabled, force=True, note="mount tests")
    new_request()


@pytest.mark.parametrize("branch", ["published-only", "draft-preferred"])
def test_flag_off_every_call_reaches_split_mongo_backend_as_today(mongo_db, tmp_path, branch):
    set_flag(False)
    plain_calls, mount_calls = [], []
    plain = course_answers(plain_split(tmp_path, plain_calls, branch), KEY)
    new_request()
    mount = course_answers(mounted(tmp_path, mount_calls, branch), KEY)
    assert plain_calls and mount_calls == plain_calls
    assert mount == plain


def test_flag_on_serves_learning_core_and_never_asks_mongo(mongo_db, tmp_path):
    set_flag(True)
    calls = []
    store = mounted(tmp_path, calls)
    theirs = course_answers(store, KEY)
    new_request()
    ours = course_answers(shim_api.create_modulestore(fs_root=str(tmp_path / "ours")), KEY)
    ours_fields, theirs_fields = ours.pop("fields"), theirs.pop("fields")
    assert theirs == ours and theirs_fields.keys() == ours_fields.keys()
    assert calls == []


def test_rollback_serves_mongo_from_the_next_request(mongo_db, tmp_path):
    set_flag(True)
    calls = []
    store = mounted(tmp_path, calls)
    assert store.get_course(KEY) is not None and calls == []
    set_flag(False)
    assert store.get_course(KEY) is not None
    assert [c[0] for c in calls][:1] == ["get_course_index"]


def test_writes_to_a_learning_core_course_are_refused_before_anything_is_written(mongo_db, tmp_path):
    set_flag(True)
    calls = []
    store = mounted(tmp_path, calls, branch="draft-preferred")
    block = store.get_items(KEY, qualifiers={"category": "problem"})[0]
    block.display_name = "changed"
    structures = CompiledStructure.objects.count()
    with pytest.raises(ReadOnlyModuleStoreError, match="Fix"):
        store.update_item(block, user_id=1)
    with pytest.raises(ReadOnlyModuleStoreError):
        store.db_connection.insert_structure({"_id": "x"}, course_context=KEY)
    assert CompiledStructure.objects.count() == structures
    assert not [c for c in calls if c[0].startswith(("insert", "update", "delete"))]


def test_a_write_by_version_only_key_to_a_learning_core_structure_is_refused(mongo_db, tmp_path):
    """A version-only key names no course: a Learning Core structure it names is still not written to Mongo."""
    from opaque_keys.edx.locator import CourseLocator

    set_flag(True)
    calls = []
    store = mounted(tmp_path, calls, branch="draft-preferred")
    head = store.get_course_index(KEY)["versions"]["published-branch"]
    version_only = CourseLocator(version_guid=head)
    with pytest.raises(ReadOnlyModuleStoreError):
        store.db_connection.insert_structure({"_id": head}, course_context=version_only)
    with pytest.raises(ReadOnlyModuleStoreError):
        store.update_structure(version_only, {"_id": head})
    assert not [c for c in calls if c[0].startswith(("insert", "update", "delete"))]
    assert store.db_connection.holds_learning_core(version_only)
    assert not store.db_connection.holds_learning_core(CourseLocator(version_guid="0" * 24))


def test_writes_to_a_mongo_course_still_reach_mongo(mongo_db, tmp_path):
    set_flag(False)
    calls = []
    store = mounted(tmp_path, calls, branch="draft-preferred")
    block = store.get_items(KEY.for_branch("draft-branch"), qualifiers={"category": "problem"})[0]
    block.display_name = "changed in Mongo"
    store.update_item(block, user_id=1)
    assert "insert_structure" in [c[0] for c in calls]


def test_shadow_reads_compare_a_mongo_served_course_on_learning_core(mongo_db, tmp_path):
    set_flag(False)
    set_course_override(FIXTURE_KEY, True, force=True, note="shadow", flag=SHADOW_READS)
    new_request()
    calls = []
    store = mounted(tmp_path, calls)
    store.get_course(KEY, depth=None)
    totals = shadow_read_totals(FIXTURE_KEY)
    assert totals.reads == 1 and totals.mismatched == 0, totals
    assert "get_course_index" in [c[0] for c in calls]  # the answer is Mongo's


def test_a_landed_compile_sends_edx_platforms_course_published_once(tmp_path, django_capture_on_commit_callbacks):
    """Item 4: SignalHandler.course_published, once per landed compile, after commit; never for a no-op compile."""
    from xmodule.modulestore.django import SignalHandler

    from compiler import api as compiler_api
    from lc_modulestore.api import publish_course
    from lc_modulestore.rollout.mount import LearningCoreSplitModuleStore
    from tests.compiler.helpers import build_course, leaf
    from tests.demo_course import compile_both_branches

    key = "course-v1:Pub+P1+R"
    course, writer = build_course(key)
    compile_both_branches(key)
    set_course_override(key, True, force=True, note="signal test")
    new_request()
    store = edx_split_store(None, fs_root=tmp_path / "mount", cls=LearningCoreSplitModuleStore,
                            split_backend=mongo_backend_class([]),
                            signal_handler=SignalHandler(LearningCoreSplitModuleStore))
    course_key = CourseKey.from_string(key)
    leaf_key = course_key.make_usage_key("html", "p0_0_0_0")
    assert store.get_item(leaf_key).display_name == "p0_0_0_0"
    received = []

    def receiver(sender, course_key, **kwargs):
        received.append((sender, course_key, store.get_item(leaf_key).display_name))

    SignalHandler.course_published.connect(receiver, weak=False, dispatch_uid="tests.edx_platform.receiver")
    try:
        writer.save_block(leaf("html", "p0_0_0_0", settings={"display_name": "edited"}))
        with django_capture_on_commit_callbacks(execute=True):
            log = publish_course(course)
            assert compiler_api.compile_publish_log(log.id).installed
            assert received == []  # not before commit
        assert received == [(LearningCoreSplitModuleStore, course_key, "edited")]
        with django_capture_on_commit_callbacks(execute=True):
            assert not compiler_api.compile_publish_log(log.id).installed  # nothing changed: nothing sent
        assert len(received) == 1
    finally:
        SignalHandler.course_published.disconnect(dispatch_uid="tests.edx_platform.receiver")
