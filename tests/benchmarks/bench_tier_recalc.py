"""Full tier recalculation at two sizes, 20,000 customers with 400,000 posted invoices and
200,000 customers with 4,000,000, against the raw SQL lower bound (one GROUP BY feeding one
statement that upserts the members' table and adds a tier history line per change, as the engine
writes them), and the recalculation's peak memory at each size.

For each size: ``tier_<size>_first_run_ratio`` (everyone enrolled, a history line each) and
``tier_<size>_daily_ratio`` (thresholds moved, every amount aggregated again) are medians of
interleaved pairs (SQL bound, engine, SQL bound, engine ...); the goal is a daily ratio of at
most 1.5 at both sizes, the cost growing linearly with the data. ``tier_<size>_peak_memory_mb``
is what the recalculation adds to the process at its peak, and ``tier_memory_growth`` the
large peak over the small one: memory is bounded by the batch, not by the customers. The
small size also times the obvious per-customer ORM loop on 1,000 customers, for contrast.

Both sides of each ratio run under the same triggers: with the reports add-on installed, its
analysis store's statement triggers on the tables they write. The first run and daily ratios
are measured again with those triggers disabled for both sides (``*_without_store``: the
recalculation as it runs without the reports add-on); the triggers are enabled again and the
store rebuilt afterwards, and at the start of a run that an interruption left without them.

``--quick`` runs one tiny size (2,000 customers); ``--huge`` one size of 1,000,000 customers
with 20,000,000 invoices (not run by default: its build takes about 40 minutes on two cores
and 13 GB; the forecast is left out). The databases are named
``wholesale_bench[_quick|_large|_huge]``, after the prefix in ``WHOLESALE_BENCH_DB_PREFIX`` if set.
The last line is ``ratio_vs_sql_bound=<x>``,
the daily ratio of the largest size measured.
"""
import argparse
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.common import (  # noqa: E402
    bench_database,
    emit,
    ensure_database,
    insert_copies,
    missing_modules,
    open_registry,
)

INVOICES_PER_CUSTOMER = 20
NAIVE_SUBSET = 1_000
TAG = "BENCH-TIER"
OUR_MODULES = ("wholesale_loyalty", "wholesale_loyalty_reports")
BUILD_MODULES = "wholesale_loyalty"  # what the data build needs
GOLD_THRESHOLDS = (20_000, 20_500)  # a daily run alternates between them, so that tiers change
FIRST_INVOICE_DAY = date(2025, 1, 1)  # the invoices span 600 days from it (see insert_invoices)


def forecast_months(today):
    """A rolling period that holds every invoice of the benchmark today: customers keep their
    tiers, and each invoice has a day in the future on which it leaves."""
    return (today.year - FIRST_INVOICE_DAY.year) * 12 + today.month - FIRST_INVOICE_DAY.month + 1


class Size(NamedTuple):
    name: str
    database: str
    customers: int


