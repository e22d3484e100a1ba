#!/usr/bin/env bash
# End to end through `cargo lambda watch`: it turns plain HTTP requests to
# /lambda-url/hello/... into Function URL events for the hello example (running under its
# emulated Runtime API, whose AWS_LAMBDA_RUNTIME_API has a scheme and a path prefix) and the
# responses back into HTTP. Real requests go in; the answers are asserted. An SQS event sent with
# `cargo lambda invoke` reaches the app's events path (TOWER_LAMBDA_EVENTS_PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
log="${1:?usage: cargo-lambda-watch.sh LOG_FILE (outside the crate: watch rebuilds on changes)}"
port="${CARGO_LAMBDA_WATCH_PORT:-9457}"
base="http://127.0.0.1:$port/lambda-url/hello"

cargo lambda watch -p hello -A 127.0.0.1 -P "$port" --env-var TOWER_LAMBDA_EVENTS_PATH=/events > "$log" 2>&1 &
watch=$!
trap 'kill "$watch" 2>/dev/null || true; wait "$watch" 2>/dev/null || true' EXIT

for _ in $(seq 1 600); do
  if curl -fs -o /dev/null "$base/"; then break; fi
  if ! kill -0 "$watch" 2>/dev/null; then cat "$log"; echo "cargo lambda watch exited"; exit 1; fi
  sleep 1
done

fail() { echo "FAILED: $*"; echo "--- cargo lambda watch log:"; tail -50 "$log"; exit 1; }
expect() { # name, expected, actual
  if [ "$2" != "$3" ]; then fail "$1: expected [$2], got [$3]"; fi
  echo "ok - $1"
}

expect "GET /" "Hello from tower-lambda!" "$(curl -fs "$base/")"
expect "path parameter, encoded" "Hello, Wörld!" "$(curl -fs "$base/hello/W%C3%B6rld")"
expect "JSON echo" '{"a":[1,"x"]}' "$(curl -fs -H 'content-type: application/json' -d '{"a":[1,"x"]}' "$base/echo")"

inspected="$(printf '\x00\x01\xfe\xff' | curl -fs -X POST --data-binary @- \
  -H 'content-type: application/octet-stream' -H 'x-repeat: one' -H 'x-repeat: two' \
  -b 'session=abc; theme=dark' "$base/inspect?q=a%26b&tag=x&tag=y&empty=")"
expect "query string as sent" "query=q=a%26b&tag=x&tag=y&empty=" "$(sed -n 1p <<<"$inspected")"
expect "cookies" "cookie=session=abc; theme=dark" "$(sed -n 2p <<<"$inspected")"
# A Function URL joins repeated headers with commas; cargo-lambda's emulation (1.9.2) keeps only
# the first value, so that is what can reach the service here.
repeated="$(sed -n 3p <<<"$inspected")"
case "$repeated" in
  "x-repeat=one,two" | "x-repeat=one") echo "ok - repeated headers ($repeated)" ;;
  *) fail "repeated headers: got [$repeated]" ;;
esac
expect "binary body" "body=4 510" "$(sed -n 4p <<<"$inspected")"

png_magic="$(curl -fs "$base/pixel.png" | head -c 8 | od -An -tx1 | tr -d ' \n')"
expect "binary response" "89504e470d0a1a0a" "$png_magic"
# A non-HTTP event through `cargo lambda invoke`: it reaches POST /events/sqs, whose answer
# (the kind tower-lambda detected) is the invocation's result.
invoked="$(cargo lambda invoke hello -F tests/fixtures/events/sqs.json -A 127.0.0.1 -P "$port" -o json 2>>"$log")" ||
  fail "cargo lambda invoke: $invoked"
kind="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["kind"])' "$invoked" 2>&1)" ||
  fail "cargo lambda invoke answered [$invoked]"
expect "SQS event to /events/sqs" "sqs" "$kind"
echo "cargo lambda watch: 9 passed, 0 failed"
