"""
Production settings of the plugin (the ``production`` settings type): overrides from the site's tokens.

edx-platform's ``lms/envs/production.py`` (and the CMS's) loads the site's YAML config into
``ENV_TOKENS`` and calls :func:`plugin_settings` at its end. An ``LC_MODULESTORE_*`` key in the tokens
wins over the default ``settings/common.py`` gave; a key the tokens lack leaves the value as it is
(the default, or what a settings file before this one set). Where the site has no ``ENV_TOKENS``
(newer edx-platform loads the YAML straight into the settings module), the values are already in
place and nothing is read. The compile-task routes are added again afterwards, so a queue named in
the tokens is the queue the tasks go to.
"""
from __future__ import annotations

from typing import Any

from lc_modulestore.settings.common import DEFAULTS, add_compile_task_routes


def plugin_settings(settings: Any) -> None:
    """Apply the ``LC_MODULESTORE_*`` values of ``settings.ENV_TOKENS`` (where present), then route the tasks."""
    tokens = getattr(settings, "ENV_TOKENS", None) or {}
    for name in DEFAULTS:
        if name in tokens:
            setattr(settings, name, tokens[name])
    add_compile_task_routes(settings)
