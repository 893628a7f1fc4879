# Shared settings for the setup scripts; sourced, not run.
# shellcheck shell=bash
set -euo pipefail

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_DIR="${VENV_DIR:-$PROJECT_DIR/.venv}"
PYTHON_BIN="$VENV_DIR/bin/python"
ODOO_DOWNLOAD_DIR="$PROJECT_DIR/.odoo-src"
ODOO_DOWNLOAD_URL="${ODOO_DOWNLOAD_URL:-https://github.com/odoo/odoo/archive/refs/heads/18.0.tar.gz}"
ADDONS="wholesale_loyalty,wholesale_loyalty_reports"

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else return 1
    fi
}

# The Odoo 18 source tree: $ODOO_SRC, else /opt/odoo-18.0, else our own download.
odoo_src() {
    local candidate
    for candidate in "${ODOO_SRC:-}" /opt/odoo-18.0 "$ODOO_DOWNLOAD_DIR"; do
        if [ -n "$candidate" ] && [ -f "$candidate/odoo-bin" ]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

addons_path() {
    local src
    src="$(odoo_src)"
    echo "$src/odoo/addons,$src/addons,$PROJECT_DIR"
}

# Options every Odoo command of ours takes.
odoo_args() {
    # Without PGHOST Odoo and psql use the local socket, where Debian's peer auth lets the
    # current user in without a password.
    local args=(--addons-path="$(addons_path)")
    [ -n "${PGHOST:-}" ] && args+=(--db_host="$PGHOST")
    [ -n "${PGPORT:-}" ] && args+=(--db_port="$PGPORT")
    [ -n "${PGUSER:-}" ] && args+=(--db_user="$PGUSER")
    [ -n "${PGPASSWORD:-}" ] && args+=(--db_password="$PGPASSWORD")
    printf '%s\n' "${args[@]}"
}

run_odoo() {
    local src
    src="$(odoo_src)"
    mapfile -t base_args < <(odoo_args)
    "$PYTHON_BIN" "$src/odoo-bin" "${base_args[@]}" "$@"
}

psql_admin() {
    psql -d postgres -v ON_ERROR_STOP=1 -qAt "$@"
}
