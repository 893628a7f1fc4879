"""Fixture of the reports tests: members and non-members with invoices, credit notes and
points over several months. Today is 20 March 2026."""
from datetime import date

from freezegun import freeze_time

from .common import WholesaleLoyaltyCommon

TODAY = date(2026, 3, 20)


class WholesaleReportsCommon(WholesaleLoyaltyCommon):
    """Members Alpha (Gold), Beta (Platinum, buys through a contact) and Gamma (Silver, points
    only); non-members Nu and Xi. The program earns no points by itself here (a minimum
    order no invoice reaches), so the ledger holds exactly the entries made below."""

    @classmethod
    def setUpClass(cls):
        cls.startClassPatcher(freeze_time(TODAY))
        super().setUpClass()
        cls.program.write({
            "points_min_order_amount": 10**9,
            "point_value": 0.5,
            "points_validity_months": 3,
            "statement_terms": "<p>Points cannot be exchanged for cash.</p>",
        })
        cls.company = cls.program.company_id
        cls.alpha = cls.customer
        cls.beta = cls._customer("Beta Wholesale")
        cls.beta_buyer = cls.env["res.partner"].create({
            "name": "Beta Buyer", "parent_id": cls.beta.id, "type": "contact", "email": "buyer@beta.example.com",
        })
        cls.gamma = cls._customer("Gamma Supplies")
        cls.nu = cls.env["res.partner"].create({"name": "Nu Retail", "is_company": True})
        cls.xi = cls.env["res.partner"].create({"name": "Xi Shop", "is_company": True})

        # Previous period (Oct-Dec 2025) and this one (Jan-Mar 2026).
        cls._invoice(cls.alpha, 1500, "2025-12-05")
        cls._invoice(cls.alpha, 1000, "2026-01-10")
        alpha_feb = cls._invoice(cls.alpha, 2000, "2026-02-10")
        cls._refund(alpha_feb, 300, "2026-02-20")
        cls._invoice(cls.alpha, 500, "2026-03-05")
        cls._invoice(cls.beta, 1000, "2025-11-10")
        cls._invoice(cls.beta_buyer, 4000, "2026-01-20")
        cls._invoice(cls.nu, 1000, "2025-12-20")
        cls._invoice(cls.nu, 800, "2026-01-15")
        cls._invoice(cls.nu, 700, "2026-03-10")
        xi_feb = cls._invoice(cls.xi, 600, "2026-02-05")
        cls._refund(xi_feb, 100, "2026-03-01")
        cls._invoice(cls.xi, 999, "2026-02-10", post=False)  # a draft counts nowhere

        cls.entries = cls._points([
            (cls.alpha, "2024-06-01", 7, "adjust", None),
            (cls.alpha, "2025-12-05", 5, "bonus", None),
            (cls.alpha, "2026-01-10", 30, "earn", "2026-04-10"),
            (cls.alpha, "2026-02-10", 20, "earn", "2026-06-01"),
            (cls.alpha, "2026-03-05", -10, "redeem", None),
            (cls.beta, "2026-01-20", 40, "earn", None),
            (cls.beta, "2026-02-28", -5, "expire", None),
            (cls.beta, "2026-03-10", -15, "redeem", None),
            (cls.gamma, "2026-03-01", 100, "bonus", "2026-12-31"),
        ])
        cls.members = cls.alpha | cls.beta | cls.gamma
        cls.non_members = cls.nu | cls.xi
        cls.customers = cls.members | cls.non_members

    @classmethod
    def _points(cls, rows):
        return cls.env["wholesale.loyalty.ledger"].sudo().create([{
            "partner_id": partner.id,
            "program_id": cls.program.id,
            "company_id": cls.program.company_id.id,
            "date": day,
            "points": points,
            "kind": kind,
            "expiry_date": expiry,
            "reference": f"test-{partner.id}-{day}-{kind}",
        } for partner, day, points, kind, expiry in rows])

    @classmethod
    def _kpi(cls, date_from="2026-01-01", date_to="2026-03-31", **values):
        return cls.env["wholesale.loyalty.kpi"].create({
            "program_id": cls.program.id, "date_from": date_from, "date_to": date_to, **values,
        })

    @classmethod
    def _scenario(cls, **values):
        return cls.env["wholesale.loyalty.roi.scenario"].create({
            "name": "Article example",
            "avg_revenue": 100_000,
            "years": 3,
            "churn_percent": 10,
            "churn_reduction_percent": 5,
            "uplift_percent": 10,
            "program_cost": 20_000,
            **values,
        })

    def _found(self, action):
        return self.env[action["res_model"]].search(action["domain"])

    def assertRecordsOf(self, action, records):
        """The action opens exactly ``records``."""
        found = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(found, records, action.get("name"))

