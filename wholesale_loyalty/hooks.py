def post_init_hook(env):
    """Enroll the existing customers and give them their tiers, without mailing them."""
    env["wholesale.loyalty.tier.engine"].with_context(wholesale_silent=True).recalculate()


def uninstall_hook(env):
    """Drop what ``account.move.init()`` added outside the ORM's knowledge."""
    env.cr.execute("DROP INDEX IF EXISTS account_move_wholesale_spend_index")
