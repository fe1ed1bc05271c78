#!/usr/bin/env bash
# Installs the Debian packages docflow needs: at run time (Tesseract with kaz/rus/eng
# data, fonts) and, unless DOCFLOW_DEPS=runtime, for the tests (PostgreSQL server,
# Chromium for Playwright, poppler). Idempotent and
# fast: it only calls apt-get when something is actually missing.
#
# As root it uses apt-get directly; otherwise sudo (if present). Without either it
# fails and names the missing packages.
# DOCFLOW_SKIP_SYSTEM_DEPS=1 skips this entirely (non-Debian dev machines that
# provide the tools some other way).
set -euo pipefail

# What the app itself uses (receipt slips need DejaVu fonts; OCR needs Tesseract kaz+rus;
# letters are DOCX templates converted to PDF/A by LibreOffice, Times New Roman → Liberation Serif)…
PACKAGES=(
    tesseract-ocr
    tesseract-ocr-kaz
    tesseract-ocr-rus
    tesseract-ocr-eng
    fonts-dejavu-core
    libreoffice-writer-nogui
    fonts-liberation2
)
# …and what only the tests need. DOCFLOW_DEPS=runtime (scripts/run.sh) installs the first set.
if [[ "${DOCFLOW_DEPS:-test}" != runtime ]]; then
    # redis-server: the throwaway broker of the Celery tests (tests/tasks, marker "redis")
    PACKAGES+=(postgresql chromium poppler-utils redis-server)
fi

log() { echo "install-test-deps: $*" >&2; }

if [[ "${DOCFLOW_SKIP_SYSTEM_DEPS:-0}" == 1 ]]; then
    log "DOCFLOW_SKIP_SYSTEM_DEPS=1: not checking system packages"
    exit 0
fi

# python3 -m venv needs ensurepip, which Debian ships separately in python3-venv.
if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    PACKAGES+=(python3-venv)
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    log "error: dpkg-query not found; this script supports Debian/Ubuntu only."
    log "Install these packages (or equivalents) yourself: ${PACKAGES[*]}"
    log "then rerun with DOCFLOW_SKIP_SYSTEM_DEPS=1."
    exit 1
fi

missing_packages() {
    local pkg status
    for pkg in "${PACKAGES[@]}"; do
        status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
        if [[ "$status" != installed ]]; then
            echo "$pkg"
        fi
    done
}

mapfile -t MISSING < <(missing_packages)
if [[ ${#MISSING[@]} -eq 0 ]]; then
    log "all system packages present"
    exit 0
fi
log "missing: ${MISSING[*]}"

# Pick how to become root. `sudo -n` in CI / without a terminal, so a password
# prompt fails fast instead of hanging.
if [[ "$(id -u)" -eq 0 ]]; then
    AS_ROOT=()
elif command -v sudo >/dev/null 2>&1; then
    if [[ -t 0 ]]; then
        AS_ROOT=(sudo)
    else
        AS_ROOT=(sudo -n)
    fi
else
    log "error: not root and sudo is not available; ask an administrator to run:"
    log "  apt-get update && apt-get install -y --no-install-recommends ${MISSING[*]}"
    exit 1
fi

# `env` because sudo drops most of the environment.
APT=("${AS_ROOT[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q)
if ! "${APT[@]}" update; then
    log "error: apt-get update failed (missing: ${MISSING[*]})"
    exit 1
fi
if ! "${APT[@]}" install -y --no-install-recommends "${MISSING[@]}"; then
    log "error: could not install: ${MISSING[*]}"
    exit 1
fi

# Double-check, e.g. a package name unknown to this release is not silently ignored.
mapfile -t STILL_MISSING < <(missing_packages)
if [[ ${#STILL_MISSING[@]} -ne 0 ]]; then
    log "error: still missing after install: ${STILL_MISSING[*]}"
    exit 1
fi
log "installed: ${MISSING[*]}"