SIZES = {
    "quick": Size("quick", bench_database("wholesale_bench_quick"), 2_000),
    "small": Size("small", bench_database("wholesale_bench"), 20_000),
    "large": Size("large", bench_database("wholesale_bench_large"), 200_000),
    # Not part of run_all.py: built once by bulk SQL (about 20 GB), reused afterwards.
    "huge": Size("huge", bench_database("wholesale_bench_huge"), 1_000_000),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=("small", "large", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="one tiny size, for a smoke run")
    parser.add_argument("--huge", action="store_true",
                        help="1,000,000 customers / 20,000,000 invoices only (the daily ratio and peak memory)")
    parser.add_argument("--modules", default=",".join(OUR_MODULES))
    parser.add_argument("--update", action="store_true", help="bring our add-ons up to the checked-out code first")
    parser.add_argument("--pairs", type=int, default=5, help="interleaved pairs per ratio")
    parser.add_argument("--build-only", action="store_true", help="build the databases and stop")
    parser.add_argument("--memory-child", choices=tuple(SIZES), help=argparse.SUPPRESS)
    parser.add_argument("--memory-run", choices=("first", "daily"), help=argparse.SUPPRESS)
    return parser.parse_args()


def selected_sizes(args):
    if args.quick:
        return [SIZES["quick"]]
    if args.huge:
        return [SIZES["huge"]]
    return [SIZES["small"], SIZES["large"]] if args.size == "both" else [SIZES[args.size]]


# ---------------------------------------------------------------------------- data


def build_data(env, customers):
    """Customers and posted invoices, made once and kept for later runs."""
    cr = env.cr
    cr.execute("SELECT count(*) FROM res_partner WHERE ref LIKE %s", [f"{TAG}-%"])
    if cr.fetchone()[0] >= customers:
        return
    print(f"# building {customers} customers and {customers * INVOICES_PER_CUSTOMER} invoices (once)", flush=True)
    start = time.perf_counter()
    template_partner, template_invoice = make_templates(env)
    partner_ids = insert_copies(cr, "res_partner", template_partner.id, customers, {
        "name": "'Bench customer ' || n",
        "complete_name": "'Bench customer ' || n",
        "ref": f"'{TAG}-' || n",
    })
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", [partner_ids])
    print(f"# customers inserted in {time.perf_counter() - start:.0f} s", flush=True)
    insert_invoices(cr, template_invoice.id, partner_ids)
    print(f"# invoices inserted in {time.perf_counter() - start:.0f} s", flush=True)
    env["res.partner"].search([("id", "=", template_partner.id)]).write({"active": False})
    env.flush_all()
    cr.commit()
    vacuum_analyze(cr.dbname, "res_partner", "account_move")
    print(f"# data built in {time.perf_counter() - start:.0f} s", flush=True)


def make_templates(env):
    """A customer and a posted invoice made by the ORM, for the bulk copies to repeat."""
    from odoo import Command

    template_partner = env["res.partner"].create({"name": "Template customer", "is_company": True})
    template_invoice = env["account.move"].create({
        "move_type": "out_invoice",
        "partner_id": template_partner.id,
        "invoice_date": "2026-01-15",
        "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": 100.0, "tax_ids": []})],
    })
    template_invoice.action_post()
    env.flush_all()
    return template_partner, template_invoice


def insert_invoices(cr, template_id, partner_ids):
    """INVOICES_PER_CUSTOMER copies of the template invoice per customer, in one statement:
    the customer comes from a join on a numbered table (a subselect per row would cost a
    lookup each), and the secondary indexes are built once at the end instead of growing
    row by row."""
    cr.execute("CREATE TEMP TABLE bench_partner (k int PRIMARY KEY, id int) ON COMMIT DROP")
    cr.execute("INSERT INTO bench_partner SELECT k, id FROM unnest(%s::int[]) WITH ORDINALITY AS u(id, k)",
               [partner_ids])
    cr.execute("ANALYZE bench_partner")
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'account_move' AND column_name <> 'id'"
    )
    columns = [row[0] for row in cr.fetchall()]
    # Amounts spread customers over all tiers: 20 invoices of 10..2,000 each.
    amount = "10 + mod(n::bigint * 7919, 1990)"
    day = "DATE '2025-01-01' + mod(n, 600)"
    overrides = {
        "name": "'BENCH/' || n", "partner_id": "b.id", "commercial_partner_id": "b.id",
        "amount_untaxed_signed": amount, "amount_untaxed": amount,
        "amount_total_signed": amount, "amount_total": amount,
        "invoice_date": day, "date": day,
        "payment_state": "'not_paid'", "sequence_prefix": "'BENCH/'", "sequence_number": "n",
    }
    select = ", ".join(overrides.get(column, f"t.{column}") for column in columns)
    with secondary_indexes_dropped(cr, "account_move"):
        cr.execute(
            f'INSERT INTO account_move ({", ".join(columns)}) '  # noqa: S608 - names from the catalog
            f"SELECT {select} FROM account_move t, generate_series(1, %(count)s) AS n "
            f"JOIN bench_partner b ON b.k = 1 + mod(n, %(customers)s) WHERE t.id = %(template)s",
            {"count": len(partner_ids) * INVOICES_PER_CUSTOMER, "customers": len(partner_ids),
             "template": template_id},
        )


