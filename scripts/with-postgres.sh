#!/usr/bin/env bash
# Usage: scripts/with-postgres.sh CMD [ARGS...]
#
# Starts a throwaway PostgreSQL cluster (temp dir, free port, no fsync), exports
#   DOCFLOW_TEST_DATABASE_URL=postgresql+psycopg://docflow@127.0.0.1:PORT/postgres
# (role "docflow" is the superuser, so fixtures can CREATE DATABASE), runs CMD,
# then always stops the cluster and deletes the temp dir. Exits with CMD's status.
#
# Works as root (the server runs as the `postgres` system user, because PostgreSQL
# refuses to run as root) and as a normal user (the server runs as that user).
# PG_BINDIR=/path/to/bin overrides the auto-detected PostgreSQL bin directory.
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

log() { echo "with-postgres: $*" >&2; }
die() { log "error: $*"; exit 1; }

# --- Locate the server binaries -------------------------------------------------
# pg_config may come from libpq-dev of a different major version without the server,
# so only accept a directory that really has initdb/pg_ctl/postgres.
has_server() { [[ -x "$1/initdb" && -x "$1/pg_ctl" && -x "$1/postgres" && -x "$1/pg_isready" ]]; }

find_bindir() {
    local candidates=() dir
    if [[ -n "${PG_BINDIR:-}" ]]; then
        candidates+=("$PG_BINDIR")
    fi
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null || true)"
        [[ -n "$dir" ]] && candidates+=("$dir")
    fi
    # Debian layout: /usr/lib/postgresql/<major>/bin, highest version first.
    if compgen -G '/usr/lib/postgresql/*/bin' >/dev/null; then
        while IFS= read -r dir; do
            candidates+=("$dir")
        done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5 -V -r)
    fi
    # Anything on PATH (other distros, Homebrew).
    if command -v initdb >/dev/null 2>&1; then
        candidates+=("$(dirname "$(command -v initdb)")")
    fi
    for dir in "${candidates[@]}"; do
        if has_server "$dir"; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

BINDIR="$(find_bindir)" || die "PostgreSQL server binaries not found (install the Debian 'postgresql' package, or run scripts/install-test-deps.sh, or set PG_BINDIR)"

# --- Decide which OS user runs the server ---------------------------------------
RUN_AS=""
if [[ "$(id -u)" -eq 0 ]]; then
    # PostgreSQL refuses to run as root; the Debian package creates `postgres`.
    if id -u postgres >/dev/null 2>&1; then
        RUN_AS=postgres
    elif id -u nobody >/dev/null 2>&1; then
        RUN_AS=nobody
    else
        die "running as root but neither a 'postgres' nor a 'nobody' user exists"
    fi
fi

# Run a PostgreSQL binary as the server user (a no-op wrapper when not root).
as_pg() {
    if [[ -z "$RUN_AS" ]]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u "$RUN_AS" -- "$@"
    else
        # su needs a single command string: quote every argument.
        su "$RUN_AS" -s /bin/sh -c "$(printf '%q ' "$@")"
    fi
}

# --- Temp dir (data, socket, log) -----------------------------------------------
# As root use /tmp: the server user must be able to traverse every parent dir,
# which is not true for e.g. a TMPDIR under /root.
if [[ -n "$RUN_AS" ]]; then
    TMP_PARENT=/tmp
else
    TMP_PARENT="${TMPDIR:-/tmp}"
fi
PGTMP="$(mktemp -d "$TMP_PARENT/docflow-pg.XXXXXX")"
DATA="$PGTMP/data"
SOCK="$PGTMP/sock"
PGLOG="$PGTMP/server.log"
mkdir -p "$SOCK"
if [[ -n "$RUN_AS" ]]; then
    chown -R "$RUN_AS" "$PGTMP"
fi

STARTED=0
# shellcheck disable=SC2317  # only reached via the trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [[ "$STARTED" -eq 1 ]]; then
        # Throwaway data: immediate shutdown is fine and fast.
        if ! (cd "$PGTMP" && as_pg "$BINDIR/pg_ctl" -D "$DATA" -m immediate -w -t 30 stop) >/dev/null 2>&1; then
            # Last resort: kill the postmaster by its pid file so nothing leaks.
            local pid
            pid="$(head -n1 "$DATA/postmaster.pid" 2>/dev/null || true)"
            if [[ -n "$pid" ]]; then
                kill -9 "$pid" 2>/dev/null || true
            fi
        fi
    fi
    rm -rf -- "$PGTMP"
    exit "$rc"
}
trap cleanup EXIT
# Signals become a normal exit so the EXIT trap stops the server. (bash runs these
# once the foreground command has finished: Ctrl-C reaches the whole process group,
# so pytest stops, prints its summary, and then we clean up.)
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Every as_pg call runs from inside PGTMP: the server user may not be allowed to
# read the caller's working directory.
cd_pg() { (cd "$PGTMP" && as_pg "$@"); }

# --- initdb ---------------------------------------------------------------------
# --no-sync: nothing to protect in a throwaway cluster; makes initdb much faster.
initdb_with_locale() {
    cd_pg "$BINDIR/initdb" -D "$DATA" --auth=trust -U docflow --encoding=UTF8 \
        --locale="$1" --no-sync >"$PGTMP/initdb.log" 2>&1
}
if ! initdb_with_locale C.UTF-8; then
    # Older glibc/other systems may lack C.UTF-8; plain C still allows UTF8 encoding.
    rm -rf -- "$DATA"
    if ! initdb_with_locale C; then
        cat "$PGTMP/initdb.log" >&2
        die "initdb failed"
    fi
fi

# --- start on a free port ---------------------------------------------------------
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# The port could be grabbed by someone else between picking and binding it,
# so retry with a new one a few times.
PORT=""
for _attempt in 1 2 3; do
    PORT="$(free_port)"
    OPTS="-F -c fsync=off -c synchronous_commit=off -c full_page_writes=off -p $PORT -k '$SOCK' -c listen_addresses=127.0.0.1 -c max_connections=200"
    STARTED=1
    if cd_pg "$BINDIR/pg_ctl" -D "$DATA" -l "$PGLOG" -w -t 60 -o "$OPTS" start >/dev/null; then
        break
    fi
    STARTED=0
    log "server failed to start on port $PORT (attempt $_attempt); log:"
    cat "$PGLOG" >&2 2>/dev/null || true
    # A failed start can leave a postmaster that is still shutting down.
    cd_pg "$BINDIR/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true
    PORT=""
done
[[ -n "$PORT" ]] || die "could not start PostgreSQL"

# pg_ctl -w already waited; double-check over TCP, which is what the tests use.
ready=0
for _i in $(seq 1 60); do
    if "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U docflow -d postgres; then
        ready=1
        break
    fi
    sleep 0.5
done
if [[ "$ready" -ne 1 ]]; then
    cat "$PGLOG" >&2 || true
    die "PostgreSQL on port $PORT did not become ready"
fi

export DOCFLOW_TEST_DATABASE_URL="postgresql+psycopg://docflow@127.0.0.1:$PORT/postgres"
log "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') ready at $DOCFLOW_TEST_DATABASE_URL (data: $DATA)"

# --- run the command -------------------------------------------------------------
# Not exec: the EXIT trap must still stop the server afterwards.
set +e
"$@"
rc=$?
set -e
exit "$rc"
