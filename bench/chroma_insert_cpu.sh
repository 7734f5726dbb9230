#!/usr/bin/env bash
# The agent's CPU while it drives a real ChromaDB 1.0 at ChromaDB's maximum insert rate
# (issue 4): `vexbench run` inserts COUNT x DIM synthetic vectors in batches of BATCH with
# CONCURRENCY requests in flight (enough to keep ChromaDB busy: the insert rate is ChromaDB's),
# ROUNDS times, each into a fresh collection. Per round it prints the insert rate and the CPU
# share (user + sys, from /proc/PID/stat, in % of one core) of
#   - vexbench (the whole `vexbench run` process: controller, agent and engine in one), and
#   - ChromaDB (the node process that embeds the server),
# both over the same window: from the load phase's first live line to its last one (the
# middle of the phase, so dataset generation before it and the count check after it are left
# out). The whole process's CPU (GNU time, dataset generation included) is printed beside it.
# Goal (issue 4): vexbench <= 10% of one core (median of the rounds). Always exits 0 once the
# rounds ran; prints GOAL MET or GOAL MISSED.
#
#   bench/chroma_insert_cpu.sh                    ROUNDS=3 COUNT=50000 DIM=128 BATCH=1000 CONCURRENCY=4
#   SKIP_BUILD=1 bench/chroma_insert_cpu.sh       use the binaries already built
#   CHROMA_DIR=/path bench/chroma_insert_cpu.sh   a ChromaDB installed there (scripts/lib.sh ensure_chroma)
source "$(dirname "$0")/../scripts/lib.sh"
source "$(dirname "$0")/lib.sh"

ROUNDS="${ROUNDS:-3}"
COUNT="${COUNT:-50000}"
DIM="${DIM:-128}"
BATCH="${BATCH:-1000}"
CONCURRENCY="${CONCURRENCY:-4}"
GOAL_PERCENT=10
for v in ROUNDS COUNT DIM BATCH CONCURRENCY; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "$v: '${!v}'; expected a positive integer" >&2; exit 2; }
done

bench_build
ensure_chroma
VEXBENCH="$(bench_snapshot_vexbench)"
HZ=$(getconf CLK_TCK)

# --- ChromaDB: started here on a free loopback port, stopped with SIGINT (targets.md) ---
CHROMA_PID=""
chroma_stop() {
  [ -n "$CHROMA_PID" ] || return 0
  kill -INT "$CHROMA_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$CHROMA_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$CHROMA_PID" 2>/dev/null || true
  CHROMA_PID=""
}
trap 'chroma_stop; bench_cleanup' EXIT

CHROMA_PORT=$(bench_pick_port)
node "$CHROMA_DIR/node_modules/chromadb/dist/cli.mjs" run --path "$BENCH_TMP/chroma-data" \
  --host 127.0.0.1 --port "$CHROMA_PORT" >"$BENCH_TMP/chroma.log" 2>&1 &
CHROMA_PID=$!
CHROMA_URL="http://127.0.0.1:$CHROMA_PORT"
for _ in $(seq 100); do
  curl -fs "$CHROMA_URL/api/v2/heartbeat" >/dev/null 2>&1 && break
  kill -0 "$CHROMA_PID" 2>/dev/null || { cat "$BENCH_TMP/chroma.log" >&2; exit 1; }
  sleep 0.1
done
curl -fs "$CHROMA_URL/api/v2/heartbeat" >/dev/null || { echo "ChromaDB did not start" >&2; exit 1; }

cat >"$BENCH_TMP/job.yaml" <<EOF
name: chroma-insert-cpu
dataset: {kind: synthetic, count: $COUNT, dim: $DIM, queries: 10, metric: cosine, seed: 1}
targets:
  - {name: chroma, kind: chroma, url: "$CHROMA_URL", collection: vexbench-insert-cpu}
phases:
  - {name: load, op: insert, batch: $BATCH, concurrency: $CONCURRENCY}
EOF
VEX_CMD=("$VEXBENCH" run "$BENCH_TMP/job.yaml" --out "$BENCH_TMP/out" --threads 1)
TIME_CMD=(/usr/bin/time -f "%e %U %S" -o "$BENCH_TMP/time")

echo "== vexbench driving ChromaDB at its maximum insert rate: $COUNT x $DIM, batch $BATCH," \
     "concurrency $CONCURRENCY, $ROUNDS rounds"
echo "host:     $(uname -srm), $(nproc) CPUs online"
echo "cpu:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "memory:   $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "chroma:   $(curl -fs "$CHROMA_URL/api/v2/version"), node $(node --version), $CHROMA_URL"
echo "load avg: $(cut -d' ' -f1-3 /proc/loadavg) (before the run; other work on the host adds noise)"
echo "source:   commit $(git -C "$VEXBENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)," \
     "$(git -C "$VEXBENCH_ROOT" status --short 2>/dev/null | wc -l) files changed or new in the tree"
