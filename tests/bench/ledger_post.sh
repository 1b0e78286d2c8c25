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

# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
bench_init ledger_post.sh didtron_bench_ledger var/log/bench-ledger.log
BENCH="$BUILD/tests/bench/bench_ledger_post"
DURATION="${BENCH_DURATION:-10}"
CONNECTIONS="${BENCH_CONNECTIONS:-1 4 16 64}"
PORT="${BENCH_PORT:-7683}"
WORKERS=()
if [[ -n ${BENCH_WORKERS:-} ]]; then
    WORKERS=(--workers "$BENCH_WORKERS")
fi

bench_need "$DIDTROND" "$BENCH"
bench_fresh_db
DIDTRON_PASSWORD=benchpass123 setup "$DIDTROND" user add bench --role admin --database "$CONNINFO"
first=$(sql "
    INSERT INTO carriers (name, type, timezone, currencies, customer_credit_type, credit_limit)
    SELECT 'Bench Carrier ' || i, 'customer', 'UTC', ARRAY['USD'], 'postpaid', 1000000000
      FROM generate_series(1, 64) i RETURNING id" | head -n 1)

bench_serve "${WORKERS[@]}"
token=$(bench_login bench benchpass123)

echo "date=$(date -u +%F) cpus=$(nproc) workers=${BENCH_WORKERS:-default} duration_s=$DURATION"
for n in $CONNECTIONS; do
    "$BENCH" --port "$PORT" --token "$token" --first-carrier "$first" --carriers 64 --connections "$n" \
        --duration "$DURATION" --run "c$n"
done

echo "books after the runs:"
sql "
    SELECT 'journals=' || (SELECT count(*) FROM ledger_journals)
        || ' entries=' || (SELECT count(*) FROM ledger_entries)
        || ' currencies_not_zero=' || (SELECT count(*) FROM (SELECT currency FROM ledger_entries GROUP BY 1
                                                           HAVING sum(amount) <> 0) x)
        || ' cache_mismatches=' || (SELECT count(*) FROM ledger_accounts a WHERE a.balance <>
                                     (SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e WHERE e.account_id = a.id))
        || ' audit_rows=' || (SELECT count(*) FROM audit_log WHERE entity = 'ledger_journal')"
