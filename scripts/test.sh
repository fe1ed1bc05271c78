#!/usr/bin/env bash
# Usage: scripts/test.sh [pytest args...]     (or: make test ARGS="...")
#
# The full check, as run by CI (.ci/run): system packages, .venv with the [test]
# extras, translations, `ruff check .`, `ruff format --check .`, then the whole
# pytest suite twice: on SQLite and on a throwaway PostgreSQL (scripts/with-postgres.sh).
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

log() { echo "test: $*" >&2; }
die() { log "error: $*"; exit 1; }
banner() {
    echo
    echo "======================================================================"
    echo "== $*"
    echo "======================================================================"
}

# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

if [[ "${DOCFLOW_SETUP_ONLY:-0}" == 1 ]]; then
    ensure_venv test
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
ensure_venv test
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

banner "ruff format --check ."
rc=0
"$VENV/bin/ruff" format --check . || rc=$?
record "ruff format --check" "$rc"

# Parallel test processes (pytest-xdist), a module per process so module-scoped fixtures stay
# whole: DOCFLOW_TEST_WORKERS=0 runs in one process (e.g. for pdb); default: one per core.
WORKERS="${DOCFLOW_TEST_WORKERS:-$(nproc 2>/dev/null || echo 2)}"
XDIST=()
if [[ "$WORKERS" != 0 ]]; then
    XDIST=(-n "$WORKERS" --dist loadfile)
fi

for backend in "${BACKENDS[@]}"; do
    rc=0
    case "$backend" in
        sqlite)
            banner "pytest on SQLite"
            # A developer's exported PostgreSQL URL must not leak into the SQLite run.
            env -u DOCFLOW_TEST_DATABASE_URL "$PY" -m pytest "${XDIST[@]}" "$@" || rc=$?
            ;;
        postgresql)
            banner "pytest on PostgreSQL (throwaway cluster)"
            bash scripts/with-postgres.sh "$PY" -m pytest "${XDIST[@]}" "$@" || rc=$?
            ;;
    esac
    record "pytest ($backend)" "$rc"
done

banner "summary"
printf '%s\n' "${RESULTS[@]}"
exit "$FAILED"
