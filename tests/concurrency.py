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
