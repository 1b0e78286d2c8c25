#!/usr/bin/env bash
# Benchmark: carrier.list with 10,000 carriers and 50,000 interconnects.
# Needs DIDTRON_TEST_PG{HOST,PORT,USER} (a throw-away PostgreSQL: run it
# through `scripts/dev bench`) and a plain build in build/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
bench_init carrier_list.sh didtron_bench_lists var/log/bench-lists.log
PORT=7581

bench_need "$DIDTROND" "$BUILD/tests/bench/bench_carrier_list"
bench_fresh_db
DIDTRON_PASSWORD=benchpass123 setup "$DIDTROND" user add bench --role admin --database "$CONNINFO"
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
bench_serve
"$BUILD/tests/bench/bench_carrier_list" --port "$PORT" --user bench --password benchpass123 --requests 2000
