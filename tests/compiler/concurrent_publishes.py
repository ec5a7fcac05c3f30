"""
Run by ``test_sqlite_concurrency.py`` in a subprocess on a file database: two threads publish different
courses at once, each publish compiled by the (eager) Celery task its receiver enqueues. Prints one JSON line.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import threading

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lc_modulestore.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from compiler import storage  # noqa: E402
from lc_modulestore.api import PUBLISHED_BRANCH, publish_course  # noqa: E402
from tests.compiler.helpers import build_course, leaf  # noqa: E402

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 6


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record) -> None:
        self.messages.append(record.getMessage())


def main() -> None:
    call_command("migrate", verbosity=0)
    errors = Errors()
    logging.getLogger("lc_modulestore").addHandler(errors)
    courses = [build_course(f"course-v1:Org+T{n}+R", sections=2, subsections=2, units=2)
               for n in range(2)]
    barrier = threading.Barrier(2)
    raised: list[str] = []
    logs: dict[str, int] = {}

    def publisher(n: int) -> None:
        course, writer = courses[n]
        try:
            for r in range(ROUNDS):
                writer.save_block(leaf("html", "p0_0_0_0", text=f"round {r}"))
                barrier.wait(30)
                logs[str(course.course_key)] = publish_course(course).id
        except BaseException as exc:  # noqa: BLE001  (reported)
            raised.append(repr(exc))
            barrier.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publisher, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    heads = {str(c.course_key): storage.head_log_id(c, PUBLISHED_BRANCH) for c, _ in courses}
    print(json.dumps({"raised": raised, "errors": errors.messages, "heads": heads, "logs": logs,
                      "journal_mode": connections["default"].cursor().execute("PRAGMA journal_mode").fetchone()[0]}))


if __name__ == "__main__":
    main()
