#!/usr/bin/env bash
# Installs what is missing, creates the demo database once and serves Odoo on port 8069.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$PROJECT_DIR/setup/install.sh"

DEMO_DB="${DEMO_DB:-wholesale_demo}"
PORT="${PORT:-8069}"
# The languages the add-ons are translated into, loaded with their terms. English first: Odoo
# makes the first language loaded at creation the database's default (users, journal codes).
LANGUAGES="en_US,ru_RU,bg_BG"

if psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DEMO_DB'" | grep -q 1; then
    log "Database $DEMO_DB exists; updating the add-ons"
    run_odoo -d "$DEMO_DB" -u "$ADDONS" --load-language="$LANGUAGES" --stop-after-init --log-level=warn
else
    log "Creating database $DEMO_DB with demo data (a few minutes)"
    run_odoo -d "$DEMO_DB" -i "$ADDONS" --load-language="$LANGUAGES" --stop-after-init --log-level=warn
    # The demo admin logs in as admin/admin.
    run_odoo shell -d "$DEMO_DB" --no-http --log-level=warn <<'PY'
env.ref("base.user_admin").write({"password": "admin"})
env.cr.commit()
PY
fi

log "Odoo is serving http://localhost:$PORT (database $DEMO_DB, login admin / password admin)"
log "Start with Sales > Configuration > Wholesale Loyalty > Programs. Stop with Ctrl+C."
exec "$PYTHON_BIN" "$(odoo_src)/odoo-bin" $(odoo_args) -d "$DEMO_DB" --db-filter="^$DEMO_DB\$" --http-port="$PORT"