class secondary_indexes_dropped:  # noqa: N801 - used as a context manager
    """Drop the indexes of ``table`` that back no constraint, and create them again on exit."""

    def __init__(self, cr, table):
        self.cr, self.table = cr, table

    def __enter__(self):
        self.cr.execute(
            """SELECT i.relname, pg_get_indexdef(i.oid)
                 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                WHERE t.relname = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)""",
            [self.table],
        )
        self.definitions = self.cr.fetchall()
        for name, _definition in self.definitions:
            self.cr.execute(f'DROP INDEX "{name}"')
        return self

    def __exit__(self, *exc):
        start = time.perf_counter()
        self.cr.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for _name, definition in self.definitions:
            self.cr.execute(definition)
        print(f"# {len(self.definitions)} indexes of {self.table} built again in {time.perf_counter() - start:.0f} s",
              flush=True)
        return False


def vacuum_analyze(database, *tables):
    """VACUUM ANALYZE outside any transaction, so that each timed run starts from a table
    without the dead rows of the runs before it."""
    subprocess.run(["psql", "-q", "-d", database, "-c", f"VACUUM ANALYZE {', '.join(tables)}"], check=True)


def bench_program(env):
    # A customer belongs to the first program whose filter matches: the shipped default program
    # (all customers) would take the benchmark's customers before a program created after it.
    env["wholesale.loyalty.program"].search([("name", "!=", "Benchmark Program")]).write({"active": False})
    program = env["wholesale.loyalty.program"].search([("name", "=", "Benchmark Program")])
    if not program:
        from odoo import Command
        program = env["wholesale.loyalty.program"].create({
            "name": "Benchmark Program",
            "qualification_basis": "invoiced",
            "qualification_period": "lifetime",
            "partner_domain": str([("ref", "=like", f"{TAG}-%")]),
            "tier_ids": [
                Command.create({"name": "Silver", "threshold_amount": 0}),
                Command.create({"name": "Gold", "threshold_amount": GOLD_THRESHOLDS[0], "discount_percent": 3}),
                Command.create({"name": "Platinum", "threshold_amount": 22_000, "discount_percent": 5}),
            ],
        })
    # What the SQL bound computes: an interrupted run may have left the program otherwise.
    settings = {"qualification_basis": "invoiced", "qualification_period": "lifetime", "downgrade_grace_days": 0}
    if any(program[name] != value for name, value in settings.items()):
        program.write(settings)
        engine_run(env, program)
    env.cr.commit()
    return program


def move_gold_threshold(env, program):
    """The next day's thresholds: Gold moves to the other of GOLD_THRESHOLDS."""
    gold = program.tier_ids.sorted("threshold_amount")[1]
    gold.threshold_amount = GOLD_THRESHOLDS[gold.threshold_amount == GOLD_THRESHOLDS[0]]
    env.flush_all()


def reset_members(env, program):
    """Nobody enrolled yet: the benchmark customers' accounts and tier history deleted."""
    env.cr.execute(
        """DELETE FROM wholesale_loyalty_member m USING res_partner p
            WHERE p.id = m.partner_id AND p.ref LIKE %s""", [f"{TAG}-%"])
    env.cr.execute("DELETE FROM wholesale_loyalty_tier_history WHERE program_id = %s", [program.id])
    env.invalidate_all()


# ---------------------------------------------------------------------------- what is timed


def sql_lower_bound(env, program):
    """What a hand-written statement needs: aggregate, write the tier and record the change."""
    upsert_members_sql(env, program, """
        SELECT m.commercial_partner_id AS partner_id, SUM(m.amount_untaxed_signed) AS amount
          FROM account_move m
         WHERE m.state = 'posted' AND m.move_type IN ('out_invoice', 'out_refund')
           AND m.company_id = %(company)s
      GROUP BY m.commercial_partner_id""")


