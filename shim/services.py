"""
The LMS services a course runtime offers its blocks (infrastructure §4), besides ``field-data``.

``user``, ``cache``, ``sandbox``, ``xqueue``, ``replace_urls`` and
``discussion_config_service``, each the smallest stand-in for edx-platform's
service of that name that the blocks the shim serves call. The runtime builds
them once per structure with :func:`default_services`; callers add their own
(a real ``user`` service, ``i18n``) through the store's ``services``, which win.

Nothing here knows the runtime: a service gets the course key or the structure
it answers for, so a service cannot reach back into the runtime that holds it.
"""
from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from xblock.reference.user_service import UserService, XBlockUser

from shim.split_types import BlockKey


class SandboxService:
    """
    The ``sandbox`` service, as edx-platform's: unsafe (unjailed) code only for the courses an operator lists.

    ``settings.LC_MODULESTORE_COURSES_WITH_UNSAFE_CODE`` is a list of regexes matched against the
    course key, like edx-platform's ``COURSES_WITH_UNSAFE_CODE``; default none. Otherwise problems
    with Python scripts need codejail configured (``settings.CODE_JAIL``).
    """

    def __init__(self, course_key) -> None:
        self._course_id = str(course_key)

    def can_execute_unsafe_code(self) -> bool:
        patterns = getattr(settings, "LC_MODULESTORE_COURSES_WITH_UNSAFE_CODE", [])
        return any(re.match(pattern, self._course_id) for pattern in patterns)

    def get_python_lib_zip(self) -> bytes | None:
        return None


class DiscussionConfigService:
    """
    The ``discussion_config_service`` the discussion block asks for.

    Inline discussions are visible unless the course chose the new (non-legacy) provider;
    the forum service itself is enabled by ``FEATURES['ENABLE_DISCUSSION_SERVICE']``, as in the LMS.
    Without edx-platform's forum permissions, no user has forum permissions here.
    """

    def __init__(self, structure: dict[str, Any]) -> None:
        self._structure = structure  # the course's provider is a setting of its root block

    @property
    def is_discussion_enabled(self) -> bool:
        return bool(settings.FEATURES.get("ENABLE_DISCUSSION_SERVICE", False))

    def is_discussion_visible(self, course_key) -> bool:
        root = self._structure["blocks"].get(BlockKey(*self._structure["root"]))
        provider = ((root.fields.get("discussions_settings") or {}) if root else {}).get("provider_type", "legacy")
        return provider == "legacy"

    def has_permission(self, user, permission: str, course_key) -> bool:
        return False


class CacheService:
    """The ``cache`` service: the Django ``default`` cache (get/set), as edx-platform provides it."""

    def get(self, key: str, default: Any = None) -> Any:
        return caches["default"].get(key, default)

    def set(self, key: str, value: Any, *args: Any, **kwargs: Any) -> None:
        caches["default"].set(key, value, *args, **kwargs)


class NoXQueueService:
    """The ``xqueue`` service when no XQueue is configured: external graders are unavailable."""

    interface = None
    default_queuename = None
    waittime = 5

    def construct_callback(self, dispatch: str = "score_update") -> str:
        raise RuntimeError("No XQueue is configured for this modulestore runtime")


class ReplaceURLsService:
    """The ``replace_urls`` service: ``/static/x`` → the course's asset URL, as split courses serve them."""

    _STATIC = re.compile(r"""(?P<quote>["'])/static/(?P<path>[^"'?#]+)""")

    def __init__(self, course_key) -> None:
        self.course_key = course_key.for_branch(None) if course_key.org else course_key

    def replace_urls(self, text: str, static_replace_only: bool = False, **kwargs: Any) -> str:
        def asset_url(match: re.Match) -> str:
            path = match.group("path").replace("/", "_")
            return f"{match.group('quote')}/{self.course_key.make_asset_key('asset', path)}"

        return self._STATIC.sub(asset_url, text)


# The optional attributes edx-platform's user service always sets; blocks index them directly
# (VideoBlock reads ``edx-platform.request_country_code`` with ``[]``), so each must be present.
LMS_USER_ATTRIBUTE_DEFAULTS: dict[str, Any] = {
    "edx-platform.is_authenticated": False,
    "edx-platform.user_id": None,
    "edx-platform.username": None,
    "edx-platform.user_is_staff": False,
    "edx-platform.user_role": "student",
    "edx-platform.anonymous_user_id": None,
    "edx-platform.request_country_code": None,
    "edx-platform.user_is_beta_tester": False,
    "edx-platform.user_is_global_staff": False,
}


class StaticUserService(UserService):
    """
    A ``user`` service that always returns the one user it was made with.

    Attributes edx-platform always provides and the caller did not set get their
    anonymous defaults (:data:`LMS_USER_ATTRIBUTE_DEFAULTS`).
    """

    def __init__(self, user: XBlockUser, *, django_user: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name, value in LMS_USER_ATTRIBUTE_DEFAULTS.items():
            user.opt_attrs.setdefault(name, value)
        self._user = user
        # edx-platform's service carries the Django user too; blocks (discussion) read it by this name.
        self._django_user = django_user if django_user is not None else AnonymousUser()

    def get_current_user(self) -> XBlockUser:
        return self._user


def anonymous_user_service() -> UserService:
    """A ``user`` service for an anonymous, non-staff user (callers pass their own for real users)."""
    return StaticUserService(XBlockUser(is_current_user=True))


def default_services(
    *, course_key, structure: dict[str, Any], services: dict[str, Any] | None = None
) -> dict[str, Any]:
    """
    The services of a runtime over ``structure`` of ``course_key``: the defaults, ``services`` winning.

    The discussion configuration is added only when the caller gave none (it reads the course's root).
    """
    merged = {
        "user": anonymous_user_service(),
        "cache": CacheService(),
        "sandbox": SandboxService(course_key),
        "xqueue": NoXQueueService(),
        "replace_urls": ReplaceURLsService(course_key),
        **(services or {}),
    }
    merged.setdefault("discussion_config_service", DiscussionConfigService(structure))
    return merged


__all__ = [
    "LMS_USER_ATTRIBUTE_DEFAULTS",
    "CacheService",
    "DiscussionConfigService",
    "NoXQueueService",
    "ReplaceURLsService",
    "SandboxService",
    "StaticUserService",
    "anonymous_user_service",
    "default_services",
]
