"""Errors raised by lc-modulestore's own code. Each message names the thing at fault."""


class LcModulestoreError(Exception):
    """Base class of every lc-modulestore error."""


class InvalidCourseKeyError(LcModulestoreError, ValueError):
    """A course key that is malformed or of a kind Learning Core courses do not use."""


class CourseNotFoundError(LcModulestoreError, LookupError):
    """No Learning Core course has this key."""


class CourseExistsError(LcModulestoreError):
    """A course with this key already exists where a new one was required."""


class BlockNotFoundError(LcModulestoreError, LookupError):
    """A block key that is not in the course's usage-key map."""


class BlockShapeError(LcModulestoreError):
    """A block whose new data does not fit the Learning Core entity it already is (e.g. leaf became container)."""


class OlxError(LcModulestoreError):
    """
    An OLX export that cannot be imported: malformed XML/JSON, a missing pointer target, a duplicate, a cycle.

    ``file`` is the file at fault (relative to the course directory when it is
    inside it) and ``line`` its line when known; both are part of the message.
    """

    def __init__(self, message: str, *, file: str, line: int | None = None) -> None:
        self.file = file
        self.line = line
        self.reason = message
        where = f"{file}, line {line}" if line else file
        super().__init__(f"{where}: {message}")
