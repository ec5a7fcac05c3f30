"""
Shape checks of an export's JSON files, done when they are read so a wrong shape names its file.

Without them a wrong shape surfaces later as a traceback far from the file
(``"tabs": 7`` as a ``TypeError`` while realizing static tabs, an ``assets.json``
entry that is a string as an ``AttributeError``), or worse, is stored and breaks
the LMS (a ``grading_policy.json`` of ``{"GRADER": "x"}``).
"""
from __future__ import annotations

from numbers import Real
from typing import Any

from lc_modulestore.api import OlxError

# The keys of one GRADER entry, as edx-platform's CourseGradingModel.jsonize_grader reads them
# (``grader["type"]``, ``grader["min_count"]``, ``grader["drop_count"]``, ``grader["weight"]``;
# ``short_label`` with ``.get``).
_GRADER_REQUIRED = {"type": str, "min_count": int, "drop_count": int, "weight": Real}


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else f"a {type(value).__name__}"
    )


def check_grading_policy(grading: Any, *, file: str) -> None:
    """
    ``grading_policy.json`` as edx-platform reads it: ``GRADER`` a list of grader objects, ``GRADE_CUTOFFS`` grades.

    ``CourseGradingModel`` indexes each grader's ``type``, ``min_count``,
    ``drop_count`` and ``weight``, and takes the cutoffs as letter → fraction;
    both keys may be left out (the course block's defaults apply).
    """
    if not isinstance(grading, dict):
        raise OlxError(f"grading_policy.json must be an object, not {_kind(grading)}", file=file)
    graders = grading.get("GRADER", [])
    if not isinstance(graders, list):
        raise OlxError(f'"GRADER" must be a list of grader objects, not {_kind(graders)}', file=file)
    for index, grader in enumerate(graders):
        if not isinstance(grader, dict):
            raise OlxError(f'"GRADER"[{index}] must be an object, not {_kind(grader)}', file=file)
        for name, kind in _GRADER_REQUIRED.items():
            value = grader.get(name)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise OlxError(
                    f'"GRADER"[{index}]["{name}"] must be {"a string" if kind is str else "a number"}, '
                    f"not {_kind(value)}",
                    file=file,
                )
        if "short_label" in grader and not isinstance(grader["short_label"], str | None):
            raise OlxError(f'"GRADER"[{index}]["short_label"] must be a string', file=file)
    cutoffs = grading.get("GRADE_CUTOFFS", {})
    if not isinstance(cutoffs, dict):
        raise OlxError(f'"GRADE_CUTOFFS" must be an object of grade → fraction, not {_kind(cutoffs)}', file=file)
    for letter, cutoff in cutoffs.items():
        if not isinstance(cutoff, Real) or isinstance(cutoff, bool) or not 0 <= cutoff <= 1:
            raise OlxError(f'"GRADE_CUTOFFS"["{letter}"] must be a number from 0 to 1, not {cutoff!r}', file=file)


def check_course_policy(entry: dict[str, Any], *, file: str) -> None:
    """The course's own ``policy.json`` entry: the values the importer iterates must be lists of objects."""
    for name in ("tabs", "pdf_textbooks", "html_textbooks"):
        value = entry.get(name)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise OlxError(f'"{name}" of the course must be a list of objects, not {value!r:.60}', file=file)


def check_assets_metadata(metadata: Any, *, file: str) -> None:
    """``policies/assets.json``: an object mapping asset names to metadata objects."""
    if not isinstance(metadata, dict):
        raise OlxError(f"assets.json must be an object, not {_kind(metadata)}", file=file)
    for name, entry in metadata.items():
        if not isinstance(entry, dict):
            raise OlxError(f"assets.json entry {name!r} must be an object, not {_kind(entry)}", file=file)


__all__ = ["check_assets_metadata", "check_course_policy", "check_grading_policy"]
