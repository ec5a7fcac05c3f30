"""What a benchmark ran on: CPUs, memory, Python, the SQL server and the load, printed beside every figure."""
from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from django.db import connection

__all__ = ["commit", "describe_machine"]


def describe_machine() -> dict[str, Any]:
    env: dict[str, Any] = {"nproc": os.cpu_count(), "python": platform.python_version(), "sql": connection.vendor}
    with contextlib.suppress(Exception):
        with open("/proc/meminfo") as f:
            env["memory"] = f.readline().split(":")[1].strip()
    with contextlib.suppress(Exception):
        with connection.cursor() as cursor:
            cursor.execute("SELECT VERSION()" if connection.vendor == "mysql" else "SELECT sqlite_version()")
            env["sql"] = f"{connection.vendor} {cursor.fetchone()[0]}"
    with contextlib.suppress(Exception):
        env["load"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return env


def commit() -> str:
    """The checkout's commit (``git rev-parse HEAD``, ``+dirty`` with uncommitted changes), or ``unknown``."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")
