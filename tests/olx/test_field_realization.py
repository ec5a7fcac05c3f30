"""
Field values realized by edx-platform's XML import rules (issue 16 item 1, ADR 0022).

The named bug: a 2014 Studio export failed as a whole with ``html/html_07d547513285
cannot be parsed by HtmlBlockWithMixins: Cannot convert '2013-02-05T00:00:00Z' to json``.
``HtmlBlock.parse_xml`` keeps a ``start``/``due`` attribute as the text it read
(plain, or the JSON string of a JSON-quoted one) and ``storable_value`` cannot
convert text for a Date field. edx-platform reads it through ``Date.from_json``.
"""
from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import call_command

from lc_modulestore.importing.olx.api import import_olx
from tests.olx.helpers import course, fields, row_counts

pytestmark = pytest.mark.django_db
KEY = "course-v1:Real+R1+run"
UTC = datetime.timezone.utc
START = datetime.datetime(2013, 2, 5, tzinfo=UTC)
DUE = datetime.datetime(2013, 3, 1, 23, 30, tzinfo=UTC)


def _course(tmp_path, unit_xml: str, *, policy: dict | None = None):
    (tmp_path / "course").mkdir()
    (tmp_path / "course.xml").write_text('<course url_name="r" org="Real" course="R1"/>')
    (tmp_path / "course" / "r.xml").write_text(
        f'<course display_name="C"><chapter url_name="c"><sequential url_name="s"><vertical url_name="v">{unit_xml}'
        "</vertical></sequential></chapter></course>"
    )
    if policy is not None:
        (tmp_path / "policies" / "r").mkdir(parents=True)
        (tmp_path / "policies" / "r" / "policy.json").write_text(json.dumps(policy))
    return tmp_path


@pytest.mark.parametrize("branch", ["draft", "published"])
def test_html_with_start_and_due_imports_in_both_spellings(tmp_path, now, branch):
    unit = (
        '<html url_name="plain" start="2013-02-05T00:00:00Z" due="2013-03-01T23:30:00Z"><![CDATA[<p>a</p>]]></html>'
        '<html url_name="quoted" start="&quot;2013-02-05T00:00:00Z&quot;" due="&quot;2013-03-01T23:30:00Z&quot;">'
        "<![CDATA[<p>b</p>]]></html>"
    )
    result = import_olx(_course(tmp_path, unit), KEY, publish=True, created=now)
    assert result.warnings == []
    lc = course(KEY)
    for block_id in ("plain", "quoted"):
        settings = fields(lc, "html", block_id, published=branch == "published").settings
        assert (settings["start"], settings["due"]) == (START, DUE), block_id
        assert "start" not in settings.get("xml_attributes", {})


def test_dates_in_policy_go_through_the_same_rules(tmp_path, now):
    policy = {"html/h": {"start": "2013-02-05T00:00:00Z", "due": "2013-03-01T23:30:00+00:00"},
              "vertical/v": {"start": "2013-02-05T00:00:00Z"}}
    result = import_olx(_course(tmp_path, '<html url_name="h">x</html>', policy=policy), KEY, created=now)
    assert result.warnings == []
    lc = course(KEY)
    assert (fields(lc, "html", "h").settings["start"], fields(lc, "html", "h").settings["due"]) == (START, DUE)
    assert fields(lc, "vertical", "v").settings["start"] == START


def test_an_unconvertible_value_imports_with_a_warning_naming_it(tmp_path, now, capsys):
    unit = ('<html url_name="h" start="the spring term" max_attempts="3"><![CDATA[<p>a</p>]]></html>'
            '<problem url_name="p" due="soon"><p/></problem><video url_name="vid" start_time="nonsense"/>')
    policy = {"vertical/v": {"due": "whenever"}, "html/h": {"weight": "heavy"}}
    result = import_olx(_course(tmp_path, unit, policy=policy), KEY, created=now)

    lc = course(KEY)
    html = fields(lc, "html", "h").settings
    assert html["xml_attributes"]["start"] == "the spring term" and "start" not in html
    assert html["xml_attributes"]["weight"] == "heavy" and "weight" not in html
    assert html["max_attempts"] == 3  # the rest of the block is realized as usual
    assert fields(lc, "problem", "p").settings["xml_attributes"]["due"] == "soon"
    assert fields(lc, "vertical", "v").settings["xml_attributes"]["due"] == "whenever"
    assert fields(lc, "html", "h").content["data"] == "<p>a</p>"
    assert fields(lc, "video", "vid").settings["xml_attributes"]["start_time"] == "nonsense"
    warnings = "\n".join(result.warnings)
    assert len(result.warnings) == 5, warnings
    assert "video/vid field 'start_time': 'nonsense'" in warnings
    assert "course/r.xml, line 1: html/h field 'start': 'the spring term' kept as written" in warnings
    assert "html/h field 'weight': 'heavy'" in warnings
    assert "problem/p field 'due': 'soon'" in warnings
    assert "vertical/v field 'due': 'whenever'" in warnings

    call_command("lc_import_olx", str(tmp_path), course_key=KEY, verbosity=0)
    assert "warning: course/r.xml, line 1: html/h field 'start'" in capsys.readouterr().err


def test_a_block_its_class_refuses_is_kept_as_an_error_block(tmp_path, now):
    # PollBlock.parse_xml refuses a poll without answers (edx-platform's does too, at import).
    unit = '<html url_name="h">fine</html><poll_question url_name="bad" question="Q?"/>'
    result = import_olx(_course(tmp_path, unit), KEY, publish=True, created=now)

    lc = course(KEY)
    vertical = fields(lc, "vertical", "v", published=True)
    assert [tuple(c) for c in vertical.children] == [("html", "h"), ("error", "bad")]
    error = fields(lc, "error", "bad", published=True)
    assert 'question="Q?"' in error.content["contents"]
    assert "course/r.xml: poll_question/bad cannot be parsed by" in error.content["error_msg"]
    assert fields(lc, "html", "h").content["data"] == "fine"
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith(
        "course/r.xml, line 1: poll_question/bad kept as an error block: PollBlockWithMixins refuses it: "
    )
    before = row_counts()
    again = import_olx(tmp_path, KEY, publish=True, created=now)
    assert (again.created, again.updated, again.published) == (0, 0, False)
    assert row_counts() == before
