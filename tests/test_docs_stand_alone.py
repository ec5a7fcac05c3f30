"""The docs stand alone: links resolve inside the repository, and no command names a path of one machine."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted(
    [*ROOT.glob("docs/**/*.md"), *ROOT.glob("docs/**/*.rst"), ROOT / "README.md", ROOT / "benchmarks" / "README.md",
     ROOT / "tutor-contrib-lc-modulestore" / "README.md"]
)
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|tmp|root|home)/")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_resolve_in_the_repository(doc: Path) -> None:
    text = doc.read_text()
    assert "infrastructure.md" not in text, f"{doc.relative_to(ROOT)} names infrastructure.md (not in the repository)"
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+://", target) or target.startswith("mailto:"):
            continue
        assert (doc.parent / target).exists(), f"{doc.relative_to(ROOT)}: link to {target!r}, not in the repository"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_paths_of_one_machine(doc: Path) -> None:
    for number, line in enumerate(doc.read_text().splitlines(), 1):
        assert not MACHINE_PATH.search(line), f"{doc.relative_to(ROOT)}:{number}: a path of one machine: {line.strip()}"
