import pytest

from compiler import api
from lc_modulestore.api import PUBLISHED_BRANCH, publish_course

from .helpers import K, build_course, leaf

pytestmark = pytest.mark.django_db


def test_full_then_incremental():
    course, writer = build_course(about=True)
    r1 = api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    print(r1)
    doc = api.structure_document(str(course.course_key))
    import pprint; pprint.pprint(doc)
    writer.save_block(leaf("html", "p0_0_0_0", text="edited"))
    publish_course(course)
    r2 = api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    print(r2)
    r3 = api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH, full=True)
    print(r3)
