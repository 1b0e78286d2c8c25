#!/usr/bin/env bash
# Benchmark: GET /api/v1/route over loopback keep-alive (issue 7).
#
# The network: didtrond in demo mode (8 customer services on three retail
# plans, 8 supplier plans with 16 egress interconnects) plus 4 more egress
# interconnects made with interconnect.create, so 20 suppliers. Every
# rating plan gets the same generated deck (gen_deck, BENCH_DECK_ROWS rows,
# 100,000 by default) through POST /api/v1/rating-plans/{id}/rates. The
# demo's routing plan "Global LCR" then gets one entry per deck prefix
# (100,000), each listing the 20 egress interconnects with priorities and
# weights: written with one SQL INSERT ... SELECT (100,000
# routing_plan.entry.set calls would take minutes and measure nothing the
# benchmark is about), then the plan's version is bumped so the server
# rebuilds its route index as after any change. The customers are made
# postpaid with a limit no run reaches (SQL), so no lookup is refused for
# credit. didtrond runs with --route-allow-ips 127.0.0.1 (no token).
#
# Then route_http runs BENCH_CLIENTS closed-loop clients (default "1 4 16"),
# each with one keep-alive connection, for BENCH_DURATION seconds (20) per
# run: GET /api/v1/route?service_id=..&caller=..&callee=.. with a random
# service and a callee under a random entry. Prints lookups/s, latency
# p50/p99/p99.9/max, errors, and the CPU seconds didtrond and its
# PostgreSQL backends used per run.
#
# Needs DIDTRON_TEST_PG{HOST,PORT,USER} (a throw-away PostgreSQL with a
# superuser role) and a build with server/didtrond, tests/bench/gen_deck and
# tests/bench/route_http in build/ (or DIDTRON_BUILD_DIR; use a release or
# debugoptimized build). BENCH_SERVER_FLAGS go to didtrond (e.g.
# "--workers 8"); BENCH_PORT (7590).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
bench_init route_http.sh didtron_bench_route var/log/bench-route.log
GEN_DECK="$BUILD/tests/bench/gen_deck"
ROUTE_HTTP="$BUILD/tests/bench/route_http"
PORT="${BENCH_PORT:-7590}"
DURATION="${BENCH_DURATION:-20}"
CLIENTS="${BENCH_CLIENTS:-1 4 16}"
DECK_ROWS="${BENCH_DECK_ROWS:-100000}"
HOST=127.0.0.1
DECK=var/bench/deck-$DECK_ROWS.csv
PREFIXES=var/bench/route-prefixes.txt

bench_need "$DIDTROND" "$GEN_DECK" "$ROUTE_HTTP"

bench_fresh_db
DIDTRON_PASSWORD=benchpass123 setup "$DIDTROND" user add bench --role admin --database "$CONNINFO"
[[ -s $DECK ]] || "$GEN_DECK" "$DECK_ROWS" 1 >"$DECK"

# shellcheck disable=SC2086 # the flags are words
bench_serve --demo ${BENCH_SERVER_FLAGS:-} --route-allow-ips 127.0.0.1

token=$(bench_login bench benchpass123)
rpc() {
    local out
    out=$(curl -fsS "http://$HOST:$PORT/rpc" -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
        -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}")
    if [[ $out == *'"error"'* ]]; then
        echo "route_http.sh: $1: $out" >&2
        exit 1
    fi
    echo "$out" >>"$LOG"
}

echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "cpus: $(nproc), cpu: $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
echo "postgres: $(sql 'SHOW server_version'), fsync=$(sql 'SHOW fsync'), shared_buffers=$(sql 'SHOW shared_buffers')"
echo "server: $("$DIDTROND" version 2>/dev/null | head -n 1), flags: ${BENCH_SERVER_FLAGS:-none}, build: $BUILD"

# Four more egress interconnects (two suppliers get a third and a fourth): 20 in all.
for name in iBasis Lumen-Voice; do
    carrier=$(sql "SELECT id FROM carriers WHERE replace(name, ' ', '-') = '$name'")
    splan=$(sql "SELECT supplier_rating_plan_id FROM interconnects WHERE carrier_id = $carrier AND direction = 'egress' LIMIT 1")
    cur=$(sql "SELECT currency FROM interconnects WHERE carrier_id = $carrier AND direction = 'egress' LIMIT 1")
    for k in 3 4; do
        rpc interconnect.create "{\"carrier_id\":$carrier,\"name\":\"${name^^}-OUT-$k\",\"direction\":\"egress\",\"currency\":\"$cur\",
            \"signalling_ips\":[\"192.0.2.$((200 + k))\"],\"supplier_rating_plan_id\":$splan,\"capacity\":200,
            \"egress_routing\":{\"send_to_ips\":[\"192.0.2.$((200 + k))\"],\"transport\":\"udp\"}}"
    done
done

