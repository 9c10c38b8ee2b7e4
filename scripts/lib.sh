# shellcheck shell=bash
# The variables set here are used by the scripts that source this file.
# shellcheck disable=SC2034
# Shared helpers for the scripts in this folder. Source it; don't run it.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Sets REPO_ROOT (absolute) and the pinned tool locations.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT

# Pinned nats-server (see deploy/local/nats-server-requirements.txt).
NATS_VERSION="2.14.6"
TOOLS_DIR="$REPO_ROOT/.tools"
NATS_BIN="$TOOLS_DIR/bin/nats-server"

# Local PostgreSQL (Debian cluster) used by tests and the local stack.
PG_HOST="127.0.0.1"
PG_PORT="5432"

# Short progress line on stderr, prefixed with the script's name.
say() {
    printf '%s: %s\n' "$(basename "$0")" "$*" >&2
}

die() {
    say "error: $*"
    exit 1
}

# True when a TCP port on 127.0.0.1 accepts connections.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints a free TCP port on 127.0.0.1: the preferred one when it is free,
# else one the kernel picks. Ports listed in the global array TAKEN_PORTS
# (chosen earlier but not bound yet) are skipped.
pick_port() {
    local preferred="${1:-}" port
    if [[ -n "$preferred" ]] && ! port_in_use "$preferred" && ! port_taken "$preferred"; then
        echo "$preferred"
        return
    fi
    for _ in $(seq 1 50); do
        port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
        if ! port_taken "$port"; then
            echo "$port"
            return
        fi
    done
    die "could not find a free port"
}

TAKEN_PORTS=()
port_taken() {
    local p
    for p in "${TAKEN_PORTS[@]}"; do
        [[ "$p" == "$1" ]] && return 0
    done
    return 1
}

# Version string printed by a nats-server binary, or nothing.
nats_version_of() {
    [[ -x "$1" ]] || return 0
    "$1" --version 2>/dev/null | sed -n 's/^nats-server: v//p' | head -n 1
}

pg_ready() {
    command -v pg_isready >/dev/null 2>&1 &&
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 3
}

# True while a process exists and is not a zombie (a zombie has exited; its
# parent just has not collected it yet).
pid_alive() {
    local state=""
    kill -0 "$1" 2>/dev/null || return 1
    if [[ -r "/proc/$1/stat" ]]; then
        state="$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null || true)"
    fi
    [[ "$state" != Z ]]
}

# Sends SIGTERM to a pid, waits up to $2 seconds (default 10), then SIGKILL.
# Returns 0 once the process is gone.
stop_pid() {
    local pid="$1" grace="${2:-10}" i
    pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    say "pid $pid did not stop after ${grace}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    return 1
}

# Prints the HTTP status code of a GET (000 when nothing answers).
http_status() {
    if command -v curl >/dev/null 2>&1; then
        curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true
    else
        python3 - "$1" <<'PY' 2>/dev/null || echo 000
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        print(r.status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")
PY
    fi
}

# True when the NATS server on 127.0.0.1:$1 greets with an INFO line that
# announces JetStream.
nats_ready() {
    local line
    line="$(
        exec 2>/dev/null
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        IFS= read -r -t 2 greeting <&3 || exit 1
        printf '%s' "$greeting"
    )" || return 1
    [[ "$line" == INFO* && "$line" == *'"jetstream":true'* ]]
}

# Local stack layout (scripts/stack-up, scripts/stack-down).
STACK_DIR="$REPO_ROOT/.stack"
STACK_PIDS="$STACK_DIR/pids"
STACK_LOGS="$STACK_DIR/logs"
# Service binaries, in start order (intake before the gateway that calls it).
STACK_SERVICES=(
    intake
    router
    emergency-bridge
    deadline-watcher
    supervision
    analytics
    knowledge
    gateway
)

# The process behind a pid file, if it is still the one we started:
# prints the pid, or nothing.
live_pid() {
    local file="$1" name pid args
    [[ -f "$file" ]] || return 0
    pid="$(tr -dc '0-9' <"$file")"
    [[ -n "$pid" ]] || return 0
    pid_alive "$pid" || return 0
    # Guard against a recycled pid: the command line must name the program.
    name="$(basename "$file" .pid)"
    args="$(ps -o args= -p "$pid" 2>/dev/null || true)"
    [[ "$args" == *"$name"* ]] || return 0
    echo "$pid"
}
