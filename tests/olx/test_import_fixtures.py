"""Importing the hand-written fixture course: every OLX feature, read back from Learning Core."""
from __future__ import annotations

import datetime
import io
import tarfile

import pytest
from django.core.management import call_command
from openedx_content.models_api import PublishableEntityVersion, PublishLog, Section, Subsection, Unit

from lc_modulestore.importing.olx.api import import_olx, read_course_dir
from lc_modulestore.models import BlockContainer, CourseAsset, CourseBlock, CourseRoot
from tests.olx.helpers import FIXTURES, course, entity_children, fields, olx, version

pytestmark = pytest.mark.django_db
KEY = "course-v1:Fix+F101+run"
FULL = FIXTURES / "full"
UTC = datetime.timezone.utc


@pytest.fixture
def imported(now):
    result = import_olx(FULL, KEY, publish=True, created=now)
    return result, course(KEY)


def test_outline_order_and_learning_core_types(imported):
    result, lc = imported
    assert result.published and result.draft_blocks == 2
    assert isinstance(lc.root, CourseRoot)
    assert entity_children(lc, "course", "course", published=True) == [("chapter", "ch1"), ("chapter", "ch2")]
    assert entity_children(lc, "chapter", "ch1", published=True) == [("sequential", "seq1"), ("sequential", "seq2")]
    v1 = entity_children(lc, "vertical", "v1", published=True)
    assert v1[:2] == [("html", "h1"), ("problem", "p1")]
    assert v1[2][0] == "html" and v1[2][1].startswith("html_")  # inline html without url_name
    assert v1[3:] == [("video", "vid1"), ("mystery_leaf", "mystery1"), ("mystery_box", "box1")]

    def kind(block_type, block_id):
        entity_id = CourseBlock.objects.get(course=lc, block_type=block_type, block_id=block_id).entity_id
        for cls in (Section, Subsection, Unit, BlockContainer):
            if cls.objects.filter(pk=entity_id).exists():
                return cls.__name__
        return "Component"

    # v1 holds a container (mystery_box), so it and its ancestors are generic containers...
    assert [kind("vertical", "v1"), kind("sequential", "seq1"), kind("chapter", "ch1")] == ["BlockContainer"] * 3
    # ...while ch2 → seq_inline → secret:magic → html is plain Section/Subsection/Unit.
    assert [kind("chapter", "ch2"), kind("sequential", "seq_inline"), kind("vertical", "secret:magic")] == [
        "Section", "Subsection", "Unit"]
    assert kind("split_test", "ab1") == "BlockContainer"
    assert kind("library_content", "lib1") == "BlockContainer"
    assert kind("conditional", "cond1") == "BlockContainer"
    assert kind("mystery_box", "box1") == "BlockContainer"
    assert kind("mystery_leaf", "mystery1") == "Component"
    assert entity_children(lc, "split_test", "ab1") == [("vertical", "group_a"), ("vertical", "group_b")]
    assert entity_children(lc, "library_content", "lib1") == [("problem", "libp1"), ("problem", "libp2")]


def test_course_settings_policy_and_grading(imported):
    _, lc = imported
    root = fields(lc, "course", "course", published=True)
    assert root.settings["display_name"] == "Fixture Course (policy)"  # policy.json beats the XML attribute
    assert root.settings["start"] == datetime.datetime(2030, 1, 1, tzinfo=UTC)
    assert root.settings["grading_policy"]["GRADE_CUTOFFS"] == {"Pass": 0.6}
    assert root.settings["tabs"][1]["url_slug"] == "syllabus"
    assert root.content["wiki_slug"] == "Fix.F101.run"
    assert lc.wiki_slug == "Fix.F101.run"
    assert version(lc, "course", "course").title == "Fixture Course (policy)"
    seq = fields(lc, "sequential", "seq1").settings
    assert seq["graded"] is True and seq["format"] == "Homework"
    assert seq["due"] == datetime.datetime(2030, 2, 1, 12, tzinfo=UTC)
    assert fields(lc, "chapter", "ch2").settings["start"] == datetime.datetime(2030, 3, 1, tzinfo=UTC)
    assert fields(lc, "chapter", "ch2").settings["display_name"] == "Inline Chapter"


