"""Pinned entity-list rows: kept as children, compiled in full (a pinned child leaves no record on its parent)."""
from __future__ import annotations

import pytest
from openedx_content import api as content_api
from openedx_content.models_api import PublishableEntityVersion

from compiler import api, documents
from lc_modulestore.api import PUBLISHED_BRANCH, publish_course
from lc_modulestore.models import BlockFieldData
from tests.compiler.conftest import full_build_bytes, stored_bytes
from tests.compiler.helpers import T0, K, build_course, leaf

pytestmark = pytest.mark.django_db


def _blocks(course):
    return {(b["block_type"], b["block_id"]): b for b in api.structure_document(str(course.course_key))["blocks"]}


def test_pinned_children_are_kept_and_force_full_compiles():
    course, writer = build_course()
    html = writer.block(K("html", "p0_0_0_0")).entity
    problem = writer.block(K("problem", "p0_0_0_1")).entity
    unit = writer.block(K("vertical", "u0_0_0")).entity
    html_v1 = PublishableEntityVersion.objects.get(entity=html, version_num=1)
    # CourseWriter never pins; pin by hand (and give the new version its field data, as CourseWriter would)
    pinned = content_api.create_next_container_version(unit.id, title="u0_0_0", entities=[html_v1, problem],
                                                       created=T0, created_by=None)
    BlockFieldData.objects.create(entity_version=pinned.publishable_entity_version, block_type="vertical",
                                  settings={"display_name": "u0_0_0"},
                                  children=[["html", "p0_0_0_0"], ["problem", "p0_0_0_1"]])
    publish_course(course)
    first = api.compile_course(str(course.course_key), branch=PUBLISHED_BRANCH)
    assert first.full and first.fallback == "no structure for the previous publish"

    writer.save_block(leaf("html", "p0_0_0_0", text="v2"))
    log = publish_course(course)
    result = api.compile_publish_log(log.id)
    assert result.full and result.fallback == "pinned rows in the previous structure"
    assert stored_bytes(course, log.id) == full_build_bytes(course, log.id)
    assert _blocks(course)[("vertical", "u0_0_0")]["fields"]["children"] == [["html", "p0_0_0_0"],
                                                                           ["problem", "p0_0_0_1"]]

    writer.delete_block(K("html", "p0_0_0_0"))
    writer.delete_block(K("problem", "p0_0_0_1"))
    log = publish_course(course)
    api.compile_publish_log(log.id)
    blocks = _blocks(course)
    # the unpinned problem is gone; the pinned html stays, at its pinned version
    assert blocks[("vertical", "u0_0_0")]["fields"]["children"] == [["html", "p0_0_0_0"]]
    assert blocks[("html", "p0_0_0_0")]["definition"] == documents.definition_id(
        entity_uuid=html.uuid, version_num=1)
