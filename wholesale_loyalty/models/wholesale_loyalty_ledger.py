from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools.access import LIABILITY_GROUPS
from ..tools.points_rules import Lot, allocate
from ..tools.webhooks import LEDGER_EVENTS

KINDS = [
    ("earn", "Earned"),
    ("bonus", "Bonus"),
    ("redeem", "Redeemed"),
    ("expire", "Expired"),
    ("adjust", "Adjustment"),
    ("reversal", "Reversal"),
]


class WholesaleLoyaltyLedger(models.Model):
    """Append-only points ledger. The balance of a customer is the sum of its entries.

    Positive entries are *lots*: ``remaining_points`` says how much of the lot is left
    to spend or expire. Negative entries consume lots soonest-expiry first and record
    what they took in ``allocation_ids``.

    Every entry is made by :meth:`_create_entries`, which also keeps the lots; nothing is
    ever written through the ORM (see :meth:`write`).
    """

    _name = "wholesale.loyalty.ledger"
    _description = "Wholesale Loyalty Points Ledger"
    _order = "date desc, id desc"
    _rec_name = "reference"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, ondelete="restrict", index=True, readonly=True,
    )
    member_id = fields.Many2one(
        "wholesale.loyalty.member", string="Loyalty Account", required=True, ondelete="restrict", index=True,
        readonly=True, help="The customer's account in the program: the entry's customer and program.",
    )
    contact_id = fields.Many2one(
        "res.partner", string="Contact", ondelete="set null", index="btree_not_null", readonly=True,
        help="Who ordered or was invoiced: the partner of the order or invoice behind the entry. "
             "Empty for entries no document caused (awards, expiry).",
    )
    program_id = fields.Many2one(
        "wholesale.loyalty.program", required=True, ondelete="restrict", index=True, readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, ondelete="restrict", index=True, readonly=True)
    date = fields.Date(required=True, default=fields.Date.context_today, index=True, readonly=True)
    points = fields.Integer(required=True, readonly=True)
    points_multiplier = fields.Float(
        digits=(16, 2), readonly=True, aggregator=False,
        help="The tier multiplier the points of an invoice were earned at; its credit notes take "
             "points back at the same rate.",
    )
    kind = fields.Selection(KINDS, string="Type", required=True, index=True, readonly=True)
    sale_order_id = fields.Many2one("sale.order", ondelete="set null", index="btree_not_null", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", ondelete="set null", index="btree_not_null",
                              readonly=True)
    bonus_rule_id = fields.Many2one(
        "wholesale.loyalty.bonus.rule", ondelete="set null", index="btree_not_null", readonly=True
    )
    reference = fields.Char(readonly=True, index="btree_not_null", help="What caused the entry; unique per cause.")
    expiry_date = fields.Date(index="btree_not_null", readonly=True)
    remaining_points = fields.Integer(default=0, readonly=True, help="Points of this lot not yet spent or expired.")
    reversed_entry_id = fields.Many2one(
        "wholesale.loyalty.ledger", ondelete="restrict", index="btree_not_null", readonly=True
    )
    note = fields.Text(readonly=True)
    allocation_ids = fields.One2many(
        "wholesale.loyalty.ledger.allocation", "entry_id", string="Lots Used", readonly=True
    )
    # Points liability in the books (see wholesale.loyalty.liability), kept by SQL like the lots.
    liability_currency_id = fields.Many2one(related="company_id.currency_id", string="Liability Currency")
    liability_deferred = fields.Monetary(
        currency_field="liability_currency_id", readonly=True, groups=LIABILITY_GROUPS,
        help="A lot: the revenue deferred, or the cost provided, for its points when it was booked.",
    )
    liability_released = fields.Monetary(
        currency_field="liability_currency_id", readonly=True, groups=LIABILITY_GROUPS,
        help="A lot: what redemptions, expiry and credit notes have released of it so far.",
    )
    liability_booked = fields.Monetary(
        currency_field="liability_currency_id", readonly=True, groups=LIABILITY_GROUPS,
        help="What this entry moved on the liability account (positive: the liability grew).",
    )
    liability_points = fields.Integer(
        readonly=True, groups=LIABILITY_GROUPS, help="A lot: the points its liability stands for.")
    liability_share = fields.Float(
        digits=(5, 2), readonly=True, groups=LIABILITY_GROUPS,
        help="A lot: the expected redemption (%) its liability was booked with.",
    )
    liability_source = fields.Selection(
        [("revenue", "Deferred revenue"), ("expense", "Expense"), ("opening", "Opening balance")],
        readonly=True, groups=LIABILITY_GROUPS,
        help="A lot: the account its liability came from, which its breakage goes back to.",
    )
    liability_move_id = fields.Many2one(
        "account.move", string="Liability Entry", ondelete="restrict", index="btree_not_null", readonly=True,
        groups=LIABILITY_GROUPS,
    )

    _sql_constraints = [
        ("points_not_zero", "CHECK(points <> 0)", "A ledger entry moves at least one point."),
        (
            "remaining_within_lot",
            "CHECK(remaining_points >= 0 AND (points < 0 AND remaining_points = 0 OR remaining_points <= points))",
            "A lot cannot have more points left than it received.",
        ),
        (
            "reference_unique",
            "UNIQUE(partner_id, program_id, kind, reference)",
            "This cause has already given its points.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")  # before an account is opened for the rows
        self.env["wholesale.loyalty.member"]._link_rows(vals_list)
        for vals in vals_list:
            if vals.get("points", 0) > 0 and "remaining_points" not in vals:
                vals["remaining_points"] = vals["points"]
        return super().create(vals_list)

    def write(self, vals):
        # No context or group unlocks this: the ledger keeps its lots itself, by SQL, in the
        # methods below, so that nothing a client sends can change an entry.
        if vals:
            raise UserError(
                self.env._("Points ledger entries cannot be changed; record a correcting entry instead.")
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Points ledger entries cannot be deleted; record a correcting entry instead."))

    # ------------------------------------------------------------------ the one way entries are made

    @api.model
    def _entry_vals(self, customer, program, kind, points, *, note, reference=False, date=None,
                    expiry_date=False, move=None, order=None, bonus_rule=None, reversed_entry=None,
                    company=None, remaining_points=None, member=None):
        """Values of one entry. ``remaining_points`` is only for a lot whose caller already
        settled what it keeps (a give-back); other lots start full and pay the debt first.
        ``member``: the customer's account in ``program`` when the caller has it (else
        :meth:`create` finds it)."""
        vals = {
            "member_id": member.id if member else False,
            "partner_id": customer.id,
            "contact_id": self._entry_contact(kind, move, order).id,
            "program_id": program.id,
            "company_id": (company or program.company_id).id,
            "date": date or fields.Date.context_today(self),
            "points": points,
            "kind": kind,
            "move_id": move.id if move else False,
            "sale_order_id": order.id if order else False,
            "bonus_rule_id": bonus_rule.id if bonus_rule else False,
            "reversed_entry_id": reversed_entry.id if reversed_entry else False,
            "reference": reference or False,
            "expiry_date": expiry_date or False,
            "note": note,
        }
        if remaining_points is not None:
            vals["remaining_points"] = remaining_points
        return vals

    @api.model
    def _entry_contact(self, kind, move=None, order=None):
        """The contact whose document caused an entry: the one who ordered for a redemption
        (the order is where points are spent), the one invoiced otherwise."""
        if kind == "redeem" and order:
            return order.partner_id
        if move:
            return move.partner_id
        return order.partner_id if order else self.env["res.partner"]

    @api.model
    def _create_entries(self, vals_list, preferred_lots=None, returns=None):
        """Create entries (see :meth:`_entry_vals`) and keep the lots: consuming entries take
        their points from the open lots, ``preferred_lots[i]`` (a lot id) first for the i-th
        entry; a give-back puts ``returns[i]`` ([(lot id, points)]) back into lots; new lots
        pay what the customer owes first. Then the customers' balances are stored again.
        A caller whose entries take points, or depend on what the customer holds, holds the
        customers' lock (:meth:`_lock_accounts`)."""
        ledger = self.sudo()  # the ledger is written on behalf of whoever caused the entry
        if not vals_list:
            return ledger
        preferred_lots = preferred_lots or [None] * len(vals_list)
        returns = returns or [()] * len(vals_list)
        # A lot whose caller set what it keeps (a give-back) has settled the debt already.
        settled = ["remaining_points" in vals for vals in vals_list]
        entries = ledger.create(vals_list)
        consumers = entries.filtered(lambda entry: entry.points < 0)
        consumers._consume_lots(dict(zip(entries.ids, preferred_lots, strict=True)))
        entries._restore_lots({entry.id: back for entry, back in zip(entries, returns, strict=True) if back})
        new_lots = ledger.union(*[
            entry for entry, done in zip(entries, settled, strict=True)
            if entry.points > 0 and entry.remaining_points and not done
        ])
        # Paying the debt moves points between lots, not the balance, which is stored first.
        standing = self._refresh_balances(entries.partner_id, bool(new_lots))
        new_lots._pay_debt(standing)
        self.env["wholesale.loyalty.liability"]._book(entries)
        entries._queue_events()
        return entries

    def _queue_events(self):
        """Tell the endpoints of each entry (``points.*`` events, see ``LEDGER_EVENTS``), with
        the balance of the customer in the entry's program once it is booked: one query for
        the balances and one for the events, none when no endpoint listens."""
        events = self.env["wholesale.loyalty.event"]
        if not self or not events._listening(set(LEDGER_EVENTS.values())):
            return
        rows = self.env.execute_query(SQL(
            """SELECT partner_id, program_id, SUM(points) FROM wholesale_loyalty_ledger
                WHERE partner_id = ANY(%s) AND program_id = ANY(%s) GROUP BY partner_id, program_id""",
            self.partner_id.ids, self.program_id.ids,
        ))
        balances = {(partner_id, program_id): balance for partner_id, program_id, balance in rows}
        items = []
        # From the last entry back: each entry's balance is the one before the later entries.
        for entry in reversed(self):
            key = (entry.partner_id.id, entry.program_id.id)
            items.append((LEDGER_EVENTS[entry.kind], entry.company_id.id, entry.partner_id.id,
                          entry._event_data(balances[key])))
            balances[key] -= entry.points
        events._queue_batch(reversed(items))

    def _event_data(self, balance):
        """What a ``points.*`` event says of this entry."""
        return {
            **self.env["wholesale.loyalty.event"]._partner_data(self.partner_id),
            "program_id": self.program_id.id,
            "entry_id": self.id,
            "kind": self.kind,
            "points": self.points,
            "balance": balance,
            "date": self.date,
            "expiry_date": self.expiry_date or None,
            "reference": self.reference or None,
            "note": self.note or None,
            "invoice_id": self.move_id.id or None,
            "invoice_name": self.move_id.name or None,
            "sale_order_id": self.sale_order_id.id or None,
            "sale_order_name": self.sale_order_id.name or None,
            "reversed_entry_id": self.reversed_entry_id.id or None,
        }

    # ------------------------------------------------------------------ the accounts' lock and balances

    @api.model
    def _lock_accounts(self, partners):
        """Take the row locks of the customers' accounts: under Odoo's repeatable-read
        transactions a concurrent spender that already changed an account makes this one
        fail with a serialization error, so that it is retried and then sees the points
        already spent. Nothing is written: every points movement refreshes the balances it
        changes (see ``_refresh_balances``).

        :return: {(customer id, program id): the balance of the account}, as it stands under
            the lock (every movement stores it again)
        """
        ids = partners.commercial_partner_id.ids
        if not ids:
            return {}
        members = self.env["wholesale.loyalty.member"]
        members.flush_model()
        locked = self.env.execute_query(SQL(
            "SELECT id, partner_id, program_id, points_balance FROM wholesale_loyalty_member "
            "WHERE partner_id = ANY(%s) FOR NO KEY UPDATE",
            ids,
        ))
        # The entries written under this lock find their accounts without a query.
        members._remember_accounts([row[:3] for row in locked])
        return {(partner_id, program_id): balance for _id, partner_id, program_id, balance in locked}

    @api.model
    def _refresh_balances(self, partners, with_open_points=False):
        """Store again the balance of every account of these customers, from its ledger
        entries. With ``with_open_points``, return {(customer id, program id): [balance,
        points left in its lots]} of the accounts, read by the same statement (what a new lot
        needs to know of the customer's debt, see ``_pay_debt``)."""
        ids = partners.commercial_partner_id.ids
        if not ids:
            return {}
        self.flush_model()
        self.env["wholesale.loyalty.member"].flush_model()
        open_points = SQL(
            """(SELECT COALESCE(SUM(l.remaining_points), 0) FROM wholesale_loyalty_ledger l
                 WHERE l.member_id = m.id AND l.remaining_points > 0)""",
        ) if with_open_points else SQL("0")
        written = self.env.execute_query(SQL(
            """UPDATE wholesale_loyalty_member m
                  SET points_balance = COALESCE(
                        (SELECT SUM(l.points) FROM wholesale_loyalty_ledger l WHERE l.member_id = m.id), 0)
                WHERE m.partner_id = ANY(%s)
            RETURNING m.id, m.partner_id, m.program_id, m.points_balance, %s""",
            ids, open_points,
        ))
        members = self.env["wholesale.loyalty.member"]
        # Also drops what is computed from the balance, e.g. the balance shown on quotations.
        members.browse(row[0] for row in written)._sql_written(["points_balance"])
        # The entries written under this lock find their accounts without a query.
        members._remember_accounts([row[:3] for row in written])
        return {(partner_id, program_id): [balance, lots] for _id, partner_id, program_id, balance, lots in written}

    @api.model
    def _balance(self, partner, program):
        """The sum of the customer's entries in ``program``."""
        self.flush_model()
        rows = self.env.execute_query(SQL(
            "SELECT COALESCE(SUM(points), 0) FROM wholesale_loyalty_ledger WHERE partner_id = %s AND program_id = %s",
            partner.id, program.id,
        ))
        return rows[0][0]

    # ------------------------------------------------------------------ lots

    def _open_lots(self):
        """{(partner id, program id): [Lot]} of the customers and programs of these entries,
        locked for this transaction."""
        self.flush_model()
        rows = self.env.execute_query(SQL(
            """SELECT partner_id, program_id, id, remaining_points, expiry_date, date
                 FROM wholesale_loyalty_ledger
                WHERE partner_id = ANY(%s) AND program_id = ANY(%s) AND remaining_points > 0
                  FOR UPDATE""",
            self.partner_id.ids, self.program_id.ids,
        ))
        lots = {}
        for partner_id, program_id, *lot in rows:
            lots.setdefault((partner_id, program_id), []).append(Lot(*lot))
        return lots

    def _consume_lots(self, preferred_lots=None):
        """Consuming entries take their points from their customer's open lots, soonest expiry
        first, in the order of the entries; ``preferred_lots`` ({entry id: lot id}) names the
        lot an entry takes from first (a reversal of earned points takes them from the lot they
        created; an expiry what is left of its lot). What no lot covers is the customer's debt."""
        if not self:
            return
        preferred_lots = preferred_lots or {}
        open_lots = self._open_lots()
        allocations = []
        for entry in self:
            lots = open_lots.get((entry.partner_id.id, entry.program_id.id), [])
            taken, _shortfall = allocate(lots, -entry.points, preferred_lots.get(entry.id))
            taken = dict(taken)
            # The next entry of the same customer sees what this one left.
            lots[:] = [lot._replace(remaining=lot.remaining - taken.get(lot.lot_id, 0)) for lot in lots]
            allocations += [(entry.id, lot_id, points) for lot_id, points in taken.items()]
        self._move_lot_points(allocations, -1)

    def _restore_lots(self, returns):
        """Give-backs put points back into the lots they came from: ``returns`` is
        {entry id: [(lot id, points)]}, recorded as the give-back's allocations."""
        self._move_lot_points(
            [(entry_id, lot_id, points) for entry_id, back in returns.items() for lot_id, points in back], 1,
        )

    def _move_lot_points(self, allocations, sign):
        """Record [(entry id, lot id, points)] as allocations and move the lots' remaining
        points by ``sign`` times them, in one statement (every redemption and give-back runs
        it)."""
        if not allocations:
            return
        self.flush_model()
        self.env["wholesale.loyalty.ledger.allocation"].flush_model()
        entry_ids, lot_ids, points = (list(column) for column in zip(*allocations, strict=True))
        self.env.cr.execute(SQL(
            """WITH moved AS (SELECT * FROM unnest(%(entries)s::int[], %(lots)s::int[], %(points)s::int[])
                                      AS u(entry_id, lot_id, points)),
                    recorded AS (
                        INSERT INTO wholesale_loyalty_ledger_allocation
                               (entry_id, lot_id, points, company_id, create_uid, write_uid, create_date, write_date)
                        SELECT moved.entry_id, moved.lot_id, moved.points, entry.company_id,
                               %(uid)s, %(uid)s, %(now)s, %(now)s
                          FROM moved JOIN wholesale_loyalty_ledger entry ON entry.id = moved.entry_id)
               UPDATE wholesale_loyalty_ledger l SET remaining_points = l.remaining_points + v.points
                 FROM (SELECT lot_id, %(sign)s * SUM(points) AS points FROM moved GROUP BY lot_id) AS v
                WHERE l.id = v.lot_id""",
            entries=entry_ids, lots=lot_ids, points=points, sign=sign,
            uid=self.env.uid, now=fields.Datetime.now(),
        ))
        self.invalidate_model(["remaining_points", "allocation_ids"])

    def _pay_debt(self, standing):
        """A balance below zero (a refund of points already spent) is paid back first by the
        next points earned: each new lot (in order) only keeps what exceeds the debt.
        ``standing``: {(customer id, program id): [balance, points left in its lots]} with
        these lots (see :meth:`_refresh_balances`)."""
        if not self:
            return
        keeps = {}
        for lot in self:
            balance, open_points = standing[lot.partner_id.id, lot.program_id.id]
            excess = open_points - max(balance, 0)
            if excess > 0:
                keep = max(lot.remaining_points - excess, 0)
                keeps[lot.id] = keep
                standing[lot.partner_id.id, lot.program_id.id][1] -= lot.remaining_points - keep
        if keeps:
            self.env.cr.execute(SQL(
                """UPDATE wholesale_loyalty_ledger l SET remaining_points = v.keep
                     FROM unnest(%s::int[], %s::int[]) AS v(id, keep) WHERE l.id = v.id""",
                list(keeps), list(keeps.values()),
            ))
            self.invalidate_model(["remaining_points"])
