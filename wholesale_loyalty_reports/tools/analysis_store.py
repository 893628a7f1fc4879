"""The analysis store: the loyalty analysis kept up to date by PostgreSQL itself.

Two tables hold what the analysis shows, so that no read aggregates the invoices again:

``wholesale_loyalty_report_month``
    one row per customer (commercial partner), company, salesperson and month: revenue,
    invoice and credit note counts, points by kind, and how many movements (invoices and
    ledger entries) make the row. ``wholesale.loyalty.report`` reads it.
``wholesale_loyalty_report_total``
    the same figures by company, salesperson, month, program, tier and country, with the
    number of customer rows they sum up. Rows are only ever inserted (a change adds a row
    of differences), so concurrent postings never wait for each other on a shared total;
    ``compact()`` folds them together. ``wholesale.loyalty.report.summary`` reads it.

Statement-level triggers (with transition tables: one set-based statement per SQL
statement, however many rows it touches) keep both tables right whatever changes the
data: the ORM, the tier engine's bulk UPDATE, the partner merge wizard's raw SQL, a
reset to draft or a cancellation.

- ``account_move``: a sale document (posted customer invoice or credit note) entering or
  leaving that state, or changing customer, company, salesperson, date or amount, adds
  its differences to its month.
- ``wholesale_loyalty_ledger``: an entry added, removed or changed in partner, company,
  date, kind or points (not the lot bookkeeping of ``remaining_points``).
- ``wholesale_loyalty_member``: a customer joining, leaving or changing tier in a company's
  program moves its history in that company to the new line of the totals (a customer
  month counts under the program and tier of the customer's member in the month's company).
- ``res_partner``: a customer changing country moves its whole history to the new line of
  the totals; a customer changing salesperson moves its points rows, which are filed under
  the customer's salesperson (invoices keep their own).

A difference computed in one transaction is exact for that transaction. Two transactions
that touch the same customer row of a month conflict on it and one is retried by Odoo.
A customer's tier changing while another transaction books that customer's first movement
of a month can leave a total under the old tier: ``rebuild()``, run by the daily scheduled
action and by every update of the add-on, recomputes both tables from the documents.
"""
MONTH_TABLE = "wholesale_loyalty_report_month"
TOTAL_TABLE = "wholesale_loyalty_report_total"

MEASURES = (
    "revenue", "invoice_count", "refund_count", "points_earned", "points_redeemed", "points_expired", "points_net",
)
MONTH_KEY = ("partner_id", "company_id", "user_id", "month")
TOTAL_KEY = ("company_id", "user_id", "month", "program_id", "tier_id", "country_id")
# Columns of each source that change what the analysis shows; other updates are ignored.
MOVE_COLUMNS = (
    "state", "move_type", "commercial_partner_id", "company_id", "invoice_user_id", "invoice_date",
    "amount_untaxed_signed",
)
LEDGER_COLUMNS = ("partner_id", "company_id", "date", "kind", "points")
PARTNER_ATTRIBUTES = ("country_id",)
MEMBER_ATTRIBUTES = ("partner_id", "company_id", "program_id", "tier_id", "active")
# The ORM fields the store follows, as ``_depends`` of the models that read it: pending ORM
# changes to them reach the database (and its triggers) before a read.
SOURCES = {
    "account.move": [
        "commercial_partner_id", "company_id", "invoice_user_id", "invoice_date", "amount_untaxed_signed",
        "move_type", "state",
    ],
    "wholesale.loyalty.ledger": ["partner_id", "company_id", "date", "kind", "points"],
    "res.partner": ["user_id", "country_id"],
    "wholesale.loyalty.member": ["partner_id", "company_id", "program_id", "tier_id", "active"],
    "res.company": ["currency_id"],
}
TRIGGERS = {
    "account_move": "wholesale_loyalty_report_move",
    "wholesale_loyalty_ledger": "wholesale_loyalty_report_ledger",
    "res_partner": "wholesale_loyalty_report_partner",
    "wholesale_loyalty_member": "wholesale_loyalty_report_member",
}
# The program and tier of a customer month: those of the customer's member in its company.
MEMBER_JOIN = """LEFT JOIN wholesale_loyalty_member m
                         ON m.partner_id = {rows}.partner_id AND m.company_id = {rows}.company_id AND m.active"""


