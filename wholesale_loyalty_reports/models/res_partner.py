from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.wholesale_loyalty.tools.access import LOYALTY_USER, check_caller_groups
from odoo.addons.wholesale_loyalty.tools.points_rules import EXPIRING_SOON_DAYS

STATEMENT_MONTHS = 12


class ResPartner(models.Model):
    _inherit = "res.partner"

    def action_wholesale_print_statement(self):
        """Print the loyalty statement of these customers (their commercial partners)."""
        check_caller_groups(self.env, LOYALTY_USER)
        return self.env.ref("wholesale_loyalty_reports.action_report_loyalty_statement").report_action(
            self.commercial_partner_id
        )

    def action_wholesale_send_statement(self):
        """Open the mail composer with the statement template (and the PDF attached)."""
        check_caller_groups(self.env, LOYALTY_USER)
        self.ensure_one()
        template = self.env.ref("wholesale_loyalty_reports.mail_template_loyalty_statement")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send Loyalty Statement"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": "res.partner",
                "default_res_ids": self.commercial_partner_id.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
                "force_email": True,
            },
        }

    def _wholesale_statement_values(self, today=None):
        """Everything a statement shows, per commercial partner id: the loyalty status, the
        points figures and the ledger entries of the last 12 months, in two queries for all
        partners."""
        today = today or fields.Date.context_today(self)
        since = today - relativedelta(months=STATEMENT_MONTHS)
        customers = self.commercial_partner_id
        points = customers._wholesale_points_figures(today, since)
        entries = defaultdict(lambda: self.env["wholesale.loyalty.ledger"])
        for entry in self.env["wholesale.loyalty.ledger"].search(
            [("partner_id", "in", customers.ids), ("date", ">", since), ("date", "<=", today)],
            order="date, id",
        ):
            entries[entry.partner_id.id] |= entry
        values = {}
        members = self.env["wholesale.loyalty.member"]._of(customers, self.env.company)
        empty_member = self.env["wholesale.loyalty.member"]
        for customer, status in zip(customers, customers.wholesale_status(), strict=True):
            figures = points.get(customer.id, {})
            # sudo: the customer's own account, whose figures the statement prints
            member = members.get(customer.id, empty_member).sudo()
            program = customer.wholesale_program_id
            next_tier = customer.wholesale_next_tier_id
            values[customer.id] = {
                "status": status,
                "program": program,
                "tier": customer.wholesale_tier_id,
                "next_tier": next_tier,
                "progress_percent": min(
                    100.0, customer.wholesale_qualifying_amount * 100 / next_tier.threshold_amount
                ) if next_tier.threshold_amount else 100.0,
                "balance": figures.get("balance", 0),
                "balance_value": figures.get("balance", 0) * program.point_value,
                "pending": status.get("points_pending", 0),
                "keep_tier": member.keep_tier_id,
                "keep_tier_amount": member.keep_tier_amount,
                "keep_tier_by": member.keep_tier_by,
                "expiring_30d": figures.get("expiring_30d", 0),
                "opening_balance": figures.get("opening", 0),
                "entries": entries[customer.id],
                "show_contacts": customer._wholesale_has_contacts(),
                "contact_totals": self._wholesale_contact_totals(entries[customer.id]),
                "date_from": since + relativedelta(days=1),
                "date_to": today,
            }
        return values

    def _wholesale_contact_totals(self, entries):
        """[(contact, points received, points used)] of ``entries``, the contacts by name:
        who of a company account earned and spent what in the statement's period."""
        totals = defaultdict(lambda: [0, 0])
        for entry in entries:
            totals[entry.contact_id][0 if entry.points > 0 else 1] += abs(entry.points)
        return sorted(
            ((contact, received, used) for contact, (received, used) in totals.items()),
            key=lambda row: (not row[0], row[0].name or ""),
        )

    def _wholesale_points_figures(self, today, since):
        """Balance (sum of all entries), balance on ``since`` and points of lots expiring
        within 30 days, per partner, from the ledger: one query."""
        if not self:
            return {}
        self.env["wholesale.loyalty.ledger"].flush_model()
        rows = self.env.execute_query_dict(SQL(
            """SELECT partner_id,
                      SUM(points) FILTER (WHERE date <= %(today)s) AS balance,
                      COALESCE(SUM(points) FILTER (WHERE date <= %(since)s), 0) AS opening,
                      COALESCE(SUM(remaining_points) FILTER (
                          WHERE remaining_points > 0 AND expiry_date BETWEEN %(today)s AND %(in_30)s), 0)
                          AS expiring_30d
                 FROM wholesale_loyalty_ledger
                WHERE partner_id = ANY(%(ids)s)
             GROUP BY partner_id""",
            today=today, since=since, in_30=today + relativedelta(days=EXPIRING_SOON_DAYS), ids=self.ids,
        ))
        return {row.pop("partner_id"): row for row in rows}