def test_leaves_realized_by_their_real_classes(imported):
    _, lc = imported
    h1 = fields(lc, "html", "h1")
    assert h1.settings["display_name"] == "Html From Policy"
    assert "read through the filename pointer" in h1.content["data"]
    assert "read through the filename pointer" in olx(lc, "html", "h1")  # block.xml is self-contained
    p1 = fields(lc, "problem", "p1")
    assert p1.settings["max_attempts"] == 3 and p1.settings["weight"] == 2.0
    assert p1.content["data"].startswith("<problem") and "max_attempts" not in p1.content["data"]
    assert 'max_attempts="3"' in olx(lc, "problem", "p1")
    vid = fields(lc, "video", "vid1").settings
    assert vid["youtube_id_1_0"] == "abcdefghijk" and vid["edx_video_id"] == "fixture-video-1"
    assert fields(lc, "html", "colon_html").content["data"] == "A unit whose url_name has a colon."


def test_unknown_types_and_structural_fields(imported):
    _, lc = imported
    leaf = fields(lc, "mystery_leaf", "mystery1")
    assert leaf.settings["size"] == 3
    assert leaf.settings["options"] == {"a": [1, 2]}
    assert leaf.settings["label"] == "plain text"
    assert leaf.content["data"] == "Some <b>inner</b> markup"
    box = fields(lc, "mystery_box", "box1")
    assert box.settings == {"display_name": "Mystery Box", "flavour": "grape"}
    assert [tuple(c) for c in box.children] == [("html", "in_box")]
    ab = fields(lc, "split_test", "ab1")
    assert ab.content["user_partition_id"] == 50
    assert set(ab.content["group_id_to_child"]) == {"0", "1"}
    lib = fields(lc, "library_content", "lib1").settings
    assert lib["max_count"] == 1 and lib["source_library_id"] == "library-v1:Fix+Lib"
    cond = fields(lc, "conditional", "cond1").content
    assert cond["sources_list"] == ["block-v1:Fix+F101+run+type@problem+block@p1"]
    assert cond["conditional_attr"] == "is_attempted"
    assert cond["show_tag_list"] == ["block-v1:Fix+F101+run+type@html+block@h1"]


def test_detached_blocks_and_assets(imported):
    _, lc = imported
    detached = set(CourseBlock.objects.filter(course=lc, detached=True).values_list("block_type", "block_id"))
    assert detached == {("about", "overview"), ("about", "short_description"), ("course_info", "updates"),
                        ("course_info", "handouts"), ("static_tab", "syllabus")}
    assert "About this fixture course" in fields(lc, "about", "overview").content["data"]
    updates = fields(lc, "course_info", "updates")
    assert updates.content["items"][0]["content"] == "<p>Update one</p>"
    assert fields(lc, "static_tab", "syllabus").settings["display_name"] == "Syllabus"
    assets = {a.path: a for a in CourseAsset.objects.filter(course=lc)}
    assert set(assets) == {"images/logo.png", "notes.txt"}
    logo = assets["images/logo.png"]
    assert logo.locked and logo.content_type == "image/png" and logo.metadata["displayname"] == "logo.png"
    assert logo.media.read_file().read() == (FULL / "static" / "images" / "logo.png").read_bytes()
    assert assets["notes.txt"].content_type == "text/plain" and not assets["notes.txt"].locked


def test_drafts_are_draft_only(imported):
    _, lc = imported
    assert entity_children(lc, "sequential", "seq1") == [
        ("vertical", "v1"), ("vertical", "draft_unit"), ("vertical", "v_experiments")]
    assert entity_children(lc, "sequential", "seq1", published=True) == [
        ("vertical", "v1"), ("vertical", "v_experiments")]
    assert version(lc, "vertical", "draft_unit", published=True) is None
    assert version(lc, "html", "draft_html", published=True) is None
    assert fields(lc, "html", "draft_html").content["data"] == "Only in drafts."


