"""
Courses for the LMS path tests, imported once per module, and the store the LMS would be handed.

Courses are built inside one transaction opened for the module and rolled
back at its end (``django_db_blocker``), so each test's own transaction nests
inside it and the database is left as it was, on SQLite and MariaDB alike.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import mongomock
import pytest
from django.db import transaction
from edx_django_utils.cache import RequestCache
from opaque_keys.edx.keys import CourseKey
from xblock.reference.user_service import XBlockUser

from lc_modulestore.importing.olx.api import import_olx
from lc_modulestore.importing.synthetic import build_synthetic_course
from lc_modulestore.rollout.api import create_router_modulestore
from lc_modulestore.rollout.flags import set_course_override, use_learning_core
from shim import api as shim_api
from shim.services import StaticUserService
from tests.demo_course import compile_both_branches

NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
FIXTURE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "olx" / "full"
FIXTURE_KEY = "course-v1:Fix+F101+run"
SYNTHETIC_KEY = "course-v1:LMS+Synth+2026"


@dataclass
class LmsCourse:
    name: str
    key: CourseKey


def enable_and_compile(course_key: str) -> None:
    """Compile both branches (the on-commit signal never fires inside a test transaction) and turn the flag on."""
    compile_both_branches(course_key)
    set_course_override(course_key, True, force=True, note="LMS path tests: no Mongo original to verify against")
    assert use_learning_core(course_key)


#: True: ``lms_modulestore`` returns the router (in Mixed's place in the LMS), not the split-level store.
ROUTER = True


def lms_modulestore(**overrides):
    """
    The store the LMS is handed: the router, deciding per course by the flag.

    Its Mongo side is split's collections in an empty mongomock database, so a
    read that reached Mongo instead of Learning Core would find nothing.
    ``overrides`` (services, event handler, fs_root) configure both sides.
    """
    mongo = shim_api.create_mongo_modulestore(
        backend_options={"database": mongomock.MongoClient(tz_aware=True).get_database("edxapp")}, **overrides
    )
    return create_router_modulestore(lc_store=shim_api.create_modulestore(**overrides), mongo_store=mongo)


@pytest.fixture(scope="module")
def lms_courses(django_db_setup, django_db_blocker):
    """The bundled fixture course (OLX import, with drafts) and a synthetic course, compiled, flag on."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            import_olx(FIXTURE_DIR, FIXTURE_KEY, publish=True, created=NOW)
            enable_and_compile(FIXTURE_KEY)
            build_synthetic_course(SYNTHETIC_KEY, sections=2, subsections=2, units=2, components=3, created=NOW)
            enable_and_compile(SYNTHETIC_KEY)
            yield {
                "fixture": LmsCourse("fixture", CourseKey.from_string(FIXTURE_KEY)),
                "synthetic": LmsCourse("synthetic", CourseKey.from_string(SYNTHETIC_KEY)),
            }
            transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _new_request():
    """Each test is one LMS request."""
    RequestCache.clear_all_namespaces()
    yield
    RequestCache.clear_all_namespaces()


@pytest.fixture
def events():
    return []


@pytest.fixture
def student_store(events, tmp_path):
    """The store as courseware builds it for a logged-in learner: user service, and events collected."""
    user = XBlockUser(is_current_user=True, emails=["learner@example.com"], full_name="Learner")
    user.opt_attrs.update({"edx-platform.user_id": 11, "edx-platform.username": "learner",
                           "edx-platform.user_is_staff": False, "edx-platform.anonymous_user_id": "anon-11",
                           "edx-platform.request_country_code": "FR"})
    return lms_modulestore(fs_root=str(tmp_path / "fs"), services={"user": StaticUserService(user)},
                           event_handler=lambda block, kind, data: events.append((kind, data)))
