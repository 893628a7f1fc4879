#!/usr/bin/env bash
# Upgrade test: builds a demo database with the previous release of the add-ons (the commit
# named in tests/upgrade/previous_release, checked out in a temporary git worktree), gives
# its customers locks, grace and a paid tier, upgrades it to the current code, and checks
# that every customer holds the same program, tier, spend, grace, lock, points and history.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PREVIOUS="$(cat "$PROJECT_DIR/tests/upgrade/previous_release")"
DB="${UPGRADE_DB:-wholesale_upgrade_$$}"
WORK="$(mktemp -d)"
OLD_TREE="$WORK/previous"

cleanup() {
    dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    rm -rf "$HOME/.local/share/Odoo/filestore/$DB"
    git -C "$PROJECT_DIR" worktree remove --force "$OLD_TREE" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# Odoo (command ``$2``: server or shell) with the add-ons of the checkout ``$1``.
odoo_with() {
    local tree=$1 command=$2 src
    shift 2
    src="$(odoo_src)"
    mapfile -t base_args < <(odoo_args)
    base_args=("${base_args[@]/#--addons-path=*/--addons-path=$src/odoo/addons,$src/addons,$tree}")
    "$PYTHON_BIN" "$src/odoo-bin" "$command" "${base_args[@]}" -d "$DB" "$@"
}

git -C "$PROJECT_DIR" cat-file -e "$PREVIOUS^{commit}" 2>/dev/null \
    || die "The previous release $PREVIOUS is not in this clone's history (a shallow clone?)"
git -C "$PROJECT_DIR" worktree add --detach "$OLD_TREE" "$PREVIOUS" >/dev/null 2>&1
log "Upgrade test: installing the previous release ${PREVIOUS:0:8} in $DB"
dropdb --if-exists "$DB" >/dev/null 2>&1 || true
odoo_with "$OLD_TREE" server -i "$ADDONS" --stop-after-init --log-level=warn > "$WORK/install.log" 2>&1 \
    || { tail -n 40 "$WORK/install.log"; die "Installing the previous release failed"; }
odoo_with "$OLD_TREE" shell --no-http --log-level=warn < "$PROJECT_DIR/tests/upgrade/prepare.py" > "$WORK/prepare.log" 2>&1 \
    || { tail -n 40 "$WORK/prepare.log"; die "Preparing the previous release's customers failed"; }
SNAPSHOT="$WORK/before.json" odoo_with "$OLD_TREE" shell --no-http --log-level=warn \
    < "$PROJECT_DIR/tests/upgrade/snapshot.py" > "$WORK/snapshot.log" 2>&1 \
    || { tail -n 40 "$WORK/snapshot.log"; die "Reading the previous release's customers failed"; }

log "Upgrade test: upgrading $DB to the current code"
odoo_with "$PROJECT_DIR" server -u "$ADDONS" --stop-after-init --log-level=warn > "$WORK/upgrade.log" 2>&1 \
    || { tail -n 40 "$WORK/upgrade.log"; die "Upgrading failed"; }
if grep -E "^\S+ \S+ [0-9]+ (ERROR|CRITICAL)" "$WORK/upgrade.log"; then
    die "The upgrade logged errors"
fi
SNAPSHOT="$WORK/after.json" odoo_with "$PROJECT_DIR" shell --no-http --log-level=warn \
    < "$PROJECT_DIR/tests/upgrade/snapshot.py" > "$WORK/snapshot.log" 2>&1 \
    || { tail -n 40 "$WORK/snapshot.log"; die "Reading the upgraded customers failed"; }

"$PYTHON_BIN" - "$WORK/before.json" "$WORK/after.json" <<'PY'
import json, sys
(before, links_before), (after, links_after) = (
    (snapshot["accounts"], snapshot["links"]) for snapshot in (json.load(open(path)) for path in sys.argv[1:3])
)
if links_after["off_account"] != 0 or links_after["rows"] != links_before["rows"]:
    sys.exit(f"upgrade test: of {links_after['rows']} ledger entries, history lines and paid tiers "
             f"({links_before['rows']} before), {links_after['off_account']} do not point to the member "
             "of their partner and program")
locked = sum(1 for state in before.values() if state["locked"])
grace = sum(1 for state in before.values() if state["below_since"] not in (None, "False"))
paid = sum(len(state["paid_tiers"]) for state in before.values())
if not (before and locked and grace and paid):
    sys.exit(f"upgrade test: the previous release's data lacks locks ({locked}), grace ({grace}) or paid tiers ({paid})")
differences = {key: (before.get(key), after.get(key)) for key in before.keys() | after.keys()
               if before.get(key) != after.get(key)}
for key, (old, new) in sorted(differences.items()):
    print(f"{key}: before {old}\n{' ' * len(key)}  after  {new}")
if differences:
    sys.exit(f"upgrade test: {len(differences)} customer accounts differ after the upgrade")
print(f"upgrade test: {len(before)} customer accounts ({locked} locked, {grace} in grace, {paid} paid tiers) "
      f"are the same after the upgrade; its {links_after['rows']} ledger entries, history lines and paid tiers "
      "point to the member of their partner and program")
PY
