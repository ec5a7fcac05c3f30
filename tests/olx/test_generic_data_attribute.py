"""
A block type with no installed class that keeps its content in a ``data`` attribute (drag-and-drop-v2 does).

Found by the demo course read-back (tests/shim/test_demo_course_matches_olx.py): the
attribute was replaced by the leaf's empty inner XML.
"""
from __future__ import annotations

import pytest

from lc_modulestore.importing.olx.api import import_olx
from tests.olx.helpers import course, fields

pytestmark = pytest.mark.django_db
KEY = "course-v1:Gen+D1+run"


def _course(tmp_path, unit_xml: str):
    (tmp_path / "course").mkdir()
    (tmp_path / "course.xml").write_text('<course url_name="r" org="Gen" course="D1"/>')
    (tmp_path / "course" / "r.xml").write_text(
        f'<course display_name="C"><chapter url_name="c"><sequential url_name="s">{unit_xml}'
        "</sequential></chapter></course>"
    )
    return tmp_path


def test_a_data_attribute_without_inner_xml_is_the_content(tmp_path, now):
    unit = ('<vertical url_name="v"><dnd_like url_name="d" data="{&quot;items&quot;: [1, 2]}" mode="standard"/>'
            "</vertical>")
    import_olx(_course(tmp_path, unit), KEY, created=now)
    stored = fields(course(KEY), "dnd_like", "d")
    assert stored.content["data"] == '{"items": [1, 2]}'
    assert stored.settings == {"mode": "standard"}


def test_inner_xml_wins_and_the_attribute_is_kept_verbatim(tmp_path, now):
    unit = '<vertical url_name="v"><dnd_like url_name="d" data="attr">inner <b>xml</b></dnd_like></vertical>'
    import_olx(_course(tmp_path, unit), KEY, created=now)
    stored = fields(course(KEY), "dnd_like", "d")
    assert stored.content["data"] == "inner <b>xml</b>"
    assert stored.settings["xml_attributes"] == {"data": "attr"}


def test_a_leaf_with_neither_gets_empty_data(tmp_path, now):
    unit = '<vertical url_name="v"><dnd_like url_name="d" mode="m"/></vertical>'
    import_olx(_course(tmp_path, unit), KEY, created=now)
    assert fields(course(KEY), "dnd_like", "d").content == {"data": ""}