def test_reimport_is_idempotent(imported, now):
    _, lc = imported
    versions, logs = PublishableEntityVersion.objects.count(), PublishLog.objects.count()
    stable_ids = set(CourseBlock.objects.filter(course=lc).values_list("block_type", "block_id"))
    again = import_olx(FULL, KEY, publish=True, created=now + datetime.timedelta(days=1))
    assert (again.created, again.updated, again.deleted, again.assets_changed) == (0, 0, 0, 0)
    assert not again.published
    assert PublishableEntityVersion.objects.count() == versions
    assert PublishLog.objects.count() == logs
    assert set(CourseBlock.objects.filter(course=lc).values_list("block_type", "block_id")) == stable_ids


def test_reimport_of_a_changed_export_updates_in_place(imported, now, tmp_path):
    import shutil

    _, lc = imported
    changed = tmp_path / "course"
    shutil.copytree(FULL, changed)
    (changed / "problem" / "p1.xml").write_text((FULL / "problem" / "p1.xml").read_text().replace("Pick one", "Pick!"))
    (changed / "about" / "short_description.html").unlink()
    before = version(lc, "problem", "p1").version_num
    result = import_olx(changed, KEY, publish=True, created=now)
    assert result.updated >= 1 and result.published and result.deleted == 1
    assert version(lc, "about", "short_description") is None  # soft-deleted
    assert version(lc, "about", "short_description", published=True) is None
    assert version(lc, "problem", "p1", published=True).version_num == before + 1
    assert "Pick!" in fields(lc, "problem", "p1", published=True).content["data"]


def test_no_publish_leaves_everything_draft(now):
    result = import_olx(FULL, KEY, publish=False, created=now)
    assert not result.published
    lc = course(KEY)
    assert PublishLog.objects.filter(learning_package_id=lc.learning_package_id).count() == 0
    assert ("vertical", "draft_unit") in entity_children(lc, "sequential", "seq1")


def test_tar_gz_and_command(tmp_path, now):
    archive = tmp_path / "course.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(FULL, arcname="course")
    out, err = io.StringIO(), io.StringIO()
    call_command("lc_import_olx", str(archive), "--course-key", KEY, "--publish", stdout=out, stderr=err, verbosity=2)
    assert "Imported course-v1:Fix+F101+run" in out.getvalue()
    assert "blocks:" in err.getvalue()  # progress
    assert course(KEY).blocks.count() == 35  # 28 outline + 2 draft-only + 5 detached


def test_fallback_ids_are_stable():
    first = {n.key for n in read_course_dir(FULL).blocks()}
    assert first == {n.key for n in read_course_dir(FULL).blocks()}


def test_draft_edit_of_a_published_block(now, tmp_path):
    """A draft root that is a published block replaces it in the draft only; nested draft roots are read once."""
    import shutil

    edited = tmp_path / "course"
    shutil.copytree(FULL, edited)
    (edited / "drafts" / "vertical" / "secret").mkdir(parents=True)
    (edited / "drafts" / "vertical" / "secret" / "magic.xml").write_text(
        '<vertical display_name="Colon Unit (draft)" index_in_children_list="0" '
        'parent_url="block-v1:Fix+F101+run+type@sequential+block@seq_inline">'
        '<html url_name="colon_html">Edited in draft.</html><html url_name="colon_new">New in draft.</html>'
        "</vertical>"
    )
    (edited / "drafts" / "html" / "colon_new.xml").write_text(
        '<html parent_url="block-v1:Fix+F101+run+type@vertical+block@secret:magic" index_in_children_list="1">'
        "New in draft.</html>"
    )
    import_olx(edited, KEY, publish=True, created=now)
    lc = course(KEY)
    assert entity_children(lc, "sequential", "seq_inline") == [("vertical", "secret:magic")]
    assert entity_children(lc, "vertical", "secret:magic") == [("html", "colon_html"), ("html", "colon_new")]
    assert entity_children(lc, "vertical", "secret:magic", published=True) == [("html", "colon_html")]
    assert fields(lc, "html", "colon_html").content["data"] == "Edited in draft."
    assert fields(lc, "html", "colon_html", published=True).content["data"] == "A unit whose url_name has a colon."
    assert version(lc, "vertical", "secret:magic").title == "Colon Unit (draft)"
    assert version(lc, "vertical", "secret:magic", published=True).title == "Colon Unit"
    again = import_olx(edited, KEY, publish=True, created=now)
    assert (again.created, again.updated, again.published) == (0, 0, False)
