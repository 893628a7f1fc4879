from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.wholesale_loyalty.tools.access import LOYALTY_MANAGER, check_caller_groups

# Movers take their ids from a sequence of their own when a run writes them: ids stay within
# what XML-RPC carries (32 bits), and a new run's movers never take the ids of earlier ones.
MOVER_ID_SEQUENCE = "wholesale_loyalty_simulation_move_id_seq"
MOVER_ID = 5  # the place of the id in a mover's row


def numbered_movers(rows):
    """SQL of the JSON array ``rows`` (SQL of a jsonb array of mover rows) with each row's
    new id appended, taken from the movers' sequence in the rows' order."""
    return SQL(
        """(SELECT jsonb_agg(mover.row || to_jsonb(nextval(%s)) ORDER BY mover.position)
              FROM jsonb_array_elements(%s) WITH ORDINALITY AS mover(row, position))""",
        MOVER_ID_SEQUENCE, rows,
    )


class WholesaleLoyaltySimulationMove(models.Model):
    """A customer whose tier the proposed settings of a what-if simulation change.

    A run keeps its movers in one value on the simulation (``mover_data``, a list of rows),
    read here as a table: a raised threshold may move thousands of customers, and one value
    costs a run a fraction of what as many rows, with their indexes and foreign keys, would.
    A customer or tier deleted since the run drops out (the customer) or shows empty (the
    tier)."""

    _name = "wholesale.loyalty.simulation.move"
    _description = "Wholesale Loyalty What-if Mover"
    _auto = False
    _order = "simulation_id, direction desc, qualifying_amount desc, id"
    _depends = {"wholesale.loyalty.simulation": ["mover_data", "company_id"]}

    simulation_id = fields.Many2one("wholesale.loyalty.simulation", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="simulation_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    qualifying_amount = fields.Monetary(string="Qualifying Spend", readonly=True)
    current_tier_id = fields.Many2one("wholesale.loyalty.tier", string="Current Tier", readonly=True)
    proposed_tier_name = fields.Char(string="Proposed Tier", readonly=True)
    direction = fields.Selection([("up", "Up"), ("down", "Down")], readonly=True)

    @property
    def _table_query(self):
        return SQL(
            """SELECT (mover.row ->> %(id_place)s)::int AS id,
                      s.id AS simulation_id, s.company_id, p.id AS partner_id,
                      (mover.row ->> 1)::numeric AS qualifying_amount, t.id AS current_tier_id,
                      mover.row ->> 3 AS proposed_tier_name, mover.row ->> 4 AS direction
                 FROM wholesale_loyalty_simulation s
           CROSS JOIN LATERAL jsonb_array_elements(
                          CASE WHEN jsonb_typeof(s.mover_data) = 'array' THEN s.mover_data ELSE '[]' END
                      ) AS mover(row)
                 JOIN res_partner p ON p.id = (mover.row ->> 0)::int
            LEFT JOIN wholesale_loyalty_tier t ON t.id = (mover.row ->> 2)::int""",
            id_place=MOVER_ID,
        )

    def init(self):
        self.env.cr.execute(SQL("CREATE SEQUENCE IF NOT EXISTS %s AS integer", SQL.identifier(MOVER_ID_SEQUENCE)))

    def action_open_partner(self):
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
