#!/usr/bin/env bash
# Benchmark: kb.search and kb.suggest (issue 9, docs/kb.md) over BENCH_KB
# (10,000) generated articles: 90 % published, 80 % public, bodies of
# 150-400 words, each a word of a 42-word support vocabulary with
# probability BENCH_KB_DENSITY (0.04: a given vocabulary word is in about
# a quarter of the articles) or else one of 52 filler words, titles of
# three vocabulary words, two tags. BENCH_KB_DENSITY=0.15 is the crowded
# case (each vocabulary word in about 70 % of the articles). Latency is measured one request at a
# time over one WebSocket by bench_kb_search, as a support agent (who sees
# every article, drafts too: the larger result sets) and as a customer
# (published public articles only).
#
# Needs DIDTRON_TEST_PG{HOST,PORT,USER} (a PostgreSQL with a superuser role)
# and a build in build/ (or DIDTRON_BUILD_DIR; use a release build for
# figures). Knobs: BENCH_KB (10000), REQUESTS (2000), BENCH_PORT (7686).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
bench_init kb_search.sh didtron_bench_kb var/log/bench-kb.log
PORT="${BENCH_PORT:-7686}"
N="${BENCH_KB:-10000}"
DENSITY="${BENCH_KB_DENSITY:-0.04}"
bench_need "$DIDTROND" "$BUILD/tests/bench/bench_kb_search"

bench_fresh_db
DIDTRON_PASSWORD=benchpass123 setup "$DIDTROND" user add agent --role support --database "$CONNINFO"
echo "loading $N articles"
start=$(date +%s.%N)
"${PSQL[@]}" -d "$DB" -v n="$N" -v density="$DENSITY" >>"$LOG" 2>&1 <<'SQL'
INSERT INTO carriers (name, type, timezone, currencies) VALUES ('KB Carrier', 'customer', 'UTC', ARRAY['USD']);
INSERT INTO users (username, role, carrier_id, password_hash)
SELECT 'customer', 'customer', (SELECT min(id) FROM carriers), password_hash FROM users WHERE username = 'agent';
CREATE TEMP TABLE vocab AS SELECT
  array['trunk','codec','invoice','balance','routing','latency','jitter','registration','failover','fax',
        'audio','dtmf','prefix','rate','deck','carrier','payment','topup','credit','alert','cdr',
        'billing','sip','rtp','nat','firewall','capacity','cps','asr','acd','pdd','termination',
        'origination','did','number','porting','kyc','password','login','api','webhook','report'] AS w,
  array['the','customer','should','check','that','when','calls','are','configured','with','settings','then',
        'make','sure','you','open','portal','page','and','look','at','value','shown','for','each','interconnect',
        'if','it','still','fails','contact','support','team','this','usually','means','a','problem','in','your',
        'network','or','on','side','of','provider','we','recommend','testing','again','after','minutes'] AS f,
  array['sip','billing','routing','quality','account','numbers'] AS c;
INSERT INTO kb_articles (title, body, category, tags, state, audience, author)
SELECT initcap(v.w[1 + (i * 7) % 42] || ' ' || v.w[1 + (i * 13) % 42] || ' ' || v.w[1 + (i * 31) % 42]) || ' ' || i,
       (SELECT string_agg(CASE WHEN random() < :density THEN v.w[1 + floor(random() * 42)::int]
                               ELSE v.f[1 + floor(random() * 52)::int] END, ' ' ORDER BY g)
          FROM generate_series(1, 150 + i % 251) g),
       v.c[1 + i % 6],
       ARRAY[v.w[1 + (i * 3) % 42], v.w[1 + (i * 11) % 42]],
       CASE WHEN i % 10 = 0 THEN 'draft' ELSE 'published' END,
       CASE WHEN i % 5 = 0 THEN 'internal' ELSE 'public' END,
       'agent'
  FROM generate_series(1, :n) i, vocab v;
VACUUM ANALYZE kb_articles;
SQL
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v n="$N" 'BEGIN { printf "loaded %d articles in %.1f s\n", n, e - s }'
sql "SELECT 'table+index size: ' || pg_size_pretty(pg_total_relation_size('kb_articles'))"

bench_serve --job-workers 0
echo "date=$(date -u +%F) cpus=$(nproc) articles=$N density=$DENSITY"
echo "as support (every article):"
"$BUILD/tests/bench/bench_kb_search" --port "$PORT" --user agent --password benchpass123 --requests "${REQUESTS:-2000}"
echo "as a customer (published public only):"
"$BUILD/tests/bench/bench_kb_search" --port "$PORT" --user customer --password benchpass123 --requests "${REQUESTS:-2000}"
