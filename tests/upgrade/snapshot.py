"""Run in ``odoo-bin shell``: writes to $SNAPSHOT what every customer holds in each
program (program, tier, since, spend, grace, lock, balance), its tier history and paid
tiers, read through the fields both releases offer on res.partner (``accounts``; the grace,
which only the member shows in the current release, from the member where there is one); and
how many ledger entries, history lines and paid tiers there are, and how many of them do not
point to the member of their partner and program (``links``; None for a release whose rows
have no member)."""
import json
import os

env = globals()["env"]  # the shell's environment
LINKED_TABLES = ("wholesale_loyalty_ledger", "wholesale_loyalty_tier_history", "wholesale_loyalty_membership")


def count(query, *params):
    env.cr.execute(query, params)
    return env.cr.fetchone()[0]


def links():
    """{"rows": rows of the linked tables, "off_account": those without the member of their key}."""
    env.flush_all()
    rows = sum(count(f"SELECT count(*) FROM {table}") for table in LINKED_TABLES)  # noqa: S608
    linked = count(
        "SELECT count(*) FROM information_schema.columns WHERE column_name = 'member_id' AND table_name IN %s",
        LINKED_TABLES,
    )
    if linked < len(LINKED_TABLES):
        return {"rows": rows, "off_account": None}
    off_account = sum(count(f"""
        SELECT count(*) FROM {table} t LEFT JOIN wholesale_loyalty_member m ON m.id = t.member_id
         WHERE t.program_id IS NOT NULL
           AND (m.id IS NULL OR m.partner_id <> t.partner_id OR m.program_id <> t.program_id)""")  # noqa: S608
        for table in LINKED_TABLES)
    return {"rows": rows, "off_account": off_account}


def below_since(partner, program):
    """The first day the customer's spend fell below its tier in ``program``."""
    if "wholesale.loyalty.member" in env:
        member = env["wholesale.loyalty.member"].search([
            ("partner_id", "=", partner.id), ("program_id", "=", program.id)])
        return member.downgrade_since
    return partner.with_company(program.company_id).wholesale_downgrade_since


result = {}
for program in env["wholesale.loyalty.program"].search([]):
    ledger_holders = env["wholesale.loyalty.ledger"].search([("program_id", "=", program.id)]).partner_id
    history_holders = env["wholesale.loyalty.tier.history"].search([("program_id", "=", program.id)]).partner_id
    for partner in (ledger_holders | history_holders).sorted("id"):
        seen = partner.with_company(program.company_id)
        mine = seen.wholesale_program_id == program
        result[f"{program.id}:{partner.id}"] = {
            "program": seen.wholesale_program_id.id,
            "tier": seen.wholesale_tier_id.id if mine else None,
            "since": str(seen.wholesale_tier_since) if mine else None,
            "spend": round(seen.wholesale_qualifying_amount, 2) if mine else None,
            "below_since": str(below_since(partner, program)) if mine else None,
            "locked": seen.wholesale_tier_locked if mine else None,
            "reason": seen.wholesale_tier_lock_reason if mine else None,
            "balance": sum(env["wholesale.loyalty.ledger"].search([
                ("partner_id", "=", partner.id), ("program_id", "=", program.id)]).mapped("points")),
            "shown_balance": seen.wholesale_points_balance if mine else None,
            "history": env["wholesale.loyalty.tier.history"].search_count([
                ("partner_id", "=", partner.id), ("program_id", "=", program.id)]),
            "paid_tiers": env["wholesale.loyalty.membership"].search([
                ("partner_id", "=", partner.id), ("program_id", "=", program.id)]).mapped(
                lambda paid: [paid.tier_id.id, str(paid.date_start), str(paid.date_end), paid.state]),
        }
with open(os.environ["SNAPSHOT"], "w") as snapshot:
    json.dump({"accounts": result, "links": links()}, snapshot, indent=1, sort_keys=True)
