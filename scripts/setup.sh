#!/usr/bin/env bash
# Installs everything nimbus needs to build and to run its tests, from Debian packages and npm.
# Idempotent: packages already present are skipped; `apt-get update` runs only when one is missing.
# Usage: scripts/setup.sh            build + test dependencies
#        scripts/setup.sh --runtime  only what building and running the server needs
set -euo pipefail
cd "$(dirname "$0")/.."

build_packages=(
  build-essential cmake pkg-config
  libboost1.81-dev libboost-program-options1.81-dev
  libsqlite3-dev rapidjson-dev libtinyxml2-dev libssl-dev doctest-dev
)
test_packages=(python3-boto openssl curl nodejs npm)

packages=("${build_packages[@]}")
[ "${1:-}" = "--runtime" ] || packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The machine may ship node/npm outside dpkg; accept those as present.
if [ ${#missing[@]} -gt 0 ]; then
  filtered=()
  for p in "${missing[@]}"; do
    case "$p" in
      nodejs) command -v node >/dev/null || filtered+=("$p") ;;
      npm) command -v npm >/dev/null || filtered+=("$p") ;;
      *) filtered+=("$p") ;;
    esac
  done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" != "--runtime" ] && [ -f tests/clients/js/package.json ]; then
  if [ ! -d tests/clients/js/node_modules ] || [ tests/clients/js/package.json -nt tests/clients/js/node_modules ]; then
    (cd tests/clients/js && npm install --no-audit --no-fund --loglevel=error && touch node_modules)
  fi
fi
echo "setup: ok"
