from . import wholesale_loyalty_tier_lock_wizard
from . import wholesale_loyalty_redeem_wizard
from . import wholesale_loyalty_award_wizard
from . import wholesale_loyalty_program_membership_wizard
from . import payment_terms
from . import base_partner_merge_automatic_wizard
from . import wholesale_loyalty_membership_approve_wizard
