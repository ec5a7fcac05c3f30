"""
Hand-built split documents in the exact on-disk format (split-modulestore reference §1).

:class:`SplitCourseDocs` keeps a working copy of a course's blocks; each
:meth:`~SplitCourseDocs.commit` to a branch writes a new structure (a new
``_id``, ``previous_version`` chained per branch) and moves the index head,
as split's versioning does. Content goes to definitions (a new definition
whenever it changes), settings and children to the structure's ``fields``.
"""
from __future__ import annotations

import copy
import datetime
from typing import Any

from bson import ObjectId

UTC = datetime.timezone.utc
EDITED_ON = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
USER = 3
DRAFT = "draft-branch"
PUBLISHED = "published-branch"


def definition_doc(block_type: str, fields: dict[str, Any], *, _id: ObjectId | None = None) -> dict[str, Any]:
    """A ``definitions`` document."""
    first = ObjectId()
    return {
        "_id": _id or ObjectId(),
        "block_type": block_type,
        "schema_version": 1,
        "fields": fields,
        "edit_info": {
            "edited_by": USER,
            "edited_on": EDITED_ON,
            "previous_version": first,
            "original_version": first,
        },
    }


def asset_storable(filename: str, *, contenttype: str = "image/png", locked: bool = False) -> dict[str, Any]:
    """One ``AssetMetadata.to_storable()`` entry for a structure's ``assets``."""
    return {
        "filename": filename,
        "asset_type": "asset",
        "pathname": None,
        "internal_name": f"/c4x/edX/DemoX/asset/{filename}",
        "locked": locked,
        "contenttype": contenttype,
        "thumbnail": None,
        "fields": {"alt": f"{filename} alt text"},
        "edit_info": {
            "curr_version": "v2",
            "prev_version": "v1",
            "created_by": USER,
            "created_by_email": "staff@example.com",
            "created_on": EDITED_ON,
            "edited_by": USER,
            "edited_by_email": "staff@example.com",
            "edited_on": EDITED_ON,
        },
    }


class SplitCourseDocs:
    """The course index, structures and definitions of one split course, built block by block."""

    def __init__(self, org: str = "edX", course: str = "DemoX", run: str = "2024") -> None:
        self.org, self.course, self.run = org, course, run
        self.index: dict[str, Any] = {
            "_id": ObjectId(),
            "org": org,
            "course": course,
            "run": run,
            "edited_by": USER,
            "edited_on": EDITED_ON,
            "last_update": EDITED_ON,
            "schema_version": 1,
            "versions": {},
            "search_targets": {"wiki_slug": f"{org}.{course}.{run}"},
        }
        self.structures: list[dict[str, Any]] = []
        self.definitions: dict[ObjectId, dict[str, Any]] = {}
        self.root: list[str] = ["course", "course"]
        self.assets: dict[str, list[dict[str, Any]]] = {}
        # (type, id) -> {"definition": ObjectId, "fields": {...}, "content": {...}}
        self._blocks: dict[tuple[str, str], dict[str, Any]] = {}

    @property
    def course_key(self) -> str:
        return f"course-v1:{self.org}+{self.course}+{self.run}"

    def set_block(
        self,
        block_type: str,
        block_id: str,
        *,
        settings: dict[str, Any] | None = None,
        content: dict[str, Any] | None = None,
        children: list[tuple[str, str]] | None = None,
    ) -> tuple[str, str]:
        """Create or replace a block in the working copy. Returns its (type, id)."""
        key = (block_type, block_id)
        content = content or {}
        current = self._blocks.get(key)
        if current is None or current["content"] != content:
            definition = definition_doc(block_type, copy.deepcopy(content))
            self.definitions[definition["_id"]] = definition
            definition_id = definition["_id"]
        else:
            definition_id = current["definition"]
        fields = dict(settings or {})
        if children is not None:
            fields["children"] = [list(child) for child in children]
        self._blocks[key] = {"definition": definition_id, "fields": fields, "content": content}
        return key

    def remove_block(self, block_type: str, block_id: str) -> None:
        del self._blocks[(block_type, block_id)]

    def commit(self, branch: str, *, source_version: ObjectId | None = None) -> dict[str, Any]:
        """Write the working copy as a new structure of ``branch`` and make it the branch head."""
        previous = self.index["versions"].get(branch)
        structure_id = ObjectId()
        original = self.structures[0]["_id"] if self.structures else structure_id
        blocks = []
        for (block_type, block_id), block in self._blocks.items():
            blocks.append(
                {
                    "block_type": block_type,
                    "block_id": block_id,
                    "definition": block["definition"],
                    "fields": copy.deepcopy(block["fields"]),
                    "defaults": {},
                    "asides": [],
                    "edit_info": {
                        "edited_on": EDITED_ON,
                        "edited_by": USER,
                        "update_version": structure_id,
                        "previous_version": previous,
                        "source_version": source_version,
                        "original_usage": None,
                        "original_usage_version": None,
                    },
                }
            )
        structure = {
            "_id": structure_id,
            "root": list(self.root),
            "schema_version": 1,
            "previous_version": previous,
            "original_version": original,
            "edited_by": USER,
            "edited_on": EDITED_ON,
            "blocks": blocks,
        }
        if self.assets:
            structure["assets"] = copy.deepcopy(self.assets)
        self.structures.append(structure)
        self.index["versions"][branch] = structure_id
        return structure

    def insert(self, database: Any, *, prefix: str = "modulestore", separator: str = ".") -> None:
        """Write every document into ``database`` (deep copies: the builder's documents stay untouched)."""
        database[f"{prefix}{separator}active_versions"].insert_one(copy.deepcopy(self.index))
        database[f"{prefix}{separator}structures"].insert_many(copy.deepcopy(self.structures))
        database[f"{prefix}{separator}definitions"].insert_many(copy.deepcopy(list(self.definitions.values())))


