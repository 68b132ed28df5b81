#!/usr/bin/env bash
# Side-by-side benchmark of nimbus against the peers available on this machine, all on loopback
# ports: moto_server (the machine's python3), s3rver and dynalite (npm, installed here into
# bench/.cache), and nginx serving static files as the machine's HTTP ceiling.
# Writes bench/RESULTS.md and bench/results.svg.
#
#   bench/compare.sh            # full run, ~10 minutes
#   bench/compare.sh --quick    # ~1-2 minutes, one short round
#   bench/compare.sh --help     # every option (see bench/compare.py)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$HERE")"
CACHE="$HERE/.cache"
mkdir -p "$CACHE"

case " $* " in *" --help "*|*" -h "*) exec python3 "$HERE/compare.py" --help ;; esac

# The binaries under test.
BUILD="${NIMBUS_BUILD_DIR:-$REPO/build}"
if [[ ! -x "$BUILD/nimbus" || ! -x "$BUILD/nimbus-bench" ]]; then
  echo "building nimbus and nimbus-bench in $BUILD" >&2
  cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j2 --target nimbus nimbus-bench >/dev/null
fi

# Peers from npm, into the cache folder (gitignored). A failure leaves the peer out.
if [[ ! -x "$CACHE/node_modules/.bin/s3rver" || ! -x "$CACHE/node_modules/.bin/dynalite" ]]; then
  if command -v npm >/dev/null; then
    (cd "$CACHE" && npm install --no-audit --no-fund --loglevel=error s3rver dynalite >&2) ||
      echo "npm install failed: s3rver and dynalite will be left out" >&2
  fi
fi

# nginx from Debian when missing. Only the binary is used: the benchmark writes its own
# nginx.conf and never touches the system's nginx configuration or service.
if ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    (apt-get install -y -q nginx-light >&2 || (apt-get update -q >&2 && apt-get install -y -q nginx-light >&2)) ||
      echo "could not install nginx: the HTTP ceiling will be left out" >&2
  else
    echo "nginx not installed (and not root): the HTTP ceiling will be left out" >&2
  fi
fi

exec python3 "$HERE/compare.py" --build-dir "$BUILD" "$@"
