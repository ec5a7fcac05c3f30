"""Building small courses for compiler tests, through the authoring layer."""
from __future__ import annotations

import datetime
from typing import Any

from lc_modulestore.api import BlockData, BlockKey, CourseWriter, create_course, publish_course

K = BlockKey
T0 = datetime.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.timezone.utc)


def leaf(block_type: str, block_id: str, *, text: str = "", settings: dict[str, Any] | None = None) -> BlockData:
    return BlockData(
        K(block_type, block_id),
        title=block_id,
        settings={"display_name": block_id, **(settings or {})},
        content={"data": f"<{block_type}>{text or block_id}</{block_type}>"},
        olx=f"<{block_type} url_name='{block_id}'>{text}</{block_type}>",
    )


def container(block_type: str, block_id: str, children: list[BlockKey], *, settings=None) -> BlockData:
    return BlockData(
        K(block_type, block_id),
        title=block_id,
        settings={"display_name": block_id, **(settings or {})},
        children=list(children),
        is_container=True,
    )


def build_course(course_key: str = "course-v1:Org+C+R", *, sections: int = 1, subsections: int = 1, units: int = 1,
                 components: int = 2, created: datetime.datetime = T0, publish: bool = True, about: bool = False):
    """A course of the given shape (ids ``c0``, ``s0_0``, ``u0_0_0``, ``p0_0_0_0``); returns (course, writer)."""
    course = create_course(course_key, title="Course", created=created)
    writer = CourseWriter(course, created=created)
    chapter_keys = []
    for a in range(sections):
        seq_keys = []
        for b in range(subsections):
            unit_keys = []
            for c in range(units):
                comp_keys = []
                for d in range(components):
                    block = leaf("problem" if d % 2 else "html", f"p{a}_{b}_{c}_{d}")
                    writer.save_block(block)
                    comp_keys.append(block.key)
                writer.save_block(container("vertical", f"u{a}_{b}_{c}", comp_keys))
                unit_keys.append(K("vertical", f"u{a}_{b}_{c}"))
            writer.save_block(container("sequential", f"s{a}_{b}", unit_keys,
                                        settings={"due": created + datetime.timedelta(days=7)}))
            seq_keys.append(K("sequential", f"s{a}_{b}"))
        writer.save_block(container("chapter", f"c{a}", seq_keys))
        chapter_keys.append(K("chapter", f"c{a}"))
    writer.save_block(container("course", "course", chapter_keys, settings={"start": created}))
    if about:
        writer.save_block(BlockData(K("about", "overview"), title="Overview", content={"data": "<p>About</p>"},
                                    olx="<about/>"))
    if publish:
        publish_course(course, published_at=created)
    return course, writer
