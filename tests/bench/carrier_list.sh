#!/usr/bin/env bash
# Benchmark: carrier.list with 10,000 carriers and 50,000 interconnects.
# Needs DIDTRON_TEST_PG{HOST,PORT,USER} (a throw-away PostgreSQL: run it
# through `scripts/dev bench`) and a plain build in build/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BUILD="${DIDTRON_BUILD_DIR:-build}"
PSQL=(psql -X -q -h "$DIDTRON_TEST_PGHOST" -p "$DIDTRON_TEST_PGPORT" -U "$DIDTRON_TEST_PGUSER")
DB=didtron_bench_lists
CONNINFO="host=$DIDTRON_TEST_PGHOST port=$DIDTRON_TEST_PGPORT user=$DIDTRON_TEST_PGUSER dbname=$DB"
PORT=7581

"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
"$BUILD/server/didtrond" migrate --database "$CONNINFO"
DIDTRON_PASSWORD=benchpass123 "$BUILD/server/didtrond" user add bench --role admin --database "$CONNINFO" >/dev/null
echo "loading 10,000 carriers and 50,000 interconnects"
"${PSQL[@]}" -d "$DB" <<'SQL'
INSERT INTO carriers (name, type, timezone, currencies, account_manager, credit_limit, created_at)
SELECT (ARRAY['Tel','Net','Voice','Com','Link'])[1 + i % 5] || ' Carrier ' || i,
       (ARRAY['customer','supplier','bilateral'])[1 + i % 3], 'UTC', ARRAY['USD'], 'AM ' || (i % 40),
       (i % 997) * 10, now() - make_interval(secs => i)
FROM generate_series(1, 10000) i;
INSERT INTO interconnects (carrier_id, name, direction, currency, signalling_ips)
SELECT c.id, 'IC-' || c.id || '-' || k,
       CASE WHEN c.type = 'customer' THEN 'ingress' WHEN c.type = 'supplier' THEN 'egress'
            ELSE (ARRAY['ingress','egress'])[1 + k % 2] END,
       'USD', ARRAY['192.0.2.' || (k * 40)]
FROM carriers c, generate_series(1, 5) k;
ANALYZE;
SQL
"$BUILD/server/didtrond" serve --database "$CONNINFO" --listen "127.0.0.1:$PORT" >"var/log/bench-lists.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
"$BUILD/tests/bench/bench_carrier_list" --port "$PORT" --user bench --password benchpass123 --requests 2000
