"""One formatter for differences (issue 15 finding 6): presence in words, assets per asset, long values shortened."""
from __future__ import annotations

from types import SimpleNamespace

from opaque_keys.edx.keys import CourseKey

from lc_modulestore.rollout.differences import asset_differences, describe, render_differences, shorten
from shim.api import Difference

COURSE = CourseKey.from_string("course-v1:Org+D+R")


def _asset(name: str, **fields):
    return SimpleNamespace(asset_id=COURSE.make_asset_key("asset", name), contenttype="image/png", pathname=None,
                           internal_name=name, locked=False, thumbnail=None, fields=fields)


def test_a_course_on_one_side_reads_as_words_not_booleans():
    text = describe(Difference(str(COURSE), "(course)", False, True))
    assert text == f"{COURSE} course: in Learning Core only, missing from Mongo"
    assert "False" not in text


def test_assets_differ_per_asset_and_per_attribute_not_as_one_blob():
    big = "x" * 80_000
    mongo = [_asset("a.png", note=big), _asset("b.png"), _asset("gone.png")]
    lc = [_asset("a.png", note=big + "!"), _asset("b.png")]
    diffs = asset_differences(str(COURSE), "(assets on published-branch)", mongo, lc)
    assert [(d.location.split("@")[-1], d.field) for d in diffs] == [("a.png", "fields"), ("gone.png", "(asset)")]
    text = render_differences(diffs)
    assert len(text) < 1000 and "(80," in text and "gone.png asset: in Mongo only" in text


def test_shorten_names_the_full_length():
    assert shorten("abc") == "abc"
    assert shorten("y" * 500, 50).endswith("… (500 chars)") and len(shorten("y" * 500, 50)) < 60
