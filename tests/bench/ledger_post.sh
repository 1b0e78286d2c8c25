#!/usr/bin/env bash
# Benchmark: independent ledger postings over RPC (issue 6). 64 customer
# carriers (postpaid, a limit no run reaches) are loaded with SQL; then
# bench_ledger_post runs closed loops from 1, 4, 16 and 64 WebSocket
# connections, each posting to its own carrier (a top-up, then a charge,
# new idempotency key each), and the books are checked afterwards: every
# journal counted, the trial balance zero, every cached balance equal to
# the sum of its entries.
#
# Needs DIDTRON_TEST_PG{HOST,PORT,USER} (a PostgreSQL with a superuser
# role) and a plain build in build/ (or DIDTRON_BUILD_DIR). Knobs:
# BENCH_DURATION (seconds per run, 10), BENCH_CONNECTIONS ("1 4 16 64"),
# BENCH_WORKERS (didtrond workers, its default when empty), BENCH_PORT (7683).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

: "${DIDTRON_TEST_PGHOST:?set DIDTRON_TEST_PGHOST}"
: "${DIDTRON_TEST_PGPORT:?set DIDTRON_TEST_PGPORT}"
: "${DIDTRON_TEST_PGUSER:?set DIDTRON_TEST_PGUSER}"

BUILD="${DIDTRON_BUILD_DIR:-build}"
DIDTROND="$BUILD/server/didtrond"
BENCH="$BUILD/tests/bench/bench_ledger_post"
DURATION="${BENCH_DURATION:-10}"
CONNECTIONS="${BENCH_CONNECTIONS:-1 4 16 64}"
PORT="${BENCH_PORT:-7683}"
DB=didtron_bench_ledger
CONNINFO="host=$DIDTRON_TEST_PGHOST port=$DIDTRON_TEST_PGPORT user=$DIDTRON_TEST_PGUSER dbname=$DB"
PSQL=(psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$DIDTRON_TEST_PGHOST" -p "$DIDTRON_TEST_PGPORT" -U "$DIDTRON_TEST_PGUSER")
LOG=var/log/bench-ledger.log
WORKERS=()
if [[ -n ${BENCH_WORKERS:-} ]]; then
    WORKERS=(--workers "$BENCH_WORKERS")
fi

for f in "$DIDTROND" "$BENCH"; do
    if [[ ! -x $f ]]; then
        echo "ledger_post.sh: $f is missing; build first" >&2
        exit 1
    fi
done
mkdir -p var/log
: >"$LOG"

"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >>"$LOG" 2>&1
"$DIDTROND" migrate --database "$CONNINFO" >>"$LOG" 2>&1
DIDTRON_PASSWORD=benchpass123 "$DIDTROND" user add bench --role admin --database "$CONNINFO" >>"$LOG" 2>&1
first=$("${PSQL[@]}" -d "$DB" -c "
    INSERT INTO carriers (name, type, timezone, currencies, customer_credit_type, credit_limit)
    SELECT 'Bench Carrier ' || i, 'customer', 'UTC', ARRAY['USD'], 'postpaid', 1000000000
      FROM generate_series(1, 64) i RETURNING id" | head -n 1)

"$DIDTROND" serve --database "$CONNINFO" --listen "127.0.0.1:$PORT" "${WORKERS[@]}" >>"$LOG" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT
up=0
for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
        up=1
        break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if ((!up)); then
    echo "ledger_post.sh: didtrond did not come up on 127.0.0.1:$PORT; see $LOG" >&2
    tail -n 5 "$LOG" >&2
    exit 1
fi
token=$(curl -fsS -X POST "http://127.0.0.1:$PORT/rpc" -H 'Content-Type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"auth.login","params":{"username":"bench","password":"benchpass123"}}' |
    sed -n 's/.*"token" *: *"\([0-9a-f]*\)".*/\1/p')
if [[ -z $token ]]; then
    echo "ledger_post.sh: cannot log in; see $LOG" >&2
    exit 1
fi

echo "date=$(date -u +%F) cpus=$(nproc) workers=${BENCH_WORKERS:-default} duration_s=$DURATION"
for n in $CONNECTIONS; do
    "$BENCH" --port "$PORT" --token "$token" --first-carrier "$first" --carriers 64 --connections "$n" \
        --duration "$DURATION" --run "c$n"
done

echo "books after the runs:"
"${PSQL[@]}" -d "$DB" -c "
    SELECT 'journals=' || (SELECT count(*) FROM ledger_journals)
        || ' entries=' || (SELECT count(*) FROM ledger_entries)
        || ' currencies_not_zero=' || (SELECT count(*) FROM (SELECT currency FROM ledger_entries GROUP BY 1
                                                           HAVING sum(amount) <> 0) x)
        || ' cache_mismatches=' || (SELECT count(*) FROM ledger_accounts a WHERE a.balance <>
                                     (SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e WHERE e.account_id = a.id))
        || ' audit_rows=' || (SELECT count(*) FROM audit_log WHERE entity = 'ledger_journal')"