START = datetime.datetime(2024, 2, 1, tzinfo=UTC)
DUE = datetime.datetime(2024, 3, 1, 23, 59, tzinfo=UTC)
PROBLEM_XML = (
    '<problem><multiplechoiceresponse><choicegroup type="MultipleChoice">'
    '<choice correct="true">Yes</choice><choice correct="false">No</choice>'
    "</choicegroup></multiplechoiceresponse></problem>"
)


def demo_course(org: str = "edX", course: str = "DemoX", run: str = "2024") -> SplitCourseDocs:
    """
    A small split course: published head, plus a draft head with unpublished changes.

    Published outline::

        course/course
          chapter/c1 -> sequential/s1 -> vertical/v1 -> html/h1, problem/p1
                                      -> vertical/v2 -> video/vid1
          chapter/c2 -> sequential/s2 -> vertical/v3 -> html/h2
        about/overview, course_info/updates, static_tab/syllabus (detached)
        html/orphan (in the structure, nobody's child, not detached: dropped)

    Draft changes: h1's content edited, a new problem p2 added at the end of v1,
    c2's display name changed.
    """
    docs = SplitCourseDocs(org, course, run)
    docs.set_block("html", "h1", settings={"display_name": "Welcome"}, content={"data": "<p>Hello</p>"})
    docs.set_block(
        "problem",
        "p1",
        settings={"display_name": "Q1", "weight": 2.0, "max_attempts": 3, "markdown": "Yes or no?"},
        content={"data": PROBLEM_XML},
    )
    docs.set_block(
        "video",
        "vid1",
        settings={"display_name": "Intro video", "youtube_id_1_0": "dQw4w9WgXcQ", "download_track": True},
    )
    docs.set_block("html", "h2", settings={"display_name": "Reading"}, content={"data": "<p>Read this</p>"})
    docs.set_block("vertical", "v1", settings={"display_name": "Unit 1"}, children=[("html", "h1"), ("problem", "p1")])
    docs.set_block("vertical", "v2", settings={"display_name": "Unit 2"}, children=[("video", "vid1")])
    docs.set_block("vertical", "v3", settings={"display_name": "Unit 3"}, children=[("html", "h2")])
    docs.set_block(
        "sequential",
        "s1",
        settings={"display_name": "Lesson 1", "graded": True, "format": "Homework", "due": DUE},
        children=[("vertical", "v1"), ("vertical", "v2")],
    )
    docs.set_block("sequential", "s2", settings={"display_name": "Lesson 2"}, children=[("vertical", "v3")])
    docs.set_block(
        "chapter", "c1", settings={"display_name": "Week 1", "start": START}, children=[("sequential", "s1")]
    )
    docs.set_block("chapter", "c2", settings={"display_name": "Week 2"}, children=[("sequential", "s2")])
    docs.set_block(
        "course",
        "course",
        settings={"display_name": "Demo Course", "start": START, "tabs": [{"type": "courseware"}]},
        content={"wiki_slug": f"{org}.{course}.{run}", "license": "all-rights-reserved"},
        children=[("chapter", "c1"), ("chapter", "c2")],
    )
    docs.set_block("about", "overview", content={"data": "<section>About this course</section>"})
    docs.set_block("course_info", "updates", content={"data": "<ol></ol>", "items": []})
    docs.set_block("static_tab", "syllabus", settings={"display_name": "Syllabus"}, content={"data": "<p>Plan</p>"})
    docs.set_block("html", "orphan", settings={"display_name": "Orphan"}, content={"data": "<p>lost</p>"})
    docs.assets = {
        "asset": [
            asset_storable("images_logo.png"),
            asset_storable("handout.pdf", contenttype="application/pdf", locked=True),
        ]
    }

    draft = docs.commit(DRAFT)
    docs.commit(PUBLISHED, source_version=draft["_id"])

    docs.set_block("html", "h1", settings={"display_name": "Welcome"}, content={"data": "<p>Hello, edited</p>"})
    docs.set_block("problem", "p2", settings={"display_name": "Q2 (draft only)"}, content={"data": PROBLEM_XML})
    docs.set_block(
        "vertical",
        "v1",
        settings={"display_name": "Unit 1"},
        children=[("html", "h1"), ("problem", "p1"), ("problem", "p2")],
    )
    docs.set_block("chapter", "c2", settings={"display_name": "Week 2 (renamed)"}, children=[("sequential", "s2")])
    docs.commit(DRAFT)
    return docs
