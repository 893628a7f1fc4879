"""A tier has one colour wherever it shows as a badge: the customer's form and list, the
quotation's banner and list (the portal gives the same classes, see the README tour)."""
from lxml import etree

from odoo.tests import TransactionCase, tagged

# Odoo's colour index of the tier -> the badge's decoration, as on the portal.
DECORATIONS = {
    "decoration-info": "wholesale_tier_color in (4, 8)",
    "decoration-success": "wholesale_tier_color == 10",
    "decoration-warning": "wholesale_tier_color in (2, 3)",
    "decoration-danger": "wholesale_tier_color in (1, 9)",
}


@tagged("post_install", "-at_install")
class TestTierColours(TransactionCase):

    def test_every_tier_badge_has_the_same_colours(self):
        badges = 0
        for model in ("res.partner", "sale.order"):
            views = self.env[model].get_views([(False, "form"), (False, "list")])["views"]
            for kind in ("form", "list"):
                arch = etree.fromstring(views[kind]["arch"])
                for badge in arch.xpath("//field[@name='wholesale_tier_id'][@widget='badge']"):
                    badges += 1
                    decorations = {
                        name: value for name, value in badge.attrib.items() if name.startswith("decoration-")
                    }
                    self.assertEqual(decorations, DECORATIONS, f"{model} {kind}")
        self.assertEqual(badges, 4, "the customer's form and list, the quotation's banner and list")
