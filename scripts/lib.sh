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
  libssl-dev libhdf5-dev prometheus-cpp-dev
  nginx-light wrk time default-jdk-headless libhdrhistogram-java bindfs fuse3 iproute2 procps openssl
  chromium chromium-driver tzdata systemd
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

# The ChromaDB 1.0 test server (targets.md): npm packages pinned, installed once into the build
# directory, outside git. Newer bindings need glibc 2.38+, which Debian 12 lacks.
CHROMA_DIR="${CHROMA_DIR:-$BUILD_DIR/chroma-target}"
ensure_chroma() {
  if [ -f "$CHROMA_DIR/node_modules/chromadb/dist/cli.mjs" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null; then
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm
  fi
  mkdir -p "$CHROMA_DIR"
  cat > "$CHROMA_DIR/package.json" <<'JSON'
{ "name": "chroma-target", "private": true,
  "dependencies": { "chromadb": "3.0.10", "chromadb-js-bindings-linux-x64-gnu": "1.0.5" },
  "overrides": { "chromadb-js-bindings-linux-x64-gnu": "1.0.5" } }
JSON
  echo "Installing the ChromaDB test server (npm, about 110 MB, once) into $CHROMA_DIR"
  (cd "$CHROMA_DIR" && npm install --no-audit --no-fund --loglevel=error)
}
