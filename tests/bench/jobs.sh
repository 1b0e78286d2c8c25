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

# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
bench_init jobs.sh didtron_bench_jobs var/log/bench-jobs.log
JOBS="${BENCH_JOBS:-20000}"
JOB_WORKERS="${BENCH_JOB_WORKERS:-4}"
PORT="${BENCH_PORT:-7684}"
TIMEOUT="${BENCH_TIMEOUT:-300}"

bench_fresh_db
setup "${PSQL[@]}" -d "$DB" -c "INSERT INTO jobs (kind, payload) SELECT 'system.echo', '{}' FROM generate_series(1, $JOBS)" \
    -c "ANALYZE jobs"

start=$(date +%s.%N)
bench_serve --job-workers "$JOB_WORKERS"
bench_wait_jobs system.echo "$JOBS" "$TIMEOUT"
end=$(date +%s.%N)
kill "$pid"
wait "$pid" 2>/dev/null || true
trap - EXIT

echo "date=$(date -u +%F) cpus=$(nproc) jobs=$JOBS job_workers=$JOB_WORKERS"
bench_jobs_rate system.echo "$JOBS" "$start" "$end"
sql "
    SELECT 'attempt_rows=' || (SELECT count(*) FROM job_attempts a JOIN jobs j ON j.id = a.job_id
                                WHERE j.kind = 'system.echo')
        || ' jobs_not_run_exactly_once=' || (SELECT count(*) FROM jobs j WHERE j.kind = 'system.echo'
                                              AND (SELECT count(*) FROM job_attempts a
                                                    WHERE a.job_id = j.id AND a.outcome = 'done') <> 1)"
