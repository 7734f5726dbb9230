# Shared by scripts/test, scripts/demo and bench/: install what is missing, configure, build.
# Sourced, not run.
set -euo pipefail

VEXBENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$VEXBENCH_ROOT/build}"

# Debian 12 packages the build, the tests and the benchmarks need.
VEXBENCH_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git curl ca-certificates
  libboost-dev libboost-system-dev libgrpc++-dev libprotobuf-dev protobuf-compiler
  protobuf-compiler-grpc libabsl-dev libspdlog-dev libfmt-dev catch2 libyaml-cpp-dev
  nlohmann-json3-dev zlib1g-dev libcli11-dev libsimdjson-dev libbenchmark-dev libsqlite3-dev
  libssl-dev libhdf5-dev
  nginx-light wrk default-jdk-headless libhdrhistogram-java bindfs fuse3 iproute2 procps openssl
)

ensure_packages() {
  local missing=()
  for p in "${VEXBENCH_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "Installing missing packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build_vexbench() {
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S "$VEXBENCH_ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  fi
  cmake --build "$BUILD_DIR" -j "$(nproc)"
}
