{
    "name": "Wholesale Loyalty Reports",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "summary": "Reports for Wholesale Loyalty: tier distribution of members",
    "description": """
Wholesale Loyalty Reports
=========================
Reporting for the Wholesale Loyalty programs, under Sales > Reporting > Wholesale Loyalty.
""",
    "author": "Wholesale Loyalty Contributors",
    "website": "https://github.com/wholesale-loyalty/wholesale-loyalty",
    "maintainers": ["wholesale-loyalty"],
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["wholesale_loyalty"],
    "data": [
        "views/wholesale_loyalty_reports_menus.xml",
    ],
    "installable": True,
    "application": False,
}
