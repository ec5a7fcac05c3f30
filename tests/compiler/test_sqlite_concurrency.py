"""
Two threads publishing at once on the embedded default (SQLite, a file database) lose no compile (issue 17
item 3): the standalone settings give SQLite WAL, a busy timeout and ``BEGIN IMMEDIATE``.

The threads run in a subprocess with its own SQLite file (the test database of pytest-django is in memory,
where neither WAL nor file locking applies).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def test_standalone_settings_give_sqlite_wal_busy_timeout_and_immediate_transactions():
    from lc_modulestore.settings import _database_from_url

    options = _database_from_url("sqlite:////tmp/x.sqlite3")["OPTIONS"]
    assert options["timeout"] >= 5 and options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]


@pytest.mark.skipif("sqlite" not in settings.DATABASES["default"]["ENGINE"], reason="the SQLite default only")
def test_concurrent_publishes_on_sqlite_lose_no_compile(tmp_path):
    env = {**os.environ, "LC_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "LC_VAR_DIR": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    env.pop("LC_CELERY_BROKER_URL", None)  # eager tasks: each publish's receiver compiles it in its thread
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "compiler" / "concurrent_publishes.py"), "6"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["journal_mode"] == "wal"
    assert report["raised"] == [] and report["errors"] == [], report
    assert report["heads"] == report["logs"], report  # every course serves its latest publish
