"""A tier has one colour wherever it shows as a badge: the customer's accounts on its form,
the account's list and form, the quotation's banner and list (the portal gives the same
classes, see the README tour)."""
from lxml import etree

from odoo.tests import TransactionCase, tagged

# Odoo's colour index of the tier -> the badge's decoration, as on the portal ({color} is the
# field holding the tier's colour on the record the badge shows).
DECORATIONS = {
    "decoration-info": "{color} in (4, 8)",
    "decoration-success": "{color} == 10",
    "decoration-warning": "{color} in (2, 3)",
    "decoration-danger": "{color} in (1, 9)",
}
# Tier field of a badge -> the colour field beside it.
COLOUR_FIELDS = {"wholesale_tier_id": "wholesale_tier_color", "tier_id": "tier_color"}


@tagged("post_install", "-at_install")
class TestTierColours(TransactionCase):

    def test_every_tier_badge_has_the_same_colours(self):
        badges = []
        for model in ("res.partner", "sale.order", "wholesale.loyalty.member"):
            views = self.env[model].get_views([(False, "form"), (False, "list")])["views"]
            for kind in ("form", "list"):
                arch = etree.fromstring(views[kind]["arch"])
                for badge in arch.xpath("//field[@name='wholesale_tier_id' or @name='tier_id'][@widget='badge']"):
                    badges.append((model, kind))
                    decorations = {
                        name: value for name, value in badge.attrib.items() if name.startswith("decoration-")
                    }
                    colour = COLOUR_FIELDS[badge.get("name")]
                    self.assertEqual(decorations, {name: value.format(color=colour)
                                                   for name, value in DECORATIONS.items()}, f"{model} {kind}")
        self.assertEqual(sorted(badges), [
            ("res.partner", "form"),  # the customer's accounts
            ("sale.order", "form"), ("sale.order", "list"),
            ("wholesale.loyalty.member", "form"), ("wholesale.loyalty.member", "list"),
        ])
