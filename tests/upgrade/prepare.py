"""Run in ``odoo-bin shell`` with the previous release: gives the demo customers the state
an upgrade must keep (a locked tier, a grace period, a paid tier), beside the points and
history the demo data already has."""
import datetime

from odoo import fields

env = globals()["env"]  # the shell's environment

partners = env["res.partner"]
program = env.ref("wholesale_loyalty.program_default")
members = partners.search([("wholesale_program_id", "=", program.id), ("parent_id", "=", False)], order="id")
tiers = program.tier_ids.sorted("threshold_amount")
locked, in_grace, paying = members[0], members[1], members[2]
locked.write({"wholesale_tier_id": tiers[-1].id, "wholesale_tier_locked": True,
              "wholesale_tier_lock_reason": "Key account"})
# Grace is the engine's state: set as the engine would have left it.
env.cr.execute("UPDATE res_partner SET wholesale_downgrade_since = %s WHERE commercial_partner_id = %s",
               [fields.Date.today() - datetime.timedelta(days=3), in_grace.id])
paid_tier = tiers.filtered("membership_available")[:1]
if paid_tier:
    env["wholesale.loyalty.membership"].sudo().create({
        "partner_id": paying.id, "program_id": program.id, "tier_id": paid_tier.id,
        "company_id": program.company_id.id, "date_start": fields.Date.today(),
        "date_end": fields.Date.today() + datetime.timedelta(days=364), "months": 12,
        "amount": 400.0, "list_amount": 400.0, "state": "active",
    })
env.cr.commit()
