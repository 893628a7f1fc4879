from odoo.tools import SQL

from odoo.addons.wholesale_loyalty_reports.models.wholesale_loyalty_simulation_move import numbered_movers


def migrate(cr, version):
    """Movers are numbered from a sequence now (ids within 32 bits, for XML-RPC clients): the
    movers of earlier runs get their ids."""
    cr.execute(SQL(
        "UPDATE wholesale_loyalty_simulation SET mover_data = %s WHERE jsonb_typeof(mover_data) = 'array'",
        numbered_movers(SQL("mover_data")),
    ))