def upsert_members_sql(env, program, spend_query, **params):
    """Write the tier and qualifying spend that ``spend_query`` (SQL selecting ``partner_id``
    and ``amount``) gives each benchmark customer on its account in ``program``, as the engine
    writes them: one statement that upserts the members' table, creating the accounts of
    those who join, and adds a tier history line for each customer who joins or changes
    tier (the contract's record of every change, which the engine writes too). The tier a
    spend earns comes from a join on the ladder's ranges (the highest threshold met). Accounts
    already right are left out before the upsert, as the engine leaves them alone: the upsert's
    conflict check would cost an index probe for every customer, and the triggers on the
    members' table (the reports' analysis store) would charge the bound for rows that do not
    change."""
    env.cr.execute(
        f"""WITH ladder AS (
                SELECT t.id, t.threshold_amount AS low,
                       LEAD(t.threshold_amount) OVER (ORDER BY t.threshold_amount, t.id) AS high
                  FROM wholesale_loyalty_tier t WHERE t.program_id = %(program)s
            ), target AS (
                SELECT a.partner_id, a.amount, l.id AS tier_id, old.tier_id AS old_tier_id,
                       old.id IS NULL OR NOT old.active AS joined
                  FROM ({spend_query}) a
                  JOIN res_partner p ON p.id = a.partner_id AND p.ref LIKE %(tag)s
             LEFT JOIN ladder l ON l.low <= a.amount AND (l.high IS NULL OR a.amount < l.high)
             LEFT JOIN wholesale_loyalty_member old
                    ON old.partner_id = a.partner_id AND old.program_id = %(program)s
                 WHERE old.id IS NULL OR NOT old.active OR old.qualifying_amount IS DISTINCT FROM a.amount
                       OR old.tier_id IS DISTINCT FROM l.id
            ), written AS (
                INSERT INTO wholesale_loyalty_member AS mb
                       (partner_id, program_id, company_id, active, tier_id, qualifying_amount,
                        tier_locked, points_balance)
                SELECT partner_id, %(program)s, %(company)s, TRUE, tier_id, amount, FALSE, 0 FROM target
                ON CONFLICT (partner_id, program_id) DO UPDATE
                   SET active = TRUE, qualifying_amount = EXCLUDED.qualifying_amount, tier_id = EXCLUDED.tier_id
                RETURNING mb.id, mb.partner_id
            )
            INSERT INTO wholesale_loyalty_tier_history
                   (partner_id, program_id, member_id, company_id, date, old_tier_id, new_tier_id,
                    qualifying_amount, reason, direction)
            SELECT t.partner_id, %(program)s, w.id, %(company)s, CURRENT_DATE, t.old_tier_id, t.tier_id, t.amount,
                   CASE WHEN t.joined THEN 'enrollment' ELSE 'recalculation' END, 'up'
              FROM target t JOIN written w ON w.partner_id = t.partner_id
             WHERE t.joined OR t.old_tier_id IS DISTINCT FROM t.tier_id""",  # noqa: S608
        {"program": program.id, "company": program.company_id.id, "tag": f"{TAG}-%", **params},
    )


# ---------------------------------------------------------------------------- the store's triggers

# The reports add-on keeps its analysis store with statement triggers on the tables both sides
# write (the members' table above all). Both sides of a ratio run under the same triggers; the
# ratios are also measured with those triggers disabled for both, which is the recalculation
# as it runs without the reports add-on.
STORE_TRIGGERS = """SELECT c.relname, t.tgname, t.tgenabled <> 'D'
                      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                     WHERE NOT t.tgisinternal AND t.tgname LIKE 'wholesale_loyalty_report%'"""


def store_triggers(cr):
    """(table, trigger, enabled) of the analysis store's triggers; none without the reports add-on."""
    cr.execute(STORE_TRIGGERS)
    return cr.fetchall()


def set_store_triggers(env, enabled):
    """Enable or disable the store's triggers, committed. Turning them back on rebuilds the
    store from the documents, as its daily scheduled action does: the runs made meanwhile
    changed tiers it did not follow."""
    action = "ENABLE" if enabled else "DISABLE"
    changed = False
    for table, trigger, is_enabled in store_triggers(env.cr):
        if is_enabled != enabled:
            env.cr.execute(f'ALTER TABLE "{table}" {action} TRIGGER "{trigger}"')
            changed = True
    if changed and enabled:
        env["wholesale.loyalty.report"]._rebuild_store()
        env.flush_all()
    env.cr.commit()
    return changed