def _columns(names, alias=None):
    return ", ".join(f"{alias}.{name}" if alias else name for name in names)


def _sum_measures(alias="", factor=""):
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"SUM({factor}{prefix}{name})" for name in MEASURES)


# ---------------------------------------------------------------- movements


def invoice_movements(rows, sign, sale_documents):
    """Deltas of the sale documents among ``rows`` (a table of account_move rows), each
    counted ``sign`` times (+1 entering, -1 leaving)."""
    return f"""
        SELECT r.commercial_partner_id AS partner_id, COALESCE(r.company_id, 0) AS company_id,
               COALESCE(r.invoice_user_id, 0) AS user_id,
               date_trunc('month', r.invoice_date::timestamp)::date AS month,
               {sign} * r.amount_untaxed_signed AS revenue,
               {sign} * (r.move_type = 'out_invoice')::int AS invoice_count,
               {sign} * (r.move_type = 'out_refund')::int AS refund_count,
               0 AS points_earned, 0 AS points_redeemed, 0 AS points_expired, 0 AS points_net,
               {sign} AS movement_count
          FROM {rows} r
         WHERE {sale_documents} AND r.invoice_date IS NOT NULL AND r.commercial_partner_id IS NOT NULL"""


def ledger_movements(rows, sign, user_column="p.user_id"):
    """Deltas of the ledger entries among ``rows``, filed under the customer's salesperson
    (``user_column`` over the customer ``p``)."""
    return f"""
        SELECT l.partner_id, COALESCE(l.company_id, 0) AS company_id, COALESCE({user_column}, 0) AS user_id,
               date_trunc('month', l.date::timestamp)::date AS month,
               0 AS revenue, 0 AS invoice_count, 0 AS refund_count,
               {sign} * CASE WHEN l.kind IN ('earn', 'bonus') THEN l.points ELSE 0 END AS points_earned,
               {sign} * CASE WHEN l.kind = 'redeem' THEN -l.points ELSE 0 END AS points_redeemed,
               {sign} * CASE WHEN l.kind = 'expire' THEN -l.points ELSE 0 END AS points_expired,
               {sign} * l.points AS points_net, {sign} AS movement_count
          FROM {rows} l LEFT JOIN res_partner p ON p.id = l.partner_id
         WHERE l.partner_id IS NOT NULL"""


def _changed_rows(columns):
    """Pairs of old and new rows of an UPDATE that differ in ``columns``."""
    return f"""old_rows o JOIN new_rows n ON n.id = o.id
              WHERE ({_columns(columns, 'o')}) IS DISTINCT FROM ({_columns(columns, 'n')})"""


# ---------------------------------------------------------------- definitions


def _tables():
    measure_columns = ", ".join(
        f"{name} {'numeric' if name == 'revenue' else 'integer'} NOT NULL DEFAULT 0" for name in MEASURES
    )
    return f"""
        CREATE TABLE IF NOT EXISTS {MONTH_TABLE} (
            id bigserial PRIMARY KEY,
            partner_id integer NOT NULL, company_id integer NOT NULL, user_id integer NOT NULL, month date NOT NULL,
            {measure_columns}, movement_count integer NOT NULL DEFAULT 0,
            UNIQUE ({_columns(MONTH_KEY)}));
        -- Rows whose last movement left, dropped after each change.
        CREATE INDEX IF NOT EXISTS {MONTH_TABLE}_empty_index ON {MONTH_TABLE} (id) WHERE movement_count = 0;
        CREATE TABLE IF NOT EXISTS {TOTAL_TABLE} (
            company_id integer, user_id integer, month date, program_id integer, tier_id integer, country_id integer,
            {measure_columns}, row_count integer NOT NULL DEFAULT 0);"""


