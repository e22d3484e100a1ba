#!/usr/bin/env bash
# Instructions per round trip (realistic events), counted with callgrind: the difference between
# 2,001 round trips and 1, divided by 2,000, so that start-up and event building cancel out.
# Repeatable to the instruction on one machine, whatever else it is doing.
#   bash benches/instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
binary="$(cargo bench --bench instructions --no-run --message-format=json 2>/dev/null |
  sed -n 's/.*"executable":"\([^"]*instructions[^"]*\)".*/\1/p' | tail -1)"
count() { # side source n
  INSTRUCTIONS_SIDE="$1" INSTRUCTIONS_SOURCE="$2" INSTRUCTIONS_N="$3" \
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$binary" 2>&1 |
    sed -n 's/.*refs: *//p' | tr -d ,
}
per_round_trip() { echo $(( ($(count "$1" "$2" 2001) - $(count "$1" "$2" 1)) / 2000 )); }
printf '| Event | floor | tower-lambda | lambda_http | lambda_http ÷ tower-lambda | tower-lambda ÷ floor |\n|---|---|---|---|---|---|\n'
for source in rest_api http_api_v1 http_api_v2 function_url alb alb_multi; do
  floor=$(per_round_trip floor "$source")
  ours=$(per_round_trip tower-lambda "$source")
  theirs=$(per_round_trip lambda_http "$source")
  awk -v s="$source" -v f="$floor" -v o="$ours" -v t="$theirs" \
    'BEGIN { printf "| %s | %d | %d | %d | %.1f× | %.1f× |\n", s, f, o, t, t / o, o / f }'
done
