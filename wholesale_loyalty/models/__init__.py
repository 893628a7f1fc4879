from . import (
    account_move,
    account_partial_reconcile,
    res_partner,
    sale_order,
    sale_order_line,
    wholesale_loyalty_bonus_rule,
    wholesale_loyalty_program,
    wholesale_loyalty_tier,
    wholesale_loyalty_tier_engine,
    wholesale_loyalty_tier_history,
)
from . import wholesale_loyalty_ledger
from . import wholesale_loyalty_ledger_allocation
from . import wholesale_loyalty_points
