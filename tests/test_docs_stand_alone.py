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


def test_readme_lists_every_environment_variable_the_settings_read() -> None:
    readme = (ROOT / "README.md").read_text()
    read = set()
    for module in (ROOT / "lc_modulestore" / "settings").glob("*.py"):
        read |= set(re.findall(r"os\.environ(?:\.get\(|\[)\s*\"(LC_[A-Z0-9_]+)\"", module.read_text()))
    assert {"LC_DATABASE_URL", "LC_SECRET_KEY", "LC_DEBUG", "LC_LOG_LEVEL", "LC_MODULESTORE_MONGO_URI"} <= read
    missing = sorted(name for name in read if f"`{name}`" not in readme)
    assert not missing, f"README.md's settings table lacks {missing}"


def test_bench_extra_holds_what_lc_bench_imports() -> None:
    import tomllib

    bench = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["bench"]
    names = {re.split(r"[=<>!~\[]", requirement)[0].lower() for requirement in bench}
    # benchmarks/nx.py starts the nx-27017 Mongo stand-in; benchmarks/report.py draws with matplotlib.
    assert {"nx-27017", "matplotlib"} <= names
