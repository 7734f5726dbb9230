#!/usr/bin/env bash
# Heap allocations per request of the engine in steady state (closed loop, 1 thread), against
# a private nginx. Figures: docs/performance.md.
#
#   bench/alloc_per_request.sh                 SECONDS=4 CONNECTIONS=32 by default
#   SKIP_BUILD=1 bench/alloc_per_request.sh    use the binaries already built
source "$(dirname "$0")/../scripts/lib.sh"
source "$(dirname "$0")/lib.sh"

SECONDS_TO_RUN="${SECONDS_TO_RUN:-4}"
CONNECTIONS="${CONNECTIONS:-32}"
ALLOC_BENCH="$BUILD_DIR/bench/alloc_bench"

bench_build
[ -x "$ALLOC_BENCH" ] || cmake --build "$BUILD_DIR" --target alloc_bench
bench_nginx_start
bench_hardware
cmd=($(bench_client_prefix) "$ALLOC_BENCH" "$NGINX_URL" "$SECONDS_TO_RUN" "$CONNECTIONS")
echo "command:  ${cmd[*]}"
echo
"${cmd[@]}"
