#!/usr/bin/env bash
# Installs everything the build, the tests and the benchmarks need on Debian 12, idempotently.
# Debian 12 has no llhttp package, so libllhttp-dev and libllhttp9.2 come from Debian 13 (trixie)
# main through a private apt state directory: the system's sources and pinning stay untouched.
# Usage: scripts/install-deps.sh [--bench]   (--bench adds wrk, haproxy, nginx, gnuplot)
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo" >&2; exit 1; }
    SUDO="sudo"
fi

PKGS=(build-essential cmake pkg-config python3 clang clang-format libclang-rt-14-dev valgrind iproute2 curl git
      libuv1-dev libcurl4-openssl-dev libcjson-dev libzmq3-dev libmsgpack-dev)
[ "${1:-}" = "--bench" ] && PKGS+=(wrk haproxy nginx-light gnuplot-nox procps)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# llhttp from trixie: download the two .debs with a private sources list, then dpkg -i them.
if ! pkg-config --exists libllhttp 2>/dev/null; then
    echo "install-deps: installing libllhttp-dev from Debian 13 (trixie)"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
         "http://deb.debian.org/debian trixie main" >"$tmp/sources.list"
    chmod -R a+rwx "$tmp"
    APT_OPTS=(-o Dir::Etc::sourcelist="$tmp/sources.list" -o Dir::Etc::sourceparts=-
              -o Dir::State::lists="$tmp/lists" -o Dir::Cache="$tmp/cache"
              -o APT::Get::List-Cleanup=0 -o Debug::NoLocking=1)
    $SUDO apt-get "${APT_OPTS[@]}" update -qq
    (cd "$tmp" && $SUDO apt-get "${APT_OPTS[@]}" download -qq libllhttp9.2 libllhttp-dev)
    $SUDO dpkg -i "$tmp"/libllhttp9.2_*.deb "$tmp"/libllhttp-dev_*.deb >/dev/null
fi
pkg-config --exists libllhttp libuv libcurl libcjson || { echo "install-deps: pkg-config cannot find a dependency" >&2; exit 1; }
echo "install-deps: ok (llhttp $(pkg-config --modversion libllhttp), libuv $(pkg-config --modversion libuv))"
