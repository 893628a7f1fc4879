# Payment-term discounts: prepayment and early-payment (cash) discounts of the payment terms.
# They read no loyalty model, so that they can become an add-on of their own.
from . import account_move
from . import account_move_line
from . import account_payment_term
from . import wholesale_payment_discount_rule
from . import wholesale_payment_discount
from . import wholesale_prepayment_reservation
