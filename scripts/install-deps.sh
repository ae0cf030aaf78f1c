#!/usr/bin/env bash
# Installs everything the build, the tests and the benchmarks need on Debian 12, idempotently.
# Debian 12 has no llhttp package, so libllhttp-dev and libllhttp9.2 come from Debian 13 (trixie)
# main through a private apt state directory: the system's sources and pinning stay untouched.
# The trixie source uses the mirror the machine's own apt sources name for Debian's main archive
# (one-line *.list and deb822 *.sources), so it works behind any mirror; DEBIAN_MIRROR overrides.
# Besides the build: prometheus (promtool) for the observability test, systemd for
# systemd-analyze (the unit-file test), dpkg-dev for CPack's .deb dependencies.
# Usage: scripts/install-deps.sh [--bench]   (--bench adds wrk, haproxy, nginx, gnuplot)
#        scripts/install-deps.sh --print-mirror   (prints that mirror; installs nothing)
set -euo pipefail
APT_ETC=${APT_ETC:-/etc/apt}
OS_RELEASE=${OS_RELEASE:-/etc/os-release}

# debian_mirror: the first URI of an enabled "deb" source serving this release's codename with
# the main component, from the one-line files (deb [opts] URI SUITE COMPONENT...) and the deb822
# ones (stanzas of Types/URIs/Suites/Components/Enabled, continuation lines indented). APT_ETC
# and OS_RELEASE (default /etc/apt, /etc/os-release) point elsewhere for tests.
debian_mirror() {
    local codename files=() f
    # shellcheck disable=SC1090,SC1091 # a system file, not ours
    codename=$(. "$OS_RELEASE" && printf '%s' "${VERSION_CODENAME:-}")
    for f in "$APT_ETC/sources.list" "$APT_ETC"/sources.list.d/*.list "$APT_ETC"/sources.list.d/*.sources; do
        [ -f "$f" ] && files+=("$f")
    done
    [ -n "$codename" ] && [ ${#files[@]} -gt 0 ] || return 1
    awk -v want="$codename" '
        function has(list, word,   n, i, w) {
            n = split(list, w, /[ \t]+/)
            for (i = 1; i <= n; i++) if (w[i] == word) return 1
            return 0
        }
        function stanza_end(   u) {
            if (v["uris"] != "" && has(v["types"], "deb") && has(v["suites"], want) &&
                has(v["components"], "main") && tolower(v["enabled"]) !~ /^ *no/) {
                sub(/^[ \t]+/, "", v["uris"]); split(v["uris"], u, /[ \t]+/)
                print u[1]; found = 1; exit
            }
            split("", v); field = ""
        }
        FNR == 1 { if (deb822) stanza_end(); deb822 = FILENAME ~ /\.sources$/ }
        /^[ \t]*#/ { next }
        !deb822 {
            sub(/#.*/, ""); if ($1 != "deb") next
            i = 2
            if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
            if ($(i + 1) != want) next
            for (j = i + 2; j <= NF; j++) if ($j == "main") { print $i; found = 1; exit }
            next
        }
        /^[ \t]*$/ { stanza_end(); next }
        /^[ \t]/ { line = $0; sub(/^[ \t]+/, "", line); v[field] = v[field] " " line; next }
        {
            field = tolower($0); sub(/:.*/, "", field)
            line = $0; sub(/^[^:]*:[ \t]*/, "", line); v[field] = line
        }
        END { if (!found && deb822) stanza_end(); if (!found) exit 1 }
    ' "${files[@]}"
}

if [ "${1:-}" = "--print-mirror" ]; then
    debian_mirror || { echo "install-deps: no Debian main archive in the apt sources" >&2; exit 1; }
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo" >&2; exit 1; }
    SUDO="sudo"
fi

PKGS=(build-essential cmake pkg-config python3 clang clang-format libclang-rt-14-dev valgrind iproute2 curl git
      libuv1-dev libcurl4-openssl-dev libcjson-dev libzmq3-dev libmsgpack-dev
      prometheus systemd dpkg-dev)
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
    mirror=${DEBIAN_MIRROR:-$(debian_mirror || true)}
    [ -n "$mirror" ] || { echo "install-deps: no Debian main archive in the apt sources; set DEBIAN_MIRROR" >&2; exit 1; }
    echo "install-deps: Debian mirror $mirror"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" \
        >"$tmp/sources.list"
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
