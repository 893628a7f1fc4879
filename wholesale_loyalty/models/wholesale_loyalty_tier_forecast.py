import itertools
from datetime import date, timedelta
from typing import NamedTuple

from odoo import api, fields, models
from odoo.tools import SQL, format_amount, format_date

from ..tools.batches import collector_paused, run_in_batches, streamed
from ..tools.tier_rules import AMOUNT_DIGITS, first_drop, qualification_window, reaches, spend_on

# Rows read at a time: one per customer and day of spend.
STREAM_ROWS = 20000


class TierRisk(NamedTuple):
    """A customer who, without new spend, falls below the tier it holds."""

    partner_id: int
    tier_id: int
    keep_by: date  # the day it loses the tier (first day below it plus the grace), unless it buys before
    amount: float  # the spend that keeps the tier on that day


class WholesaleLoyaltyTierForecast(models.AbstractModel):
    """When the spend of a rolling period leaves the window, and what keeps the tier.

    Without new spend, a customer's spend on a future day is today's minus the documents
    gone by then (``tools/tier_rules.py``: ``leave_day``, ``first_drop``); the first day it
    falls below the tier's threshold is when the tier is at risk, and the gap on that day is
    what the customer must buy before it. A customer already below its tier (in the grace
    period) must buy the gap before the downgrade day. One query reads every member's days
    of spend in order, through a database cursor.
    """

    _name = "wholesale.loyalty.tier.forecast"
    _description = "Wholesale Loyalty Tier Retention Forecast"

    @api.model
    def _risks(self, program, partner_ids=None, today=None, due_by=None):
        """{customer id: :class:`TierRisk`} of the members of ``program`` (or of those among
        ``partner_ids``) who lose their tier without new spend (by ``due_by``, when given):
        one query for all of them. Only rolling periods move their window day by day; locked
        tiers and the entry tier (no threshold) are never at risk."""
        program = program.sudo()  # sudo: figures of the customers' own spend, read by the engine's rules
        if program.qualification_period != "rolling" or not program.tier_ids:
            return {}
        today = today or program._today()
        date_from, date_to = qualification_window("rolling", today, program.period_months)
        self.env["wholesale.loyalty.member"].flush_model()
        program._flush_spend_sources()
        holders = self.env["wholesale.loyalty.tier.engine"]._floor_holders_query(program, today)
        members = SQL(
            """SELECT m.partner_id FROM wholesale_loyalty_member m JOIN wholesale_loyalty_tier t ON t.id = m.tier_id
                WHERE m.program_id = %(program)s AND m.active
                  AND NOT COALESCE(m.tier_locked, FALSE) AND t.threshold_amount > 0
                  %(among)s %(floors)s""",
            program=program.id,
            among=SQL("AND m.partner_id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL(),
            # A paid membership holds its tier whatever the spend.
            floors=SQL("AND m.partner_id NOT IN (%s)", holders) if holders else SQL(),
        )
        risks = {}
        # Read once: a field read per customer would cost more than its forecast.
        grace, months = timedelta(days=program.downgrade_grace_days), program.period_months
        with collector_paused(), \
                streamed(self.env, self._documents_query(program, members, date_from, date_to), STREAM_ROWS) as chunks:
            rows = (row for chunk in chunks for row in chunk)
            for partner_id, customer_rows in itertools.groupby(rows, key=lambda row: row[0]):
                risk = _risk(today, grace, months, partner_id, list(customer_rows))
                if risk and (due_by is None or risk.keep_by <= due_by):
                    risks[partner_id] = risk
        return risks

    def _documents_query(self, program, members, date_from, date_to):
        """(customer, tier, threshold, below since, day, amount) of each day of spend of the
        window, by customer and day; a customer without spend has one row without day."""
        return SQL(
            """SELECT m.partner_id, m.tier_id, t.threshold_amount, m.downgrade_since, d.day, d.amount
                 FROM wholesale_loyalty_member m
                 JOIN wholesale_loyalty_tier t ON t.id = m.tier_id
            LEFT JOIN (SELECT spend.partner_id, spend.day, SUM(spend.amount) AS amount
                         FROM (%(documents)s) AS spend(partner_id, day, amount)
                     GROUP BY 1, 2) AS d ON d.partner_id = m.partner_id
                WHERE m.program_id = %(program)s AND m.active AND m.partner_id IN (%(members)s)
             ORDER BY m.partner_id, d.day""",
            members=members, documents=program._spend_documents_query(members, date_from, date_to),
            program=program.id,
        )

    # ------------------------------------------------------------------ warnings

    @api.model
    def _cron_warn_tier_risks(self, batch_size=200):
        """Mail each customer whose tier is at risk within its program's warning days, and
        give its salesperson an activity: once per risk (tier and day), committed per batch."""
        for program in self.env["wholesale.loyalty.program"].search([
            ("qualification_period", "=", "rolling"), ("retention_warning_days", ">", 0),
        ]):
            today = program._today()
            horizon = today + timedelta(days=program.retention_warning_days)
            due = self._not_warned(program, list(self._risks(program, today=today, due_by=horizon).values()))
            run_in_batches(
                self.env, due, batch_size, lambda batch, program=program: self._warn(program, batch),
                commit=True, isolate="Tier risk warning", describe=lambda risk: f"customer {risk.partner_id}",
            )

    def _not_warned(self, program, risks):
        """The risks whose customer was not warned of this tier and day yet."""
        if not risks:
            return []
        warned = {member.partner_id.id: member.tier_risk_warned for member in self._accounts(program, risks)}
        return [risk for risk in risks if warned.get(risk.partner_id) != _risk_key(risk)]

    def _accounts(self, program, risks):
        """The members of ``program`` the ``risks`` are of."""
        return self.env["wholesale.loyalty.member"].sudo().search([
            ("program_id", "=", program.id), ("partner_id", "in", [risk.partner_id for risk in risks]),
        ])

    def _warn(self, program, risks):
        partners = self.env["res.partner"].browse(risk.partner_id for risk in risks)
        template = self.env.ref("wholesale_loyalty.mail_template_tier_risk", raise_if_not_found=False)
        mailed = partners.filtered("email")
        if template and mailed:
            template.send_mail_batch(mailed.ids)
        accounts = {member.partner_id.id: member for member in self._accounts(program, risks)}
        for risk, partner in zip(risks, partners, strict=True):
            self._schedule_activity(program, partner, risk)
            # sudo (in _accounts): the warning marker is the engine's bookkeeping, written whoever runs it
            accounts[partner.id].write({"tier_risk_warned": _risk_key(risk)})
        self._queue_events(program, risks, partners)

    def _queue_events(self, program, risks, partners):
        """A ``tier.will_downgrade`` event for each risk warned of, with what keeps the tier."""
        events = self.env["wholesale.loyalty.event"]
        if not events._listening({"tier.will_downgrade"}, [program.company_id.id]):
            return
        tiers = self.env["wholesale.loyalty.tier"].with_context(lang="en_US")
        events._queue_batch([
            ("tier.will_downgrade", program.company_id.id, partner.id, {
                **events._partner_data(partner),
                "program_id": program.id,
                "program_name": program.with_context(lang="en_US").name,
                "tier": {"id": risk.tier_id, "name": tiers.browse(risk.tier_id).name},
                "keep_tier_amount": risk.amount,
                "keep_tier_by": risk.keep_by,
                "currency": program.currency_id.name,
            })
            for risk, partner in zip(risks, partners, strict=True)
        ])

    def _schedule_activity(self, program, partner, risk):
        user = partner.user_id or program.user_id
        if not user:
            return
        env = self.with_context(lang=user.lang or self.env.lang).env  # the salesperson's language
        tier = self.env["wholesale.loyalty.tier"].browse(risk.tier_id).with_env(env)
        partner.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=max(risk.keep_by - timedelta(days=1), fields.Date.today()),
            summary=env._("Keep %(tier)s: %(amount)s more by %(date)s", tier=tier.name,
                          amount=format_amount(env, risk.amount, program.currency_id),
                          date=format_date(env, risk.keep_by)),
            user_id=user.id,
        )


def _risk(today, grace, months, partner_id, rows):
    """The :class:`TierRisk` of one customer from its rows (see ``_documents_query``), on a
    rolling period of ``months`` with a downgrade ``grace`` (a timedelta): the day the tier
    is lost without new spend (the first day below it, plus the grace) and what the customer
    must have bought by then."""
    _id, tier_id, threshold, below_since, _day, _amount = rows[0]
    documents = [(day, amount) for *_head, day, amount in rows if day]
    spend = sum(amount for _day, amount in documents)
    if not reaches(spend, threshold):
        # Already below: the grace period runs from the day it started.
        lost_on = below_since + grace if below_since else today
    else:
        drop = first_drop(threshold, documents, months)
        if not drop:
            return None
        lost_on = drop.day + grace
    # More documents may leave during the grace period: the gap is the one of the day it ends.
    gap = round(threshold - spend_on(documents, months, lost_on), AMOUNT_DIGITS)
    return TierRisk(partner_id, tier_id, lost_on, gap) if gap > 0 else None


def _risk_key(risk):
    """What identifies a risk, so that the same one is warned of once."""
    return f"{risk.tier_id}:{risk.keep_by.isoformat()}"
