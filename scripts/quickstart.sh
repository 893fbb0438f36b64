#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The README's Quick start: install what is missing, build out of tree in
# ./build, then run dio-bench or the test suites.  Meant for a clean clone
# on Debian 12 (bookworm), run from anywhere as root.
#
#   scripts/quickstart.sh bench [dio-bench arguments]
#   scripts/quickstart.sh check
#
# Environment:
#   PINDIO_CONFIGURE_FLAGS   extra ./configure arguments, e.g. --enable-werror
#   PINDIO_QUICKSTART_EXTRA_PACKAGES
#                            more Debian packages to require (testing aid)
#   PINDIO_QUICKSTART_DRY_RUN=1
#                            only report which packages are missing and the
#                            apt-get commands that would run, then stop
set -euo pipefail

# Everything the build and the tests use, as Debian package names:
# binutils (nm, readelf) for the export check, groff-base and man-db for
# the man page checks, util-linux (findmnt, ...) for the test helpers.
PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	liburing-dev libaio-dev check libndctl-dev libdaxctl-dev
	binutils groff-base man-db util-linux
	# the VM lab (tests/vm): QEMU, the guest's busybox and tools, and
	# what fetching and unpacking Debian kernels needs
	qemu-system-x86 busybox-static ndctl xfsprogs e2fsprogs cpio
	xz-utils zstd kmod debian-archive-keyring
	# the quality gates: the header from C++, sanitizers and libFuzzer
	# (clang, compiler-rt), memcheck, static analysis
	g++ clang libclang-rt-dev valgrind cppcheck clang-tidy
	# the fio engine (fio/) and bench/compare-peers: fio, and what
	# scripts/fio-source.sh needs to fetch and unpack its source package
	fio dpkg-dev python3
	# bench/sweep's charts (and tests/sweep.sh)
	gnuplot-nox
)

usage() {
	echo "usage: $0 bench [dio-bench arguments]" >&2
	echo "       $0 check" >&2
	exit 2
}

log() {
	printf '==> %s\n' "$*"
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
bench) ;;
check) [ $# -eq 0 ] || usage ;;
*) usage ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

# ---- (a) packages ---------------------------------------------------------
install_packages() {
	local extra=() missing=() p status
	read -r -a extra <<<"${PINDIO_QUICKSTART_EXTRA_PACKAGES:-}"

	if ! command -v dpkg-query >/dev/null; then
		log "no dpkg-query: not Debian, so not installing anything."
		log "the build needs the equivalents of: ${PACKAGES[*]}"
		return 0
	fi
	for p in "${PACKAGES[@]}" "${extra[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || status=
		[ "$status" = installed ] || missing+=("$p")
	done

	if [ ${#missing[@]} -eq 0 ]; then
		log "all needed Debian packages are installed"
		return 0
	fi
	log "missing Debian packages: ${missing[*]}"

	if [ "$(id -u)" -ne 0 ]; then
		echo "Not running as root, so not installing them.  As root, run:" >&2
		echo >&2
		echo "    sudo apt-get install -y ${missing[*]}" >&2
		echo >&2
		echo "(after 'sudo apt-get update' on a fresh machine), then run" \
			"$0 $cmd again." >&2
		exit 1
	fi

	if [ "${PINDIO_QUICKSTART_DRY_RUN:-0}" = 1 ]; then
		echo "dry run: would run:"
		echo "    apt-get update"
		echo "    DEBIAN_FRONTEND=noninteractive apt-get install -y" \
			"--no-install-recommends ${missing[*]}"
		return 0
	fi
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y \
		--no-install-recommends "${missing[@]}"
}

install_packages
if [ "${PINDIO_QUICKSTART_DRY_RUN:-0}" = 1 ]; then
	echo "dry run: stopping before the build"
	exit 0
fi

# ---- (b) build out of tree in ./build ------------------------------------------
if [ ! -x configure ] || [ configure -ot configure.ac ] ||
   [ ! -f build-aux/ltmain.sh ]; then
	log "./autogen.sh"
	sh ./autogen.sh
fi
if [ -f config.status ]; then
	echo "This source tree was configured in place; the out-of-tree build" \
		"in ./build needs it clean: run 'make distclean' here first." >&2
	exit 1
fi

read -r -a configure_flags <<<"${PINDIO_CONFIGURE_FLAGS:-}"
# The fio engine (fio/) is built against the configured source tree of the
# installed fio, which scripts/fio-source.sh fetches once (Debian's source
# package) and prints.  If that fails, so does this: CI must not quietly
# build and test without the engine.
log "scripts/fio-source.sh"
fio_src=$(bash scripts/fio-source.sh) || {
	echo "quickstart: scripts/fio-source.sh could not provide fio's source tree (see above); the fio engine cannot be built" >&2
	exit 1
}
configure_flags+=("--with-fio-src=$fio_src")
mkdir -p build
# Configure again when the flags changed or configure is newer than the
# last run; otherwise make's own rules rerun config.status when needed.
flags_file=build/.quickstart-configure-flags
if [ ! -f build/Makefile ] || [ ! -f build/config.status ] ||
   [ build/config.status -ot configure ] ||
   [ "$(cat "$flags_file" 2>/dev/null || true)" != "${configure_flags[*]:-}" ]; then
	log "configure ${configure_flags[*]:-}"
	rm -f "$flags_file"
	(cd build && ../configure "${configure_flags[@]}")
	printf '%s\n' "${configure_flags[*]:-}" >"$flags_file"
fi
log "make -j$jobs"
make -C build -j"$jobs"

# ---- (c) run ----------------------------------------------------------------------
if [ "$cmd" = bench ]; then
	log "build/bench/dio-bench $*"
	exec ./build/bench/dio-bench "$@"
fi

# What decides which tests can run here, for reading SKIPs in the output.
log "kernel $(uname -r), uid $(id -u), RLIMIT_MEMLOCK $(ulimit -l)," \
	"kernel.io_uring_disabled" \
	"$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo n/a)"

# Test suites run one at a time: registered buffers are charged to the
# user's memlock account, which parallel suites would share.
log "make check"
if make -C build check; then
	status=0
else
	status=$?
fi

if [ "$status" -ne 0 ]; then
	# Show why each failed test failed, for CI logs.
	while IFS= read -r trs; do
		if grep -Eq '^:test-result: (FAIL|ERROR|XPASS)' "$trs"; then
			echo
			echo "---- tail of ${trs%.trs}.log ----"
			tail -n 40 "${trs%.trs}.log" 2>/dev/null ||
				echo "(no log file)"
		fi
	done < <(find build -name '*.trs' 2>/dev/null | sort)
	echo
fi

# The totals are the last line of the output.
if ! bash scripts/test-summary.sh build; then
	echo "quickstart: no test results were found under build/tests" >&2
	[ "$status" -ne 0 ] || status=1
fi
exit "$status"
