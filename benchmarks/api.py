"""Public surface of the benchmarks package (used by ``manage.py lc_bench`` and the smoke test)."""
from .compile import CompileReport, compile_markdown, merge_compile_reports, run_compile_benchmark
from .courses import course_key_for, ensure_synthetic_course, shape_for_size
from .floor import load_stored_course, measure_floor
from .mongo_copy import copy_course_to_mongo
from .nx import NX_LABEL, NxServerError, nx_server
from .read import SCENARIOS
from .report import markdown
from .runner import DEMO_COURSE_KEY, ReadReport, merge_read_reports, run_read_benchmark

__all__ = [
    "CompileReport",
    "DEMO_COURSE_KEY",
    "NX_LABEL",
    "SCENARIOS",
    "NxServerError",
    "ReadReport",
    "copy_course_to_mongo",
    "course_key_for",
    "compile_markdown",
    "ensure_synthetic_course",
    "load_stored_course",
    "markdown",
    "measure_floor",
    "merge_compile_reports",
    "merge_read_reports",
    "nx_server",
    "run_compile_benchmark",
    "run_read_benchmark",
    "shape_for_size",
]
