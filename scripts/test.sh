#!/usr/bin/env bash
# Usage: scripts/test.sh [pytest args...]     (or: make test ARGS="...")
#
# The full check, as run by CI (.ci/run): system packages, .venv with the [test]
# extras, translations, `ruff check .`, then the whole pytest suite twice:
# on SQLite and on a throwaway PostgreSQL (scripts/with-postgres.sh).
# Both pytest runs always happen; the exit status is non-zero if anything failed
# (including pytest exit 5, "no tests collected": a CI run without tests is no pass).
#
# Environment:
#   DOCFLOW_TEST_BACKENDS  backends to run, default "sqlite postgresql"
#   DOCFLOW_SETUP_ONLY=1   only prepare .venv and translations (used by the Makefile)
#   CI                     passed through to pytest
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
PY="$VENV/bin/python"

log() { echo "test: $*" >&2; }
die() { log "error: $*"; exit 1; }
banner() {
    echo
    echo "======================================================================"
    echo "== $*"
    echo "======================================================================"
}

# --- venv (same logic as scripts/run.sh, kept in sync by hand) -------------------
# Stamps in .venv hold the sha256 of setup.cfg at the last successful install, so
# pip only runs when the dependencies changed. The "test" stamp implies "base".
setup_hash() { sha256sum setup.cfg | cut -d' ' -f1; }
stamp_ok() { [[ -f "$VENV/.docflow-installed-$1" && "$(cat "$VENV/.docflow-installed-$1")" == "$(setup_hash)" ]]; }

ensure_venv_module() {
    # Debian ships ensurepip (needed by `python3 -m venv`) in python3-venv.
    # (install-test-deps.sh installs it already; this covers DOCFLOW_SETUP_ONLY.)
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
    if stamp_ok test; then
        return 0
    fi
    log "setup.cfg changed since the last install (or first run): pip install -e '.[test]'"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$PY" -m pip install --progress-bar off -e '.[test]'
    setup_hash >"$VENV/.docflow-installed-test"
    setup_hash >"$VENV/.docflow-installed-base"
}

compile_translations() {
    # The catalogs may not exist yet: nothing to compile then.
    if compgen -G 'docflow/translations/*/LC_MESSAGES/messages.po' >/dev/null; then
        "$VENV/bin/pybabel" compile -d docflow/translations
    fi
}

if [[ "${DOCFLOW_SETUP_ONLY:-0}" == 1 ]]; then
    ensure_venv
    compile_translations
    exit 0
fi

# Validate the backend list before spending minutes on setup.
BACKENDS=()
read -r -a REQUESTED <<<"${DOCFLOW_TEST_BACKENDS:-sqlite postgresql}"
for b in "${REQUESTED[@]}"; do
    case "$b" in
        sqlite) BACKENDS+=(sqlite) ;;
        postgresql | postgres | pg) BACKENDS+=(postgresql) ;;
        *) die "unknown backend '$b' in DOCFLOW_TEST_BACKENDS (use: sqlite postgresql)" ;;
    esac
done
[[ ${#BACKENDS[@]} -gt 0 ]] || die "DOCFLOW_TEST_BACKENDS is empty"

# CI (set by the CI runner, or `make test CI=true`) is inherited by pytest as is;
# nothing here unsets or rewrites it.

banner "setup: system packages, .venv, translations"
bash scripts/install-test-deps.sh
ensure_venv
compile_translations

RESULTS=()
FAILED=0
record() {
    local name="$1" rc="$2"
    if [[ "$rc" -eq 0 ]]; then
        RESULTS+=("ok      $name")
    else
        FAILED=1
        if [[ "$rc" -eq 5 ]]; then
            RESULTS+=("FAILED  $name (pytest exit 5: no tests collected)")
        else
            RESULTS+=("FAILED  $name (exit $rc)")
        fi
    fi
}

# Lint failures are reported but do not stop the test runs: one CI run shows all.
banner "ruff check ."
rc=0
"$VENV/bin/ruff" check . || rc=$?
record "ruff check" "$rc"

for backend in "${BACKENDS[@]}"; do
    rc=0
    case "$backend" in
        sqlite)
            banner "pytest on SQLite"
            # A developer's exported PostgreSQL URL must not leak into the SQLite run.
            env -u DOCFLOW_TEST_DATABASE_URL "$PY" -m pytest "$@" || rc=$?
            ;;
        postgresql)
            banner "pytest on PostgreSQL (throwaway cluster)"
            bash scripts/with-postgres.sh "$PY" -m pytest "$@" || rc=$?
            ;;
    esac
    record "pytest ($backend)" "$rc"
done

banner "summary"
printf '%s\n' "${RESULTS[@]}"
exit "$FAILED"
