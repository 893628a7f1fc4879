# The payment-term side of registering a payment: the cash discount of a wholesale schedule.
from . import account_payment_register
