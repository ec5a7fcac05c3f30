"""What one read-benchmark run measured: rows per course and scenario, floors, and where it ran.

A leaf module: the runner fills a :class:`ReadReport`, the report writer renders one; neither imports the other.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ReadReport"]


@dataclass
class ReadReport:
    rows: list[dict[str, Any]] = field(default_factory=list)
    floors: list[dict[str, Any]] = field(default_factory=list)
    #: per course and scenario, what each other store's answer differs in from ours (empty: the same answer)
    answers: list[dict[str, Any]] = field(default_factory=list)
    mongo_label: str = ""
    environment: dict[str, Any] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
