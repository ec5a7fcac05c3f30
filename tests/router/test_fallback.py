"""Never route to nothing (issue 15, finding 4): org or global switches keep uncompiled courses on Mongo."""
from __future__ import annotations

import pytest
from opaque_keys.edx.keys import CourseKey
from waffle.models import Flag

from lc_modulestore.models import CourseIndex
from lc_modulestore.rollout.api import USE_LEARNING_CORE, clear_flag_cache, create_router_modulestore, set_org_override
from lc_modulestore.rollout.serving import clear_fallback_counts, fallback_counts, serving_status
from tests.mongo.twins import diverge, stores, twin_course

pytestmark = pytest.mark.django_db
IN_LC = CourseKey.from_string("course-v1:Org+InLC+R")
MONGO_ONLY = CourseKey.from_string("course-v1:Org+MongoOnly+R")


@pytest.fixture
def router(mock_db, tmp_path):
    clear_fallback_counts()
    diverge(twin_course(str(IN_LC), mock_db), "Learning Core's title")  # tells which store answered
    twin_course(str(MONGO_ONLY), mock_db)
    CourseIndex.objects.filter(course__course_key=MONGO_ONLY).delete()  # Learning Core holds no compiled index
    lc, mongo = stores(mock_db, tmp_path=tmp_path)
    yield create_router_modulestore(lc_store=lc, mongo_store=mongo, shadow=False)
    clear_fallback_counts()


def _title(router, key):
    return router.get_item(key.make_usage_key("html", "p0_0_0_0")).display_name


def test_an_org_switch_keeps_a_course_without_a_compiled_index_on_mongo(router):
    set_org_override("Org", True, force=True, note="test")
    clear_flag_cache()
    assert _title(router, IN_LC) == "Learning Core's title"
    assert router.get_course(MONGO_ONLY) is not None  # Mongo's course, not Learning Core's None
    assert _title(router, MONGO_ONLY) == "p0_0_0_0"
    assert fallback_counts()[str(MONGO_ONLY)] >= 2 and str(IN_LC) not in fallback_counts()
    assert {c.id.course for c in router.get_course_summaries()} == {"InLC", "MongoOnly"}
    assert serving_status(MONGO_ONLY).why == "org on; not in Learning Core: Mongo"
    assert serving_status(IN_LC).why == "org on: Learning Core"


def test_the_global_flag_does_the_same(router):
    Flag.objects.create(name=USE_LEARNING_CORE.name, everyone=True)
    clear_flag_cache()
    assert router.get_course(MONGO_ONLY) is not None
    assert _title(router, IN_LC) == "Learning Core's title"
    assert serving_status(MONGO_ONLY).why == "flag on; not in Learning Core: Mongo"
    assert serving_status(MONGO_ONLY).served_from == "Mongo"