def _execute(*statements):
    """PL/pgSQL running ``statements`` as dynamic SQL. Static SQL in a function keeps its
    first plan, made for the transition tables of that first call: a plan for one row, reused
    for a statement that changed 200,000, joins them in a nested loop that runs for minutes.
    A dynamic statement is planned for the rows it gets."""
    for statement in statements:
        if "$sql$" in statement:
            raise ValueError("a statement of the analysis store holds the quote $sql$")
    return "\n".join(f"EXECUTE $sql${statement}$sql$;" for statement in statements)


def _apply(movements):
    """Statements adding ``movements`` (a query of customer month deltas) to the customer
    months, creating and dropping rows as their movements come and go, and the same
    differences, with the customer's program, tier and country, to the totals. Set-based
    over the trigger's transition tables: one pass, however many rows the statement moved."""
    sums = ", ".join(f"SUM({name}) AS {name}" for name in MEASURES)
    nonzero = " OR ".join(f"SUM({name}) <> 0" for name in (*MEASURES, "movement_count"))
    updates = ", ".join(f"{name} = t.{name} + EXCLUDED.{name}" for name in (*MEASURES, "movement_count"))
    key = _columns(MONTH_KEY)
    return _execute(f"""
            WITH d AS (
                SELECT {key}, {sums}, SUM(movement_count) AS movement_count
                  FROM ({movements}) AS u
              GROUP BY {key}
                HAVING {nonzero}
            ), changed AS (
                INSERT INTO {MONTH_TABLE} AS t ({key}, {_columns(MEASURES)}, movement_count)
                SELECT * FROM d
                ON CONFLICT ({key}) DO UPDATE SET {updates}
                RETURNING {_columns(MONTH_KEY, 't')}, t.movement_count, (t.xmax = 0) AS created
            )
            INSERT INTO {TOTAL_TABLE} ({_columns(TOTAL_KEY)}, {_columns(MEASURES)}, row_count)
            SELECT NULLIF(d.company_id, 0), NULLIF(d.user_id, 0), d.month,
                   m.program_id, m.tier_id, p.country_id,
                   {_sum_measures('d')},
                   SUM(CASE WHEN c.created THEN 1 WHEN c.movement_count = 0 THEN -1 ELSE 0 END)
              FROM d JOIN changed c USING ({key})
                     LEFT JOIN res_partner p ON p.id = d.partner_id
                     {MEMBER_JOIN.format(rows='d')}
          GROUP BY 1, 2, 3, 4, 5, 6""", f"DELETE FROM {MONTH_TABLE} WHERE movement_count = 0")


def _source_trigger_function(name, movements, columns):
    """Trigger function of a source table: its sale movements leaving and entering."""
    changed = _changed_rows(columns)
    updated = f"""{movements(f"(SELECT o.* FROM {changed})", -1)}
                  UNION ALL
                  {movements(f"(SELECT n.* FROM {changed})", 1)}"""
    return f"""
        CREATE OR REPLACE FUNCTION {name}() RETURNS trigger
        LANGUAGE plpgsql AS $body$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {_apply(movements('new_rows', 1))}
            ELSIF TG_OP = 'DELETE' THEN
                {_apply(movements('old_rows', -1))}
            ELSE
                {_apply(updated)}
            END IF;
            RETURN NULL;
        END
        $body$;"""


def _history_moved(moved):
    """Statement moving the customer months ``moved`` selects (sign, partner id, company id,
    program, tier, country) in or out of the totals."""
    return f"""
            INSERT INTO {TOTAL_TABLE} ({_columns(TOTAL_KEY)}, {_columns(MEASURES)}, row_count)
            SELECT NULLIF(t.company_id, 0), NULLIF(t.user_id, 0), t.month,
                   s.program_id, s.tier_id, s.country_id,
                   {_sum_measures('t', 's.sign * ')}, SUM(s.sign)
              FROM ({moved}) s JOIN {MONTH_TABLE} t
                ON t.partner_id = s.partner_id AND t.company_id = s.company_id
          GROUP BY 1, 2, 3, 4, 5, 6"""


