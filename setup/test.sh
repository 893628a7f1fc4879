#!/usr/bin/env bash
# Installs what is missing, builds a fresh test database with both add-ons and runs the
# whole pytest-odoo suite in tests/, then the upgrade test (setup/upgrade-test.sh). The
# databases are dropped afterwards.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# --deep: the ledger state machine explores ten times more sequences, with random seeds.
args=()
for arg in "$@"; do
    if [ "$arg" = "--deep" ]; then export WHOLESALE_LOYALTY_DEEP=1; else args+=("$arg"); fi
done
set -- ${args[@]+"${args[@]}"}

"$PROJECT_DIR/setup/install.sh"

TEST_DB="${TEST_DB:-wholesale_test_$$}"
LOG_DIR="$PROJECT_DIR/.test-logs"
mkdir -p "$LOG_DIR"

drop_test_db() { dropdb --if-exists "$TEST_DB" >/dev/null 2>&1 || true; rm -rf "$HOME/.local/share/Odoo/filestore/$TEST_DB"; }
trap drop_test_db EXIT

log "Linting (ruff, pylint-odoo mandatory checks)"
cd "$PROJECT_DIR"
"$VENV_DIR/bin/ruff" check --quiet wholesale_loyalty wholesale_loyalty_reports tests
"$VENV_DIR/bin/pylint" --rcfile=.pylintrc-mandatory --output-format=text wholesale_loyalty wholesale_loyalty_reports

log "Creating test database $TEST_DB with $ADDONS (log: $LOG_DIR/install.log)"
drop_test_db
if ! run_odoo -d "$TEST_DB" -i "$ADDONS" --stop-after-init --log-level=warn \
        > "$LOG_DIR/install.log" 2>&1; then
    tail -n 60 "$LOG_DIR/install.log"
    die "Installing the add-ons failed"
fi
if grep -E "^\S+ \S+ [0-9]+ (ERROR|CRITICAL)" "$LOG_DIR/install.log"; then
    die "Installing the add-ons logged errors (see $LOG_DIR/install.log)"
fi
# Odoo only warns when demo data fails, and installs the add-ons without it: a broken product.
if grep -E "demo data failed to install" "$LOG_DIR/install.log"; then
    die "The add-ons' demo data failed to install (see $LOG_DIR/install.log)"
fi

log "Running the test suite"
cd "$PROJECT_DIR"
mapfile -t base_args < <(odoo_args)

extra=()
for arg in "${base_args[@]}"; do extra+=(--odoo-extra="${arg#--}"); done
set +e
"$VENV_DIR/bin/python" -m pytest tests \
    --odoo-database="$TEST_DB" --odoo-http --odoo-log-level=warn \
    "${extra[@]}" -p no:cacheprovider -q -rfEs "$@"
status=$?
set -e
# pytest exits 5 when it collected nothing: that is a failure for us.
[ "$status" -eq 0 ] || exit "$status"

log "Upgrading a database of the previous release"
"$PROJECT_DIR/setup/upgrade-test.sh"
