"""edx-platform's own split store beside the project's, over the same backend (skipped without the snapshot)."""
import pytest

from tests.edx_platform import support
from tests.edx_platform.edx import AVAILABLE

if not AVAILABLE:
    pytest.skip(support.SKIP_REASON, allow_module_level=True)

from tests.lms_paths.conftest import FIXTURE_KEY, SYNTHETIC_KEY, lms_courses  # noqa: E402,F401
from tests.shim.fixtures import _fresh_caches  # noqa: E402,F401

__all__ = ["FIXTURE_KEY", "SYNTHETIC_KEY"]
