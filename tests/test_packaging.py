"""What ``pip install lc-modulestore`` ships: the app, the compiler and the shim; no development code."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("lc_modulestore", "compiler", "shim")
DEVELOPMENT = ("benchmarks", "fixtures", "tests")


def test_the_wheel_holds_only_the_shipped_packages(tmp_path):
    # Built from a clean copy of the checkout: a build/ folder left by an earlier build could hide a change.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "var", "build", "dist", "*.egg-info", "__pycache__", "docs", "tutor-*"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path),
         str(source)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("lc_modulestore-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == set(SHIPPED), top
    assert "lc_modulestore/migrations/0001_initial.py" in names
    assert not [name for name in names if name.split("/")[0] in DEVELOPMENT]


def test_no_shipped_module_imports_development_code():
    offenders = []
    for package in SHIPPED:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
                offenders += [f"{path.relative_to(ROOT)}: {name}" for name in names
                              if name.split(".")[0] in DEVELOPMENT]
    assert offenders == []
