"""
Issue 16: re-importing into the same course changes nothing.

Both ways back in are checked for every importable fixture and the shared demo course: the original
OLX imported again, and the course's own export (``lc_export_olx``) imported over it. Learning Core
must show no new draft or published version of any entity (read through openedx-core's API) and no
publish log, and compiling again must give the same documents.

A video whose OLX has no ``edx_video_id`` gets a random one from edxval on every parse. The importer
used to parse such a video twice in one import (its published element, then again as a child of a
``drafts/`` unit) and give it two ids, so a fresh import already showed an unpublished change on the
video, and the next import (the export's policy.json names one of the two) versioned it again.
"""
from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from openedx_content import api as content_api
from openedx_content.models_api import PublishLog

from lc_modulestore.exporting.api import export_olx
from lc_modulestore.importing.olx.api import import_olx
from tests.demo_course import DEMO_COURSE_KEY, compile_both_branches, demo_course_dir
from tests.olx.helpers import (
    FIXTURE_COURSES,
    FIXTURES,
    compiled_documents,
    course,
    entity_versions,
    fields,
    version,
)

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
LATER = NOW + datetime.timedelta(days=1)


def _assert_reimport_changes_nothing(source: Path, key: str, tmp_path: Path, *, through_export: bool) -> None:
    import_olx(source, key, publish=True, created=NOW)
    compile_both_branches(key)
    lc = course(key)
    versions, documents = entity_versions(lc), compiled_documents(key)
    logs = PublishLog.objects.filter(learning_package_id=lc.learning_package_id).count()
    if through_export:
        export_olx(key, tmp_path / "export", branch="published")
        source = tmp_path / "export"

    result = import_olx(source, key, publish=True, created=LATER)

    changed = {entity_id: (before, entity_versions(lc).get(entity_id)) for entity_id, before in versions.items()
               if entity_versions(lc).get(entity_id) != before}
    names = {e.pk: f"{e.course_block.block_type}/{e.course_block.block_id}"
             for e in content_api.get_publishable_entities(lc.learning_package_id).select_related("course_block")}
    assert not changed, {names[entity_id]: change for entity_id, change in changed.items()}
    assert entity_versions(lc) == versions  # and no entity appeared
    assert PublishLog.objects.filter(learning_package_id=lc.learning_package_id).count() == logs
    assert (result.created, result.updated, result.deleted, result.assets_changed, result.published) == (
        0, 0, 0, 0, False)
    compile_both_branches(key)
    assert compiled_documents(key) == documents


@pytest.mark.parametrize("fixture", sorted(FIXTURE_COURSES))
@pytest.mark.parametrize("through_export", [False, True], ids=["same-olx", "own-export"])
def test_reimport_into_the_same_course_changes_nothing(tmp_path, fixture, through_export):
    _assert_reimport_changes_nothing(FIXTURES / fixture, FIXTURE_COURSES[fixture], tmp_path,
                                     through_export=through_export)


@pytest.mark.slow
@pytest.mark.parametrize("through_export", [False, True], ids=["same-olx", "own-export"])
def test_demo_course_reimport_changes_nothing(tmp_path, through_export):
    directory = demo_course_dir()
    if directory is None:
        pytest.skip("LC_DEMO_COURSE_DIR has no demo export")
    _assert_reimport_changes_nothing(directory, DEMO_COURSE_KEY, tmp_path, through_export=through_export)


def test_a_video_read_again_under_drafts_keeps_its_one_edx_video_id():
    """era2021's vid1 has edx_video_id="" and sits in a drafts/ unit too: one import, one id, no draft change."""
    key = FIXTURE_COURSES["era2021"]
    import_olx(FIXTURES / "era2021", key, publish=True, created=NOW)
    lc = course(key)
    draft, published = version(lc, "video", "vid1"), version(lc, "video", "vid1", published=True)
    assert draft.pk == published.pk
    assert fields(lc, "video", "vid1").settings["edx_video_id"]
    unpublished = {(e.course_block.block_type, e.course_block.block_id)
                   for e in content_api.get_entities_with_unpublished_changes(lc.learning_package_id)}
    assert ("vertical", "v1") in unpublished  # the drafts/ edit of its unit is a real one
    assert ("video", "vid1") not in unpublished, unpublished
