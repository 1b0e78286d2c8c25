#!/usr/bin/env bash
# Benchmark: ticket.list over 200,000 tickets (500 carriers, 20 agents),
# the filters agents use all day; p50/p99 per query over one WebSocket.
# Needs DIDTRON_TEST_PG{HOST,PORT,USER} (a throw-away PostgreSQL) and a
# plain build (DIDTRON_BUILD_DIR, default build/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
bench_init ticket_list.sh didtron_bench_tickets var/log/bench-tickets.log
PORT="${BENCH_PORT:-7583}"
N="${TICKETS:-200000}"

bench_need "$DIDTROND" "$BUILD/tests/bench/bench_ticket_list"
bench_fresh_db
DIDTRON_PASSWORD=benchpass123 setup "$DIDTROND" user add agent --role support --database "$CONNINFO"
echo "loading $N tickets"
"${PSQL[@]}" -d "$DB" -v n="$N" <<'SQL'
INSERT INTO carriers (name, type, timezone, currencies)
SELECT 'Carrier ' || i, 'customer', 'UTC', ARRAY['USD'] FROM generate_series(1, 500) i;
INSERT INTO users (username, role, password_hash)
SELECT 'agent' || i, 'support', (SELECT password_hash FROM users WHERE username = 'agent') FROM generate_series(1, 19) i;
INSERT INTO users (username, role, carrier_id, password_hash)
SELECT 'customer', 'customer', (SELECT min(id) FROM carriers), password_hash FROM users WHERE username = 'agent';
SELECT setseed(0.42);
-- 40 common support words and 400 rarer ones (w0..w399): a common word is
-- in ~12% of tickets, a rare one in ~0.5%.
CREATE TEMP TABLE vocab AS SELECT array['audio','fax','invoice','latency','dtmf','outage','routing','cli',
  'one-way','jitter','codec','g729','t38','billing','credit','port','sip','trunk','mos','asr','acd','pdd','cdr',
  'rate','deck','prefix','mobile','uk','france','germany','spain','india','nigeria','brazil','usa','canada',
  'timeout','busy','congestion','echo'] AS w;
CREATE TEMP TABLE staff AS SELECT array_agg(id ORDER BY id) AS a FROM users WHERE role = 'support';
CREATE TEMP TABLE gen AS
SELECT i, floor(random() * 40)::int AS w1, floor(random() * 40)::int AS w2, floor(random() * 40)::int AS w3,
       floor(random() * 400)::int AS r1, floor(random() * 400)::int AS r2,
       floor(random() * 8)::int AS st, floor(random() * 5)::int AS pr, floor(random() * 500)::int AS car,
       floor(random() * 22)::int AS ag, random() AS br, random() * 90 * 86400 AS age
FROM generate_series(1, :n) i;
INSERT INTO tickets (number, subject, priority, status, carrier_id, requester_id, assignee_id, tags,
    first_response_due_at, resolution_due_at, first_response_at, resolved_at, closed_at, sla_breached,
    created_at, updated_at, last_at, last_author, last_excerpt, last_internal,
    last_public_at, last_public_author, last_public_excerpt, search_public, search_all)
SELECT 'T-' || lpad(g.i::text, 6, '0'), s.subject,
    (ARRAY['low','normal','normal','high','urgent'])[1 + g.pr],
    x.st,
    (SELECT min(id) FROM carriers) + g.car,
    (SELECT id FROM users WHERE username = 'customer'),
    CASE WHEN g.ag >= 20 THEN NULL ELSE (SELECT a[1 + g.ag] FROM staff) END,
    CASE WHEN g.i % 7 = 0 THEN ARRAY['vip'] WHEN g.i % 11 = 0 THEN ARRAY['billing'] ELSE '{}' END,
    -- open work: 8% overdue, the rest due within the next days
    CASE WHEN g.br < 0.08 THEN now() - interval '2 hours' ELSE now() + make_interval(mins => 60 + g.i % 5000) END,
    CASE WHEN g.br < 0.08 THEN now() - interval '1 hour' ELSE now() + make_interval(mins => 600 + g.i % 9000) END,
    CASE WHEN x.st <> 'new' THEN x.ts + interval '20 minutes' END,
    CASE WHEN x.st IN ('resolved','closed') THEN x.ts + interval '5 hours' END,
    CASE WHEN x.st = 'closed' THEN x.ts + interval '2 days' END,
    g.br < 0.08,
    x.ts, x.ts + interval '3 hours', x.ts, 'agent', left(s.body, 200), false, x.ts, 'agent', left(s.body, 200),
    to_tsvector('simple', s.subject || ' ' || s.body), to_tsvector('simple', s.subject || ' ' || s.body)
FROM gen g
CROSS JOIN LATERAL (SELECT now() - make_interval(secs => g.age) AS ts,
    (ARRAY['new','open','open','pending','resolved','closed','closed','closed'])[1 + g.st] AS st) x
CROSS JOIN LATERAL (SELECT v.w[1 + g.w1] || ' ' || v.w[1 + g.w2] || ' problem w' || g.r1 AS subject,
    'Customer reports ' || v.w[1 + g.w3] || ' and w' || g.r2 || ' since ' || (g.i % 24) || ':00' AS body
    FROM vocab v) s;
-- ticket events as the SLA task would have left them for the overdue ones
INSERT INTO ticket_sla_events (ticket_id, target, due_at, warned_at, breached_at)
SELECT id, CASE WHEN first_response_at IS NULL THEN 'first_response' ELSE 'resolution' END, due_at, due_at, due_at
FROM tickets WHERE sla_breached AND due_at <> 'infinity';
UPDATE ticket_counter SET last = :n;
VACUUM ANALYZE;
SQL
bench_serve --job-workers 0
"$BUILD/tests/bench/bench_ticket_list" --port "$PORT" --user agent --password benchpass123 \
    --customer customer --customer-password benchpass123 --requests "${REQUESTS:-500}" --carriers 500