def _member_sides(sign, alias, rows, where, archived=False):
    """(sign, partner, company, program, tier, country) of the member rows ``rows`` (as
    ``alias``) meeting ``where``; with ``archived`` (or an archived row) the customer counts
    as no member."""
    program, tier = ("NULL::int", "NULL::int") if archived else (
        f"CASE WHEN {alias}.active THEN {alias}.program_id END", f"CASE WHEN {alias}.active THEN {alias}.tier_id END"
    )
    return f"""SELECT {sign} AS sign, {alias}.partner_id, {alias}.company_id, {program} AS program_id,
                      {tier} AS tier_id, p.country_id
                 FROM {rows} LEFT JOIN res_partner p ON p.id = {alias}.partner_id
                WHERE {where}"""


def _member_trigger_function():
    """A customer joining, leaving or changing tier in a company's program: its customer
    months in that company leave the totals under the old program and tier and enter under
    the new ones. An archived member counts as none."""
    pairs = "old_rows o JOIN new_rows n ON n.id = o.id"
    differ = f"({_columns(MEMBER_ATTRIBUTES, 'o')}) IS DISTINCT FROM ({_columns(MEMBER_ATTRIBUTES, 'n')})"
    joined = f"""{_member_sides(-1, 'n', 'new_rows n', 'n.active', archived=True)}
                 UNION ALL {_member_sides(1, 'n', 'new_rows n', 'n.active')}"""
    removed = f"""{_member_sides(-1, 'o', 'old_rows o', 'o.active')}
                  UNION ALL {_member_sides(1, 'o', 'old_rows o', 'o.active', archived=True)}"""
    updated = f"""{_member_sides(-1, 'o', pairs, differ)}
                  UNION ALL {_member_sides(1, 'n', pairs, differ)}"""
    return f"""
        CREATE OR REPLACE FUNCTION {TRIGGERS['wholesale_loyalty_member']}() RETURNS trigger
        LANGUAGE plpgsql AS $body$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {_execute(_history_moved(joined))}
            ELSIF TG_OP = 'DELETE' THEN
                {_execute(_history_moved(removed))}
            ELSE
                {_execute(_history_moved(updated))}
            END IF;
            RETURN NULL;
        END
        $body$;"""


def _partner_trigger_function():
    """A customer changing country: its customer months leave the totals
    under the old values and enter under the new ones. A customer changing salesperson:
    its points rows move from the old salesperson to the new one."""
    attributes_changed = _changed_rows(PARTNER_ATTRIBUTES)
    salesperson_changed = """old_rows o JOIN new_rows n ON n.id = o.id
                             JOIN wholesale_loyalty_ledger l ON l.partner_id = n.id
                            WHERE o.user_id IS DISTINCT FROM n.user_id"""
    old_user_rows = f"(SELECT l.*, o.user_id AS old_user FROM {salesperson_changed})"
    new_user_rows = f"(SELECT l.*, n.user_id AS new_user FROM {salesperson_changed})"
    points_moved = f"""{ledger_movements(old_user_rows, -1, 'l.old_user')}
                       UNION ALL
                       {ledger_movements(new_user_rows, 1, 'l.new_user')}"""
    # Per customer month: its company's member gives the program and tier.
    moved = f"""
        SELECT s.sign, t.partner_id, t.company_id, m.program_id, m.tier_id, s.country_id
          FROM (SELECT -1 AS sign, o.id, o.country_id FROM {attributes_changed}
                UNION ALL
                SELECT 1, n.id, n.country_id FROM {attributes_changed}) s
          JOIN (SELECT DISTINCT partner_id, company_id FROM {MONTH_TABLE}) t ON t.partner_id = s.id
          {MEMBER_JOIN.format(rows='t')}"""
    history_moved = _history_moved(moved)
    return f"""
        CREATE OR REPLACE FUNCTION {TRIGGERS['res_partner']}() RETURNS trigger
        LANGUAGE plpgsql AS $body$
        BEGIN
            {_execute(history_moved)}
            {_apply(points_moved)}
            RETURN NULL;
        END
        $body$;"""


