#!/usr/bin/env bash
# vexbench against wrk on the same private nginx: 1 thread, 32 connections, closed loop, for
# DURATION each, alternated ROUNDS times (the order flips every round so that a drift of the
# host favours neither tool). Prints each round and the median ratios vexbench/wrk of
#   - requests per second (each tool's own count over its own measured duration), and
#   - requests per CPU-second of the load generator (user + sys of the whole process, from
#     GNU time, so setup and teardown count for both tools: for vexbench that is parsing the
#     job, the 50 ms start barrier (asleep), and writing report.json and the .hlog files).
# Goal (issue 2): both ratios >= 1.0. Always exits 0 once the rounds ran; prints GOAL MET or
# GOAL MISSED per goal.
#
#   bench/http_vs_wrk.sh                        ROUNDS=3 DURATION=5s by default
#   ROUNDS=5 DURATION=10s bench/http_vs_wrk.sh
#   BENCH_PIN=1 bench/http_vs_wrk.sh            nginx on CPU 0, the load generator on CPU 1
#   SKIP_BUILD=1 bench/http_vs_wrk.sh           use the binaries already built
# Each run waits for an idle host first (bench_wait_quiet); a round during which other
# processes used more than MAX_OTHER (10) % of a CPU is run again, up to ATTEMPTS (3) times.
source "$(dirname "$0")/../scripts/lib.sh"
source "$(dirname "$0")/lib.sh"

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-5s}"
CONNECTIONS=32
MAX_OTHER="${MAX_OTHER:-10}"   # % of one CPU other processes may use before a round is noisy
ATTEMPTS="${ATTEMPTS:-3}"      # a noisy round is run again, at most this many times in all
[[ "$DURATION" =~ ^[0-9]+s$ ]] || { echo "DURATION: '$DURATION'; expected whole seconds, e.g. 5s" >&2; exit 2; }
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS: '$ROUNDS'; expected a positive integer" >&2; exit 2; }

bench_build
REPORT_FIELDS="$BUILD_DIR/bench/report_fields"
[ -x "$REPORT_FIELDS" ] || cmake --build "$BUILD_DIR" --target report_fields
VEXBENCH="$(bench_snapshot_vexbench)"
bench_nginx_start
CLK_TCK=$(getconf CLK_TCK)
read -r -a CLIENT <<<"$(bench_client_prefix)"

cat >"$BENCH_TMP/job.yaml" <<EOF
name: http-vs-wrk
targets:
  - {name: web, kind: http, url: "$NGINX_URL"}
phases:
  - {name: closed, op: request, concurrency: $CONNECTIONS, duration: $DURATION}
