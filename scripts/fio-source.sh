#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Obtain and configure Debian's fio source package of exactly the version
# of the installed fio, and print the configured tree's path.
#
# fio external engines (fio/) must be compiled against the configured
# source tree of the fio binary that loads them, and bench/compare-peers
# builds fio's t/io_uring from it.  Debian ships no fio-dev package, so:
# a private apt configuration with a deb-src entry for Debian's archive
# (the system's sources are never touched), `apt-get source fio=VERSION`,
# then fio's own ./configure with Debian's flags (debian/rules) minus the
# two that need GUI and NBD libraries: neither changes a structure an
# engine sees.
#
#   scripts/fio-source.sh            fetch (once) and print the tree
#   scripts/fio-source.sh --check    print the tree if it is ready, else
#                                    say why on stderr and exit 1
#
# Environment:
#   PINDIO_FIO_CACHE   where trees are kept (/var/cache/pindio-fio as
#                      root, ~/.cache/pindio-fio otherwise)
#   PINDIO_MIRROR      Debian mirror (http://deb.debian.org/debian)
set -euo pipefail

die() {
	echo "fio-source: $*" >&2
	exit 1
}

if [ "$(id -u)" -eq 0 ]; then
	cache=${PINDIO_FIO_CACHE:-/var/cache/pindio-fio}
else
	cache=${PINDIO_FIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pindio-fio}
fi
mirror=${PINDIO_MIRROR:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

command -v fio >/dev/null || die "no fio here (apt-get install fio)"
command -v dpkg-query >/dev/null || die "no dpkg-query: this needs Debian's fio package"
debver=$(dpkg-query -W -f='${Version}' fio 2>/dev/null) ||
	die "fio is not installed from a Debian package (apt-get install fio)"
[ -n "$debver" ] || die "fio is not installed from a Debian package (apt-get install fio)"
# 3.33-3 -> 3.33; an epoch would come first ("1:3.33-3").
upver=${debver#*:}
upver=${upver%-*}
binver=$(fio --version 2>/dev/null)
[ "$binver" = "fio-$upver" ] ||
	die "fio --version says '$binver' but the package is $debver: reinstall fio"

tree=$cache/fio-$debver/fio-$upver

# A tree is ready when configure has run and its version is the binary's.
ready() {
	[ -f "$tree/config-host.h" ] && [ -f "$tree/.pindio-configured" ] &&
		[ "$(sed -n 's/^DEF_VER=//p' "$tree/FIO-VERSION-GEN")" = "$binver" ]
}

if [ "${1:-}" = --check ]; then
	ready || die "no configured fio $debver source tree under $cache; run $0"
	echo "$tree"
	exit 0
fi
[ $# -eq 0 ] || die "usage: $0 [--check]"

mkdir -p "$cache" || die "cannot create $cache"
exec 9>"$cache/.lock"
flock 9

if ready; then
	echo "$tree"
	exit 0
fi

[ -r "$keyring" ] || die "no $keyring (apt-get install debian-archive-keyring)"
command -v dpkg-source >/dev/null || die "no dpkg-source (apt-get install dpkg-dev)"

work=$cache/fio-$debver
apt=$cache/apt
rm -rf "$work"
mkdir -p "$work" "$apt/state/lists/partial" "$apt/cache/archives/partial"
: >>"$apt/state/status"
printf 'deb-src [signed-by=%s] %s %s main\n' "$keyring" "$mirror" bookworm \
	>"$apt/sources.list"
opts=(
	-o "Dir::Etc::sourcelist=$apt/sources.list"
	-o "Dir::Etc::sourceparts=-"
	-o "Dir::State=$apt/state"
	-o "Dir::State::status=$apt/state/status"
	-o "Dir::Cache=$apt/cache"
	-o "Dir::Cache::pkgcache="
	-o "Dir::Cache::srcpkgcache="
	-o "Debug::NoLocking=1"
	-o "Acquire::Languages=none"
	-o "Acquire::Retries=3"
)
# apt's download sandbox user cannot write into root's cache.
[ "$(id -u)" -ne 0 ] || opts+=(-o "APT::Sandbox::User=root")

echo "fio-source: apt-get source fio=$debver (deb-src $mirror bookworm)" >&2
apt-get "${opts[@]}" -q update >&2 || die "apt-get update of the deb-src entry failed"
(cd "$work" && apt-get "${opts[@]}" -q source "fio=$debver") >&2 ||
	die "apt-get source fio=$debver failed"
[ -d "$tree" ] || die "apt-get source did not unpack $tree"

echo "fio-source: configuring $tree" >&2
(cd "$tree" && ./configure --disable-native --prefix=/usr) >"$work/configure.log" 2>&1 ||
	die "fio's ./configure failed; see $work/configure.log"
touch "$tree/.pindio-configured"
echo "$tree"
