#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Count test results after 'make check': scripts/test-summary.sh BUILDDIR
#
# Reads the automake .trs/.log pairs under BUILDDIR/tests.  For each one:
#  - a Check suite's log has the shared main's line
#      pindio-tests: N passed, N failed, N skipped
#    which is the suite's count when present;
#  - failing that, Check's own line "NN%: Checks: N, Failures: N, Errors: N"
#    with the suite's "SKIP: <test>: <reason>" lines taken out of the passes;
#  - failing that (script tests, suites skipped whole with exit 77, suites
#    that crashed), each ":test-result:" line of the .trs counts as one test:
#    PASS and XFAIL passed, SKIP skipped, FAIL, ERROR and XPASS failed.
# A suite that automake saw fail although its own count has no failure (it
# failed after its tests, e.g. in the shared main's checks) counts one more
# failure.
#
# Prints one line per suite, the reasons for skips, and as the last line
# "N passed, N failed, N skipped".  Exits 1 when no test was counted.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILDDIR" >&2
	exit 2
fi
dir=$1
if [ ! -d "$dir/tests" ]; then
	echo "test-summary: no $dir/tests directory (has 'make check' run?)" >&2
	echo "0 passed, 0 failed, 0 skipped"
	exit 1
fi

total_pass=0 total_fail=0 total_skip=0

while IFS= read -r trs; do
	log=${trs%.trs}.log
	name=${trs#"$dir"/}
	name=${name%.trs}
	[ -f "$log" ] || log=/dev/null

	# automake's verdict: the worst :test-result: of the .trs.
	results=$(sed -n 's/^:test-result: *\([A-Z]*\).*/\1/p' "$trs")
	verdict=PASS shown=PASS
	for r in $results; do
		case "$r" in
		FAIL | ERROR | XPASS) verdict=FAIL shown=$r ;;
		SKIP) [ "$verdict" = FAIL ] || verdict=SKIP shown=SKIP ;;
		XFAIL) [ "$verdict" != PASS ] || shown=XFAIL ;;
		esac
	done
	[ -n "$results" ] || verdict=FAIL shown=ERROR

	pass=0 fail=0 skip=0 how=
	line=$(grep -Eo 'pindio-tests: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' \
		"$log" | tail -n 1 || true)
	if [ -n "$line" ]; then
		read -r pass fail skip <<<"$(echo "$line" |
			sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')"
		how=suite
	else
		checks=$(grep -Eo '[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' \
			"$log" | sed -E 's/.*Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+)/\1 \2 \3/' || true)
		if [ -n "$checks" ]; then
			while read -r c f e; do
				pass=$((pass + c - f - e))
				fail=$((fail + f + e))
			done <<<"$checks"
			skip=$({ grep '^SKIP: ' "$log" || true; } | sort -u | wc -l)
			pass=$((pass - skip))
			[ "$pass" -ge 0 ] || pass=0
			how=suite
		else
			for r in $results; do
				case "$r" in
				PASS | XFAIL) pass=$((pass + 1)) ;;
				SKIP) skip=$((skip + 1)) ;;
				*) fail=$((fail + 1)) ;;
				esac
			done
			# No result at all: the test did not finish properly.
			[ -n "$results" ] || fail=1
		fi
	fi
	if [ "$how" = suite ] && [ "$verdict" = FAIL ] && [ "$fail" -eq 0 ]; then
		fail=1
	fi

	printf '%-5s %s  (%d passed, %d failed, %d skipped)\n' \
		"$shown" "$name" "$pass" "$fail" "$skip"
	# Why things were skipped: the suite's SKIP lines, or for a suite
	# skipped whole, the last thing it printed.
	if [ "$skip" -gt 0 ]; then
		if grep -q '^SKIP: ' "$log"; then
			# The shared main repeats each SKIP line at the end.
			grep '^SKIP: ' "$log" | awk '!seen[$0]++' | sed 's/^/      /'
		elif [ "$verdict" = SKIP ]; then
			grep -Ev '^(SKIP .* \(exit status: [0-9]+\)|[[:space:]]*|Running suite.*|pindio-tests: .*|[0-9]+%: Checks: .*)$' \
				"$log" | tail -n 1 |
				sed 's/^/      reason: /' || true
		fi
	fi

	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
done < <(find "$dir/tests" -name '*.trs' | LC_ALL=C sort)

echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ $((total_pass + total_fail + total_skip)) -gt 0 ] || exit 1
