#!/usr/bin/env bash
# Instructions per round trip (realistic events), counted with callgrind: the difference between
# 2,001 round trips and 1, divided by 2,000, so that start-up and event building cancel out.
# Repeatable to the instruction on one machine, whatever else it is doing.
#   bash benches/instructions.sh           the table: tower-lambda, lambda_http and the floor
#   bash benches/instructions.sh --check   tower-lambda only, against benches/instructions-baseline.txt:
#                                          fails when a source's count is over its baseline by more
#                                          than the budget (3%)
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

if [ "${1:-}" = "--check" ]; then
  budget_percent=3
  failed=0
  printf '| Event | baseline | now | change | within %s%% |\n|---|---|---|---|---|\n' "$budget_percent"
  while read -r source baseline; do
    case "$source" in ''|'#'*) continue ;; esac
    now=$(per_round_trip tower-lambda "$source")
    ok=$(awk -v n="$now" -v b="$baseline" -v p="$budget_percent" 'BEGIN { print (n <= b * (1 + p / 100)) ? "yes" : "NO" }')
    awk -v s="$source" -v n="$now" -v b="$baseline" -v ok="$ok" \
      'BEGIN { printf "| %s | %d | %d | %+.1f%% | %s |\n", s, b, n, (n - b) * 100 / b, ok }'
    [ "$ok" = yes ] || failed=1
  done < benches/instructions-baseline.txt
  if [ "$failed" = 1 ]; then
    echo "instruction budget: a round trip costs more than its baseline allows (see the table)" >&2
    exit 1
  fi
  echo "instruction budget: every source within ${budget_percent}% of its baseline"
  exit 0
fi

printf '| Event | floor | tower-lambda | lambda_http | lambda_http ÷ tower-lambda | tower-lambda ÷ floor |\n|---|---|---|---|---|---|\n'
for source in rest_api http_api_v1 http_api_v2 function_url alb alb_multi; do
  floor=$(per_round_trip floor "$source")
  ours=$(per_round_trip tower-lambda "$source")
  theirs=$(per_round_trip lambda_http "$source")
  awk -v s="$source" -v f="$floor" -v o="$ours" -v t="$theirs" \
    'BEGIN { printf "| %s | %d | %d | %d | %.1f× | %.1f× |\n", s, f, o, t, t / o, o / f }'
done
printf '\n| Event (tower-lambda only) | floor | tower-lambda | tower-lambda ÷ floor |\n|---|---|---|---|\n'
for source in vpc_lattice_v1 vpc_lattice_v2 websocket sqs; do
  floor=$(per_round_trip floor "$source")
  ours=$(per_round_trip tower-lambda "$source")
  awk -v s="$source" -v f="$floor" -v o="$ours" \
    'BEGIN { printf "| %s | %d | %d | %.1f× |\n", s, f, o, o / f }'
done