echo "vexbench: $(printf '%q ' "${TIME_CMD[@]}" "${VEX_CMD[@]}")"
echo "job:      $(tr '\n' ' ' <"$BENCH_TMP/job.yaml")"
echo

now_s() { date +%s.%N; }
# Sum of user+sys ticks of a process, 0 once it is gone.
ticks() {
  local n
  n=$(bench_cpu_ticks "$1" 2>/dev/null || true)
  echo "${n:-0}"
}

# One round; sets R_RATE (vectors/s, the report's) R_VEX R_CHROMA (% of one core over the
# window) R_WINDOW (s) R_WHOLE (% of one core of the whole vexbench process, GNU time).
run_round() {
  local time_pid vex_pid lines seen=0 t0="" v0 c0 t1 v1 c1
  rm -rf "$BENCH_TMP/out"
  : >"$BENCH_TMP/live"
  "${TIME_CMD[@]}" "${VEX_CMD[@]}" >"$BENCH_TMP/run.out" 2>"$BENCH_TMP/live" &
  time_pid=$!
  vex_pid=""
  # The live line of each interval goes to stderr as it ends; sample both processes each time
  # a new "load" line shows (polled every 50 ms).
  while kill -0 "$time_pid" 2>/dev/null; do
    [ -n "$vex_pid" ] || vex_pid=$(pgrep -P "$time_pid" || true)
    lines=$(grep -c '] load ' "$BENCH_TMP/live" || true)
    if [ "$lines" -gt "$seen" ] && [ -n "$vex_pid" ]; then
      local t v c
      t=$(now_s); v=$(ticks "$vex_pid"); c=$(ticks "$CHROMA_PID")
      if [ "$v" -gt 0 ]; then  # 0: vexbench is gone already; keep the last sample
        t1=$t; v1=$v; c1=$c
        if [ -z "$t0" ]; then t0=$t; v0=$v; c0=$c; fi
      fi
      seen=$lines
    fi
    sleep 0.05
  done
  wait "$time_pid" || { cat "$BENCH_TMP/run.out" "$BENCH_TMP/live" >&2; return 1; }
  [ -n "$t0" ] && [ "$seen" -ge 3 ] || { echo "the load phase was too short to measure; raise COUNT" >&2; return 1; }
  R_WINDOW=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  R_VEX=$(awk -v d="$((v1 - v0))" -v w="$R_WINDOW" -v hz="$HZ" 'BEGIN { printf "%.1f", 100 * d / hz / w }')
  R_CHROMA=$(awk -v d="$((c1 - c0))" -v w="$R_WINDOW" -v hz="$HZ" 'BEGIN { printf "%.1f", 100 * d / hz / w }')
  R_WHOLE=$(awk '{ printf "%.1f", 100 * ($2 + $3) / $1 }' "$BENCH_TMP/time")
  R_RATE=$(awk '/items\/s/ { for (i = 1; i <= NF; ++i) if ($i == "items/s;") print $(i - 1) }' "$BENCH_TMP/run.out")
  grep -q "count after the phase $COUNT" "$BENCH_TMP/run.out" ||
    { echo "ChromaDB did not count $COUNT vectors after the load:" >&2; cat "$BENCH_TMP/run.out" >&2; return 1; }
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-6s %12s %9s %14s %14s %18s\n' round "vectors/s" "window s" "vexbench %cpu" "chroma %cpu" "vexbench whole %"
VEX_ALL=""; CHROMA_ALL=""; RATE_ALL=""
for round in $(seq "$ROUNDS"); do
  run_round
  printf '%-6s %12s %9s %14s %14s %18s\n' "$round" "$R_RATE" "$R_WINDOW" "$R_VEX" "$R_CHROMA" "$R_WHOLE"
  VEX_ALL+="$R_VEX"$'\n'; CHROMA_ALL+="$R_CHROMA"$'\n'; RATE_ALL+="$R_RATE"$'\n'
done
VEX_MED=$(printf '%s' "$VEX_ALL" | median)
echo
echo "median: $(printf '%s' "$RATE_ALL" | median) vectors/s; vexbench $VEX_MED% of one core," \
     "ChromaDB $(printf '%s' "$CHROMA_ALL" | median)% (CPU over the same window, /proc/PID/stat)"
if awk -v v="$VEX_MED" -v g="$GOAL_PERCENT" 'BEGIN { exit !(v <= g) }'; then
  echo "GOAL MET: vexbench's CPU <= $GOAL_PERCENT% of one core while ChromaDB inserts at its maximum rate"
else
  echo "GOAL MISSED: vexbench's CPU > $GOAL_PERCENT% of one core"
fi
