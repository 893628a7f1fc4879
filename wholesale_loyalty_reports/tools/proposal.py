"""What a what-if proposal changes on its program, and which of those settings the program
changed since the run: pure rules, so that Apply writes only what the proposal changes and
never reverts another administrator's change.

Settings are dicts ``{"points": {field: value}, "tiers": {key: {field: value}}}``; a tier's
key is its program tier id as a string, or ``"new:<line id>"`` for a tier the proposal adds.
"""
from typing import NamedTuple

NEW_TIER = "new:"


class Change(NamedTuple):
    """One setting the proposal changes: ``kind`` is ``points`` (a program setting),
    ``tier`` (a setting of a program tier), ``new`` (a tier added, ``new`` holds its values)
    or ``removed`` (a program tier the proposal drops, ``old`` holds its values)."""

    kind: str
    tier: str | None
    field: str | None
    old: object
    new: object


def differs(old, new):
    """Whether two values of one setting differ (numbers to six decimals, as stored)."""
    if isinstance(old, str) or isinstance(new, str):
        return (old or "") != (new or "")
    return round(old or 0.0, 6) != round(new or 0.0, 6)


def proposal_changes(baseline, proposal):
    """[Change] of ``proposal`` against ``baseline``, the program's settings the run started
    from: points settings first, then tiers in the proposal's order, then removed tiers."""
    changes = [
        Change("points", None, field, old, proposal["points"][field])
        for field, old in baseline["points"].items()
        if differs(old, proposal["points"][field])
    ]
    for key, values in proposal["tiers"].items():
        old_values = baseline["tiers"].get(key)
        if old_values is None:
            changes.append(Change("new", key, None, None, values))
            continue
        changes += [
            Change("tier", key, field, old_values[field], new)
            for field, new in values.items() if differs(old_values[field], new)
        ]
    changes += [
        Change("removed", key, None, values, None)
        for key, values in baseline["tiers"].items() if key not in proposal["tiers"]
    ]
    return changes


def changed_since(baseline, now, changes):
    """The ``changes`` whose setting the program no longer holds as the run saw it (``now``:
    its settings today): applying them would undo someone else's change."""
    conflicts = []
    for change in changes:
        if change.kind == "points":
            if differs(baseline["points"][change.field], now["points"][change.field]):
                conflicts.append(change)
        elif change.kind in ("tier", "removed"):
            current = now["tiers"].get(change.tier)
            if current is None or _tier_changed(baseline["tiers"][change.tier], current, change.field):
                conflicts.append(change)
    return conflicts


def _tier_changed(before, current, field):
    fields = [field] if field else before.keys()
    return any(differs(before[name], current[name]) for name in fields)


def program_writes(changes):
    """What to write for ``changes``: (points values, {tier key: values to update}, [values
    of new tiers], [keys of tiers to remove])."""
    points = {change.field: change.new for change in changes if change.kind == "points"}
    updates = {}
    for change in changes:
        if change.kind == "tier":
            updates.setdefault(change.tier, {})[change.field] = change.new
    created = [change.new for change in changes if change.kind == "new"]
    removed = [change.tier for change in changes if change.kind == "removed"]
    return points, updates, created, removed
