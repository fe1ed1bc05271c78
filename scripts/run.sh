#!/usr/bin/env bash
# Usage: scripts/run.sh [extra `flask run` options]     (or: make run)
#
# Local development server: prepares .venv, compiles translations, creates/upgrades
# the database in instance/ (`flask init`), loads the demo organisation (`flask demo`,
# idempotent; prints the demo logins) and serves on http://127.0.0.1:${PORT:-5000}/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PORT="${PORT:-5000}"
log() { echo "run: $*" >&2; }
die() { log "error: $*"; exit 1; }
[[ "$PORT" =~ ^[0-9]+$ ]] || die "PORT must be a number, got '$PORT'"

# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

# Debian packages the app uses at run time (fonts for slips, Tesseract for OCR); when they
# cannot be installed (no root, no sudo) the app still runs and says what is missing.
DOCFLOW_DEPS=runtime bash scripts/install-test-deps.sh || log "warning: some system packages are missing (see above)"
ensure_venv base
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
