"""Who may call a public method of the add-ons.

Every method without a leading underscore is callable over RPC by any logged-in user, portal
included, whatever the model's access rules: public methods check the caller's group first,
before anything is read, written or run as superuser.
"""
from odoo.exceptions import AccessError

LOYALTY_USER = "wholesale_loyalty.group_wholesale_loyalty_user"
LOYALTY_MANAGER = "wholesale_loyalty.group_wholesale_loyalty_manager"
BILLING = "account.group_account_invoice"
# Auditors and accountants who read the books without invoicing.
ACCOUNTING_READONLY = "account.group_account_readonly"


def check_caller_groups(env, *groups):
    """Refuse the call unless the user belongs to one of ``groups`` (xml ids). Code running
    as superuser (scheduled actions, the engine) has every right already."""
    if env.su or any(env.user.has_group(group) for group in groups):
        return
    # sudo: the names of the groups, for the message only
    names = ", ".join(env.ref(group).sudo().full_name for group in groups)
    raise AccessError(env._("You are not allowed to do this: it needs the access rights of %(groups)s.",
                            groups=names))

# Loyalty administrators set up the points liability; accountants read and print it.
LIABILITY_GROUPS = "wholesale_loyalty.group_wholesale_loyalty_manager,account.group_account_invoice"
