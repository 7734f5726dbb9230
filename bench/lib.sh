# Shared by the bench/*.sh scripts: a private nginx on a free loopback port, a scratch
# directory, and cleanup of both when the script exits (normally, on error or on Ctrl-C).
# Sourced, not run; source scripts/lib.sh first (it sets `set -euo pipefail`).
#
#   bench_nginx_start        starts nginx; sets NGINX_PID, NGINX_PORT, NGINX_URL (the 612-byte
#                            page) and NGINX_STATUS_URL (stub_status)
#   bench_nginx_requests     requests nginx has served so far (from stub_status)
#   bench_cpu_ticks PID      user+sys CPU of a running process, in clock ticks (/proc/PID/stat)
#   bench_host_busy_ticks    CPU time of the whole host (all CPUs, not idle), in clock ticks
#   bench_hardware           prints nproc, CPU model, kernel, nginx/wrk versions, source commit
#   bench_wait_quiet         waits (up to QUIET_TIMEOUT seconds, default 300) until the host is
#                            idle: other work (a build, tests) on a small machine swamps the figures
#   bench_snapshot_vexbench  copies the vexbench binary to BENCH_TMP (a rebuild by someone else
#                            mid-run must not change what is measured); prints its path
#   BENCH_TMP                scratch directory, removed on exit unless KEEP_TMP=1
#
# Environment: BUILD_DIR (scripts/lib.sh; where controller/vexbench and bench/* are taken
# from: point it at a copy of those binaries to be immune to rebuilds in a shared tree),
# SKIP_BUILD=1, VEXBENCH_BIN, BENCH_PIN=1, QUIET_TIMEOUT, KEEP_TMP=1.
#
# The nginx configuration, and why:
# - daemon off + master_process off: nginx runs as one process in the foreground, the very
#   process we started. That process is the single worker that serves every request, so its
#   CPU time is read from one /proc/PID/stat, and killing that one PID stops everything (no
#   orphaned workers if the script dies). One worker also fits the measurement: the machine
#   has few cores, the load generators run one thread, and a second nginx worker would only
#   compete with the generator for the same cores. (nginx documents master_process off as a
#   development mode; nothing in these benchmarks reloads or upgrades it.)
# - access_log off, keepalive_requests 1000000, keepalive_timeout 300s: the server does as
#   little per request as it can and never closes a client's keep-alive connection mid-run.
# - sendfile off (nginx's default): the 612-byte answer leaves in one writev, so each
#   response arrives as one segment for both load generators alike.
# - open_file_cache: nginx does not open/fstat/close the file on every request, so the
#   server stays as cheap as possible and the load generator is what is measured.
# - CPU pinning is optional: BENCH_PIN=1 pins nginx to CPU 0 (the generators then go to the
#   other CPUs; see bench_client_prefix).

BENCH_TMP="$(mktemp -d "${TMPDIR:-/tmp}/vexbench-bench.XXXXXX")"
NGINX_PID=""
NGINX_PORT=""
NGINX_URL=""
NGINX_STATUS_URL=""
BENCH_PIN="${BENCH_PIN:-0}"

bench_cleanup() {
  local rc=$?
  bench_nginx_stop
  if [ "${KEEP_TMP:-0}" = 1 ]; then
    echo "kept scratch directory: $BENCH_TMP" >&2
  else
    rm -rf "$BENCH_TMP"
  fi
  return $rc
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port nobody listens on now (nginx start retries with another one if it loses a race).
bench_pick_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if ! ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then
      echo "$port"
      return
    fi
  done
}

# The page nginx serves: 612 bytes of HTML, the size of nginx's classic default index.html
# (Debian 12's own default page is 615 bytes; the 3 bytes do not matter, a fixed size does).
bench_write_page() {
  local file="$1"
  {
    printf '<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n'
    printf '<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is '
    printf 'successfully installed and working. Further configuration is required.</p>\n'
    printf '<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n<!--'
  } >"$file"
  local size
  size=$(stat -c %s "$file")
  # Pad inside an HTML comment up to exactly 612 bytes.
  head -c $((612 - size - 4)) /dev/zero | tr '\0' ' ' >>"$file"
  printf -- '-->\n' >>"$file"
  [ "$(stat -c %s "$file")" -eq 612 ] || { echo "bench: page is not 612 bytes" >&2; return 1; }
}

bench_write_nginx_conf() {
  local dir="$1" port="$2"
  cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log $dir/error.log warn;
pid $dir/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  sendfile off;
  open_file_cache max=16 inactive=600s;
  open_file_cache_valid 600s;
  default_type text/html;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  server {
    listen 127.0.0.1:$port backlog=4096;
    root $dir/html;
    location = /nginx_status { stub_status; }
  }
}
EOF
}