def _triggers(table, function):
    return "".join(
        f"""
        CREATE TRIGGER {function}_{event.lower()} AFTER {event} ON {table}
            REFERENCING {references} FOR EACH STATEMENT EXECUTE FUNCTION {function}();"""
        for event, references in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        )
        if table != "res_partner" or event == "UPDATE"
    )


# ---------------------------------------------------------------- lifecycle


def install(cr, sale_documents):
    """Creates (or replaces) the tables, functions and triggers; ``sale_documents`` is the
    SQL condition, over the alias ``r``, of the documents whose revenue the analysis sums.
    Fills the tables from the documents: a new version of the rules applies to the past."""
    uninstall(cr, drop_tables=False)
    cr.execute(_tables())
    cr.execute(_source_trigger_function(
        TRIGGERS["account_move"], lambda rows, sign: invoice_movements(rows, sign, sale_documents), MOVE_COLUMNS,
    ))
    cr.execute(_source_trigger_function(TRIGGERS["wholesale_loyalty_ledger"], ledger_movements, LEDGER_COLUMNS))
    cr.execute(_partner_trigger_function())
    cr.execute(_member_trigger_function())
    for table, function in TRIGGERS.items():
        cr.execute(_triggers(table, function))
    rebuild(cr, sale_documents)


def uninstall(cr, drop_tables=True):
    for statement in _uninstall_statements(drop_tables):
        cr.execute(statement)


def rebuild(cr, sale_documents):
    """Both tables recomputed from the documents, in set-based statements."""
    for statement in _rebuild_statements(sale_documents):
        cr.execute(statement)


def compact(cr):
    """Folds the totals' difference rows into one row per line, dropping lines that no
    longer sum up any customer row. Rows inserted meanwhile by other transactions are not
    visible here and stay as they are."""
    cr.execute(_compact_statement())


# Statements are built from the module's constant names only, never from user input.


def _uninstall_statements(drop_tables):
    for table, function in TRIGGERS.items():
        for event in ("insert", "update", "delete"):
            yield f"DROP TRIGGER IF EXISTS {function}_{event} ON {table}"
        yield f"DROP FUNCTION IF EXISTS {function}()"
    if drop_tables:
        yield f"DROP TABLE IF EXISTS {MONTH_TABLE}, {TOTAL_TABLE}"


def _rebuild_statements(sale_documents):
    key = _columns(MONTH_KEY)
    yield f"DELETE FROM {MONTH_TABLE}"
    yield f"DELETE FROM {TOTAL_TABLE}"
    yield f"""
        INSERT INTO {MONTH_TABLE} ({key}, {_columns(MEASURES)}, movement_count)
        SELECT {key}, {_sum_measures()}, SUM(movement_count)
          FROM ({invoice_movements('account_move', 1, sale_documents)}
                UNION ALL {ledger_movements('wholesale_loyalty_ledger', 1)}) AS m
      GROUP BY 1, 2, 3, 4"""
    yield f"""
        INSERT INTO {TOTAL_TABLE} ({_columns(TOTAL_KEY)}, {_columns(MEASURES)}, row_count)
        SELECT NULLIF(t.company_id, 0), NULLIF(t.user_id, 0), t.month,
               m.program_id, m.tier_id, p.country_id, {_sum_measures('t')}, COUNT(*)
          FROM {MONTH_TABLE} t LEFT JOIN res_partner p ON p.id = t.partner_id
               {MEMBER_JOIN.format(rows='t')}
      GROUP BY 1, 2, 3, 4, 5, 6"""
    yield f"ANALYZE {MONTH_TABLE}"


def _compact_statement():
    key = _columns(TOTAL_KEY)
    return f"""
        WITH folded AS (DELETE FROM {TOTAL_TABLE} RETURNING *)
        INSERT INTO {TOTAL_TABLE} ({key}, {_columns(MEASURES)}, row_count)
        SELECT {key}, {_sum_measures()}, SUM(row_count)
          FROM folded
      GROUP BY {key}
        HAVING SUM(row_count) <> 0"""
