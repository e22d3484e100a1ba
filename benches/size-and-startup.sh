#!/usr/bin/env bash
# Stripped release size of the hello example and of the same app on lambda_http, and the time
# from process start to the first `GET /next` for each (median of 9), measured in one run.
#   bash benches/size-and-startup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
target="$(realpath -m "${CARGO_TARGET_DIR:-target}")"
cargo build --release -p hello
(cd benches/compare/hello-lambda-http && CARGO_TARGET_DIR="$target/compare" cargo build --release)
ours="$target/release/hello"
theirs="$target/compare/release/hello-lambda-http"
printf '| Binary | Stripped size (bytes) |\n|---|---|\n'
printf '| hello (tower-lambda) | %s |\n' "$(stat -c %s "$ours")"
printf '| hello (lambda_http) | %s |\n' "$(stat -c %s "$theirs")"
E2E_INVOCATIONS="${E2E_INVOCATIONS:-20000}" E2E_STARTUP_BINARIES="$ours,$theirs" cargo bench --bench e2e