class store_triggers_disabled:  # noqa: N801 - used as a context manager
    """The store's triggers off for both sides of the runs inside, back on (and the store
    rebuilt) on exit, even after an error."""

    def __init__(self, env):
        self.env = env

    def __enter__(self):
        set_store_triggers(self.env, False)
        return self

    def __exit__(self, *exc):
        self.env.cr.rollback()
        set_store_triggers(self.env, True)
        return False


def engine_run(env, program):
    env["wholesale.loyalty.tier.engine"]._recalculate(programs=program)
    env.flush_all()


def naive_orm_loop(env, program, partners):
    """The obvious per-customer ORM code, for contrast."""
    tiers = program.tier_ids.sorted("threshold_amount")
    for partner in partners:
        invoices = env["account.move"].search([
            ("commercial_partner_id", "=", partner.id), ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund")),
        ])
        amount = sum(invoices.mapped("amount_untaxed_signed"))
        tier = tiers.filtered(lambda t, amount=amount: t.threshold_amount <= amount)[-1:]
        # The naive loop writes as the engine does: with its own privileges.
        members = env["wholesale.loyalty.member"].sudo()
        member = members.search([("partner_id", "=", partner.id), ("program_id", "=", program.id)])
        values = {"tier_id": tier.id, "qualifying_amount": amount, "active": True}
        if member:
            member.write(values)
        else:
            members.create({"partner_id": partner.id, "program_id": program.id, **values})


class Bench:
    """The timed runs of one database. Each run starts from a vacuumed table; engine runs
    are committed (the next daily run starts from their tiers), the SQL bound is rolled back
    (it would hand the engine tiers already right). The SQL bound runs on a database
    connection of its own (``bound_env``): the plans PostgreSQL caches per connection (among
    them those of the foreign key checks) are not handed from one side to the other."""

    def __init__(self, env, program, bound_env):
        self.env, self.program, self.bound_env = env, program, bound_env

    def timed(self, function, keep):
        env = self.env if keep else self.bound_env
        vacuum_analyze(env.cr.dbname, "wholesale_loyalty_member", "wholesale_loyalty_tier_history")
        start = time.perf_counter()
        function(env, self.program.with_env(env))
        seconds = time.perf_counter() - start
        (env.cr.commit if keep else env.cr.rollback)()
        env.invalidate_all()
        return seconds

    def timed_in_transaction(self, function):
        """Seconds of ``function`` within the current transaction, rolled back to where it was."""
        with self.env.cr.savepoint(flush=False) as savepoint:
            start = time.perf_counter()
            function(self.env, self.program)
            self.env.flush_all()
            seconds = time.perf_counter() - start
            savepoint.rollback()
        self.env.invalidate_all()
        return seconds

    def prepared(self, prepare, function, keep):
        def run():
            prepare(self.env, self.program)
            self.env.cr.commit()
            return self.timed(function, keep)
        return run

    def ratio(self, prepare, pairs):
        """Median of engine / SQL bound over interleaved pairs, and the engine's median seconds."""
        references, ours = [], []
        sql_run = self.prepared(prepare, sql_lower_bound, keep=False)
        engine = self.prepared(prepare, engine_run, keep=True)
        for _pair in range(pairs):
            references.append(sql_run())
            ours.append(engine())
        ratios = [b / a for a, b in zip(references, ours, strict=True)]
        print(f"# sql bound {fmt(references)} s; engine {fmt(ours)} s", flush=True)
        return statistics.median(ratios), statistics.median(references), statistics.median(ours)


def fmt(seconds):
    return " ".join(f"{value:.2f}" for value in seconds)


def nothing(_env, _program):
    pass


