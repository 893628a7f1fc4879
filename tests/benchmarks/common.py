"""Shared plumbing for the benchmark scripts: an Odoo database with the add-ons, bulk data
made with set-based SQL, and a timer. Run the scripts with the project's virtualenv:

    .venv/bin/python tests/benchmarks/bench_tier_recalc.py [--database NAME]
"""
import argparse
import ast
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


def bench_database(name):
    """The database ``name`` under the prefix of ``WHOLESALE_BENCH_DB_PREFIX`` (empty by
    default), so that several checkouts on one server each run the benchmarks on databases
    of their own."""
    return os.environ.get("WHOLESALE_BENCH_DB_PREFIX", "") + name


def odoo_source():
    for candidate in (os.environ.get("ODOO_SRC"), "/opt/odoo-18.0", PROJECT_DIR / ".odoo-src"):
        if candidate and (Path(candidate) / "odoo-bin").exists():
            return Path(candidate)
    sys.exit("No Odoo 18 source found: run ./setup/install.sh first.")


def addons_path():
    src = odoo_source()
    return f"{src}/odoo/addons,{src}/addons,{PROJECT_DIR}"


def parse_args(description, default_db):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database", default=default_db)
    parser.add_argument("--modules", default="wholesale_loyalty")
    return parser.parse_args()


def database_exists(name):
    return _psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


def _psql(database, query):
    out = subprocess.run(["psql", "-d", database, "-Atc", query], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _odoo_bin(name, *options):
    subprocess.run(
        [sys.executable, str(odoo_source() / "odoo-bin"), f"--addons-path={addons_path()}",
         "-d", name, *options, "--without-demo=all", "--stop-after-init", "--log-level=warn"],
        check=True,
    )


def missing_modules(name, modules):
    wanted = [module for module in modules.split(",") if module]
    installed = set(_psql(name, "SELECT name FROM ir_module_module WHERE state = 'installed'").split())
    return [module for module in wanted if module not in installed]


def outdated_modules(name):
    """Our add-ons installed in ``name`` at another version than the checked-out code's: an
    update brings them (and any new dependency) up to it before the registry can load."""
    installed = dict(
        line.split("|") for line in _psql(
            name, "SELECT name, latest_version FROM ir_module_module WHERE state = 'installed'"
            " AND name IN ('wholesale_loyalty', 'wholesale_loyalty_reports')",
        ).splitlines()
    )
    outdated = []
    for module, version in sorted(installed.items()):
        manifest = ast.literal_eval((PROJECT_DIR / module / "__manifest__.py").read_text())
        if version != manifest["version"]:
            outdated.append(module)
    return outdated


def ensure_database(name, modules, update=None):
    """The benchmark database ``name`` (no demo data) with ``modules`` installed: created
    once, completed when a module is missing, and our add-ons brought up to the checked-out
    code (new tables, triggers, data) when their version differs, or when ``update`` names
    them."""
    if not database_exists(name):
        print(f"# creating database {name} with {modules} (once)", flush=True)
        _create_database(name, modules)
        return
    missing = missing_modules(name, modules)
    if missing:
        print(f"# installing {','.join(missing)} in {name}", flush=True)
        _odoo_bin(name, "-i", ",".join(missing))
    ours = [module for module in (update or "").split(",") if module and module not in missing]
    ours += [module for module in outdated_modules(name) if module not in ours and module not in missing]
    if ours:
        print(f"# updating {','.join(ours)} in {name}", flush=True)
        _odoo_bin(name, "-u", ",".join(ours))


def _create_database(name, modules):
    """Build the database under a name of its own and give it ``name`` once complete: an
    interrupted build leaves no half-installed database behind for the next run to reuse."""
    building = f"{name}_building"
    _drop_database(building)
    _odoo_bin(building, "-i", modules)
    _psql("postgres", f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    filestore = Path.home() / ".local/share/Odoo/filestore"
    if (filestore / building).exists():
        (filestore / building).rename(filestore / name)


def _drop_database(name):
    _psql("postgres", f'DROP DATABASE IF EXISTS "{name}"')
    shutil.rmtree(Path.home() / ".local/share/Odoo/filestore" / name, ignore_errors=True)


def open_registry(name):
    sys.path.insert(0, str(odoo_source()))
    import odoo
    if not odoo.tools.config.get("addons_path", "").endswith(str(PROJECT_DIR)):
        # Odoo's configuration can be parsed once per process; later databases reuse it.
        odoo.tools.config.parse_config([f"--addons-path={addons_path()}", "-d", name, "--log-level=warn"])
    odoo.tools.config["db_name"] = name
    return odoo.modules.registry.Registry(name)


@contextmanager
def timed(results, label):
    start = time.perf_counter()
    yield
    results[label] = time.perf_counter() - start
    print(f"{label}_seconds={results[label]:.3f}", flush=True)


def insert_copies(cr, table, template_id, count, overrides, series_alias="n"):
    """Insert ``count`` copies of row ``template_id`` of ``table`` in one statement;
    ``overrides`` maps column -> SQL expression over ``series_alias`` (1..count)."""
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name <> 'id'",
        [table],
    )
    columns = [row[0] for row in cr.fetchall()]
    select = ", ".join(overrides.get(col, f"t.{col}") for col in columns)
    cr.execute(
        f'INSERT INTO {table} ({", ".join(columns)}) '  # noqa: S608 - benchmark, names from the catalog
        f"SELECT {select} FROM {table} t, generate_series(1, %s) AS {series_alias} WHERE t.id = %s "
        f"RETURNING id",
        [count, template_id],
    )
    return [row[0] for row in cr.fetchall()]


def copy_rows(cr, table, template_id, source, alias, overrides):
    """One copy of row ``template_id`` of ``table`` per row of ``source`` (a table name or a
    parenthesised SELECT, seen as ``alias``), in one statement; ``overrides`` maps column -> SQL
    expression over ``alias``. Like :func:`insert_copies`, with the copies driven by rows."""
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name <> 'id'",
        [table],
    )
    columns = [row[0] for row in cr.fetchall()]
    select = ", ".join(overrides.get(col, f"t.{col}") for col in columns)
    cr.execute(
        f'INSERT INTO {table} ({", ".join(columns)}) '  # noqa: S608 - benchmark, names from the catalog
        f"SELECT {select} FROM {table} t, {source} {alias} WHERE t.id = %s",
        [template_id],
    )


