#!/usr/bin/env bash
# Benchmark: CDR ingestion end to end over HTTP (issue 5).
#
# didtrond in demo mode (the demo network: 10 ingress interconnects with a
# service each on one of three customer plans, 16 egress interconnects on
# 8 supplier plans); every plan gets the same generated deck (gen_deck,
# BENCH_DECK_ROWS rows, 100,000 by default) through
# POST /api/v1/rating-plans/{id}/rates; then cdr_post runs BENCH_CLIENTS
# closed-loop clients (2) posting NDJSON batches of BENCH_BATCH CDRs
# (10,000) to POST /api/v1/cdrs for BENCH_DURATION seconds (30): parsed,
# resolved, rated on both sides, stored with COPY and committed. Prints the
# sustained CDRs/s and the per-batch latency, then what the database holds.
#
# Needs DIDTRON_TEST_PG{HOST,PORT,USER} (a throw-away PostgreSQL with a
# superuser role) and a build with server/didtrond, tests/bench/gen_deck and
# tests/bench/cdr_post in build/ (or DIDTRON_BUILD_DIR). Extra arguments go
# to cdr_post (e.g. --gzip); BENCH_SERVER_FLAGS to didtrond (e.g.
# "--log-level debug" logs each batch's phases); BENCH_PORT (7582).
# The "cpu_s" line is the CPU time didtrond and its PostgreSQL backends
# used during the measured run: divided by the CDRs, a figure that moves
# less than CDRs/s when other work shares the machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
bench_init cdr_ingest.sh didtron_bench_cdrs var/log/bench-cdrs.log
GEN_DECK="$BUILD/tests/bench/gen_deck"
CDR_POST="$BUILD/tests/bench/cdr_post"
PORT="${BENCH_PORT:-7582}"
DURATION="${BENCH_DURATION:-30}"
BATCH="${BENCH_BATCH:-10000}"
CLIENTS="${BENCH_CLIENTS:-2}"
DECK_ROWS="${BENCH_DECK_ROWS:-100000}"
HOST=127.0.0.1
DECK=var/bench/deck-$DECK_ROWS.csv

bench_need "$DIDTROND" "$GEN_DECK" "$CDR_POST"

bench_fresh_db
DIDTRON_PASSWORD=benchpass123 setup "$DIDTROND" user add bench --role admin --database "$CONNINFO"
[[ -s $DECK ]] || "$GEN_DECK" "$DECK_ROWS" 1 >"$DECK"

# shellcheck disable=SC2086 # the flags are words
bench_serve --demo ${BENCH_SERVER_FLAGS:-}
echo "$pid" >var/bench/didtrond.pid

token=$(bench_login bench benchpass123)

echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "cpus: $(nproc), cpu: $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
echo "postgres: $(sql 'SHOW server_version'), fsync=$(sql 'SHOW fsync'), synchronous_commit=$(sql 'SHOW synchronous_commit'), shared_buffers=$(sql 'SHOW shared_buffers')"
echo "server: $("$DIDTROND" version 2>/dev/null | head -n 1), default settings (4 workers), demo network"
echo

echo "# decks: $DECK_ROWS rows into every plan over POST /api/v1/rating-plans/{id}/rates"
for plan in $(sql "SELECT id FROM rating_plans WHERE deleted_at IS NULL ORDER BY id"); do
    t0=$(date +%s.%N)
    status=$(curl -sS -o "var/bench/import-$plan.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
        -H 'Content-Type: text/csv' -H 'Expect:' --data-binary "@$DECK" \
        "http://$HOST:$PORT/api/v1/rating-plans/$plan/rates?mode=replace&effective_from=2026-01-01T00:00:00Z")
    t1=$(date +%s.%N)
    if [[ $status != 200 ]]; then
        echo "cdr_ingest.sh: import into plan $plan: HTTP $status: $(head -c 300 "var/bench/import-$plan.json")" >&2
        exit 1
    fi
    printf 'plan %s: %s s\n' "$plan" "$(echo "$t1 - $t0" | bc)"
done
echo

