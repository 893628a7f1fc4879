"""Two users at once, for real: each action in its own thread and database cursor, started
together and committed, as two requests of a server with several workers would be."""
import threading

from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError

DONE = "done"


def run_together(registry, actions):
    """Run every ``actions[key](env)`` at the same moment, each in its own transaction, and
    commit those that succeed: {key: DONE, or the serialization failure or user error that
    rolled it back}."""
    barrier, outcomes = threading.Barrier(len(actions)), {}

    def run(key, action):
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            barrier.wait()
            try:
                action(env)
                cr.commit()
                outcomes[key] = DONE
            except (SerializationFailure, UserError) as error:
                cr.rollback()
                outcomes[key] = error

    threads = [threading.Thread(target=run, args=item) for item in actions.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def assert_one_wins(case, registry, action, keys, refusal):
    """Run ``action(env, key)`` for every key of ``keys`` at once: exactly one may succeed;
    the others, run again as Odoo retries a request that failed to serialize, must be refused
    with a user error matching ``refusal``. Returns (the winning key, the losing keys)."""
    outcomes = run_together(registry, {key: lambda env, key=key: action(env, key) for key in keys})
    winners = [key for key, outcome in outcomes.items() if outcome == DONE]
    case.assertEqual(len(outcomes), len(keys))
    case.assertEqual(len(winners), 1, f"exactly one may succeed: {outcomes}")
    losers = [key for key in keys if key not in winners]
    for loser in losers:
        with registry.cursor() as cr:
            with case.assertRaisesRegex(UserError, refusal):
                action(api.Environment(cr, SUPERUSER_ID, {}), loser)
            cr.rollback()
    return winners[0], losers
