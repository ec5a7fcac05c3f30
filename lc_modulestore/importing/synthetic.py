"""
Synthetic courses of any size, for tests and benchmarks.

A course is ``sections × subsections × units × components``: chapters of
sequentials of verticals of leaves, the leaves a deterministic (by ``seed``)
mix of ``html``, ``problem`` and ``video`` blocks. Two entry points:

* :func:`generate_course_blocks` is pure (no database): it returns the
  :class:`~lc_modulestore.api.BlockData` of every block in save order, children
  before parents, the course root (``course/course``) last.
* :func:`build_synthetic_course` writes those blocks into Learning Core through
  :class:`~lc_modulestore.api.CourseWriter`, in one transaction and one
  ``bulk_draft_changes_for``, and optionally publishes them.

Field values are split's storable form: settings such as ``due`` and ``start``
are timezone-aware ``datetime``s, everything else plain JSON.

``python -m lc_modulestore.importing.synthetic --out DIR --shape 2x3x2x4`` writes the same
course as an OLX directory (importable with ``manage.py lc_import_olx``).
"""
from __future__ import annotations

import argparse
import datetime
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import quoteattr

from lc_modulestore.core.api import BlockKey

if TYPE_CHECKING:
    from lc_modulestore.api import BlockData
    from lc_modulestore.models_api import LearningCoreCourse

__all__ = [
    "COURSE_ROOT",
    "LEAF_TYPES",
    "build_synthetic_course",
    "generate_course_blocks",
    "parse_shape",
    "write_course_olx",
]

COURSE_ROOT = BlockKey("course", "course")
#: Leaf block types and their relative frequency.
LEAF_TYPES: tuple[tuple[str, int], ...] = (("html", 5), ("problem", 3), ("video", 2))
_FORMATS = ("Homework", "Lab", "Exam")
_EPOCH = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
_YOUTUBE_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
_WORDS = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november oscar papa "
    "quebec romeo sierra tango uniform victor whiskey xray yankee zulu"
).split()


def _blockdata_cls():
    # Imported lazily: lc_modulestore.api imports Django models, and the generator also runs as
    # ``python -m`` (the OLX writer) before Django is set up. Importing it needs configured settings.
    from lc_modulestore.api import BlockData

    return BlockData


def _grading_policy() -> dict[str, Any]:
    return {
        "GRADER": [
            {"type": fmt, "short_label": fmt[:2], "min_count": 1, "drop_count": 0, "weight": round(1 / 3, 4)}
            for fmt in _FORMATS
        ],
        "GRADE_CUTOFFS": {"Pass": 0.5},
    }


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n))


def _leaf(block_type: str, block_id: str, title: str, rng: random.Random, with_settings: bool):
    """(settings, content, olx) of one leaf."""
    settings: dict[str, Any] = {"display_name": title}
    content: dict[str, Any] = {}
    if block_type == "html":
        data = f"<p>{_sentence(rng, 12)}</p>"
        content["data"] = data
        olx = f"<html display_name={quoteattr(title)}><![CDATA[{data}]]></html>"
    elif block_type == "problem":
        answer = rng.randrange(3)
        choices = "".join(
            f'<choice correct="{"true" if i == answer else "false"}">{_sentence(rng, 3)}</choice>' for i in range(3)
        )
        data = (
            f"<problem><multiplechoiceresponse><label>{_sentence(rng, 6)}?</label>"
            f'<choicegroup type="MultipleChoice">{choices}</choicegroup></multiplechoiceresponse></problem>'
        )
        content["data"] = data
        attrs = f"display_name={quoteattr(title)}"
        if with_settings:
            settings["weight"] = float(rng.choice((1, 2, 5)))
            settings["max_attempts"] = rng.choice((1, 2, 3))
            attrs += f' weight="{settings["weight"]}" max_attempts="{settings["max_attempts"]}"'
        olx = f"<problem {attrs}>{data[len('<problem>'):-len('</problem>')]}</problem>"
    elif block_type == "video":
        youtube = "".join(rng.choice(_YOUTUBE_CHARS) for _ in range(11))
        settings["youtube_id_1_0"] = youtube
        olx = f'<video display_name={quoteattr(title)} youtube="1.00:{youtube}" youtube_id_1_0="{youtube}"/>'
    else:  # pragma: no cover - LEAF_TYPES is closed
        raise ValueError(block_type)
    return settings, content, olx


