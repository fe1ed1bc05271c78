#!/usr/bin/env bash
# Usage: scripts/run.sh [extra `flask run` options]     (or: make run)
#
# Local development server: prepares .venv, compiles translations, creates/upgrades
# the database in instance/ (`flask init`), loads the demo organisation (`flask demo`,
# idempotent; prints the demo logins) and serves on http://127.0.0.1:${PORT:-5000}/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
PY="$VENV/bin/python"
PORT="${PORT:-5000}"

log() { echo "run: $*" >&2; }
die() { log "error: $*"; exit 1; }

[[ "$PORT" =~ ^[0-9]+$ ]] || die "PORT must be a number, got '$PORT'"

# --- venv (same logic as scripts/test.sh, kept in sync by hand) ------------------
# Stamps in .venv hold the sha256 of setup.cfg at the last successful install, so
# pip only runs when the dependencies changed. The "test" stamp implies "base".
setup_hash() { sha256sum setup.cfg | cut -d' ' -f1; }
stamp_ok() { [[ -f "$VENV/.docflow-installed-$1" && "$(cat "$VENV/.docflow-installed-$1")" == "$(setup_hash)" ]]; }

ensure_venv_module() {
    # Debian ships ensurepip (needed by `python3 -m venv`) in python3-venv.
    python3 -c 'import ensurepip' >/dev/null 2>&1 && return 0
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing python3-venv (needed to create .venv)"
        apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv
    else
        die "python3 cannot create virtualenvs; install it: sudo apt-get install python3-venv"
    fi
}

ensure_venv() {
    # A venv without a working pip (interrupted creation, Python upgraded) is rebuilt.
    if ! { [[ -x "$PY" ]] && "$PY" -m pip --version >/dev/null 2>&1; }; then
        ensure_venv_module
        log "creating $VENV"
        python3 -m venv --clear "$VENV"
    fi
    if stamp_ok base || stamp_ok test; then
        return 0
    fi
    log "setup.cfg changed since the last install (or first run): pip install -e ."
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$PY" -m pip install --progress-bar off -e .
    setup_hash >"$VENV/.docflow-installed-base"
}

compile_translations() {
    # The catalogs may not exist yet: nothing to compile then.
    if compgen -G 'docflow/translations/*/LC_MESSAGES/messages.po' >/dev/null; then
        "$VENV/bin/pybabel" compile -d docflow/translations
    fi
}

ensure_venv
compile_translations

FLASK=("$VENV/bin/flask" --app docflow)
log "flask init (create/upgrade the database in instance/)"
"${FLASK[@]}" init
log "flask demo (demo organisation)"
"${FLASK[@]}" demo

echo
echo "docflow is starting at http://127.0.0.1:$PORT/  (Ctrl-C to stop)"
echo
exec "${FLASK[@]}" run --host 127.0.0.1 --port "$PORT" "$@"
