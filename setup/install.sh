#!/usr/bin/env bash
# Prepares everything the add-ons need: Odoo 18 source, a virtualenv with Odoo's and our
# Python requirements, a PostgreSQL server that answers, and Chromium for browser tours.
# Safe to run again: each step checks before it acts.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SYSTEM_PACKAGES=(libpq-dev libldap2-dev libsasl2-dev python3-dev build-essential)

missing_debian_packages() {
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
    done
}

apt_install() {
    local missing
    command -v dpkg-query >/dev/null 2>&1 || return 0
    mapfile -t missing < <(missing_debian_packages "$@")
    [ ${#missing[@]} -eq 0 ] && return 0
    log "Installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
        || die "Could not install ${missing[*]}. Install them with your package manager and run again."
}

ensure_odoo_source() {
    if odoo_src >/dev/null; then
        log "Odoo source: $(odoo_src)"
        return
    fi
    log "No Odoo 18 source found (\$ODOO_SRC, /opt/odoo-18.0); downloading the official 18.0 branch"
    local archive
    archive="$(mktemp)"
    curl -fL --retry 3 -o "$archive" "$ODOO_DOWNLOAD_URL" \
        || die "Download of Odoo 18.0 failed. Put the source in /opt/odoo-18.0 or set ODOO_SRC."
    mkdir -p "$ODOO_DOWNLOAD_DIR"
    tar -xzf "$archive" -C "$ODOO_DOWNLOAD_DIR" --strip-components=1
    rm -f "$archive"
}

# Odoo pins cbor2 5.4.2 for Python < 3.12, which no longer builds on 3.11.
odoo_requirements_file() {
    local fixed="$VENV_DIR/odoo-requirements.txt"
    sed -E 's/^cbor2==5\.4\.2.*/cbor2==5.6.2/' "$(odoo_src)/requirements.txt" > "$fixed"
    echo "$fixed"
}

pick_python() {
    local candidate
    for candidate in python3.11 python3.12 python3; do
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))'; then
            echo "$candidate"
            return
        fi
    done
    die "Odoo 18 needs Python 3.10 to 3.12; none found."
}

ensure_virtualenv() {
    [ -x "$PYTHON_BIN" ] || { log "Creating virtualenv $VENV_DIR"; "$(pick_python)" -m venv "$VENV_DIR"; }
    local requirements stamp wanted
    requirements="$(odoo_requirements_file)"
    stamp="$VENV_DIR/.requirements.sha"
    wanted="$(cat "$requirements" "$PROJECT_DIR/requirements.txt" | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
        log "Installing Python requirements (Odoo's and ours)"
        "$PYTHON_BIN" -m pip install -q --upgrade "pip<25" wheel "setuptools<70"
        "$PYTHON_BIN" -m pip install -q -r "$requirements" -r "$PROJECT_DIR/requirements.txt"
        echo "$wanted" > "$stamp"
    fi
    # pytest-odoo imports odoo directly, so the source tree goes on the venv's path.
    local site
    site="$("$PYTHON_BIN" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    echo "$(odoo_src)" > "$site/odoo-src.pth"
    "$PYTHON_BIN" -c 'import odoo, odoo.release; assert odoo.release.version_info[0] == 18' \
        || die "import odoo fails in $VENV_DIR"
}

postgres_answers() { pg_isready -q >/dev/null 2>&1; }

start_installed_cluster() {
    command -v pg_lsclusters >/dev/null 2>&1 || return 1
    local version name
    while read -r version name _; do
        log "Starting PostgreSQL cluster $version/$name"
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start 2>/dev/null \
            || as_root pg_ctlcluster "$version" "$name" start || true
    done < <(pg_lsclusters -h 2>/dev/null)
    postgres_answers
}

ensure_postgres() {
    if ! postgres_answers && ! start_installed_cluster; then
        [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1 \
            || die "No PostgreSQL answers. Install and start PostgreSQL (apt-get install postgresql), then run again."
        apt_install postgresql
        start_installed_cluster || die "PostgreSQL is installed but does not start; see its log in /var/log/postgresql."
    fi
    # Odoo connects as the current OS user; give that user a role that may create databases.
    if ! psql -d postgres -qAtc 'select 1' >/dev/null 2>&1; then
        log "Creating PostgreSQL role $(id -un)"
        as_root su postgres -c "createuser --superuser $(id -un)" \
            || die "Cannot create a PostgreSQL role for $(id -un); create one with CREATEDB and run again."
    fi
}

ensure_chromium() {
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
        || command -v google-chrome >/dev/null 2>&1 || apt_install chromium
}

ensure_wkhtmltopdf() {
    command -v wkhtmltopdf >/dev/null 2>&1 || apt_install wkhtmltopdf
}

main() {
    apt_install "${SYSTEM_PACKAGES[@]}"
    ensure_odoo_source
    ensure_virtualenv
    ensure_postgres
    ensure_chromium
    ensure_wkhtmltopdf
    log "Environment ready"
}

main "$@"
