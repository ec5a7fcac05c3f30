"""Building hostile exports for ``tests/olx/test_hostile*.py`` from ``fixtures/olx/hostile/`` (issue 17)."""
from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

from tests.olx.helpers import FIXTURES

HOSTILE = FIXTURES / "hostile"
KEY = "course-v1:Hostile+H1+run"
SECRET = "SECRET-FROM-OUTSIDE-THE-EXPORT"


def export(tmp_path: Path, overlay: str | None = None, *, name: str = "export") -> Path:
    """A copy of ``hostile/base`` at ``tmp_path/name`` with the ``overlay`` folder's files laid over it."""
    course = tmp_path / name
    shutil.copytree(HOSTILE / "base", course)
    if overlay:
        for path in (HOSTILE / overlay).rglob("*"):
            if path.is_file():
                target = course / path.relative_to(HOSTILE / overlay)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
    return course


def plant_secrets(directory: Path) -> None:
    """Files an attacker would like to read, next to (outside) an export in ``directory``."""
    (directory / "secret.xml").write_text(f"<html>{SECRET}</html>")
    (directory / "secret.html").write_text(f"<p>{SECRET}</p>")
    (directory / "secret.txt").write_text(SECRET)
    outside = directory / "outside"
    (outside / "run").mkdir(parents=True, exist_ok=True)
    (outside / "run.xml").write_text(f'<course display_name="{SECRET}"><chapter url_name="c1"/></course>')
    (outside / "run" / "policy.json").write_text('{"course/run": {"display_name": "%s"}}' % SECRET)


def archive(course: Path, target: Path, *, arcname: str = "course", extra: list[tarfile.TarInfo] | None = None
            ) -> Path:
    """``course`` as a ``.tar.gz`` whose top folder is ``arcname`` (Studio exports ``course/``), links kept."""
    with tarfile.open(target, "w:gz") as tar:
        tar.add(course, arcname=arcname)
        for member in extra or []:
            tar.addfile(member)
    return target
