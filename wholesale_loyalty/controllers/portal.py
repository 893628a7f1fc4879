from odoo import http
from odoo.http import request
from odoo.tools import formatLang

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

LEDGER_PAGE_SIZE = 20


class WholesaleLoyaltyPortal(CustomerPortal):

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "wholesale_points_balance" in counters:
            customer = request.env.user.partner_id.commercial_partner_id
            # sudo: a portal user reads only their own commercial partner's balance.
            balance = customer.sudo().wholesale_points_balance
            # Shown as text by the portal's counters: with the thousands separators of the
            # user's language. Zero stays a number, the portal then hides the card as before.
            values["wholesale_points_balance"] = formatLang(request.env, balance, digits=0) if balance else 0
        return values

    @http.route(["/my/wholesale-loyalty", "/my/wholesale-loyalty/page/<int:page>"],
                type="http", auth="user", website=True)
    def portal_my_wholesale_loyalty(self, page=1, **kwargs):
        customer = request.env.user.partner_id.commercial_partner_id
        # The ledger is read with the user's own rights: record rules limit it to their
        # commercial partner whatever the page asks for.
        ledger = request.env["wholesale.loyalty.ledger"]
        entry_count = ledger.search_count([])
        pager = portal_pager(url="/my/wholesale-loyalty", total=entry_count, page=page, step=LEDGER_PAGE_SIZE)
        entries = ledger.search([], limit=LEDGER_PAGE_SIZE, offset=pager["offset"], order="date desc, id desc")
        values = self._prepare_portal_layout_values()
        values.update({
            "page_name": "wholesale_loyalty",
            # sudo: the customer's own status (tier, program terms), nothing of anybody else.
            "customer": customer.sudo(),
            "member": customer.sudo()._wholesale_member(),
            "entries": entries,
            "show_contacts": customer._wholesale_has_contacts(),
            "pager": pager,
            "offers": self._wholesale_personal_offers(customer),
        })
        return request.render("wholesale_loyalty.portal_my_wholesale_loyalty", values)

    def _wholesale_personal_offers(self, customer):
        """The running personal offers of ``customer`` (the user's commercial partner) in its
        program, by product."""
        # sudo: portal users have no access right on offers; the search is bound to their own
        # commercial partner and its current program, whatever the request asks for.
        customer = customer.sudo()
        program = customer.wholesale_program_id
        if not program.personal_offer_months:
            return request.env["wholesale.loyalty.personal.offer"]
        Offer = request.env["wholesale.loyalty.personal.offer"].sudo()
        return Offer.search([
            ("partner_id", "=", customer.id), ("program_id", "=", program.id),
            *Offer._running_domain(program._today()),
        ]).sorted(lambda offer: offer.product_id.display_name or "")
