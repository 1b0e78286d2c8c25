#!/usr/bin/env bash
# Benchmark: the job queue sending e-mail (issue 9, docs/mail.md).
# BENCH_JOBS (20000) `email.send` jobs (template ticket_created, one
# recipient, five variables) are queued with one INSERT ... SELECT
# generate_series before the server starts; then a stand-in Brevo API
# (brevo_standin, 201 for each request) and didtrond with --job-workers
# BENCH_JOB_WORKERS (4) and --brevo-base-url pointing at it start, and the
# script waits until every job is done. Each job renders the template
# (subject, text, HTML), builds the JSON body and makes one HTTP POST (a
# new loopback connection: http_client.c uses one curl handle per request).
# The figure is jobs / (last finished_at - first started_at) from
# job_attempts, as in jobs.sh; afterwards it checks that every job ran
# exactly once and that the stand-in counted as many requests.
#
# Needs DIDTRON_TEST_PG{HOST,PORT,USER} and a build in build/ (or
# DIDTRON_BUILD_DIR; use a release build for figures). Knobs: BENCH_JOBS,
# BENCH_JOB_WORKERS, BENCH_PORT (7687), BENCH_BREVO_PORT (7688),
# BENCH_TIMEOUT (seconds, 300).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
bench_init jobs_email.sh didtron_bench_jobs_email var/log/bench-jobs-email.log
STANDIN="$BUILD/tests/bench/brevo_standin"
JOBS="${BENCH_JOBS:-20000}"
JOB_WORKERS="${BENCH_JOB_WORKERS:-4}"
PORT="${BENCH_PORT:-7687}"
BREVO_PORT="${BENCH_BREVO_PORT:-7688}"
TIMEOUT="${BENCH_TIMEOUT:-300}"

bench_need "$DIDTROND" "$STANDIN"
bench_fresh_db
setup "${PSQL[@]}" -d "$DB" -c "INSERT INTO jobs (kind, payload) SELECT 'email.send', json_build_object(
        'template', 'ticket_created', 'to', json_build_array(json_build_object('email', 'ops' || i || '@acme.example',
        'name', 'Ops ' || i)), 'vars', json_build_object('ticket_number', 'T-' || lpad(i::text, 6, '0'),
        'subject', 'No audio on calls to 44 <' || i || '>', 'carrier_name', 'Acme & Sons', 'status', 'open',
        'reply_excerpt', repeat('Calls drop after 30 seconds. ', 10))) FROM generate_series(1, $JOBS) i" \
    -c "ANALYZE jobs"

"$STANDIN" --port "$BREVO_PORT" >var/log/bench-brevo-standin.out 2>&1 &
standin=$!
bench_children=("$standin")
start=$(date +%s.%N)
bench_serve --job-workers "$JOB_WORKERS" --brevo-base-url "http://127.0.0.1:$BREVO_PORT" --brevo-api-key bench-key \
    --mail-from bench@didtron.example --fx-refresh-minutes 0 --fx-revalue-monthly=false
bench_wait_jobs email.send "$JOBS" "$TIMEOUT"
end=$(date +%s.%N)
kill "$pid"
wait "$pid" 2>/dev/null || true
kill "$standin"
wait "$standin" 2>/dev/null || true
trap - EXIT

echo "date=$(date -u +%F) cpus=$(nproc) jobs=$JOBS job_workers=$JOB_WORKERS"
bench_jobs_rate email.send "$JOBS" "$start" "$end"
sql "
    SELECT 'attempt_rows=' || count(*) || ' not_done_once=' || count(*) FILTER (WHERE a.outcome <> 'done')
      FROM job_attempts a JOIN jobs j ON j.id = a.job_id WHERE j.kind = 'email.send'"
echo "stand-in: $(cat var/log/bench-brevo-standin.out)"
