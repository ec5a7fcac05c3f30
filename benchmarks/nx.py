"""
A throwaway nx-27017 server for the read benchmark when no ``--mongo-uri`` is given.

nx-27017 is a pure-Python MongoDB wire-protocol server over SQLite: a stand-in
for MongoDB, not MongoDB. Figures measured against it are labelled so; they
show the driver and BSON path but not MongoDB's server-side speed.
Same recipe as ``tests/mongo/conftest.py``: free port, own data/pid/log files
in a temp dir, terminated on exit.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lc_modulestore.api import LcModulestoreError

__all__ = ["NX_LABEL", "NxServerError", "nx_server"]

NX_LABEL = "nx-27017 stand-in (pure-Python wire-protocol server over SQLite, not MongoDB)"


class NxServerError(LcModulestoreError):
    """nx-27017 is missing or did not start."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _binary() -> str:
    local = Path(sys.executable).parent / "nx-27017"
    found = str(local) if local.exists() else shutil.which("nx-27017")
    if not found:
        raise NxServerError("nx-27017 is not installed (pip install nx-27017); or pass --mongo-uri")
    return found


@contextmanager
def nx_server(timeout: float = 20) -> Iterator[str]:
    """Start nx-27017 on a free port; yields its URI; kills it and removes its files on exit."""
    import pymongo

    workdir = Path(tempfile.mkdtemp(prefix="lc-bench-nx-"))
    port = _free_port()
    with open(workdir / "stdout.log", "w") as log:
        process = subprocess.Popen(
            [_binary(), "--data-dir", str(workdir / "data"), "-p", str(port), "--host", "127.0.0.1",
             "--pid-file", str(workdir / "nx.pid"), "--log-file", str(workdir / "nx.log")],
            stdout=log, stderr=subprocess.STDOUT,
        )
        uri = f"mongodb://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with pymongo.MongoClient(uri, serverSelectionTimeoutMS=300) as client:
                        client.admin.command("ping")
                    break
                except pymongo.errors.PyMongoError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise NxServerError(f"nx-27017 did not start; see {workdir}") from None
                    time.sleep(0.1)
            yield uri
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    shutil.rmtree(workdir, ignore_errors=True)
