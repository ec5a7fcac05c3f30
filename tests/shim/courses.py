"""Course shapes the shim and conformance tests read (hand-built split documents)."""
from __future__ import annotations

import datetime

from bson import ObjectId

from tests.shim.documents import Block, build_course, children

UTC = datetime.timezone.utc
START = datetime.datetime(2013, 2, 14, 5, 0, tzinfo=UTC)
DUE = datetime.datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
GREEK = "course-v1:testx+GreekHero+run"


def greek_hero_blocks(*, draft: bool) -> list[Block]:
    """
    A GreekHero-like outline (split's test course, in our own words): root ``head12345``, 4 chapters,
    3 problems; 8 blocks. ``chap`` is an orphan chapter that also lists ``problem1``, so problem1 has two
    parents and only ``chapter1`` reaches the root. ``problem32`` sits under chapter2 and chapter3.
    The draft branch adds a changed display name on chapter3 (see has_changes tests).
    """
    return [
        Block("course", "head12345", fields={
            "display_name": "The Ancient Greek Hero", "start": START,
            "children": children(("chapter", "chapter1"), ("chapter", "chapter2"), ("chapter", "chapter3")),
            "tabs": [{"type": "courseware"}, {"type": "course_info", "name": "Course Info"}],
        }, content={"wiki_slug": None}),
        Block("chapter", "chapter1", fields={
            "display_name": "Hercules", "children": children(("problem", "problem1"), ("problem", "problem3_2")),
            "graded": True,
        }),
        Block("chapter", "chapter2", fields={
            "display_name": "Hera heckles Hercules", "children": children(("problem", "problem32")),
        }),
        Block("chapter", "chapter3", fields={
            "display_name": "Hera cuckolds Zeus" + (" (draft)" if draft else ""),
            "children": children(("problem", "problem32")),
        }, edit_info={"update_version": ObjectId()} if draft else {}),
        Block("chapter", "chap", fields={
            "display_name": "Athena", "children": children(("problem", "problem1")),
        }),
        Block("problem", "problem1", fields={"display_name": "Problem 1", "max_attempts": 3, "weight": 2.0},
              content={"data": "<problem><p>What is 1+1?</p></problem>"}),
        Block("problem", "problem3_2", fields={
            "display_name": "Problem 3.2", "group_access": {"50": [1]}, "showanswer": "never",
        }, content={"data": "<problem>p32</problem>"}),
        Block("problem", "problem32", fields={"display_name": "Problem 32", "markdown": "Q: Hera?"},
              content={"data": "<problem>Hera</problem>"}),
    ]


def build_greek_hero(course_key: str = GREEK, **kwargs):
    """GreekHero with both branches: published and draft hold the same 8 blocks (draft changed chapter3)."""
    return build_course(
        course_key, greek_hero_blocks(draft=False), greek_hero_blocks(draft=True), root=("course", "head12345"),
        **kwargs,
    )


def tree_blocks(due=DUE) -> list[Block]:
    """
    A small course with the LMS's usual shape plus a detached about block and an orphan.

    course → chapter c1 → sequential s1 (due, format) → vertical v1 → html h1, problem p1.
    """
    return [
        Block("course", "course", fields={
            "display_name": "Tree", "start": START,
            "children": children(("chapter", "c1")),
        }, content={"wiki_slug": "tree-wiki", "license": "all-rights-reserved"}),
        Block("chapter", "c1", fields={"display_name": "Week 1", "children": children(("sequential", "s1"))}),
        Block("sequential", "s1", fields={
            "display_name": "Homework", "due": due, "format": "Homework", "graded": True,
            "children": children(("vertical", "v1")),
        }),
        Block("vertical", "v1", fields={
            "display_name": "Unit", "children": children(("html", "h1"), ("problem", "p1")),
        }),
        Block("html", "h1", fields={"display_name": "Intro"},
              content={"data": '<p>Welcome to %%COURSE_ID%% <img src="/static/images/a.png"/></p>'}),
        Block("problem", "p1", fields={"display_name": "Capital", "weight": 1.0, "max_attempts": 2}, content={
            "data": (
                "<problem><multiplechoiceresponse><p>Capital of France?</p>"
                '<choicegroup type="MultipleChoice">'
                '<choice correct="false">Lyon</choice><choice correct="true">Paris</choice>'
                "</choicegroup></multiplechoiceresponse></problem>"
            ),
        }),
        Block("about", "overview", content={"data": "<p>About this course</p>"}),
        Block("html", "orphan_html", fields={"display_name": "Lost"}, content={"data": "<p>lost</p>"}),
    ]


def build_tree(course_key: str = "course-v1:Org+Tree+Run", **kwargs):
    blocks = tree_blocks()
    return build_course(course_key, blocks, blocks, **kwargs)
