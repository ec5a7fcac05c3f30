"""
A throwaway local Mongo stand-in (nx-27017) for ``lc_demo``: the real switch path without a MongoDB server.

nx-27017 is a pure-Python MongoDB wire-protocol server over SQLite (a test
dependency of the checkout); the demo exports its course there, verifies
against it and enables the flag through the gate, as an operator would
against a deployment's Mongo. It rejects dotted collection names, so the
location uses the ``_`` separator. The benchmarks and the tests start their
stand-in through this function too.
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

import pymongo

from lc_modulestore.api import LcModulestoreError


class StandInError(LcModulestoreError):
    """nx-27017 is missing or did not start."""


def _binary() -> str:
    local = Path(sys.executable).parent / "nx-27017"
    found = str(local) if local.exists() else shutil.which("nx-27017")
    if not found:
        raise StandInError("nx-27017 is not installed (pip install nx-27017); or give lc_demo --mongo-uri")
    return found


@contextmanager
def mongo_stand_in(timeout: float = 20) -> Iterator[str]:
    """Start nx-27017 on a free port; yields its URI; stops it and removes its files on exit."""
    workdir = Path(tempfile.mkdtemp(prefix="lc-demo-nx-"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
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
                        raise StandInError(f"nx-27017 did not start; see {workdir}") from None
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


__all__ = ["StandInError", "mongo_stand_in"]