def _iter_blocks(
    *, sections: int, subsections: int, units: int, components: int, seed: int, with_settings: bool
) -> Iterator[BlockData]:
    BlockData = _blockdata_cls()
    rng = random.Random(seed)
    types = [t for t, _ in LEAF_TYPES]
    weights = [w for _, w in LEAF_TYPES]
    chapter_keys: list[BlockKey] = []
    for s in range(sections):
        sequential_keys: list[BlockKey] = []
        for ss in range(subsections):
            vertical_keys: list[BlockKey] = []
            for u in range(units):
                leaf_keys: list[BlockKey] = []
                for c in range(components):
                    block_type = rng.choices(types, weights)[0]
                    key = BlockKey(block_type, f"{block_type}_{s}_{ss}_{u}_{c}")
                    title = f"{block_type.capitalize()} {s + 1}.{ss + 1}.{u + 1}.{c + 1}"
                    settings, content, olx = _leaf(block_type, key.id, title, rng, with_settings)
                    yield BlockData(key, title=title, settings=settings, content=content, olx=olx)
                    leaf_keys.append(key)
                key = BlockKey("vertical", f"unit_{s}_{ss}_{u}")
                title = f"Unit {s + 1}.{ss + 1}.{u + 1}"
                yield BlockData(
                    key, title=title, settings={"display_name": title}, children=tuple(leaf_keys), is_container=True
                )
                vertical_keys.append(key)
            key = BlockKey("sequential", f"subsection_{s}_{ss}")
            title = f"Subsection {s + 1}.{ss + 1}"
            settings: dict[str, Any] = {"display_name": title}
            if with_settings and rng.random() < 0.5:
                settings["graded"] = True
                settings["format"] = rng.choice(_FORMATS)
                settings["due"] = _EPOCH + datetime.timedelta(days=7 * (s * subsections + ss + 1))
            yield BlockData(key, title=title, settings=settings, children=tuple(vertical_keys), is_container=True)
            sequential_keys.append(key)
        key = BlockKey("chapter", f"section_{s}")
        title = f"Section {s + 1}"
        settings = {"display_name": title}
        if with_settings:
            settings["start"] = _EPOCH + datetime.timedelta(days=7 * s)
        yield BlockData(key, title=title, settings=settings, children=tuple(sequential_keys), is_container=True)
        chapter_keys.append(key)
    title = f"Synthetic course {sections}x{subsections}x{units}x{components} (seed {seed})"
    settings = {"display_name": title}
    if with_settings:
        settings["start"] = _EPOCH
        settings["grading_policy"] = _grading_policy()
    yield BlockData(COURSE_ROOT, title=title, settings=settings, children=tuple(chapter_keys), is_container=True)


def generate_course_blocks(
    *, sections: int, subsections: int, units: int, components: int, seed: int = 0, with_settings: bool = True
) -> list[BlockData]:
    """
    Every block of a synthetic course as ``BlockData``, children before parents, the root last.

    Deterministic: the same arguments always give equal lists. Block ids are
    readable and positional (``section_0``, ``subsection_0_1``, ``unit_0_1_2``,
    ``<type>_0_1_2_3``); the root is ``course/course``. With ``with_settings``,
    about half the subsections are graded (``graded``, ``format``, ``due``),
    chapters and the course get ``start``, the course a ``grading_policy`` and
    problems ``weight``/``max_attempts``; without it only ``display_name`` is set.
    Block count: ``1 + s + s·ss + s·ss·u + s·ss·u·c``.
    """
    for name, value in (("sections", sections), ("subsections", subsections), ("units", units),
                        ("components", components)):
        if value < 0:
            raise ValueError(f"{name} must be >= 0, not {value}")
    return list(
        _iter_blocks(
            sections=sections,
            subsections=subsections,
            units=units,
            components=components,
            seed=seed,
            with_settings=with_settings,
        )
    )


