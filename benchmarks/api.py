"""Public surface of the benchmarks package (used by ``manage.py lc_bench`` and the smoke test)."""
from benchmarks.compile import CompileReport, compile_markdown, merge_compile_reports, run_compile_benchmark
from benchmarks.courses import course_key_for, ensure_synthetic_course, shape_for_size
from benchmarks.floor import load_stored_course, measure_floor
from benchmarks.mongo_copy import copy_course_to_mongo
from benchmarks.nx import NX_LABEL, NxServerError, nx_server
from benchmarks.read import SCENARIOS
from benchmarks.report import markdown
from benchmarks.runner import DEMO_COURSE_KEY, ReadReport, merge_read_reports, run_read_benchmark

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
