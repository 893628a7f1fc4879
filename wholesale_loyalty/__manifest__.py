{
    "name": "Wholesale Loyalty",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "summary": "B2B loyalty: customer tiers earned by spend, tier discounts, points and payment discounts",
    "description": """
Wholesale Loyalty
=================
Customer tiers (e.g. Silver / Gold / Platinum or cumulative discount groups) earned by
qualifying spend, recalculated every day and in real time, with tier discounts on quotations,
history, chatter and mail notifications.
""",
    "author": "Wholesale Loyalty Contributors",
    "website": "https://github.com/wholesale-loyalty/wholesale-loyalty",
    "maintainers": ["wholesale-loyalty"],
    "license": "LGPL-3",
    "development_status": "Beta",
    "depends": ["sale_management", "account", "mail", "portal"],
    "data": [
        "security/wholesale_loyalty_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/product_points_data.xml",
        "data/product_data.xml",
        "data/wholesale_loyalty_program_data.xml",
        "data/mail_template_data.xml",
        "views/wholesale_loyalty_tier_views.xml",
        "views/wholesale_loyalty_program_views.xml",
        "views/wholesale_loyalty_tier_history_views.xml",
        "views/res_partner_views.xml",
        "views/sale_order_views.xml",
        "views/account_payment_term_views.xml",
        "views/account_move_views.xml",
        "views/wholesale_loyalty_rebate_views.xml",
        "wizards/account_payment_register_views.xml",
        "wizards/wholesale_loyalty_tier_lock_wizard_views.xml",
        "wizards/wholesale_loyalty_redeem_wizard_views.xml",
        "wizards/wholesale_loyalty_award_wizard_views.xml",
        "views/wholesale_loyalty_ledger_views.xml",
        "views/portal_templates.xml",
        "views/wholesale_loyalty_menus.xml",
    ],
    "demo": [
        "demo/wholesale_loyalty_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "wholesale_loyalty/static/tests/tours/*.js",
        ],
    },
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
    "application": True,
    "installable": True,
}
