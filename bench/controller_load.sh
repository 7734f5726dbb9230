#!/usr/bin/env bash
# The controller's cost with many agents: 100 simulated agents on real gRPC streams, each
# sending a 1 s interval with 3 HdrHistogram series, for 30 s. Prints the controller's CPU share
# of one core, its RSS, and whether every request sent was merged. Goal: <= 5% of one core.
# Usage: bench/controller_load.sh [AGENTS] [SECONDS]
source "$(dirname "$0")/../scripts/lib.sh"
ensure_packages
build_vexbench
agents="${1:-100}"
seconds="${2:-30}"
work="$(mktemp -d /tmp/vexbench-controller-load-XXXXXX)"
"$BUILD_DIR/controller/vexbench" controller --listen 127.0.0.1:0 --data "$work/data" \
  > "$work/controller.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q "listening on" "$work/controller.log" && break; sleep 0.1; done
addr=$(grep -o "listening on [0-9.]*:[0-9]*" "$work/controller.log" | awk '{print $3}')
echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "command: bench/controller_load.sh $agents $seconds"
"$BUILD_DIR/bench/controller_load" --controller "$addr" --controller-pid "$pid" \
  --agents "$agents" --seconds "$seconds" --series 3
