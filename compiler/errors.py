"""Errors of the compiler. Each message names the course or log at fault."""
from lc_modulestore.core.api import LcModulestoreError


class CompileError(LcModulestoreError):
    """Learning Core data that cannot become a split structure (e.g. an unpublished course root)."""


class NeedsFullCompile(LcModulestoreError):
    """An incremental compile cannot be exact for this publish; the caller compiles in full instead."""


class LogNotFoundError(CompileError, LookupError):
    """No PublishLog / DraftChangeLog with this id belongs to a Learning Core course."""


class NoRootYetError(CompileError):
    """The course has no root container yet (an import under way): nothing to compile, nothing lost."""


class NeverPublishedError(CompileError):
    """The published branch of a course that was never published: nothing to compile until its first publish."""


class TransientCompileError(CompileError):
    """
    The database refused the compile for a while (SQLite ``database is locked``, a MySQL deadlock or lock wait
    timeout) and the compile's own retries ran out. Celery tasks retry it later; ``lc_compile --stale`` finds it.
    """
