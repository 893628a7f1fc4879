"""How a scheduled action works through many records: in batches, reporting its progress,
committing each batch, and keeping a failure to the batch (or the item) it happened in.

Every scheduled action of the add-on goes through :func:`run_in_batches`, so that they all
resume the same way after a crash (see "Rules that hold everywhere" in the design).
"""

import itertools
import logging
from typing import NamedTuple

from odoo.modules.module import current_test
from odoo.tools import config, split_every

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
