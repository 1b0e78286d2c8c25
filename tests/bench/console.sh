#!/usr/bin/env bash
# Console benchmarks: startup to the first frame with data, terminal bytes
# per live update and per idle second, idle CPU. The real didtron in tmux
# against a real didtrond with the demo network.
# Needs DIDTRON_TEST_PG{HOST,PORT,USER} (scripts/dev bench) and build/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BUILD="${DIDTRON_BUILD_DIR:-build}"
IDLE_SECONDS="${BENCH_CONSOLE_IDLE:-60}"
PORT="${BENCH_CONSOLE_PORT:-7582}"
DB=didtron_bench_console
CONNINFO="host=$DIDTRON_TEST_PGHOST port=${DIDTRON_TEST_PGPORT:?} user=${DIDTRON_TEST_PGUSER:?} dbname=$DB"
PSQL=(psql -X -q -h "$DIDTRON_TEST_PGHOST" -p "$DIDTRON_TEST_PGPORT" -U "$DIDTRON_TEST_PGUSER")
work="$(mktemp -d /tmp/didtron-console-bench.XXXXXX)"
sock="$work/tmux.sock"

"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
"$BUILD/server/didtrond" serve --demo --database "$CONNINFO" --listen "127.0.0.1:$PORT" >"$work/server.log" 2>&1 &
server=$!
trap 'tmux -S "$sock" kill-server 2>/dev/null; kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

screen() { tmux -S "$sock" capture-pane -p -t c; }

start=$(date +%s%N)
tmux -S "$sock" new-session -d -s c -x 120 -y 30 \
    "env DIDTRON_PASSWORD=admin XDG_STATE_HOME=$work/state LANG=C.UTF-8 $BUILD/tui/didtron --url ws://127.0.0.1:$PORT/ws --user admin"
until screen | grep -q "16 of 16"; do sleep 0.005; done
first=$(( ($(date +%s%N) - start) / 1000000 ))
echo "first_frame_with_data_ms=$first (process start to the carriers list drawn, login and list load included)"

pid=$(tmux -S "$sock" list-panes -t c -F '#{pane_pid}')
console_pid=$(pgrep -P "$pid" didtron || echo "$pid")

# Bytes the console writes: count what the pane receives.
tmux -S "$sock" pipe-pane -t c -o "cat >> $work/out"
sleep 1
b0=$(stat -c %s "$work/out" 2>/dev/null || echo 0)
sleep 10
b1=$(stat -c %s "$work/out")
echo "idle_bytes_per_second=$(( (b1 - b0) / 10 )) (the data-age counter in the dock ticks once a second)"

# One live update: another client renames a carrier's account manager.
token=$(curl -fsS -X POST "http://127.0.0.1:$PORT/rpc" -H 'Content-Type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"auth.login","params":{"username":"admin","password":"admin"}}' |
    sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')
version=$(curl -fsS -X POST "http://127.0.0.1:$PORT/rpc" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"jsonrpc":"2.0","id":2,"method":"carrier.get","params":{"id":1}}' | sed 's/.*"version":\([0-9]*\).*/\1/')
sleep 1.2 # let a tick pass so it is not counted
b2=$(stat -c %s "$work/out")
curl -fsS -X POST "http://127.0.0.1:$PORT/rpc" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"carrier.update\",\"params\":{\"id\":1,\"version\":$version,\"account_manager\":\"Zoe Quinn\"}}" >/dev/null
until screen | grep -q "Zoe Quinn"; do sleep 0.005; done
b3=$(stat -c %s "$work/out")
echo "bytes_for_one_live_update=$(( b3 - b2 )) (a whole 120x30 screen is ~3,600 cells)"

# Idle CPU of the console process.
ticks() { awk '{print $14 + $15}' "/proc/$console_pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep "$IDLE_SECONDS"
t1=$(ticks)
echo "idle_cpu_percent=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$IDLE_SECONDS" 'BEGIN { printf "%.2f", 100 * d / hz / s }') over ${IDLE_SECONDS}s"
