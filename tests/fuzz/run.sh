#!/usr/bin/env bash
# tests/fuzz/run.sh [OUT_DIR] - build the fuzz targets with clang (libFuzzer,
# ASan, UBSan) into OUT_DIR (default build-fuzz/) and run each for
# FUZZ_SECONDS (default 30). Exits non-zero when a target crashes, leaks,
# trips a sanitizer or cannot be built; the input that did it is left in
# OUT_DIR/crash-*.
#
# Outside meson on purpose: gcc has no libFuzzer. Each target is compiled
# from its source plus the common/ and server/rating/ files it needs.
# The seeds in tests/fuzz/corpus/{deck,cdr,oxr,sip} are read, never written; what
# the fuzzer finds goes to OUT_DIR/corpus-*.
#
# Environment: FUZZ_SECONDS (30), CLANG (clang). One process per target,
# one target after the other.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"
OUT="${1:-build-fuzz}"
SECONDS_EACH="${FUZZ_SECONDS:-30}"
CLANG="${CLANG:-clang}"

if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "run.sh: $CLANG not found (scripts/dev test --fuzz installs clang and libclang-rt-14-dev)" >&2
    exit 1
fi
if [[ ! $SECONDS_EACH =~ ^[0-9]+$ ]] || ((SECONDS_EACH < 1)); then
    echo "run.sh: FUZZ_SECONDS must be a whole number of seconds, not '$SECONDS_EACH'" >&2
    exit 1
fi
mkdir -p "$OUT"

# shellcheck disable=SC2054 # the commas are -fsanitize's, not separators
CFLAGS=(-g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer -Icommon -Iserver/rating -Iserver/fx -Iserver/monitor)
COMMON=(common/money.c common/timeutil.c common/validate.c)
RATING=(server/rating/tariff.c server/rating/time_class.c server/rating/prefix_index.c
    server/rating/deck_csv.c server/rating/cdr_parse.c)
FX=(server/fx/oxr.c)
SIP=(server/monitor/sip_options.c)
LIBS=(-ljansson -lz -lpthread)

# target name -> corpus name
declare -A TARGETS=([fuzz_deck_csv]=deck [fuzz_cdr]=cdr [fuzz_oxr]=oxr [fuzz_sip_options]=sip)

failed=0
for target in fuzz_deck_csv fuzz_cdr fuzz_oxr fuzz_sip_options; do
    corpus="${TARGETS[$target]}"
    echo "==> building $OUT/$target"
    if ! "$CLANG" "${CFLAGS[@]}" -o "$OUT/$target" "tests/fuzz/$target.c" "${COMMON[@]}" "${RATING[@]}" "${FX[@]}" "${SIP[@]}" "${LIBS[@]}"; then
        echo "run.sh: $target does not build" >&2
        failed=1
        continue
    fi
    mkdir -p "$OUT/corpus-$corpus"
    echo "==> running $target for ${SECONDS_EACH} s"
    if ASAN_OPTIONS="detect_leaks=1:abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
        "$OUT/$target" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$OUT/crash-$corpus-" \
        "$OUT/corpus-$corpus" "tests/fuzz/corpus/$corpus" >"$OUT/$target.log" 2>&1; then
        grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+[[:space:]]+DONE)' "$OUT/$target.log" || true
        echo "==> $target: no crash in ${SECONDS_EACH} s"
    else
        echo "run.sh: $target failed; last lines of $OUT/$target.log:" >&2
        tail -n 40 "$OUT/$target.log" >&2
        failed=1
    fi
done
exit "$failed"
