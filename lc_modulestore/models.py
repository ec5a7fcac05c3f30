"""
The app's models module, as Django loads it: every model of the one ``lc_modulestore`` app.

Models live in the room they belong to (openedx-core's applets do the same,
ADR 0020 there) and keep the one app label and ``migrations/`` folder:

* ``courses.models``: the course in Learning Core (root container, generic
  container, course record, usage-key map, realized field data, assets);
* ``compiled.models``: split-format documents compiled from Learning Core history;
* ``rollout.models``: flag overrides (append-only audit rows), verify runs,
  shadow-read mismatches and counts.

Code of the project imports :mod:`lc_modulestore.models_api` (course and
compiled models) or the rollout room, not this module.
"""
from lc_modulestore.models_api import *  # noqa: F401,F403
from lc_modulestore.models_api import __all__ as _lower
from lc_modulestore.rollout.models import (
    CourseFlagOverride,
    OrgFlagOverride,
    ShadowMismatch,
    ShadowReadCount,
    VerifyRun,
)

__all__ = [*_lower, "CourseFlagOverride", "OrgFlagOverride", "ShadowMismatch", "ShadowReadCount", "VerifyRun"]
