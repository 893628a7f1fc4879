def post_init_hook(env):
    """Enroll the existing customers and give them their tiers, without mailing them."""
    env["wholesale.loyalty.tier.engine"].with_context(wholesale_silent=True)._recalculate()


def uninstall_hook(env):
    """Drop what ``account.move.init()`` added outside the ORM's knowledge, and the Discount
    column on order lines that programs applying tier discounts showed to loyalty users
    (``wholesale.loyalty.program._show_line_discounts``): users who see it through another
    group, e.g. Sales > Settings > Discounts, keep it."""
    env.cr.execute("DROP INDEX IF EXISTS account_move_wholesale_spend_index")
    loyalty_users = env.ref("wholesale_loyalty.group_wholesale_loyalty_user", raise_if_not_found=False)
    if loyalty_users:
        loyalty_users._remove_group(env.ref("sale.group_discount_per_so_line"))