EOF
WRK_CMD=("${CLIENT[@]}" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$NGINX_URL")
VEX_CMD=("${CLIENT[@]}" "$VEXBENCH" run "$BENCH_TMP/job.yaml" --out "$BENCH_TMP/out" --threads 1 --quiet)
TIME_CMD=(/usr/bin/time -f "%e %U %S" -o "$BENCH_TMP/time")

echo "== vexbench vs wrk: closed loop, 1 thread, $CONNECTIONS connections, $DURATION, $ROUNDS rounds"
bench_hardware
echo "binary:   $(bench_vexbench_bin), run from a copy: $VEXBENCH"
echo "wrk:      $(printf '%q ' "${TIME_CMD[@]}" "${WRK_CMD[@]}")"
echo "vexbench: $(printf '%q ' "${TIME_CMD[@]}" "${VEX_CMD[@]}")"
echo "job:      $(tr '\n' ' ' <"$BENCH_TMP/job.yaml")"
echo

# Runs one tool; sets R_REQ R_RPS R_WALL R_USER R_SYS R_P50 R_P99 (ms) R_ERR R_NGINX_CPU (%)
# R_OTHER_CPU (% of one CPU used by other processes) R_SERVED (requests nginx counted).
run_tool() {
  local tool="$1" served0 ticks0 served1 ticks1 host0 host1
  served0=$(bench_nginx_requests)
  ticks0=$(bench_cpu_ticks "$NGINX_PID")
  host0=$(bench_host_busy_ticks)
  if [ "$tool" = wrk ]; then
    "${TIME_CMD[@]}" "${WRK_CMD[@]}" >"$BENCH_TMP/wrk.out" 2>&1
    R_REQ=$(awk '/requests in/ { print $1 }' "$BENCH_TMP/wrk.out")
    R_RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$BENCH_TMP/wrk.out")
    R_P50=$(awk '$1 == "50%" { print $2 }' "$BENCH_TMP/wrk.out")
    R_P99=$(awk '$1 == "99%" { print $2 }' "$BENCH_TMP/wrk.out")
    # "Socket errors: connect 0, read 0, write 0, timeout 0" and "Non-2xx or 3xx responses: N"
    R_ERR=$(awk '/Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
                 /Non-2xx or 3xx responses:/ { n += $NF } END { print n + 0 }' "$BENCH_TMP/wrk.out")
  else
    rm -rf "$BENCH_TMP/out"
    "${TIME_CMD[@]}" "${VEX_CMD[@]}" >"$BENCH_TMP/vex.out" 2>&1
    read -r R_REQ R_RPS R_P50 R_P99 R_ERR < <("$REPORT_FIELDS" "$BENCH_TMP/out/report.json" closed \
      requests throughput_rps latency_ms.p50 latency_ms.p99 errors)
  fi
  host1=$(bench_host_busy_ticks)
  ticks1=$(bench_cpu_ticks "$NGINX_PID")
  served1=$(bench_nginx_requests)
  read -r R_WALL R_USER R_SYS <"$BENCH_TMP/time"
  R_OTHER_CPU=$(bench_other_percent $((host1 - host0)) $((ticks1 - ticks0)) \
    "$(awk -v u="$R_USER" -v s="$R_SYS" 'BEGIN { print u + s }')" "$R_WALL")
  R_SERVED=$((served1 - served0 - 1))  # minus the first stub_status query
  R_NGINX_CPU=$(awk -v t=$((ticks1 - ticks0)) -v hz="$CLK_TCK" -v w="$R_WALL" \
    'BEGIN { printf "%.0f", 100 * t / hz / w }')
}

# wrk's "1.23ms" / "456.78us" / "1.02s" to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "%s", v }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# Untimed warm-up so that the first round does not pay for cold caches.
wrk -t1 -c"$CONNECTIONS" -d1s "$NGINX_URL" >/dev/null 2>&1

FMT="%-5s %-8s %10s %10s %7s %6s %6s %7s %10s %8s %8s %6s %7s %7s\n"
printf "$FMT" round tool requests "req/s" "wall s" "usr s" "sys s" "cpu s" "req/cpu-s" "p50 ms" "p99 ms" errors "nginx%" "other%"
: >"$BENCH_TMP/ratios"
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order=(wrk vexbench); else order=(vexbench wrk); fi
  for attempt in $(seq 1 "$ATTEMPTS"); do
    noisy=0
    for tool in "${order[@]}"; do
      bench_wait_quiet
      run_tool "$tool"
      cpu=$(awk -v u="$R_USER" -v s="$R_SYS" 'BEGIN { printf "%.2f", u + s }')
      per_cpu=$(awk -v r="$R_REQ" -v c="$cpu" 'BEGIN { printf "%.0f", (c > 0 ? r / c : 0) }')
      if [ "$tool" = wrk ]; then
        R_P50=$(to_ms "$R_P50")
        R_P99=$(to_ms "$R_P99")
        wrk_rps=$R_RPS wrk_per_cpu=$per_cpu
      else
        vex_rps=$R_RPS vex_per_cpu=$per_cpu
      fi
      [ "$R_OTHER_CPU" -gt "$MAX_OTHER" ] && noisy=1
      printf "$FMT" "$round" "$tool" "$R_REQ" "$(printf %.0f "$R_RPS")" "$R_WALL" "$R_USER" "$R_SYS" \
        "$cpu" "$per_cpu" "$R_P50" "$R_P99" "$R_ERR" "$R_NGINX_CPU" "$R_OTHER_CPU"
      if [ "$R_SERVED" -lt "$R_REQ" ]; then
        echo "warning: nginx served $R_SERVED requests, $tool counted $R_REQ" >&2
      fi
    done
    [ "$noisy" = 0 ] && break
    if [ "$attempt" -lt "$ATTEMPTS" ]; then
      echo "      (other processes used more than ${MAX_OTHER}% of a CPU: round $round repeated)"
    else
      echo "      (still noisy after $ATTEMPTS attempts: round $round kept as is)"
    fi
  done
  awk -v a="$vex_rps" -v b="$wrk_rps" -v c="$vex_per_cpu" -v d="$wrk_per_cpu" \
    'BEGIN { printf "%.4f %.4f\n", a / b, c / d }' >>"$BENCH_TMP/ratios"
  read -r rr rc < <(tail -1 "$BENCH_TMP/ratios")
  printf "%-5s %-8s ratio vexbench/wrk: req/s %.3f, req/cpu-s %.3f\n" "$round" "" "$rr" "$rc"
done

rps_ratio=$(awk '{ print $1 }' "$BENCH_TMP/ratios" | median)
cpu_ratio=$(awk '{ print $2 }' "$BENCH_TMP/ratios" | median)
echo
printf "median ratio vexbench/wrk, requests/s:          %.3f  " "$rps_ratio"
awk -v r="$rps_ratio" 'BEGIN { print (r >= 1.0 ? "GOAL MET (>= 1.0)" : "GOAL MISSED (< 1.0)") }'
printf "median ratio vexbench/wrk, requests/CPU-second: %.3f  " "$cpu_ratio"
awk -v r="$cpu_ratio" 'BEGIN { print (r >= 1.0 ? "GOAL MET (>= 1.0)" : "GOAL MISSED (< 1.0)") }'
echo "(per-round ratios compare the two runs of the same round; nginx% is the server's CPU"
echo " over the tool's wall time: near 100% means nginx, not the load generator, was the limit;"
echo " other% is the CPU of every other process meanwhile, in % of one CPU: noise if not ~0)"
exit 0