bench_nginx_start() {
  local dir="$BENCH_TMP/nginx" attempt port
  mkdir -p "$dir/html"
  bench_write_page "$dir/html/index.html"
  local prefix=()
  [ "$BENCH_PIN" = 1 ] && prefix=(taskset -c 0)
  for attempt in 1 2 3 4 5; do
    port=$(bench_pick_port)
    bench_write_nginx_conf "$dir" "$port"
    : >"$dir/error.log"
    "${prefix[@]}" /usr/sbin/nginx -c "$dir/nginx.conf" -p "$dir" 2>>"$dir/error.log" &
    NGINX_PID=$!
    local i
    for i in $(seq 1 100); do
      if curl -fs "http://127.0.0.1:$port/nginx_status" 2>/dev/null | grep -q requests; then
        NGINX_PORT=$port
        NGINX_URL="http://127.0.0.1:$port/index.html"
        NGINX_STATUS_URL="http://127.0.0.1:$port/nginx_status"
        local size
        size=$(curl -fs "$NGINX_URL" | wc -c)
        [ "$size" -eq 612 ] || { echo "bench: nginx served $size bytes, expected 612" >&2; return 1; }
        return 0
      fi
      kill -0 "$NGINX_PID" 2>/dev/null || break
      sleep 0.05
    done
    kill "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
    NGINX_PID=""
    grep -q "Address already in use" "$dir/error.log" || break
  done
  echo "bench: nginx did not start:" >&2
  cat "$dir/error.log" >&2
  return 1
}

bench_nginx_stop() {
  if [ -n "$NGINX_PID" ]; then
    kill -QUIT "$NGINX_PID" 2>/dev/null || true  # graceful; with master_process off, QUIT stops it
    local i
    for i in $(seq 1 50); do
      kill -0 "$NGINX_PID" 2>/dev/null || break
      sleep 0.05
    done
    kill -KILL "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
    NGINX_PID=""
  fi
}

bench_nginx_requests() {
  # "server accepts handled requests\n 1 1 1 \n": the third number of the third line.
  curl -fs "$NGINX_STATUS_URL" | awk 'NR == 3 { print $3 }'
}

bench_cpu_ticks() {
  # Fields 14 and 15 of /proc/PID/stat are utime and stime; the command name (field 2) may
  # contain spaces, so cut after its closing parenthesis first.
  sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

bench_host_busy_ticks() {
  # /proc/stat "cpu" line: user nice system idle iowait irq softirq steal ...
  awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat
}

# Percent of one CPU used by everything but the tool and nginx while the tool ran:
#   bench_other_percent HOST_TICKS NGINX_TICKS TOOL_CPU_SECONDS WALL_SECONDS
# Tick-sampled, so a rough figure (a few %), but enough to see a build running beside us.
bench_other_percent() {
  awk -v h="$1" -v n="$2" -v c="$3" -v w="$4" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { o = (h - n) / hz - c; if (o < 0) o = 0; printf "%.0f", 100 * o / w }'
}

# What runs a load generator: nothing, or with BENCH_PIN=1 `taskset -c 1` (nginx has CPU 0).
bench_client_prefix() {
  if [ "$BENCH_PIN" = 1 ]; then echo "taskset -c 1"; fi
}

bench_hardware() {
  echo "host:     $(uname -srm), $(nproc) CPUs online"
  echo "cpu:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
       "($(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') MHz)"
  echo "memory:   $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "nginx:    $(/usr/sbin/nginx -v 2>&1 | sed 's/^nginx version: //'), 1 process (master_process off), pinned: $BENCH_PIN"
  echo "wrk:      $(wrk -v 2>&1 | head -1 | awk '{ print $2 }')"
  echo "load avg: $(cut -d' ' -f1-3 /proc/loadavg) (before the run; other work on the host adds noise)"
  local root="${VEXBENCH_ROOT:-$(dirname "${BASH_SOURCE[0]}")/..}"
  echo "source:   commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)," \
       "$(git -C "$root" status --short 2>/dev/null | wc -l) files changed or new in the tree"
}

bench_wait_quiet() {
  local limit="${QUIET_TIMEOUT:-300}" waited=0 t0 t1 hz
  hz=$(getconf CLK_TCK)
  while :; do
    t0=$(bench_host_busy_ticks)
    sleep 1
    t1=$(bench_host_busy_ticks)
    # Quiet: under 10% of one CPU busy over the last second.
    if [ $(((t1 - t0) * 10)) -lt "$hz" ]; then
      [ "$waited" -gt 0 ] && echo "(waited ${waited}s for the host to be idle)" >&2
      return 0
    fi
    waited=$((waited + 1))
    if [ "$waited" -ge "$limit" ]; then
      echo "warning: host still busy after ${limit}s ($(((t1 - t0) * 100 / hz))% of a CPU); measuring anyway" >&2
      return 0
    fi
  done
}

bench_snapshot_vexbench() {
  cp "$(bench_vexbench_bin)" "$BENCH_TMP/vexbench"
  echo "$BENCH_TMP/vexbench"
}

# The vexbench binary the scripts run: VEXBENCH_BIN, or the build's.
bench_vexbench_bin() {
  echo "${VEXBENCH_BIN:-$BUILD_DIR/controller/vexbench}"
}

# Builds unless SKIP_BUILD=1 and the binary exists (handy when others are building in the
# same tree): scripts/lib.sh's ensure_packages and build_vexbench.
bench_build() {
  if [ "${SKIP_BUILD:-0}" = 1 ] && [ -x "$(bench_vexbench_bin)" ]; then
    return 0
  fi
  ensure_packages
  build_vexbench
}
