#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Smoke test for dio-bench: every engine with every workload it runs for a
# second, the default two-engine comparison, an engine list with its
# ratios, the refusal of bad options, and no scratch file left behind, not
# even after SIGINT.
#
# Run by `make check` with top_builddir and top_srcdir set.  The bench
# makes its scratch file in the current directory, so everything runs in
# a private directory below it (same filesystem, no clash with other
# runs).  Exit 77 (SKIP) when that filesystem has no O_DIRECT.

top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}

bench=$top_builddir/bench/dio-bench
if [ ! -x "$bench" ]; then
	echo "FAIL: $bench not found or not executable; build it first"
	exit 1
fi
# The libtool wrapper finds its library relative to itself, but we leave
# this directory below: make the path absolute.
bench=$(cd "$(dirname "$bench")" && pwd)/$(basename "$bench")

work=$(mktemp -d "${PWD}/dio-bench-smoke.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# A hung run must not hang `make check`.
run_limit=60
failed=0
out=$work/out
err=$work/err

pass() { echo "PASS: $*"; }
fail() {
	echo "FAIL: $*"
	echo "--- stdout"; cat "$out"
	echo "--- stderr"; cat "$err"
	echo "---"
	failed=1
}

# run ARGS...: run the bench, stdout in $out, stderr in $err, status in $rc
run() {
	timeout "$run_limit" "$bench" "$@" >"$out" 2>"$err"
	rc=$?
}

# has_row ENGINE RW: a table row for ENGINE and RW with a nonzero IOPS column
has_row() {
	awk -v e="$1" -v r="$2" '$1 == e && $2 == r && $5 + 0 > 0 { ok = 1 }
		END { exit !ok }' "$out"
}

no_scratch_left() {
	! compgen -G 'dio-bench.scratch.*' >/dev/null
}

# ---- can this machine run the bench at all? ------------------------------
run --engine=uring --rw=read --runtime=1 --size=8m
if [ "$rc" -ne 0 ] && grep -q 'io_uring is not available' "$err"; then
	echo "SKIP: io_uring is not available here:"
	cat "$err"
	exit 77
fi
if [ "$rc" -ne 0 ] && grep -q O_DIRECT "$err"; then
	echo "SKIP: the filesystem of $PWD does not support O_DIRECT:"
	cat "$err"
	exit 77
fi

# ---- each engine x each workload ----------------------------------------
for engine in uring-fixed uring libaio splice; do
	rws="read write randread randwrite"
	# splice moves file data to /dev/null: reads only.
	[ "$engine" = splice ] && rws="read randread"
	for rw in $rws; do
		what="--engine=$engine --rw=$rw"
		run --engine="$engine" --rw="$rw" --runtime=1 --size=8m
		if [ "$rc" -ne 0 ]; then
			fail "$what: exit $rc"
		elif ! has_row "$engine" "$rw"; then
			fail "$what: no '$engine $rw' row with nonzero IOPS"
		else
			pass "$what"
		fi
	done
done

# ---- the default: both engines and their ratio ---------------------------
# The "--opt value" form here, "--opt=value" above.
run --runtime 1 --size 8m
if [ "$rc" -ne 0 ]; then
	fail "default engines: exit $rc"
elif ! has_row uring-fixed randread || ! has_row uring randread; then
	fail "default engines: missing a randread row for uring-fixed or uring"
elif ! grep -q '^ratio uring-fixed/uring IOPS: [0-9]' "$out"; then
	fail "default engines: no ratio line"
else
	pass "default engines (both rows and the ratio)"
fi

# The O_DIRECT offset alignment the bench printed for this filesystem.
align=$(sed -n 's/.*O_DIRECT alignment: mem [0-9]*, offset \([0-9]*\).*/\1/p' "$out")
align=${align:-0}

# ---- an engine list: rows in the order given, ratios to the first ---------
run --engine=uring-fixed,libaio,splice --rw=read --bs=128k --runtime=1 --size=8m
if [ "$rc" -ne 0 ]; then
	fail "engine list: exit $rc"
elif ! has_row uring-fixed read || ! has_row libaio read || ! has_row splice read; then
	fail "engine list: missing a read row for uring-fixed, libaio or splice"
elif [ "$(awk '$2 == "read" { printf "%s ", $1 }' "$out")" != "uring-fixed libaio splice " ]; then
	fail "engine list: rows not in the order given"
elif ! grep -q '^ratio libaio/uring-fixed bandwidth: [0-9]' "$out" ||
     ! grep -q '^ratio splice/uring-fixed bandwidth: [0-9]' "$out"; then
	fail "engine list: no ratio lines against the first engine"
else
	pass "engine list (three rows in order, two ratios)"
fi

# ---- bad options: exit 2 and a message naming the option -----------------
# bad NAME ARG...: the bad ARGs come last, so they override the valid defaults
bad() {
	local name=$1

	shift
	run --runtime=1 --size=8m "$@"
	if [ "$rc" -ne 2 ]; then
		fail "$*: exit $rc, expected 2"
	elif ! grep -q -e "$name" "$err"; then
		fail "$*: message does not name $name"
	else
		pass "$* refused: $(head -n1 "$err")"
	fi
}

bad --bs --bs=0
# 3k is a multiple of a 512- or 1024-byte alignment: then use 1.5 times it.
if [ "$align" -ge 2 ]; then
	if [ $((3072 % align)) -ne 0 ]; then
		bad --bs --bs=3k
	else
		bad --bs --bs=$((align + align / 2))
	fi
else
	fail "could not read the O_DIRECT offset alignment from the default run"
fi
bad --iodepth --iodepth=0
bad --iodepth --iodepth=abc
bad --rw --rw=bogus
bad --engine --engine=bogus
bad --engine --engine=uring,uring
bad --engine --engine=uring,
bad 'splice reads' --engine=splice --rw=write
bad --runtime --runtime=0
bad --size --size=1x
bad --nope --nope
bad --probe --probe=

# ---- --probe: what backs a path, no benchmark ------------------------------
probe_file=$work/probe-me
: >"$probe_file"
run --probe "$probe_file"
if [ "$rc" -ne 0 ]; then
	fail "--probe FILE: exit $rc, expected 0"
elif ! grep -q '^  dax: *none$' "$out" || ! grep -q '^  registration: *allowed$' "$out" ||
     ! grep -q '^  O_DIRECT: ' "$out" || ! grep -q '^  why: ' "$out"; then
	fail "--probe FILE: expected dax none, registration allowed, a reason and the O_DIRECT line"
elif grep -q 'IOPS' "$out"; then
	fail "--probe FILE ran a benchmark"
else
	pass "--probe FILE: $(grep '^  why: ' "$out" | cut -c1-100)"
fi
run --probe /dev/null
if [ "$rc" -ne 0 ] || ! grep -q 'not device-DAX' "$out"; then
	fail "--probe /dev/null: exit $rc, expected 0 and 'not device-DAX'"
else
	pass "--probe /dev/null: a character device that is not device-DAX"
fi
run --probe "$work/does-not-exist"
if [ "$rc" -ne 1 ] || ! grep -q 'No such file' "$err"; then
	fail "--probe MISSING: exit $rc, expected 1 and the errno text"
else
	pass "--probe MISSING: $(head -n1 "$err")"
fi

if no_scratch_left; then
	pass "no scratch file left after the runs above"
else
	fail "scratch files left behind: $(echo dio-bench.scratch.*)"
fi

# ---- SIGINT in the middle of a run ----------------------------------------
"$bench" --runtime=30 --size=8m >"$out" 2>"$err" &
pid=$!
sleep 2
kill -INT "$pid"
wait "$pid"
rc=$?
if [ "$rc" -ne 130 ]; then
	fail "SIGINT: exit $rc, expected 130 (killed by SIGINT)"
elif ! no_scratch_left; then
	fail "SIGINT: scratch file left behind: $(echo dio-bench.scratch.*)"
else
	pass "SIGINT stops the run and removes the scratch file"
fi

exit "$failed"
