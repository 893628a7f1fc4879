"""Outbound events: what an endpoint receives and how it checks it came from us (Standard
Webhooks, https://www.standardwebhooks.com), and when a failed delivery is tried again.

Pure functions, no database: the delivery (``wholesale.loyalty.event``) and the tests both
build and check deliveries with them.
"""
import base64
import hashlib
import hmac
import json
import secrets
from datetime import timedelta

# Every event type an endpoint may receive, with its label; an endpoint gets all of them
# unless it lists some (``wholesale.loyalty.webhook.event_types``).
EVENT_TYPES = [
    ("tier.changed", "Tier changed"),
    ("tier.will_downgrade", "Tier at risk"),
    ("points.earned", "Points earned"),
    ("points.redeemed", "Points redeemed"),
    ("points.expired", "Points expired"),
    ("points.adjusted", "Points adjusted"),
    ("points.will_expire", "Points expiring soon"),
    ("paid_tier.started", "Paid tier started"),
    ("paid_tier.ended", "Paid tier ended"),
    ("rebate.settled", "Rebate settled"),
]
EVENT_TYPE_CODES = frozenset(code for code, _label in EVENT_TYPES)

# Ledger entry kind -> the event that reports it: every entry is reported, so that an
# endpoint summing the points it was told of finds the balance.
LEDGER_EVENTS = {
    "earn": "points.earned",
    "bonus": "points.earned",
    "redeem": "points.redeemed",
    "expire": "points.expired",
    "adjust": "points.adjusted",
    "reversal": "points.adjusted",
}

# Waits before each new try of a delivery that failed; after the last one it is given up.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def parse_event_types(text):
    """The event type codes of a comma-separated ``text`` (spaces allowed); empty means all."""
    return [code.strip() for code in (text or "").split(",") if code.strip()]


def new_secret():
    """A signing secret: 32 random bytes, as URL-safe text."""
    return secrets.token_urlsafe(32)


def body(event_id, event_type, created_at, company_id, data):
    """The JSON text posted for an event (``created_at`` as ISO 8601 UTC text)."""
    return json.dumps(
        {"id": event_id, "type": event_type, "created_at": created_at, "company_id": company_id, "data": data},
        separators=(",", ":"), ensure_ascii=False, sort_keys=True,
    )


def signature(secret, event_id, timestamp, text):
    """The ``webhook-signature`` header: ``v1,`` and the base64 HMAC-SHA256, keyed with the
    UTF-8 bytes of ``secret``, of ``"{id}.{timestamp}.{body}"``."""
    digest = hmac.new(secret.encode(), f"{event_id}.{timestamp}.{text}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret, event_id, timestamp, text):
    """The headers of a delivery."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "Odoo-Wholesale-Loyalty-Webhooks/1",
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, event_id, timestamp, text),
    }


def after_failure(attempts):
    """(state, delay) of an event whose ``attempts``-th try failed: ``pending`` with the wait
    before the next try, or ``failed`` (no delay) once the tries are used up."""
    if attempts >= MAX_ATTEMPTS:
        return "failed", None
    return "pending", RETRY_DELAYS[attempts - 1]
