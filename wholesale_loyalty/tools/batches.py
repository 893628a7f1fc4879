"""How a scheduled action works through many records: in batches, reporting its progress,
committing each batch, and keeping a failure to the batch (or the item) it happened in.

Every scheduled action of the add-on goes through :func:`run_in_batches`, so that they all
resume the same way after a crash (see "Rules that hold everywhere" in the design).
"""

import contextlib
import gc
import itertools
import logging
import uuid
from typing import NamedTuple

import psycopg2

from odoo.modules.module import current_test
from odoo.tools import SQL, config, split_every

_logger = logging.getLogger(__name__)


class BatchRun(NamedTuple):
    """What :func:`run_in_batches` did."""

    done: int  # items handled, those that failed included
    remaining: int  # items not reached because of the batch limit
    succeeded: list  # the items whose work went through
    results: list  # what ``process`` returned, once per call that went through


def may_commit(env):
    """Scheduled work commits per batch, except under tests, which roll back."""
    return not (env.registry.in_test_mode() or config["test_enable"] or current_test)


def batches(items, size, key=None):
    """Consecutive chunks of at most ``size`` items (slices, so a recordset gives recordsets).
    With ``key``, a chunk never mixes items whose keys differ."""
    if key is None:
        for start in range(0, len(items), size):
            yield items[start:start + size]
        return
    for _key, group in itertools.groupby(items, key):
        yield from split_every(size, group, list)


def run_in_batches(env, items, size, process, *, commit, key=None, limit=None, isolate=None, describe=repr,
                   logger=_logger):
    """Call ``process(batch)`` for consecutive batches of ``items`` (see :func:`batches`).

    After each batch the scheduler is told the progress (``ir.cron._notify_progress``), and
    with ``commit`` the batch is committed (never under tests, see :func:`may_commit`), so
    that a crash loses at most the batch in progress. ``limit`` stops after that many
    batches; what is left shows in the result's ``remaining``.

    With ``isolate`` (the name of the work, for the log) each batch runs under a savepoint;
    when it fails it runs again one item at a time, so that one item's data never holds back
    the others. Items that still fail are logged on ``logger`` (the caller's, so that the
    log names the work's module), named by ``describe``, and skipped: the next run tries
    them again.
    """
    return run_batches(
        env, batches(items, size, key), len(items), process, commit=commit, limit=limit, isolate=isolate,
        describe=describe, logger=logger,
    )


def run_batches(env, chunks, total, process, *, commit, limit=None, isolate=None, describe=repr, logger=_logger,
                keep_items=True):
    """:func:`run_in_batches` over ready-made batches: ``chunks`` yields them (a stream read
    from the database, say) and ``total`` says how many items they hold in all. Without
    ``keep_items`` the result's ``succeeded`` stays empty, so that memory does not grow with
    the items of a long run."""
    done = 0
    succeeded, results = [], []
    for count, batch in enumerate(chunks):
        if limit is not None and count >= limit:
            break
        if isolate:
            for part, result in _isolated(env, batch, process, isolate, describe, logger):
                succeeded.extend(part if keep_items else ())
                results.append(result)
        else:
            results.append(process(batch))
            succeeded.extend(batch if keep_items else ())
        done += len(batch)
        env["ir.cron"]._notify_progress(done=done, remaining=max(total - done, 0))
        if commit and may_commit(env):
            env.cr.commit()  # pylint: disable=invalid-commit
    return BatchRun(done, max(total - done, 0), succeeded, results)


def _isolated(env, batch, process, name, describe, logger):
    """[(items, result)] of the parts of ``batch`` whose work went through."""
    try:
        with env.cr.savepoint():
            return [(batch, process(batch))]
    except Exception:  # any failure is retried item by item below
        if len(batch) == 1:
            logger.exception("%s failed for %s", name, describe(batch[0]))
            return []
    went_through = []
    for start in range(len(batch)):
        item = batch[start:start + 1]
        try:
            with env.cr.savepoint():
                went_through.append((item, process(item)))
        except Exception:  # logged; the next run tries this item again
            logger.exception("%s failed for %s", name, describe(item[0]))
    return went_through


@contextlib.contextmanager
def streamed(env, query, batch_size, hold=False):
    """Iterator over the rows of ``query`` in lists of ``batch_size``, read through a
    database cursor: the query is planned and run as a whole, memory holds one list. With
    ``hold`` the cursor outlives the commits made between lists (PostgreSQL keeps what is
    left of the result from the first commit on)."""
    name = SQL.identifier(f"wholesale_rows_{uuid.uuid4().hex[:12]}")
    # PostgreSQL plans a cursor for its first tenth of rows (nested loops that start fast and
    # end slow); every row will be read, so it is planned as the whole query.
    [(fraction, _whole)] = env.execute_query(SQL(
        "SELECT current_setting('cursor_tuple_fraction'), set_config('cursor_tuple_fraction', '1', true)"
    ))
    env.cr.execute(SQL("DECLARE %s NO SCROLL CURSOR %s FOR %s", name,
                       SQL("WITH HOLD") if hold else SQL("WITHOUT HOLD"), query))
    env.execute_query(SQL("SELECT set_config('cursor_tuple_fraction', %s, true)", fraction))

    def fetch():
        while rows := env.execute_query(SQL("FETCH FORWARD %s FROM %s", batch_size, name)):
            yield rows

    try:
        yield fetch()
    finally:
        # A cursor without hold ends with its transaction; one with hold lives on in the
        # pooled connection until closed, also after a failure (which may have aborted the
        # transaction, and then closing fails too: the rollback to come ends it).
        with contextlib.suppress(psycopg2.Error):
            env.cr.execute(SQL("CLOSE %s", name), log_exceptions=False)


@contextlib.contextmanager
def collector_paused():
    """Python's cycle collector held off while the block builds many small objects (rows,
    tuples, dicts without cycles) from a set-based query: their number alone sets off full
    collections, each a walk over every object of the Odoo process, with nothing to
    collect. The objects are freed as usual (by reference counting); the collector resumes
    after the block, as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