def emit(name, value, digits=3):
    """One figure as ``name=value``: the line ``run_all.py`` collects into its table."""
    text = f"{value:.{digits}f}" if isinstance(value, float) else str(value)
    print(f"{name}={text}", flush=True)
    return value


def interleaved_ratio(run_reference, run_ours, pairs=5):
    """Median of ``ours / reference`` over ``pairs`` runs taken in turn (reference, ours,
    reference, ours ...), so that a change in machine load hits both sides of a pair alike.
    Each callable returns the seconds it measured. Returns (median ratio, reference
    timings, our timings)."""
    import statistics

    reference, ours = [], []
    for _pair in range(pairs):
        reference.append(run_reference())
        ours.append(run_ours())
    ratios = [b / a for a, b in zip(reference, ours, strict=True)]
    return statistics.median(ratios), reference, ours


def backend_pid(cr):
    """The process id of the PostgreSQL backend serving the cursor ``cr``."""
    cr.execute("SELECT pg_backend_pid()")
    return cr.fetchone()[0]


def cpu_seconds(pid):
    """CPU time of this process and of the PostgreSQL backend ``pid`` serving its cursor: what
    the work costs, whatever else the machine runs meanwhile (waiting for the CPU is not in it)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    backend_ticks = int(fields[11]) + int(fields[12])  # utime and stime (fields 14 and 15)
    return time.process_time() + backend_ticks / os.sysconf("SC_CLK_TCK")


def count_queries(cr, function):
    """SQL statements ``function`` sends through the cursor ``cr`` (its own counter)."""
    before = cr.sql_log_count
    function()
    return cr.sql_log_count - before