def prepare_database(size, args):
    """The database with its data and ``args.modules``. The data is built before the other
    modules are installed: an add-on that keeps figures up to date with triggers computes
    them once from the data at its install, instead of once per bulk statement."""
    ensure_database(size.database, BUILD_MODULES)
    if not has_data(size):
        registry = open_registry(size.database)
        from odoo import SUPERUSER_ID, api

        with registry.cursor() as cr:
            build_data(api.Environment(cr, SUPERUSER_ID, {"wholesale_silent": True}), size.customers)
        drop_registry(size.database)
    installed_before = set(args.modules.split(",")) - set(missing_modules(size.database, args.modules))
    if args.update:
        ensure_database(size.database, args.modules, ",".join(m for m in OUR_MODULES if m in installed_before))
    else:
        ensure_database(size.database, args.modules)
    drop_registry(size.database)


def has_data(size):
    query = f"SELECT count(*) FROM res_partner WHERE ref LIKE '{TAG}-%'"
    out = subprocess.run(["psql", "-d", size.database, "-Atc", query], capture_output=True, text=True, check=True)
    return int(out.stdout) >= size.customers


def drop_registry(database):
    """Forget the registry loaded in this process: another process changed the modules."""
    from odoo.modules.registry import Registry
    Registry.delete(database)


def measure(size, args):
    started = time.perf_counter()
    prepare_database(size, args)
    build_seconds = time.perf_counter() - started
    if args.build_only:
        return None
    # Installing or updating an add-on may rewrite invoice rows after the build's vacuum:
    # both sides of each ratio read the invoices by index alone only once they are vacuumed.
    vacuum_analyze(size.database, "account_move")
    registry = open_registry(size.database)
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr, registry.cursor() as bound_cr:
        env = api.Environment(cr, SUPERUSER_ID, {"wholesale_silent": True})
        bound_env = api.Environment(bound_cr, SUPERUSER_ID, {"wholesale_silent": True})
        if set_store_triggers(env, True):
            print("# the store's triggers were left disabled by an interrupted run: enabled, store rebuilt", flush=True)
        program = bench_program(env)
        cr.execute("SELECT count(*) FROM account_move WHERE name LIKE 'BENCH/%%'")
        invoices = cr.fetchone()[0]
        emit(f"tier_{size.name}_customers", size.customers)
        emit(f"tier_{size.name}_invoices", invoices)
        bench = Bench(env, program, bound_env)
        started = time.perf_counter()
        # Warm the caches once so that no measurement pays for reading the tables from disk.
        bench.timed(sql_lower_bound, keep=False)
        first_ratio, _sql, first_seconds = bench.ratio(reset_members, args.pairs)
        print(f"# engine first run {first_seconds:.2f} s", flush=True)
        daily_ratio, sql_seconds, engine_seconds = bench.ratio(move_gold_threshold, args.pairs)
        emit(f"tier_{size.name}_first_run_ratio", first_ratio, 2)
        emit(f"tier_{size.name}_daily_ratio", daily_ratio, 2)
        emit(f"tier_{size.name}_sql_bound_seconds", sql_seconds)
        emit(f"tier_{size.name}_engine_seconds", engine_seconds)
        if store_triggers(cr):
            without_store_figures(env, size, bench, args.pairs)
        if size.name != "huge":  # the recalculation only, at the size that takes long
            forecast_figures(env, program, size, bench, args.pairs)
        if size.name == "small":
            naive_figures(env, program, size.customers, sql_seconds)
    peak = peak_memory(size)
    measure_seconds = time.perf_counter() - started
    emit(f"tier_{size.name}_peak_memory_mb", peak, 1)
    print(f"# {size.name}: build {build_seconds:.0f} s, measure {measure_seconds:.0f} s", flush=True)
    return {"daily_ratio": daily_ratio, "peak": peak}


def without_store_figures(env, size, bench, pairs):
    """The same ratios with the reports' store triggers disabled for both sides: the
    recalculation as it runs without the reports add-on."""
    with store_triggers_disabled(env):
        first_ratio, _sql, _engine = bench.ratio(reset_members, pairs)
        daily_ratio, sql_seconds, engine_seconds = bench.ratio(move_gold_threshold, pairs)
    emit(f"tier_{size.name}_first_run_ratio_without_store", first_ratio, 2)
    emit(f"tier_{size.name}_daily_ratio_without_store", daily_ratio, 2)
    emit(f"tier_{size.name}_sql_bound_seconds_without_store", sql_seconds)
    emit(f"tier_{size.name}_engine_seconds_without_store", engine_seconds)


