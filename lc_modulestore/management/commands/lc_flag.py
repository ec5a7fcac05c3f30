"""
``manage.py lc_flag``: switch a course (or an org) between split-in-Mongo and Learning Core.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lc_modulestore.api import LcModulestoreError
from lc_modulestore.rollout.api import (
    SHADOW_READS,
    USE_LEARNING_CORE,
    flag_status,
    latest_org_override,
    set_course_override,
    set_org_override,
)
from lc_modulestore.rollout.overview import course_overviews
from lc_modulestore.rollout.serving import serving_status


class Command(BaseCommand):
    help = (
        "Force lc_modulestore.use_learning_core on/off for a course or an org, remove the override, or show why a "
        "course is served the way it is. Enabling a course is refused unless its latest verify run passed; --force "
        "goes ahead (it needs --note) and the override row records it. A pass counts only while the heads it compared "
        "are still the current ones.\n\n"
        "Examples:\n"
        "  manage.py lc_flag status course-v1:edX+DemoX+2024\n"
        "  manage.py lc_flag status --all   # every course: served from and why, heads, lag, verify, shadow\n"
        "  manage.py lc_flag enable course-v1:edX+DemoX+2024 --note 'verified, ticket OPS-12' --user admin\n"
        "  manage.py lc_flag disable --org edX --note 'incident 42'\n"
        "  manage.py lc_flag unset course-v1:edX+DemoX+2024\n"
        "  manage.py lc_flag enable course-v1:edX+DemoX+2024 --shadow   # shadow reads while still on Mongo "
        "(no verify gate)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["enable", "disable", "unset", "status"])
        parser.add_argument("course_key", nargs="?", help="course-v1:Org+Course+Run")
        parser.add_argument("--org", help="Act on the org override instead of a course")
        parser.add_argument("--all", action="store_true", dest="all_courses",
                            help="with status: every Learning Core course")
        parser.add_argument("--note", default="", help="Why: recorded on the override row")
        parser.add_argument("--force", action="store_true",
                            help="Enable even without a passing, current verify run (needs --note)")
        parser.add_argument("--user", help="Username recorded as changed_by")
        parser.add_argument("--shadow", action="store_true",
                            help="Act on lc_modulestore.shadow_reads (compare Mongo reads with Learning Core) instead")

    def handle(self, *args, **options) -> None:
        action, course_key, org = options["action"], options["course_key"], options["org"]
        self.verbosity = options["verbosity"]
        self.flag = SHADOW_READS if options["shadow"] else USE_LEARNING_CORE
        if options["all_courses"]:
            if action != "status" or course_key or org:
                raise CommandError("--all goes with status only, without COURSE_KEY or --org")
            for overview in course_overviews():
                for line in overview.lines():
                    self.stdout.write(line)
            return
        if bool(course_key) == bool(org):
            raise CommandError("Give exactly one of COURSE_KEY or --org ORG")
        try:
            if action == "status":
                self._status(course_key, org)
                return
            enabled = {"enable": True, "disable": False, "unset": None}[action]
            kwargs = {
                "changed_by": self._user(options["user"]),
                "note": options["note"],
                "force": options["force"],
                "flag": self.flag,
            }
            if org:
                row = set_org_override(org, enabled, **kwargs)
                target = f"org {org}"
            else:
                row = set_course_override(course_key, enabled, **kwargs)
                target = str(row.course_id)
        except LcModulestoreError as exc:
            raise CommandError(str(exc)) from exc
        message = f"{self.flag.name} {row.override_choice} for {target}"
        if row.forced:
            self.stdout.write(self.style.WARNING(f"{message} (FORCED: {row.note})"))
        else:
            self.stdout.write(self.style.SUCCESS(message))

    @staticmethod
    def _user(username: str | None):
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {username!r}") from None

    def _status(self, course_key: str | None, org: str | None) -> None:
        if org:
            row = latest_org_override(org, flag=self.flag)
            self.stdout.write(f"org {org}: {self._describe(row)}")
            return
        status = flag_status(course_key, flag=self.flag)
        if self.flag is SHADOW_READS:
            state = f"shadow reads {'on' if status.enabled else 'off'}"
        else:
            serving = serving_status(course_key)
            state = "served from " + ("Learning Core" if serving.served_from == "Learning Core" else "split (Mongo)")
            if status.enabled and not serving.compiled:
                state += " (flag on, but not compiled in Learning Core)"
        self.stdout.write(f"{status.course_key}: {state}, decided by the {status.decided_by}")
        self.stdout.write(f"  course override: {self._describe(status.course_override)}")
        self.stdout.write(f"  org override:    {self._describe(status.org_override)}")
        self.stdout.write(f"  waffle flag:     {'on' if status.flag_enabled else 'off'}")
        run = status.latest_verify
        self.stdout.write(f"  latest verify:   {run if run else 'none'}")
        if run is not None and self.verbosity > 1 and run.summary:
            self.stdout.write(f"    {run.summary}")

    @staticmethod
    def _describe(row) -> str:
        if row is None:
            return "none"
        who = row.changed_by.get_username() if row.changed_by else "(script)"
        forced = " FORCED" if row.forced else ""
        note = f" - {row.note}" if row.note else ""
        return f"{row.override_choice}{forced} by {who} at {row.change_date:%Y-%m-%d %H:%M:%S}{note}"
