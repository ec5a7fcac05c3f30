"""Errors of the split-in-Mongo → Learning Core migration."""
from lc_modulestore.api import LcModulestoreError


class MongoCourseError(LcModulestoreError):
    """A split course in MongoDB that cannot be migrated as it is: the message names the course and the block."""


__all__ = ["MongoCourseError"]
