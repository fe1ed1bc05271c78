# Shared by scripts/run.sh and scripts/test.sh (sourced, not run): the virtualenv and the
# compiled translations. Expects ROOT and a log function from the caller.
# shellcheck shell=bash

VENV="$ROOT/.venv"
PY="$VENV/bin/python"

# Stamps in .venv hold the sha256 of setup.cfg at the last successful install, so pip only
# runs when the dependencies changed. The "test" stamp implies "base".
setup_hash() { sha256sum "$ROOT/setup.cfg" | cut -d' ' -f1; }
stamp_ok() { [[ -f "$VENV/.docflow-installed-$1" && "$(cat "$VENV/.docflow-installed-$1")" == "$(setup_hash)" ]]; }

ensure_venv_module() {
    # Debian ships ensurepip (needed by `python3 -m venv`) in python3-venv.
    python3 -c 'import ensurepip' >/dev/null 2>&1 && return 0
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing python3-venv (needed to create .venv)"
        apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv
    else
        log "error: python3 cannot create virtualenvs; install it: sudo apt-get install python3-venv"
        exit 1
    fi
}

# ensure_venv base|test — create .venv if needed and pip install the project (with extras).
ensure_venv() {
    local want="$1" spec="."
    [[ "$want" == test ]] && spec=".[test]"
    # A venv without a working pip (interrupted creation, Python upgraded) is rebuilt.
    if ! { [[ -x "$PY" ]] && "$PY" -m pip --version >/dev/null 2>&1; }; then
        ensure_venv_module
        log "creating $VENV"
        python3 -m venv --clear "$VENV"
    fi
    if stamp_ok test || { [[ "$want" == base ]] && stamp_ok base; }; then
        return 0
    fi
    log "setup.cfg changed since the last install (or first run): pip install -e '$spec'"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$PY" -m pip install --progress-bar off -e "$ROOT/$spec"
    setup_hash >"$VENV/.docflow-installed-$want"
    [[ "$want" == test ]] && setup_hash >"$VENV/.docflow-installed-base"
    return 0
}

compile_translations() {
    # The catalogs may not exist yet: nothing to compile then.
    if compgen -G "$ROOT/docflow/translations/*/LC_MESSAGES/messages.po" >/dev/null; then
        "$VENV/bin/pybabel" compile -d "$ROOT/docflow/translations" >/dev/null
    fi
}
