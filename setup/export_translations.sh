#!/usr/bin/env bash
# Refreshes each add-on's i18n/<addon>.pot from a database that has the add-ons installed
# (default: the demo database of run.sh), then merges the .po files with msgmerge if present.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DB="${1:-wholesale_demo}"
for addon in ${ADDONS//,/ }; do
    pot="$PROJECT_DIR/$addon/i18n/$addon.pot"
    mkdir -p "$(dirname "$pot")"
    run_odoo -d "$DB" --i18n-export="$pot" --modules="$addon" --stop-after-init --log-level=warn
    if command -v msgmerge >/dev/null 2>&1; then
        for po in "$PROJECT_DIR/$addon"/i18n/*.po; do
            [ -f "$po" ] && msgmerge --quiet --update --no-fuzzy-matching --backup=none "$po" "$pot"
        done
    fi
    log "Wrote $pot"
done