ingress_ids=$(sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM interconnects WHERE direction = 'ingress' AND deleted_at IS NULL")
ingress_ips=$(sql "SELECT string_agg(signalling_ips[1], ',' ORDER BY id) FROM interconnects WHERE direction = 'ingress' AND deleted_at IS NULL")
egress=$(sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM interconnects WHERE direction = 'egress' AND supplier_rating_plan_id IS NOT NULL AND deleted_at IS NULL")

# Warm-up (not measured): one short run loads every plan's deck, as a
# server that has been up for a while has them.
"$CDR_POST" --port "$PORT" --token "$token" --deck "$DECK" --ingress-ids "$ingress_ids" --ingress-ips "$ingress_ips" \
    --egress "$egress" --clients 1 --batch 2000 --duration 2 >>"$LOG" 2>&1 || {
    echo "cdr_ingest.sh: warm-up failed; see $LOG" >&2
    exit 1
}

backends=$(sql "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'didtrond/%'")
tick=$(getconf CLK_TCK)
server_cpu0=$(cpu_of "$pid")
# shellcheck disable=SC2086
pg_cpu0=$(cpu_of $backends)

# The ledger's side (issue 6): rated charges are queued with each batch
# and posted by the ledger's ticker; sample the queue every second to see
# whether posting keeps up (a backlog that grows run-long would not).
queue_log=var/bench/ledger-queue.log
: >"$queue_log"
(
    while sleep 1; do
        sql "SELECT count(*) || ' ' || coalesce(sum(calls), 0) FROM ledger_cdr_pending" >>"$queue_log" 2>/dev/null || true
    done
) &
sampler=$!
journals0=$(sql "SELECT count(*) FROM ledger_journals WHERE kind = 'cdr_charges'")

echo "# $CLIENTS clients, closed loop, NDJSON batches of $BATCH CDRs, ${DURATION} s (after a 2 s warm-up that loads the decks)"
failed=0
"$CDR_POST" --port "$PORT" --token "$token" --deck "$DECK" --ingress-ids "$ingress_ids" --ingress-ips "$ingress_ips" \
    --egress "$egress" --clients "$CLIENTS" --batch "$BATCH" --duration "$DURATION" "$@" || failed=1
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
t0=$(date +%s.%N)
for _ in $(seq 1 600); do
    [[ $(sql "SELECT count(*) FROM ledger_cdr_pending") == 0 ]] && break
    sleep 0.1
done
t1=$(date +%s.%N)
journals1=$(sql "SELECT count(*) FROM ledger_journals WHERE kind = 'cdr_charges'")
echo "ledger: queued CDR charges sampled each second: max $(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$queue_log") CDRs" \
     "(last samples: $(tail -n 3 "$queue_log" | awk '{ printf "%s ", $2 }')); drained $(echo "$t1 - $t0" | bc) s after the run;" \
     "$((journals1 - journals0)) cdr_charges journals"
sql "SELECT 'ledger: charged calls=' || coalesce(sum(calls), 0) || ' lines=' || count(*) FROM ledger_cdr_lines"
server_cpu1=$(cpu_of "$pid")
# shellcheck disable=SC2086
pg_cpu1=$(cpu_of $backends)
echo "cpu_s didtrond=$(echo "scale=1; ($server_cpu1 - $server_cpu0) / $tick" | bc) postgres_backends=$(echo "scale=1; ($pg_cpu1 - $pg_cpu0) / $tick" | bc)"
echo
echo "# stored"
sql "SELECT 'cdrs=' || count(*) || ' customer_rated=' || round(100.0 * count(*) FILTER (WHERE customer_rated) / greatest(count(*), 1), 1) || '%'
        || ' supplier_rated=' || round(100.0 * count(*) FILTER (WHERE supplier_rated) / greatest(count(*), 1), 1) || '%'
        || ' with_margin=' || round(100.0 * count(*) FILTER (WHERE margin IS NOT NULL) / greatest(count(*), 1), 1) || '%'
        || ' table=' || pg_size_pretty(pg_total_relation_size('cdrs_' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMM')))
        || ' keys=' || pg_size_pretty(pg_total_relation_size('cdr_keys')) FROM cdrs"
sql "SELECT 'unrated reasons: ' || coalesce(string_agg(reason || ' x' || n, '; '), 'none') FROM
        (SELECT customer_reason AS reason, count(*) AS n FROM cdrs WHERE NOT customer_rated GROUP BY 1 ORDER BY 2 DESC LIMIT 3) r"
if ! kill -0 "$pid" 2>/dev/null; then
    echo "cdr_ingest.sh: didtrond died; see $LOG" >&2
    failed=1
fi
exit "$failed"
