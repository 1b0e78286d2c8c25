#!/usr/bin/env bash
# WebSocket benchmarks for didtrond: closed-loop throughput/latency with 1,
# 16 and 64 connections, a paced run at 10,000 requests/s, and the server's
# memory with 1,000 idle authenticated connections. The output is meant to
# be pasted into docs/benchmarks.md.
#
# Needs DIDTRON_TEST_PG{HOST,PORT,USER} (a throw-away PostgreSQL with a
# superuser role: run this through `scripts/dev bench`) and a plain build in
# build/ (or DIDTRON_BUILD_DIR) with server/didtrond and tests/bench/loadgen.
#
# Knobs (environment): BENCH_DURATION (seconds per run, 10), BENCH_RATE
# (paced run, 10000), BENCH_IDLE (idle connections, 1000), BENCH_HOLD
# (seconds to hold them, 10), BENCH_PORT (7580).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

: "${DIDTRON_TEST_PGHOST:?set DIDTRON_TEST_PGHOST (run through scripts/dev bench)}"
: "${DIDTRON_TEST_PGPORT:?set DIDTRON_TEST_PGPORT}"
: "${DIDTRON_TEST_PGUSER:?set DIDTRON_TEST_PGUSER}"

BUILD="${DIDTRON_BUILD_DIR:-build}"
DIDTROND="$BUILD/server/didtrond"
LOADGEN="$BUILD/tests/bench/loadgen"
DURATION="${BENCH_DURATION:-10}"
RATE="${BENCH_RATE:-10000}"
IDLE="${BENCH_IDLE:-1000}"
HOLD="${BENCH_HOLD:-10}"
PORT="${BENCH_PORT:-7580}"
HOST=127.0.0.1
DB=didtron_bench
CONNINFO="host=$DIDTRON_TEST_PGHOST port=$DIDTRON_TEST_PGPORT user=$DIDTRON_TEST_PGUSER dbname=$DB"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$DIDTRON_TEST_PGHOST" -p "$DIDTRON_TEST_PGPORT" -U "$DIDTRON_TEST_PGUSER")
LOG=var/log/bench.log

for f in "$DIDTROND" "$LOADGEN"; do
    if [[ ! -x $f ]]; then
        echo "run.sh: $f is missing; build first (scripts/dev build)" >&2
        exit 1
    fi
done
mkdir -p var/log

# setup output goes to the log; it is shown only if a step fails
: >"$LOG"
setup() {
    if ! "$@" >>"$LOG" 2>&1; then
        echo "run.sh: failed: $*" >&2
        tail -n 20 "$LOG" >&2 || true
        exit 1
    fi
}
setup "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
setup "$DIDTROND" migrate --database "$CONNINFO"
DIDTRON_PASSWORD=benchpass123 setup "$DIDTROND" user add bench --role admin --database "$CONNINFO"

"$DIDTROND" serve --database "$CONNINFO" --listen "$HOST:$PORT" >>"$LOG" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT

up=0
for _ in $(seq 1 100); do
    if curl -fsS "http://$HOST:$PORT/healthz" >/dev/null 2>&1; then
        up=1
        break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if ((!up)); then
    echo "run.sh: didtrond did not come up on $HOST:$PORT; see $LOG" >&2
    tail -n 20 "$LOG" >&2 || true
    exit 1
fi

cpu_model() {
    local model
    model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    if [[ -z $model ]]; then
        model=$(lscpu 2>/dev/null | awk -F': *' '/^Model name/ { print $2; exit }')
    fi
    echo "${model:-unknown}"
}

echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "kernel: $(uname -srm)"
echo "cpus: $(nproc)"
echo "cpu: $(cpu_model)"
echo "server: $("$DIDTROND" version 2>/dev/null | head -n 1 || echo didtrond), default settings, on $HOST:$PORT; loadgen on the same machine"
echo

failed=0
run() {
    if ! "$LOADGEN" --host "$HOST" --port "$PORT" "$@"; then
        failed=1
    fi
}

echo "# closed loop: each connection sends its next request when the last reply arrives (system.info)"
for n in 1 16 64; do
    run --connections "$n" --duration "$DURATION"
done
echo
echo "# paced: $RATE requests/s in total over 64 connections, latency from each send's scheduled time"
run --connections 64 --duration "$DURATION" --rate "$RATE"
echo
echo "# idle: $IDLE connections, each auth.resume'd with one session, held ${HOLD} s; server RSS"
token=$("$LOADGEN" --host "$HOST" --port "$PORT" --login bench:benchpass123) || {
    echo "run.sh: login failed" >&2
    exit 1
}
run --idle "$IDLE" --token "$token" --hold "$HOLD" --pid "$pid"

if ! kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: didtrond died during the benchmarks; see $LOG" >&2
    failed=1
fi
echo
echo "# carrier.list over 10,000 carriers and 50,000 interconnects, one request at a time"
if ! tests/bench/carrier_list.sh; then
    failed=1
fi
echo
echo "# the console's table widget: redraw with 10,000 rows"
"$BUILD/tests/bench/bench_table_draw" || failed=1
echo "# the NOC dashboard: rebuild and draw with 500 suppliers"
"$BUILD/tests/bench/bench_noc_draw" || failed=1
echo "# the console: first frame, terminal bytes, idle CPU"
if ! tests/bench/console.sh; then
    failed=1
fi
echo "# alert latency: the CDR batch that crosses a rule -> alert.fired on a WebSocket (own didtrond)"
DIDTRON_BIN="$DIDTROND" "$BUILD/tests/bench/bench_alert_latency" 50 1000 || failed=1
exit "$failed"
