"""The block-type → XBlock class registry."""
import datetime

import pytest
from xblock.fields import Date, Dict

from lc_modulestore.core.blocks import (
    INHERITABLE_FIELD_NAMES,
    GenericBlock,
    is_known_block_type,
    load_block_class,
    storable_value,
)


@pytest.mark.parametrize("block_type,class_name", [
    ("html", "HtmlBlock"), ("problem", "ProblemBlock"), ("video", "VideoBlock"),
    ("course", "CourseBlock"), ("sequential", "SequenceBlock"), ("course_info", "CourseInfoBlock"),
])
def test_known_types_get_real_classes_with_open_edx_mixins(block_type, class_name):
    cls = load_block_class(block_type)
    assert class_name in [base.__name__ for base in cls.__mro__]
    assert is_known_block_type(block_type)
    assert {"due", "start", "graded", "display_name"} <= set(cls.fields)


def test_unknown_type_falls_back_to_generic_block_that_keeps_data():
    cls = load_block_class("no_such_block_type_here")
    assert issubclass(cls, GenericBlock)
    assert not is_known_block_type("no_such_block_type_here")
    assert "data" in cls.fields and cls.has_children


def test_inheritable_fields_match_split_and_exclude_format():
    assert {"start", "due", "graded", "visible_to_staff_only", "group_access", "showanswer", "max_attempts"} \
        <= INHERITABLE_FIELD_NAMES
    assert "format" not in INHERITABLE_FIELD_NAMES


def test_storable_value_keeps_datetimes_and_serializes_the_rest():
    when = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    assert storable_value(Date(), when) is when
    assert storable_value(Dict(), {"a": 1}) == {"a": 1}
