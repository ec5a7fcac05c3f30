"""Public API of OLX import: ``import_olx`` and what it returns or raises."""
from lc_modulestore.api import OlxError
from lc_modulestore.importing.olx.importer import ImportResult, Progress, import_olx
from lc_modulestore.importing.olx.reader import OlxCourse, open_course_dir, read_course_dir

__all__ = ["ImportResult", "OlxCourse", "OlxError", "Progress", "import_olx", "open_course_dir", "read_course_dir"]