def forecast_figures(env, program, size, bench, pairs):
    """The retention forecast of every customer on a rolling period, against the same SQL
    bound: the program turns rolling over the months that still hold every invoice (see
    ``forecast_months``; tiers recalculated first, not timed); everything is rolled back
    afterwards."""
    program.write({"qualification_period": "rolling", "period_months": forecast_months(program._today())})
    env.flush_all()
    engine_run(env, program)
    forecast = env["wholesale.loyalty.tier.forecast"]
    risks = {}

    def run_forecast(_env, _program):
        risks.update(forecast._risks(program))

    references, ours = [], []
    for _pair in range(pairs):
        references.append(bench.timed_in_transaction(sql_lower_bound))
        ours.append(bench.timed_in_transaction(run_forecast))
    print(f"# forecast: sql bound {fmt(references)} s; ours {fmt(ours)} s; {len(risks)} customers at risk", flush=True)
    emit(f"tier_{size.name}_forecast_customers_at_risk", len(risks))
    emit(f"tier_{size.name}_forecast_ratio",
         statistics.median(b / a for a, b in zip(references, ours, strict=True)), 2)
    env.cr.rollback()
    env.invalidate_all()


def naive_figures(env, program, customers, sql_seconds):
    partners = env["res.partner"].search([("ref", "=like", f"{TAG}-%")], limit=NAIVE_SUBSET)
    start = time.perf_counter()
    naive_orm_loop(env, program, partners)
    env.flush_all()
    naive = time.perf_counter() - start
    env.cr.rollback()
    env.invalidate_all()
    emit(f"naive_orm_loop_{NAIVE_SUBSET}_customers_seconds", naive)
    emit(f"naive_orm_loop_extrapolated_{customers}_customers_seconds", naive * customers / NAIVE_SUBSET, 1)
    emit("naive_ratio_vs_sql_bound", naive * customers / NAIVE_SUBSET / sql_seconds, 1)


# ---------------------------------------------------------------------------- memory

# Peak memory: the recalculation runs in a child process, after the registry is loaded; the
# kernel's peak resident size (VmHWM) is reset just before it (/proc/self/clear_refs) and the
# figure is that peak minus the resident size at the start: what the recalculation itself adds.


def peak_memory(size):
    """Megabytes the recalculation adds at its peak: the larger of a first and a daily run,
    each in a process of its own (memory a process freed stays counted as resident)."""
    peaks = {run: memory_child_run(size, run) for run in ("daily", "first")}
    print(f"# peak memory: first run {peaks['first']:.1f} MB, daily run {peaks['daily']:.1f} MB", flush=True)
    return max(peaks.values())


def memory_child_run(size, run):
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", size.name, "--memory-run", run],
        capture_output=True, text=True, check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def memory_status():
    """(resident now, peak resident since the last reset), in megabytes."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def peak_growth(function):
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current resident size
    resident, _peak = memory_status()
    function()
    return memory_status()[1] - resident


def memory_child(size, run):
    """Print the peak growth of one run (``first``: everyone enrolled again; ``daily``:
    thresholds moved), rolled back."""
    registry = open_registry(size.database)
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"wholesale_silent": True})
        program = bench_program(env)
        (reset_members if run == "first" else move_gold_threshold)(env, program)
        growth = peak_growth(lambda: engine_run(env, program))
        cr.rollback()
    print(growth)


def main():
    args = parse_args()
    if args.memory_child:
        memory_child(SIZES[args.memory_child], args.memory_run)
        return
    results = {size.name: measure(size, args) for size in selected_sizes(args)}
    if args.build_only:
        return
    if "small" in results and "large" in results:
        emit("tier_memory_growth", results["large"]["peak"] / results["small"]["peak"], 2)
    emit("ratio_vs_sql_bound", list(results.values())[-1]["daily_ratio"], 2)


if __name__ == "__main__":
    main()
