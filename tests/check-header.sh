#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# include/pindio.h stands alone: a file that only includes it (twice, for
# the include guard) compiles without a warning
#   - as C:   $CC  -std={c99,c11,gnu11} -pedantic -Wall -Wextra -Werror
#   - as C++: $CXX -std={c++11,c++17}   -pedantic -Wall -Wextra -Werror
# (-fsyntax-only), with no config.h and no include path but the header's.
#
# Run by `make check` with top_srcdir in the environment; by hand, it
# defaults to the directory above this script.  CC and CXX override the
# compilers (default cc and g++).
#
# Exit status: 0 all checks passed; 1 a check failed (the compiler's
# output follows its FAIL line); 77 no C compiler, or no C++ compiler
# (skip, after the C checks have run and passed); 99 no header.

set -u
export LC_ALL=C

script_dir=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$script_dir/..}
header=$top_srcdir/include/pindio.h
CC=${CC:-cc}
CXX=${CXX:-g++}

. "$script_dir/script-lib.sh"

[ -f "$header" ] || hard_error "$header does not exist"
# CC may carry options (e.g. "gcc -m32"): only its first word must exist.
command -v "${CC%% *}" >/dev/null 2>&1 || skip "no C compiler: $CC not found"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-header.XXXXXX") || hard_error "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

printf '#include <pindio.h>\n#include <pindio.h>\n' >"$tmp/only-header.c"
cp "$tmp/only-header.c" "$tmp/only-header.cpp"

failed=0

# check LABEL COMMAND...: PASS when COMMAND succeeds silently, else FAIL
# followed by what it printed.
check() {
	local label=$1
	shift
	if "$@" >"$tmp/out" 2>&1 && [ ! -s "$tmp/out" ]; then
		echo "PASS: $label"
	else
		echo "FAIL: $label:"
		sed 's/^/    /' "$tmp/out"
		failed=1
	fi
}

for std in c99 c11 gnu11; do
	# shellcheck disable=SC2086 # CC may carry options
	check "include/pindio.h alone as C, -std=$std -pedantic -Wall -Wextra -Werror" \
		$CC -std=$std -pedantic -Wall -Wextra -Werror -fsyntax-only \
		-I"$top_srcdir/include" "$tmp/only-header.c"
done

if ! command -v "${CXX%% *}" >/dev/null 2>&1; then
	[ $failed = 0 ] || exit 1
	skip "no C++ compiler: $CXX not found, the header was not compiled as C++ (Debian package g++)"
fi
for std in c++11 c++17; do
	# shellcheck disable=SC2086 # CXX may carry options
	check "include/pindio.h alone as C++, -std=$std -pedantic -Wall -Wextra -Werror" \
		$CXX -std=$std -pedantic -Wall -Wextra -Werror -fsyntax-only \
		-I"$top_srcdir/include" "$tmp/only-header.cpp"
done

exit $failed
