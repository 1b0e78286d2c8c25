# shellcheck shell=bash
# The setup the benchmark scripts share, sourced by them after
# `cd` to the repository root:
#
#   source tests/bench/lib.sh
#   bench_init NAME DB LOG   # checks DIDTRON_TEST_PG{HOST,PORT,USER}; sets BUILD,
#                            # DIDTROND, DB, CONNINFO, PSQL and LOG (emptied)
#   bench_need FILE...       # each must be an executable: "build first"
#   bench_fresh_db           # drop, create and migrate DB
#   bench_serve ARGS...      # didtrond serve on 127.0.0.1:$PORT in the background
#                            # (pid), waits for /healthz; on exit it is stopped,
#                            # and so are the pids in bench_children
#   token=$(bench_login USER PASSWORD)
#   sql "SELECT ..."         # one statement against DB, bare values
#   bench_wait_jobs KIND N TIMEOUT  # until N jobs of KIND are done
#   bench_jobs_rate KIND N START END # their rate: processing (job_attempts)
#                                    # and wall (START..END, date +%s.%N)
#   cpu_of PID...            # CPU ticks (user + system) of those processes
#
# A failing step prints what failed and the log's last lines, and exits 1.

bench_init() {
    BENCH_NAME=$1
    DB=$2
    LOG=$3
    : "${DIDTRON_TEST_PGHOST:?set DIDTRON_TEST_PGHOST (run through scripts/dev bench)}"
    : "${DIDTRON_TEST_PGPORT:?set DIDTRON_TEST_PGPORT}"
    : "${DIDTRON_TEST_PGUSER:?set DIDTRON_TEST_PGUSER}"
    BUILD="${DIDTRON_BUILD_DIR:-build}"
    DIDTROND="$BUILD/server/didtrond"
    CONNINFO="host=$DIDTRON_TEST_PGHOST port=$DIDTRON_TEST_PGPORT user=$DIDTRON_TEST_PGUSER dbname=$DB"
    PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$DIDTRON_TEST_PGHOST" -p "$DIDTRON_TEST_PGPORT" -U "$DIDTRON_TEST_PGUSER")
    mkdir -p "$(dirname "$LOG")" var/bench
    : >"$LOG"
}

bench_need() {
    local f
    for f in "$@"; do
        if [[ ! -x $f ]]; then
            echo "$BENCH_NAME: $f is missing; build first" >&2
            exit 1
        fi
    done
}

bench_fail() {
    echo "$BENCH_NAME: $*; see $LOG" >&2
    tail -n 20 "$LOG" >&2 || true
    exit 1
}

# Runs a setup command with its output in the log.
setup() {
    "$@" >>"$LOG" 2>&1 || bench_fail "failed: $*"
}

sql() { "${PSQL[@]}" -d "$DB" -At -c "$1"; }

bench_fresh_db() {
    bench_need "$DIDTROND"
    setup "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
    setup "$DIDTROND" migrate --database "$CONNINFO"
}

bench_children=()
bench_stop() {
    kill "$pid" "${bench_children[@]}" 2>/dev/null || true
    wait "$pid" "${bench_children[@]}" 2>/dev/null || true
}

bench_serve() {
    "$DIDTROND" serve --database "$CONNINFO" --listen "127.0.0.1:$PORT" "$@" >>"$LOG" 2>&1 &
    pid=$!
    trap bench_stop EXIT
    local _
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    bench_fail "didtrond did not come up on 127.0.0.1:$PORT"
}

bench_login() {
    local token
    token=$(curl -fsS -X POST "http://127.0.0.1:$PORT/rpc" -H 'Content-Type: application/json' \
        -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"auth.login\",\"params\":{\"username\":\"$1\",\"password\":\"$2\"}}" |
        sed -n 's/.*"token" *: *"\([0-9a-f]*\)".*/\1/p')
    [[ -n $token ]] || bench_fail "cannot log in as $1"
    echo "$token"
}

bench_wait_jobs() {
    local kind=$1 left=$2 deadline=$(($(date +%s) + $3))
    while ((left > 0)); do
        kill -0 "$pid" 2>/dev/null || bench_fail "didtrond exited"
        if (($(date +%s) > deadline)); then
            echo "$BENCH_NAME: $left jobs still not done after ${3}s" >&2
            exit 1
        fi
        sleep 0.05
        left=$(sql "SELECT count(*) FROM jobs WHERE kind = '$kind' AND state <> 'done'")
    done
}

bench_jobs_rate() {
    sql "
    SELECT 'processing_s=' || round(extract(epoch FROM max(a.finished_at) - min(a.started_at))::numeric, 3)
        || ' jobs_per_s=' || round($2 / extract(epoch FROM max(a.finished_at) - min(a.started_at))::numeric)
      FROM job_attempts a JOIN jobs j ON j.id = a.job_id WHERE j.kind = '$1'"
    awk -v s="$3" -v e="$4" -v n="$2" \
        'BEGIN { printf "wall_s=%.3f (from didtrond start, polling every 50 ms) wall_jobs_per_s=%.0f\n", e - s, n / (e - s) }'
}

cpu_of() {
    local total=0 p
    for p in "$@"; do
        [[ -r /proc/$p/stat ]] || continue
        total=$((total + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
    done
    echo "$total"
}
