"""Every benchmark in one command, from a fresh clone after ``./setup/test.sh``:

    .venv/bin/python tests/benchmarks/run_all.py [--quick] [--only tier,reports] [--readme]

Each benchmark script runs in its own process and builds or reuses the databases it needs
(creating them, installing what is missing, filling them with bulk SQL once). Their output
is shown as it comes and kept in ``tests/benchmarks/results/<name>.log``; every ``name=value``
line they print is a figure. At the end: one table of all figures with their goals, then one
``name=value`` line per figure. ``--readme`` writes the table into README.md, between the
``benchmarks:start`` and ``benchmarks:end`` markers of its speed section: the rows of the
benchmarks that ran are replaced, the others' kept. ``--only huge`` runs the tier benchmark at
1,000,000 customers, which the default run leaves out.
"""
import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

BENCHMARK_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCHMARK_DIR.parents[1]
RESULTS_DIR = BENCHMARK_DIR / "results"
README = PROJECT_DIR / "README.md"
FIGURE = re.compile(r"^([a-z][a-z0-9_]*)=(-?[0-9][0-9.]*)\s*$")

# In the order they run: the tier benchmark builds the data the reports benchmark reads.
BENCHMARKS = {
    "tier": "bench_tier_recalc.py",
    "categories": "bench_spend_categories.py",
    "reports": "bench_reports.py",
    "simulation": "bench_simulation.py",
    "queries": "bench_queries.py",
    "points": "bench_points.py",
    "workers": "bench_workers.py",
    "events": "bench_events.py",
    "offers": "bench_personal_offers.py",
    "liability": "bench_liability.py",
}
# Run only when named in --only: the tier benchmark at 1,000,000 customers / 20,000,000
# invoices (its database takes long to build and about 20 GB). Its rows stay in the README
# when the other benchmarks are run again.
OPTIONAL = {
    "huge": "bench_tier_recalc.py --huge",
}