def build_synthetic_course(
    course_key: str,
    *,
    sections: int,
    subsections: int,
    units: int,
    components: int,
    seed: int = 0,
    created: datetime.datetime,
    publish: bool = True,
    with_settings: bool = True,
    created_by: int | None = None,
) -> LearningCoreCourse:
    """
    Create ``course_key`` in Learning Core with a synthetic outline; returns the ``LearningCoreCourse``.

    All blocks are written in one transaction and one ``bulk_draft_changes_for``
    (one DraftChangeLog); with ``publish`` one ``publish_all_drafts`` follows.
    Fails with ``CourseExistsError`` if the course exists.
    """
    from django.db import transaction
    from openedx_content import api as content_api

    from lc_modulestore.api import CourseWriter, create_course, publish_course

    blocks = generate_course_blocks(
        sections=sections, subsections=subsections, units=units, components=components, seed=seed,
        with_settings=with_settings,
    )
    with transaction.atomic():
        course = create_course(course_key, title=blocks[-1].title, created=created, created_by=created_by)
        writer = CourseWriter(course, created=created, created_by=created_by)
        with content_api.bulk_draft_changes_for(course.learning_package_id, changed_by=created_by, changed_at=created):
            for block in blocks:
                writer.save_block(block)
        if publish:
            publish_course(course, message="synthetic course", published_at=created, published_by=created_by)
    course.refresh_from_db()
    return course


def parse_shape(shape: str) -> tuple[int, int, int, int]:
    """``"4x5x3x4"`` → ``(4, 5, 3, 4)`` (sections, subsections, units, components)."""
    parts = shape.lower().split("x")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise ValueError(f"shape {shape!r} is not SECTIONSxSUBSECTIONSxUNITSxCOMPONENTS, e.g. 4x5x3x4")
    sections, subsections, units, components = (int(p) for p in parts)
    return sections, subsections, units, components


# -- OLX export -------------------------------------------------------------------
def _olx_attr(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def write_course_olx(
    blocks: list[BlockData], out: Path, *, org: str = "Synthetic", course: str = "S101", url_name: str = "run"
) -> Path:
    """
    Write ``blocks`` (from :func:`generate_course_blocks`) as an OLX course directory under ``out``.

    Containers become ``<type>/<id>.xml`` files of pointer tags, leaves their
    own ``<type>/<id>.xml`` (their ``olx`` with a ``url_name``); the course's
    ``grading_policy`` goes to ``policies/<url_name>/grading_policy.json``.
    Returns ``out``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "course.xml").write_text(f'<course url_name="{url_name}" org="{org}" course="{course}"/>\n')
    for block in blocks:
        is_root = block.key == COURSE_ROOT
        block_id = url_name if is_root else block.key.id
        folder = out / block.key.type
        folder.mkdir(exist_ok=True)
        if block.is_container:
            settings = dict(block.settings)
            grading = settings.pop("grading_policy", None)
            if grading is not None:
                (out / "policies" / url_name).mkdir(parents=True, exist_ok=True)
                (out / "policies" / url_name / "grading_policy.json").write_text(json.dumps(grading, indent=2))
            attrs = "".join(f" {name}={quoteattr(_olx_attr(value))}" for name, value in settings.items())
            children = "".join(f'  <{c.type} url_name="{c.id}"/>\n' for c in block.children)
            text = f"<{block.key.type}{attrs}>\n{children}</{block.key.type}>\n"
        else:
            text = block.olx + "\n"
        (folder / f"{block_id}.xml").write_text(text)
    return out


def main(argv: list[str] | None = None) -> int:
    """Write a synthetic OLX course.

    ``python -m lc_modulestore.importing.synthetic --out DIR [--shape 2x3x2x4] [--seed N]``
    """
    parser = argparse.ArgumentParser(prog="python -m lc_modulestore.importing.synthetic", description=main.__doc__)
    parser.add_argument("--out", required=True, type=Path, help="directory to write the OLX course into")
    parser.add_argument("--shape", default="2x3x2x4", help="SECTIONSxSUBSECTIONSxUNITSxCOMPONENTS")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-settings", action="store_true", help="only display names, no dates/grading")
    args = parser.parse_args(argv)
    sections, subsections, units, components = parse_shape(args.shape)
    import django

    django.setup()
    blocks = generate_course_blocks(
        sections=sections,
        subsections=subsections,
        units=units,
        components=components,
        seed=args.seed,
        with_settings=not args.no_settings,
    )
    write_course_olx(blocks, args.out)
    print(f"wrote {len(blocks)} blocks to {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lc_modulestore.settings")
    raise SystemExit(main())
