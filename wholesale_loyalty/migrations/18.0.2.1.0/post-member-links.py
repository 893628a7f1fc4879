from odoo.tools import SQL

# The rows that point to the customer's account since 18.0.2.1.0.
LINKED_TABLES = ("wholesale_loyalty_ledger", "wholesale_loyalty_tier_history", "wholesale_loyalty_membership")


def migrate(cr, version):
    """Ledger entries, tier history and paid tiers point to the member of their customer and
    program: customers without one there (points merged from another customer, a program
    left before accounts had a model) get an archived account, then every row is linked and
    every balance is the sum of its account's entries again."""
    pairs = SQL(" UNION ").join(
        SQL("SELECT partner_id, program_id FROM %s WHERE program_id IS NOT NULL AND member_id IS NULL",
            SQL.identifier(table))
        for table in LINKED_TABLES
    )
    cr.execute(SQL(
        """INSERT INTO wholesale_loyalty_member
                  (partner_id, program_id, company_id, active, points_balance, qualifying_amount, tier_locked,
                   create_uid, write_uid, create_date, write_date)
           SELECT pair.partner_id, pair.program_id, pr.company_id, FALSE, 0, 0, FALSE,
                  1, 1, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
             FROM (%s) AS pair
             JOIN wholesale_loyalty_program pr ON pr.id = pair.program_id
        ON CONFLICT (partner_id, program_id) DO NOTHING""",
        pairs,
    ))
    for table in LINKED_TABLES:
        cr.execute(SQL(
            """UPDATE %s t SET member_id = m.id
                 FROM wholesale_loyalty_member m
                WHERE t.member_id IS NULL AND m.partner_id = t.partner_id AND m.program_id = t.program_id""",
            SQL.identifier(table),
        ))
    cr.execute(SQL(
        """UPDATE wholesale_loyalty_member m
              SET points_balance = COALESCE((SELECT SUM(l.points) FROM wholesale_loyalty_ledger l
                                              WHERE l.member_id = m.id), 0)"""
    ))
