"""Every LC_* setting is annotated, and code-annotations (Open edX's settings config) lints the annotations."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_DIR = ROOT / "lc_modulestore" / "settings"


def _code_annotations() -> str:
    exe = Path(sys.executable).with_name("code_annotations")
    if not exe.exists():
        pytest.fail(f"code_annotations is not installed next to {sys.executable}: pip install -e '.[dev]'")
    return str(exe)


def _config() -> str:
    import code_annotations

    return os.path.join(os.path.dirname(code_annotations.__file__), "contrib", "config", "setting_annotations.yaml")


def _assigned_lc_settings(path: Path) -> set[str]:
    """Module-level names starting LC_ assigned in ``path`` (settings, not helpers)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        names.update(t.id for t in targets if isinstance(t, ast.Name) and t.id.startswith("LC_"))
    return names


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("annotations")
    run = subprocess.run(
        [_code_annotations(), "static_find_annotations", "--config_file", _config(),
         "--source_path", str(SETTINGS_DIR), "--report_path", str(out), "--lint"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert run.returncode == 0, f"code_annotations lint failed:\n{run.stdout}\n{run.stderr}"
    (found,) = out.glob("*.yaml")
    return yaml.safe_load(found.read_text()) or {}


@pytest.mark.parametrize("module", ["common.py", "__init__.py"])
def test_every_lc_setting_is_annotated(report, module) -> None:
    annotated = {
        entry["annotation_data"] for entry in report.get(module, []) if entry["annotation_token"] == ".. setting_name:"
    }
    missing = _assigned_lc_settings(SETTINGS_DIR / module) - annotated
    assert not missing, f"lc_modulestore/settings/{module}: settings without '.. setting_name:': {sorted(missing)}"


def test_plugin_defaults_are_the_annotated_ones(report) -> None:
    from lc_modulestore.settings.common import DEFAULTS

    annotated = {e["annotation_data"] for e in report["common.py"] if e["annotation_token"] == ".. setting_name:"}
    assert set(DEFAULTS) == annotated
