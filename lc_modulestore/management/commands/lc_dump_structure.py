"""manage.py lc_dump_structure: print a course's compiled structure and definitions as Extended JSON."""
from __future__ import annotations

from bson import json_util
from django.core.management.base import CommandError

from compiler import api as compiler_api
from lc_modulestore.api import DRAFT_BRANCH, PUBLISHED_BRANCH, LcModulestoreError
from lc_modulestore.management.base import LcCommand

_JSON = json_util.JSONOptions(json_mode=json_util.JSONMode.CANONICAL, tz_aware=True)


class Command(LcCommand):
    help = (
        "Print the structure a course's index head serves, and the definitions it references, as MongoDB "
        "Extended JSON (canonical form: {\"$oid\": …}, {\"$date\": …}), i.e. exactly what split would hold "
        "in its structures and definitions collections.\n\n"
        "Examples:\n"
        "  manage.py lc_dump_structure course-v1:edX+DemoX+Demo_Course\n"
        "  manage.py lc_dump_structure course-v1:edX+DemoX+Demo_Course --branch draft --no-definitions"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("course_key", metavar="COURSE_KEY")
        parser.add_argument("--branch", choices=["published", "draft"], default="published")
        parser.add_argument("--no-definitions", action="store_true", help="print only the structure")
        parser.add_argument("--indent", type=int, default=2)

    def handle(self, *args, **options) -> None:
        key = options["course_key"]
        branch = PUBLISHED_BRANCH if options["branch"] == "published" else DRAFT_BRANCH
        try:
            structure = compiler_api.structure_document(key, branch=branch)
        except LcModulestoreError as exc:
            raise CommandError(f"{key}: {exc}") from exc
        output = {"structure": structure}
        if not options["no_definitions"]:
            ids = sorted({str(b["definition"]) for b in structure["blocks"]})
            try:
                found = compiler_api.definition_documents(ids, course_key=key)
            except LcModulestoreError as exc:
                raise CommandError(f"{key}: {exc}") from exc
            missing = [i for i in ids if i not in found]
            if missing:
                raise CommandError(f"{key}: {len(missing)} definitions of the {branch} structure are missing, "
                                   f"e.g. {missing[0]}; recompile with lc_compile --full")
            output["definitions"] = [found[i] for i in ids]
        self.stdout.write(json_util.dumps(output, json_options=_JSON, indent=options["indent"] or None))
