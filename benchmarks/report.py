"""The read benchmark's Markdown table and PNG plots (matplotlib, Agg: no display needed)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.results import ReadReport

__all__ = ["markdown", "write_plots", "write_table"]

#: split's published per-operation budgets (reference split-modulestore.md §7), for the side-by-side column.
SPLIT_BUDGETS = {
    "traversal": "2 Mongo + 1 MySQL",
    "get_item": "1 Mongo + 1 MySQL",
}


def _bytes(value: Any) -> str:
    return "–" if value is None else f"{value:,}"


def markdown(report: ReadReport) -> str:
    env = report.environment
    lines = _three_way(report) + [
        f"Machine: {env.get('nproc')} CPUs, {env.get('memory', '?')} RAM, Python {env.get('python')}, "
        f"SQL: {env.get('sql')}, Mongo: {env.get('mongo')}"
        + (f" (server reports {env['mongo_server_version']})" if env.get("mongo_server_version") else "")
        + (f"; load average at start {env['load']}" if env.get("load") else ""),
        "",
        "Per operation (one simulated request). *trips*: SQL queries for mysql, Mongo round trips for mongo "
        "(SQL queries on the mongo side in brackets). Time: median [IQR] (min–max) over all runs.",
        "",
        "| course | blocks | scenario | mode | backend | n | median ms | IQR ms | min–max ms | trips | split budget "
        "| bytes read | peak KiB | mysql/mongo |",
        "|---|---:|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    by_key = {(r["course"], r["scenario"], r["mode"], r["backend"]): r for r in report.rows}
    for r in report.rows:
        other = by_key.get((r["course"], r["scenario"], r["mode"], "mongo"))
        ratio = f"{r['median_ms'] / other['median_ms']:.2f}×" if r["backend"] == "mysql" and other else ""
        trips = f"{r['round_trips']:g}"
        if r["backend"] == "mongo" and r["queries"]:
            trips += f" ({r['queries']:g})"
        lines.append(
            f"| {r['course']} | {r['blocks']:,} | {r['scenario']} | {r['mode']} | {r['backend']} | {r['n']} "
            f"| {r['median_ms']:.2f} | {r['q1_ms']:.2f}–{r['q3_ms']:.2f} | {r['min_ms']:.2f}–{r['max_ms']:.2f} "
            f"| {trips} | {SPLIT_BUDGETS.get(r['scenario'], '') if r['mode'] == 'cold' else ''} "
            f"| {_bytes(r['bytes_read'])} | {r['peak_kib']:,.0f} | {ratio} |"
        )
    if report.floors:
        lines += [
            "",
            "Full traversal vs the floor, now a real lower bound: decoding the stored bytes alone (the structure "
            "and every "
            "definition, nothing built from them); × = traversal median / lower bound:",
            "",
            "| course | blocks | decode ms (min–max) | µs/block decode | µs/block mysql cold | mysql cold × | "
            "mysql warm × | mongo cold × | mongo warm × | stored bytes | cached structure (traced) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for f in report.floors:
            lines.append(
                f"| {f['course']} | {f['blocks']:,} | {f['floor_ms']:.0f} ({f['floor_min_ms']:.0f}–"
                f"{f['floor_max_ms']:.0f}) | {f['us_per_block_floor']:.0f} | {f['us_per_block_cold_mysql']:.0f} "
                f"| {f['cold_mysql_ratio']:.2f} | {f['warm_mysql_ratio']:.2f} | {f['cold_mongo_ratio']:.2f} "
                f"| {f['warm_mongo_ratio']:.2f} | {f['stored_bytes']:,} "
                f"| {f['cached_structure_bytes'] / 2**20:.1f} MiB |"
            )
    return "\n".join(lines) + "\n"


def _three_way(report: ReadReport) -> list[str]:
    """Every scenario, cold and warm: ours and edx-platform's split over the same SQL backend, ours over Mongo."""
    env = report.environment
    labels = env.get("backends") or {}
    if "edx_split" not in labels:
        return []
    by_key = {(r["course"], r["scenario"], r["mode"], r["backend"]): r for r in report.rows}
    courses = list(dict.fromkeys((r["course"], r["blocks"]) for r in report.rows))
    scenarios = list(dict.fromkeys(r["scenario"] for r in report.rows))
    lines = [
        f"Commit {env.get('commit', '?')}; arguments: `{env.get('arguments', '')}`.",
        "",
        f"Median ms per operation. *ours*: {labels.get('mysql')}; *edx split*: {labels.get('edx_split')} "
        f"(the same documents, the same backend class); *Mongo*: {labels.get('mongo')}. "
        "× = edx split / ours.",
        "",
        "*answers*: what edx split's and Mongo's answers differ in from ours, checked untimed after the runs the way "
        "shadow reads compare (`shim.compare`; a traversal field by field for its first "
        "500 blocks breadth first, and its set of blocks whole).",
        "",
        "| course | blocks | scenario | edx split cold | ours cold | × cold | edx split warm | ours warm | × warm "
        "| Mongo cold | Mongo warm | answers |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    answers = {(a["course"], a["scenario"], a["backend"]): a["differences"] for a in report.answers}
    for course, blocks in courses:
        for scenario in scenarios:
            cells = []
            for mode in ("cold", "warm"):
                edx = by_key.get((course, scenario, mode, "edx_split"))
                ours = by_key.get((course, scenario, mode, "mysql"))
                if edx is None or ours is None:
                    cells += ["–", "–", "–"]
                    continue
                cells += [f"{edx['median_ms']:.1f}", f"{ours['median_ms']:.1f}",
                          f"{edx['median_ms'] / ours['median_ms']:.1f}×"]
            mongo = [by_key.get((course, scenario, mode, "mongo")) for mode in ("cold", "warm")]
            cells += [f"{m['median_ms']:.1f}" if m else "–" for m in mongo]
            cells.append(_answers(answers, course, scenario))
            lines.append(f"| {course} | {blocks:,} | {scenario} | " + " | ".join(cells) + " |")
    differing = [(key, diffs) for key, diffs in answers.items() if diffs]
    if differing:
        lines += ["", "Answers that differ from ours (first 5 differences each):", ""]
        for (course, scenario, backend), diffs in differing:
            lines.append(f"* {course}, {scenario}, {backend}: " + "; ".join(diffs[:5]).replace("\n", " "))
    return lines + ["", ""]


def _answers(answers: dict, course: str, scenario: str) -> str:
    checked = {backend: diffs for (c, s, backend), diffs in answers.items() if (c, s) == (course, scenario)}
    if not checked:
        return "not checked"
    if not any(checked.values()):
        return "equal"
    return ", ".join(f"{backend}: {len(diffs)} differ" for backend, diffs in checked.items() if diffs)


def write_table(report: ReadReport, out: Path) -> list[Path]:
    path = out / "results.md"
    path.write_text("# lc_bench read\n\n" + markdown(report))
    return [path]


#: What each plot draws, in this order and colour: ours over SQL, edx-platform's split over it, ours over Mongo.
PLOTTED_BACKENDS = (("mysql", "tab:blue"), ("edx_split", "tab:red"), ("mongo", "tab:orange"))


def write_plots(report: ReadReport, out: Path) -> list[Path]:
    """One PNG per scenario: median time vs course size, every store measured, cold and warm (log-log)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for scenario in dict.fromkeys(r["scenario"] for r in report.rows):
        fig, ax = plt.subplots(figsize=(6, 4))
        present = {r["backend"] for r in report.rows}
        for backend, colour in PLOTTED_BACKENDS:
            if backend not in present:
                continue
            for mode, style in (("cold", "-"), ("warm", "--")):
                rows = sorted(
                    (
                        r
                        for r in report.rows
                        if r["scenario"] == scenario
                        and r["backend"] == backend
                        and r["mode"] == mode
                        and r["course"].startswith("synthetic")
                    ),
                    key=lambda r: r["blocks"],
                )
                if rows:
                    ax.errorbar(
                        [r["blocks"] for r in rows],
                        [r["median_ms"] for r in rows],
                        yerr=[[r["median_ms"] - r["q1_ms"] for r in rows], [r["q3_ms"] - r["median_ms"] for r in rows]],
                        fmt=style + "o",
                        color=colour,
                        capsize=3,
                        label=f"{backend} {mode}",
                    )
                demo = [
                    r
                    for r in report.rows
                    if r["scenario"] == scenario
                    and r["backend"] == backend
                    and r["mode"] == mode
                    and not r["course"].startswith("synthetic")
                ]
                for r in demo:
                    ax.plot([r["blocks"]], [r["median_ms"]], marker="*", markersize=10, color=colour, linestyle="none")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("blocks in course (★ = demo course)")
        ax.set_ylabel("median ms per operation")
        ax.set_title(
            f"{scenario}: " + " vs ".join(b for b, _c in PLOTTED_BACKENDS if b in present)
            + (" (Mongo: nx-27017 stand-in)"
               if "nx-27017" in (report.mongo_label or report.environment.get("mongo", "")) else ""),
            fontsize=10,
        )
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = out / f"read_{scenario}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    return paths
