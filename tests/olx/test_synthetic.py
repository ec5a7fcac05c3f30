"""The synthetic course generator (pure) and builder (through CourseWriter)."""
from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from openedx_content.models_api import DraftChangeLog, PublishLog

from lc_modulestore.api import BlockKey
from lc_modulestore.importing.synthetic import (
    COURSE_ROOT,
    build_synthetic_course,
    generate_course_blocks,
    write_course_olx,
)
from lc_modulestore.models import BlockFieldData, CourseBlock, LearningCoreCourse
from tests.factories import SyntheticCourseFactory


def test_generate_is_deterministic_children_first_and_sized():
    blocks = generate_course_blocks(sections=2, subsections=3, units=2, components=4, seed=7)
    assert blocks == generate_course_blocks(sections=2, subsections=3, units=2, components=4, seed=7)
    assert len(blocks) == 1 + 2 + 2 * 3 + 2 * 3 * 2 + 2 * 3 * 2 * 4
    assert blocks[-1].key == COURSE_ROOT
    seen: set[BlockKey] = set()
    for block in blocks:
        assert all(child in seen for child in block.children), block.key
        seen.add(block.key)
    assert len(seen) == len(blocks)
    leaf_types = {b.key.type for b in blocks if not b.is_container}
    assert leaf_types == {"html", "problem", "video"}
    assert all(b.olx for b in blocks if not b.is_container)
    other_seed = generate_course_blocks(sections=2, subsections=3, units=2, components=4, seed=8)
    assert [b.key for b in other_seed] != [b.key for b in blocks]


def test_settings_are_split_storable_and_optional():
    blocks = generate_course_blocks(sections=3, subsections=4, units=1, components=1, seed=1)
    graded = [b for b in blocks if b.settings.get("graded")]
    assert graded and all(isinstance(b.settings["due"], datetime.datetime) for b in graded)
    assert all(b.settings["due"].tzinfo is not None for b in graded)
    assert "grading_policy" in blocks[-1].settings
    bare = generate_course_blocks(sections=3, subsections=4, units=1, components=1, seed=1, with_settings=False)
    assert all(set(b.settings) <= {"display_name", "youtube_id_1_0"} for b in bare)
    assert all(b.settings["display_name"] == b.title for b in bare)


def test_empty_and_negative_shapes():
    assert [b.key for b in generate_course_blocks(sections=0, subsections=1, units=1, components=1)] == [COURSE_ROOT]
    with pytest.raises(ValueError, match="units"):
        generate_course_blocks(sections=1, subsections=1, units=-1, components=1)


@pytest.mark.django_db
def test_build_writes_one_draft_change_log_and_one_publish(now):
    before_logs = DraftChangeLog.objects.count()
    course = build_synthetic_course(
        "course-v1:Synth+B+1", sections=2, subsections=2, units=2, components=2, seed=3, created=now
    )
    blocks = generate_course_blocks(sections=2, subsections=2, units=2, components=2, seed=3)
    assert CourseBlock.objects.filter(course=course).count() == len(blocks)
    assert DraftChangeLog.objects.count() == before_logs + 1
    assert PublishLog.objects.filter(learning_package_id=course.learning_package_id).count() == 1
    assert course.root is not None
    root_fields = BlockFieldData.objects.get(entity_version__entity_id=course.root_id)
    assert root_fields.children == [list(k) for k in blocks[-1].children]
    assert root_fields.settings == blocks[-1].settings


@pytest.mark.django_db
def test_factory_and_command(now):
    course = SyntheticCourseFactory(sections=1, subsections=1, units=1, components=2, publish=False)
    assert isinstance(course, LearningCoreCourse)
    assert PublishLog.objects.filter(learning_package_id=course.learning_package_id).count() == 0
    call_command("lc_generate_course", "course-v1:Synth+Cmd+1", "--shape", "1x1x2x2", "--publish", verbosity=0)
    made = LearningCoreCourse.objects.get(course="Cmd")
    assert made.blocks.count() == 1 + 1 + 1 + 2 + 4


def test_write_course_olx(tmp_path):
    blocks = generate_course_blocks(sections=1, subsections=2, units=1, components=2, seed=0)
    out = write_course_olx(blocks, tmp_path / "olx")
    assert (out / "course.xml").exists()
    assert (out / "course" / "run.xml").exists()
    assert (out / "policies" / "run" / "grading_policy.json").exists()
    for block in blocks[:-1]:
        assert (out / block.key.type / f"{block.key.id}.xml").exists()


@pytest.mark.django_db
def test_synthetic_olx_round_trips_through_the_importer(tmp_path, now):
    from lc_modulestore.importing.olx.api import import_olx

    blocks = generate_course_blocks(sections=2, subsections=2, units=1, components=3, seed=5)
    import_olx(write_course_olx(blocks, tmp_path / "olx"), "course-v1:Synthetic+S101+run", publish=True, created=now)
    course = LearningCoreCourse.objects.get(course="S101")
    for block in blocks:
        stored = BlockFieldData.objects.get(
            entity_version__draft__isnull=False,
            entity_version__entity__course_block__course=course,
            entity_version__entity__course_block__block_type=block.key.type,
            entity_version__entity__course_block__block_id=block.key.id,
        )
        assert [tuple(c) for c in stored.children] == [tuple(c) for c in block.children]
        for name in ("display_name", "due", "graded", "format", "start", "grading_policy", "weight", "max_attempts"):
            assert stored.settings.get(name) == block.settings.get(name), (block.key, name)
