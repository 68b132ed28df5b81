#!/usr/bin/env bash
# Configures and builds nimbus (server, unit tests, benchmark) into ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE="${NIMBUS_BUILD_TYPE:-Release}" >/dev/null
cmake --build build -j"$(nproc)"
