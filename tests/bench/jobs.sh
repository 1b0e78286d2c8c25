#!/usr/bin/env bash
# Benchmark: the job queue (docs/jobs.md). BENCH_JOBS system.echo jobs
# (empty payload: the handler does nothing) are queued with one INSERT ...
# SELECT generate_series before the server starts; then didtrond starts
# with --job-workers BENCH_JOB_WORKERS and the script waits until every job
# is done. The figure is jobs / (last finished_at - first started_at), read
# from job_attempts, so server start-up is not in it; the wall time from
# the start of didtrond is printed too. Afterwards it checks that every job
# ran exactly once (one job_attempts row, outcome done). Jobs of other
# kinds the server queues itself (FX, ...) are left out of the figures.
#
# Needs DIDTRON_TEST_PG{HOST,PORT,USER} (a PostgreSQL with a superuser
# role) and a build in build/ (or DIDTRON_BUILD_DIR; use a release build
# for figures). Knobs: BENCH_JOBS (20000), BENCH_JOB_WORKERS (4),
# BENCH_PORT (7684), BENCH_TIMEOUT (seconds, 300).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

: "${DIDTRON_TEST_PGHOST:?set DIDTRON_TEST_PGHOST}"
: "${DIDTRON_TEST_PGPORT:?set DIDTRON_TEST_PGPORT}"
: "${DIDTRON_TEST_PGUSER:?set DIDTRON_TEST_PGUSER}"

BUILD="${DIDTRON_BUILD_DIR:-build}"
DIDTROND="$BUILD/server/didtrond"
JOBS="${BENCH_JOBS:-20000}"
JOB_WORKERS="${BENCH_JOB_WORKERS:-4}"
PORT="${BENCH_PORT:-7684}"
TIMEOUT="${BENCH_TIMEOUT:-300}"
DB=didtron_bench_jobs
CONNINFO="host=$DIDTRON_TEST_PGHOST port=$DIDTRON_TEST_PGPORT user=$DIDTRON_TEST_PGUSER dbname=$DB"
PSQL=(psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$DIDTRON_TEST_PGHOST" -p "$DIDTRON_TEST_PGPORT" -U "$DIDTRON_TEST_PGUSER")
LOG=var/log/bench-jobs.log

if [[ ! -x $DIDTROND ]]; then
    echo "jobs.sh: $DIDTROND is missing; build first" >&2
    exit 1
fi
mkdir -p var/log
: >"$LOG"

"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >>"$LOG" 2>&1
"$DIDTROND" migrate --database "$CONNINFO" >>"$LOG" 2>&1
"${PSQL[@]}" -d "$DB" -c "INSERT INTO jobs (kind, payload) SELECT 'system.echo', '{}' FROM generate_series(1, $JOBS)" \
    -c "ANALYZE jobs" >>"$LOG" 2>&1

start=$(date +%s.%N)
"$DIDTROND" serve --database "$CONNINFO" --listen "127.0.0.1:$PORT" --job-workers "$JOB_WORKERS" >>"$LOG" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT

left=$JOBS
deadline=$(($(date +%s) + TIMEOUT))
while ((left > 0)); do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "jobs.sh: didtrond exited; see $LOG" >&2
        tail -n 5 "$LOG" >&2
        exit 1
    fi
    if (($(date +%s) > deadline)); then
        echo "jobs.sh: $left jobs still not done after ${TIMEOUT}s" >&2
        exit 1
    fi
    sleep 0.05
    left=$("${PSQL[@]}" -d "$DB" -c "SELECT count(*) FROM jobs WHERE kind = 'system.echo' AND state <> 'done'")
done
end=$(date +%s.%N)
kill "$pid"
wait "$pid" 2>/dev/null || true
trap - EXIT

echo "date=$(date -u +%F) cpus=$(nproc) jobs=$JOBS job_workers=$JOB_WORKERS"
"${PSQL[@]}" -d "$DB" -c "
    SELECT 'processing_s=' || round(extract(epoch FROM max(a.finished_at) - min(a.started_at))::numeric, 3)
        || ' jobs_per_s=' || round($JOBS / extract(epoch FROM max(a.finished_at) - min(a.started_at))::numeric)
      FROM job_attempts a JOIN jobs j ON j.id = a.job_id WHERE j.kind = 'system.echo'"
awk -v s="$start" -v e="$end" -v n="$JOBS" \
    'BEGIN { printf "wall_s=%.3f (from didtrond start, polling every 50 ms) wall_jobs_per_s=%.0f\n", e - s, n / (e - s) }'
"${PSQL[@]}" -d "$DB" -c "
    SELECT 'attempt_rows=' || (SELECT count(*) FROM job_attempts a JOIN jobs j ON j.id = a.job_id
                                WHERE j.kind = 'system.echo')
        || ' jobs_not_run_exactly_once=' || (SELECT count(*) FROM jobs j WHERE j.kind = 'system.echo'
                                              AND (SELECT count(*) FROM job_attempts a
                                                    WHERE a.job_id = j.id AND a.outcome = 'done') <> 1)"