echo "# decks: $DECK_ROWS rows into every rating plan over POST /api/v1/rating-plans/{id}/rates"
t0=$(date +%s.%N)
for plan in $(sql "SELECT id FROM rating_plans WHERE deleted_at IS NULL ORDER BY id"); do
    status=$(curl -sS -o "var/bench/import-$plan.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
        -H 'Content-Type: text/csv' -H 'Expect:' --data-binary "@$DECK" \
        "http://$HOST:$PORT/api/v1/rating-plans/$plan/rates?mode=replace&effective_from=2026-01-01T00:00:00Z")
    if [[ $status != 200 ]]; then
        echo "route_http.sh: import into plan $plan: HTTP $status: $(head -c 300 "var/bench/import-$plan.json")" >&2
        exit 1
    fi
done
echo "imported into $(sql "SELECT count(*) FROM rating_plans WHERE deleted_at IS NULL") plans in $(echo "$(date +%s.%N) - $t0" | bc) s"

# The routing plan: one entry per deck prefix, the 20 egress interconnects
# each (priority 1..20 in a per-entry rotation, weights 1..20), by SQL.
plan=$(sql "SELECT id FROM routing_plans WHERE deleted_at IS NULL ORDER BY id LIMIT 1")
retail=$(sql "SELECT min(rating_plan_id) FROM services WHERE deleted_at IS NULL")
t0=$(date +%s.%N)
setup "${PSQL[@]}" -d "$DB" -c "DELETE FROM routing_plan_entries WHERE routing_plan_id = $plan" -c "
    WITH ics AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k, count(*) OVER () AS n
                   FROM interconnects WHERE direction = 'egress' AND deleted_at IS NULL),
         pfx AS (SELECT DISTINCT prefix FROM rates WHERE rating_plan_id = $retail)
    INSERT INTO routing_plan_entries (routing_plan_id, prefix, routes)
    SELECT $plan, p.prefix,
           (SELECT jsonb_agg(jsonb_build_object('interconnect_id', i.id,
                                                'priority', 1 + (i.k + abs(hashtext(p.prefix))) % i.n,
                                                'weight', 1 + i.k) ORDER BY i.id)
              FROM ics i)
      FROM pfx p" \
    -c "UPDATE routing_plans SET version = version + 1 WHERE id = $plan" \
    -c "UPDATE services SET routing_plan_id = $plan, routing_method = 'routing_plan' WHERE deleted_at IS NULL" \
    -c "UPDATE carriers SET customer_credit_type = 'postpaid', credit_limit = 1000000000, spend_limit_24h = NULL"
# That was SQL behind didtrond's back (its lookup snapshot holds services,
# plans' versions and credit settings, docs/routing.md): start it again so
# it reads the network as it now is.
bench_stop
bench_serve --demo ${BENCH_SERVER_FLAGS:-} --route-allow-ips 127.0.0.1
echo "routing plan $plan: $(sql "SELECT count(*) FROM routing_plan_entries WHERE routing_plan_id = $plan") entries," \
     "$(sql "SELECT jsonb_array_length(routes) FROM routing_plan_entries WHERE routing_plan_id = $plan LIMIT 1") routes each," \
     "written by SQL in $(echo "$(date +%s.%N) - $t0" | bc) s"
sql "SELECT prefix FROM routing_plan_entries WHERE routing_plan_id = $plan" >"$PREFIXES"
services=$(sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM services WHERE deleted_at IS NULL AND status = 'active'")
echo "services: $services"

tick=$(getconf CLK_TCK)

# Warm-up (not measured): loads the route index and every deck, as a
# server that has been up for a while has them. The first lookup loads them
# all one after the other (a few seconds on a busy machine: longer than
# libwebsockets' 5 s HTTP timeout, which then drops it), so ask once per
# service until an answer comes back, then run the warm-up clients.
t0=$(date +%s.%N)
first_callee=$(head -n 1 "$PREFIXES")0000000
for svc in ${services//,/ }; do
    for _ in $(seq 1 30); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
            "http://127.0.0.1:$PORT/api/v1/route?service_id=$svc&caller=441632960000&callee=$first_callee" || true)
        [[ $code == 200 ]] && break
        sleep 1
    done
done
"$ROUTE_HTTP" --port "$PORT" --prefixes "$PREFIXES" --services "$services" --clients 2 --duration 3 >>"$LOG" 2>&1 || {
    echo "route_http.sh: warm-up failed; see $LOG" >&2
    tail -n 5 "$LOG" >&2
    exit 1
}
echo "warm-up (route index and decks loaded): $(echo "$(date +%s.%N) - $t0" | bc) s"
echo

failed=0
for n in $CLIENTS; do
    backends=$(sql "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'didtrond/%'")
    s0=$(cpu_of "$pid")
    # shellcheck disable=SC2086
    p0=$(cpu_of $backends)
    "$ROUTE_HTTP" --port "$PORT" --prefixes "$PREFIXES" --services "$services" --clients "$n" \
        --duration "$DURATION" --seed "$n" || failed=1
    s1=$(cpu_of "$pid")
    # shellcheck disable=SC2086
    p1=$(cpu_of $backends)
    echo "  cpu_s didtrond=$(echo "scale=1; ($s1 - $s0) / $tick" | bc) postgres_backends=$(echo "scale=1; ($p1 - $p0) / $tick" | bc)" \
         "load_average=$(cut -d' ' -f1-3 /proc/loadavg)"
done
if ! kill -0 "$pid" 2>/dev/null; then
    echo "route_http.sh: didtrond died; see $LOG" >&2
    failed=1
fi
exit "$failed"
