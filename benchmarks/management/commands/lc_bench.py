"""manage.py lc_bench compile|read|report: compile timings by course size; read paths on MySQL vs Mongo."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from benchmarks.api import (
    SCENARIOS,
    NxServerError,
    compile_markdown,
    markdown,
    merge_compile_reports,
    merge_read_reports,
    run_compile_benchmark,
    run_read_benchmark,
    shape_for_size,
)
from lc_modulestore.importing.api import parse_shape
from lc_modulestore.management.base import LcCommand


class Command(LcCommand):
    help = (
        "Benchmarks (code in benchmarks/; figures recorded in docs/benchmarks.md).\n\n"
        "compile: for each size, build a synthetic course (root → sections → subsections → units →\n"
        "components) as drafts in a fresh learning package, time Learning Core's publish_all_drafts of it,\n"
        "then a full compile of that publish and, after one leaf edit, one unit reorder and one section\n"
        "delete, an incremental compile next to a forced full compile of the same publish. Reports blocks,\n"
        "rebuilt blocks, raw BSON vs stored (zlib) bytes, median ms over --repeat runs, %% of the full\n"
        "compile and queries; writes compile.md, compile.json and compile_time.png to --out. Building is\n"
        "Learning Core's work and dominates (10k blocks: ~3 min; 50k: ~13 min on a 2-CPU VM). Use a\n"
        "scratch database: the courses stay.\n\n"
        "read: the LMS's hot read paths (full traversal, get_item + content, get_items by category,\n"
        "parent walks, has_course/has_item), cold and warm, through the same ReadOnlySplitModuleStore over\n"
        "the MySQL backend and over the Mongo backend, on synthetic courses of --sizes blocks (built once and\n"
        "reused: key course-v1:LcBench+S<shape>+seed0) and the demo course; also the traversal floor\n"
        "(codec + bare XBlock runtime). Without --mongo-uri an nx-27017 stand-in is started and every Mongo\n"
        "figure is labelled as such. Writes results.md, results.json and read_<scenario>.png to --out after\n"
        "each course.\n\n"
        "report: one results.md and set of plots from the results.json of several read runs (--from), e.g.\n"
        "1k and 10k in one run and 50k, which takes half an hour, in another; or one compile.md and plot from the\n"
        "compile.json of several compile runs on the same database.\n\n"
        "Examples:\n"
        "  LC_VAR_DIR=/tmp/bench manage.py migrate\n"
        "  LC_VAR_DIR=/tmp/bench manage.py lc_bench compile --sizes 1000,10000 --out var/bench\n"
        "  LC_VAR_DIR=/tmp/bench manage.py lc_bench compile --shape 2x2x4x5 --repeat 1 --out ''\n"
        "  LC_DATABASE_URL=mysql://u:p@127.0.0.1:3306/lcms manage.py lc_bench read --sizes 1000,10000 \\\n"
        "      --mongo-uri mongodb://127.0.0.1:27017 --db lc_bench --out var/bench --repeat 5\n"
        "  manage.py lc_bench report --from var/bench-1k10k,var/bench-50k --out var/bench-all"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("what", choices=["compile", "read", "report", "visible"])
        parser.add_argument("--sizes", default="1000,10000,50000",
                            help="comma-separated course sizes in blocks (default 1000,10000,50000)")
        parser.add_argument("--seed", type=int, default=0, help="synthetic course seed (default 0)")
        parser.add_argument("--out", default="var/bench",
                            help="directory for the tables, JSON and PNGs (default var/bench; '' writes nothing "
                                 "for compile)")
        parser.add_argument("--repeat", type=int, default=None,
                            help="runs per measurement (default 5 for read, 3 for compile)")
        compile_group = parser.add_argument_group("compile")
        compile_group.add_argument("--shape", default="",
                                   help="SECTIONSxSUBSECTIONSxUNITSxCOMPONENTS[,...] instead of --sizes "
                                        "(e.g. 20x20x4x5 = 10,021 blocks)")
        read = parser.add_argument_group("read")
        read.add_argument("--mongo-uri", default=None,
                          help="a MongoDB to read the Mongo twin from (default: start an nx-27017 stand-in)")
        read.add_argument("--db", default=None,
                          help="Mongo database for the twin (default: a temporary one, dropped at the end)")
        read.add_argument("--no-demo", action="store_true", help="skip the demo course")
        read.add_argument("--scenarios", default="",
                          help=f"comma-separated subset of {','.join(SCENARIOS)} (default: all of them)")
        read.add_argument("--no-edx-platform", action="store_true",
                          help="skip the column for edx-platform's own split store over the same SQL backend "
                               "(it needs ../shared/edx-platform; without it the column is skipped anyway)")
        visible = parser.add_argument_group("visible")
        visible.add_argument("--course", default=None,
                             help="visible: the compiled course to edit (default: the synthetic course of the "
                                  "first --sizes); publish → course_published → the next read, via the mount")
        merge = parser.add_argument_group("report")
        merge.add_argument("--from", dest="sources", default="",
                           help="comma-separated --out directories of earlier read runs, or of compile runs")

    def handle(self, *args, **options) -> None:
        if options["what"] == "read":
            return self._read(options)
        if options["what"] == "report":
            return self._report(options)
        if options["what"] == "visible":
            return self._visible(options)
        return self._compile_bench(options)

    def _compile_bench(self, options) -> None:

        try:
            shapes = ([parse_shape(s) for s in options["shape"].split(",")] if options["shape"]
                      else [shape_for_size(size) for size in self._sizes(options)])
        except ValueError as exc:
            raise CommandError(f"--shape: {exc}") from None
        repeat = self._repeat(options, default=3)
        out = Path(options["out"]) if options["out"] else None
        report = run_compile_benchmark(shapes=shapes, out=out, repeat=repeat, seed=options["seed"],
                                       log=lambda message: self.stdout.write(message))
        self.stdout.write(compile_markdown(report))
        for path in report.files:
            self.stdout.write(f"wrote {path}")

    @staticmethod
    def _repeat(options, *, default: int) -> int:
        repeat = default if options["repeat"] is None else options["repeat"]
        if repeat < 1:
            raise CommandError("--repeat must be at least 1")
        return repeat

    @staticmethod
    def _sizes(options) -> list[int]:
        try:
            sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        except ValueError:
            raise CommandError(f"--sizes must be comma-separated integers, not {options['sizes']!r}") from None
        if not sizes or min(sizes) < 10:
            raise CommandError("--sizes: every size must be at least 10 blocks")
        return sizes

    def _read(self, options) -> None:

        sizes = self._sizes(options)
        repeat = self._repeat(options, default=5)
        if not options["out"]:
            raise CommandError("read: --out must name a directory")
        scenarios = [name for name in options["scenarios"].split(",") if name] or None
        unknown = sorted(set(scenarios or ()) - set(SCENARIOS))
        if unknown:
            raise CommandError(f"--scenarios: unknown {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
        try:
            report = run_read_benchmark(
                sizes=sizes, out=Path(options["out"]), repeat=repeat, mongo_uri=options["mongo_uri"],
                mongo_db=options["db"], demo=not options["no_demo"], seed=options["seed"],
                edx_platform=not options["no_edx_platform"], arguments=self._arguments(options, repeat),
                scenarios=scenarios,
                log=lambda message: self.stdout.write(message),
            )
        except NxServerError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(markdown(report))
        for path in report.files:
            self.stdout.write(f"wrote {path}")

    @staticmethod
    def _arguments(options, repeat: int) -> str:
        """The run's arguments as a command line (recorded in the report)."""
        parts = ["read", "--sizes", options["sizes"], "--repeat", str(repeat), "--seed", str(options["seed"]),
                 "--out", str(options["out"])]
        parts += ["--mongo-uri", options["mongo_uri"]] if options["mongo_uri"] else []
        parts += ["--db", options["db"]] if options["db"] else []
        parts += ["--no-demo"] if options["no_demo"] else []
        parts += ["--no-edx-platform"] if options["no_edx_platform"] else []
        return " ".join(parts)

    def _visible(self, options) -> None:
        import json

        from benchmarks.courses import course_key_for, ensure_compiled
        from benchmarks.visible import measure_publish_to_visible

        course = options["course"] or course_key_for(self._sizes(options)[0], options["seed"])
        try:
            ensure_compiled(course)
            result = measure_publish_to_visible(course, repeat=self._repeat(options, default=5),
                                                log=lambda message: self.stdout.write(message))
        except RuntimeError as exc:
            raise CommandError(f"visible: {exc}") from exc
        for reader, figures in result["readers"].items():
            self.stdout.write(
                f"{course} ({result['blocks']:,} blocks), read by {reader}: publish returned → course_published "
                f"delivered {figures['delivered_median_ms']:.0f} ms, → next read sees the edit "
                f"{figures['visible_median_ms']:.0f} ms (median of {len(result['runs']) // 2}, slowest "
                f"{figures['visible_max_ms']:.0f} ms, {figures['full_collections']} full garbage collection(s) "
                f"while timed; target ≤ {result['target_ms']:.0f} ms)")
        if options["out"]:
            out = Path(options["out"])
            out.mkdir(parents=True, exist_ok=True)
            (out / "visible.json").write_text(json.dumps(result, indent=1))
            self.stdout.write(f"wrote {out / 'visible.json'}")

    def _report(self, options) -> None:

        sources = [Path(s) for s in options["sources"].split(",") if s.strip()]
        if not sources or not options["out"]:
            raise CommandError("report: give --from DIR[,DIR…] (earlier read or compile runs) and --out DIR")

        def has(source: Path, name: str) -> bool:
            return (source / name).is_file()

        if all(has(s, "results.json") for s in sources):
            report = merge_read_reports(sources, Path(options["out"]))
            self.stdout.write(markdown(report))
        elif all(has(s, "compile.json") for s in sources):
            try:
                report = merge_compile_reports(sources, Path(options["out"]))
            except ValueError as exc:
                raise CommandError(f"report: {exc}") from None
            self.stdout.write(compile_markdown(report))
        else:
            missing = [str(s) for s in sources if not (has(s, "results.json") or has(s, "compile.json"))]
            raise CommandError("report: --from takes read runs (results.json) or compile runs (compile.json), not "
                               f"both; no results.json or compile.json in {', '.join(missing) or 'some of them'}")
        for path in report.files:
            self.stdout.write(f"wrote {path}")