# What a figure means and the goal it is held to; figures not listed are shown as printed.
FIGURES = {
    "tier_small_daily_ratio": (
        "Tier recalculation, 20,000 customers / 400,000 invoices: engine / SQL lower bound", "<= 1.5",
    ),
    "tier_large_daily_ratio": (
        "Tier recalculation, 200,000 customers / 4,000,000 invoices: engine / SQL lower bound", "<= 1.5",
    ),
    "tier_categories_small_daily_ratio": (
        "Tier recalculation counting spend by product line, small: engine / SQL bound counting the same lines",
        "<= 1.5",
    ),
    "tier_small_forecast_ratio": (
        "Retention forecast of every customer (rolling period), small: / SQL lower bound", "<= 2",
    ),
    "tier_large_forecast_ratio": ("Retention forecast, large: / SQL lower bound", "<= 2"),
    "tier_small_first_run_ratio": ("First run (everyone enrolled, a history line each), small: / SQL bound", ""),
    "tier_large_first_run_ratio": ("First run, large: / SQL bound", ""),
    "tier_small_peak_memory_mb": ("Peak memory of the recalculation, small (MB)", "bounded"),
    "tier_large_peak_memory_mb": ("Peak memory of the recalculation, large (MB)", "bounded"),
    "tier_small_daily_ratio_without_store": (
        "The same, small, with the reports' store triggers disabled on both sides", "<= 1.5",
    ),
    "tier_large_daily_ratio_without_store": (
        "The same, large, with the reports' store triggers disabled on both sides", "<= 1.5",
    ),
    "tier_huge_daily_ratio": (
        "Tier recalculation, 1,000,000 customers / 20,000,000 invoices: engine / SQL lower bound", "<= 1.5",
    ),
    "tier_huge_daily_ratio_without_store": (
        "The same, huge, with the reports' store triggers disabled on both sides", "<= 1.5",
    ),
    "tier_huge_peak_memory_mb": ("Peak memory of the recalculation, huge (MB)", "bounded"),
    "reports_store_posting_share_percent": (
        "The reports' store: share of posting time its triggers take (%)", "<= 5",
    ),
    "tier_memory_growth": ("Peak memory large / small (10x the customers)", "~1"),
    "pivot_full_load_seconds": ("Analysis pivot by tier and month as the web client loads it (s)", "< 2"),
    "pivot_full_load_ratio_vs_raw_sql": ("The same / raw SQL aggregation of the invoices by month", "<= 1.5"),
    "pivot_by_customer_seconds": ("Analysis pivot by customer and month, last quarter, full load (s)", ""),
    "kpi_seconds": ("KPI screen (s)", "< 2"),
    "simulation_seconds": ("What-if simulation, last 12 months, both settings and movers (s)", "< 3"),
    "simulation_sensitivity_seconds": ("What-if sensitivity run, 10 steps (s)", ""),
    "simulation_ratio": ("What-if simulation / raw SQL GROUP BY of the window", "<= 2"),
    "simulation_same_documents_ratio": (
        "What-if simulation / raw SQL GROUP BY of the documents it reads (lifetime spend: all up to the "
        "window's end)", "",
    ),
    "queries_extra_growth": ("Extra queries of the add-ons, 300,000 ledger entries vs empty", "0"),
    "invoices_ratio_ours_vs_plain": (
        "Post and pay invoices: with the add-ons / plain Odoo (interleaved median)", "<= 1.15",
    ),
    "orders_ratio_ours_vs_sale_loyalty": ("Confirm orders: ours / Odoo's sale_loyalty (interleaved median)", "<= 1.0"),
    "events_delivered_per_second": ("Outbound events: 10,000 posted to a local endpoint by one worker (/s)", ">= 200"),
    "events_posting_overhead_queries": (
        "Outbound events: queries an endpoint adds to posting an invoice (none without one)", "<= 2",
    ),
    "offers_daily_ratio": (
        "Personal offers, 20,000 customers / 400,000 invoice lines, nightly run / one GROUP BY of the "
        "window's lines", "<= 2",
    ),
    "offers_first_run_ratio": ("Personal offers, first run (every offer created) / the same GROUP BY", ""),
    "liability_tie_out_seconds": (
        "Points liability tie-out, 20,000 customers / 400,000 lots, a line per customer (s)", "< 2",
    ),
    "liability_tie_out_difference": ("The same: books less ledger", "0"),
    "liability_posting_extra_queries": ("Queries the deferral adds to posting an invoice that earns points", "<= 6"),
    "workers_throughput_ratio": ("4 workers, 8 XML-RPC clients posting and paying: throughput ours / plain", ">= 0.85"),
    "workers_errors_ours": ("Errors reaching a client, with the add-ons", "0"),
    "workers_errors_plain": ("Errors reaching a client, plain Odoo", "0"),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of every benchmark")
    parser.add_argument("--only", default="", help=(
        f"comma-separated, among {', '.join(BENCHMARKS)} (all by default) and {', '.join(OPTIONAL)}"
    ))
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    return parser.parse_args()


def run_benchmark(name, script, quick):
    """Runs one script, echoing its output; returns (figures in order, seconds, exit code)."""
    RESULTS_DIR.mkdir(exist_ok=True)
    file, *options = script.split()
    command = [sys.executable, str(BENCHMARK_DIR / file), *options] + (["--quick"] if quick else [])
    print(f"# ---- {name}: {' '.join(command[1:])}", flush=True)
    figures = {}
    start = time.perf_counter()
    with (RESULTS_DIR / f"{name}.log").open("w") as log, subprocess.Popen(
        command, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
    ) as process:
        for line in process.stdout:
            sys.stdout.write(line)
            log.write(line)
            match = FIGURE.match(line.strip())
            if match:
                figures[match[1]] = match[2]
    return figures, time.perf_counter() - start, process.returncode


def table_rows(results):
    """Markdown rows of every figure, in the order the benchmarks printed them."""
    rows = []
    for name, (figures, _seconds, _code) in results.items():
        for figure, value in figures.items():
            description, goal = FIGURES.get(figure, (figure, ""))
            label = description if figure not in FIGURES else f"{description} (`{figure}`)"
            rows.append(f"| {name} | {label} | **{value}** | {goal} |")
    return rows


TABLE_HEAD = ["| Benchmark | Figure | Value | Goal |", "| --- | --- | --- | --- |"]


def write_readme(results):
    """The README's table with the rows of the benchmarks that ran replaced, in the order of
    BENCHMARKS; the rows of the others are kept."""
    content = README.read_text()
    start, end = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
    if start not in content or end not in content:
        sys.exit("README.md has no benchmarks:start / benchmarks:end markers.")
    head, rest = content.split(start, 1)
    old, tail = rest.split(end, 1)
    kept = {}
    for line in old.splitlines():
        if line.startswith("| ") and line not in TABLE_HEAD:
            kept.setdefault(line.split("|")[1].strip(), []).append(line)
    fresh = {}
    for row in table_rows(results):
        fresh.setdefault(row.split("|")[1].strip(), []).append(row)
    rows = [row for name in {**BENCHMARKS, **OPTIONAL} for row in fresh.get(name, kept.get(name, []))]
    text = "\n".join(TABLE_HEAD + rows)
    README.write_text(f"{head}{start}\n{text}\n{end}{tail}")


def main():
    args = parse_args()
    chosen = [name for name in args.only.split(",") if name] or list(BENCHMARKS)
    scripts = {**BENCHMARKS, **OPTIONAL}
    unknown = set(chosen) - set(scripts)
    if unknown:
        sys.exit(f"Unknown benchmark(s): {', '.join(sorted(unknown))}; choose among {', '.join(scripts)}.")
    results = {name: run_benchmark(name, scripts[name], args.quick) for name in chosen}
    print("\n" + "\n".join(TABLE_HEAD + table_rows(results)) + "\n")
    for name, (_figures, seconds, code) in results.items():
        status = "ok" if code == 0 else f"FAILED (exit code {code})"
        print(f"# {name}: {status}, {seconds / 60:.1f} min", flush=True)
    for figures, _seconds, _code in results.values():
        for figure, value in figures.items():
            print(f"{figure}={value}")
    if args.readme:
        write_readme(results)
    failed = [name for name, (_figures, _seconds, code) in results.items() if code]
    if failed:
        sys.exit(f"Failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
