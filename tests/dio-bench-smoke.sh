#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Smoke test for dio-bench: every engine with every workload for a second,
# its JSON report parsed back; the human table and its ratios; the
# progress line only on a terminal; several files and jobs; --verify
# catching a block corrupted on purpose; the refusal of bad options; and
# no scratch file left behind, not even after SIGINT.
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

# json_check PY: run python on the JSON report in $out; PY sees it as d
# and fails with an assertion message.
json_check() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[2])
' "$out" "$1" 2>>"$err"
}

# ---- each engine x each workload, as JSON parsed back --------------------
have_python=1
command -v python3 >/dev/null || have_python=0
for engine in uring-fixed uring libaio psync splice; do
	rws="read write randread randwrite rw randrw"
	# splice moves file data to /dev/null: reads only.
	[ "$engine" = splice ] && rws="read randread"
	for rw in $rws; do
		what="--engine=$engine --rw=$rw"
		run --engine="$engine" --rw="$rw" --runtime=1 --size=8m \
			--output-format=json
		if [ "$rc" -ne 0 ]; then
			fail "$what: exit $rc"
		elif [ "$have_python" = 0 ]; then
			echo "SKIP: $what ran, but without python3 its JSON is not checked"
		elif ! json_check "
j = d['jobs'][0]
assert j['jobname'] == '$engine', j['jobname']
r, w = j['read']['total_ios'], j['write']['total_ios']
rw = '$rw'
assert (r > 0) == (rw not in ('write', 'randwrite')), ('read ios', r)
assert (w > 0) == (rw not in ('read', 'randread')), ('write ios', w)
for dd in ('read', 'write'):
    x = j[dd]
    if x['total_ios']:
        assert x['iops'] > 0 and x['bw'] > 0
        p = x['clat_ns']['percentile']
        assert 0 < p['50.000000'] <= p['99.000000'] <= p['99.990000'], p
assert 'cpu_per_io_ns' in j['pindio']
"; then
			fail "$what: JSON report"
		else
			pass "$what"
		fi
	done
done
[ "$have_python" = 1 ] || echo "SKIP: python3 is missing: the JSON reports above were not parsed back"

# ---- the human table: rows and ratios ------------------------------------
# The "--opt value" form here, "--opt=value" above.
run --runtime 1 --size 8m
if [ "$rc" -ne 0 ]; then
	fail "default engines: exit $rc"
elif ! grep -q '^uring-fixed ' "$out" || ! grep -q '^uring ' "$out"; then
	fail "default engines: missing a row for uring-fixed or uring"
elif ! grep -q 'ratio' "$out"; then
	fail "default engines: no ratio line"
else
	pass "default engines (both rows and the ratio)"
fi
case $(cat "$out") in
*$'\r'*) fail "a progress line was drawn although stdout is not a terminal" ;;
*) pass "no progress line when stdout is not a terminal" ;;
esac

# The O_DIRECT offset alignment the bench printed for this filesystem.
align=$(sed -n 's/.*O_DIRECT alignment: memory [0-9]*, offset \([0-9]*\).*/\1/p' "$out")
align=${align:-0}

# ---- on a terminal: a progress line once a second -------------------------
if command -v script >/dev/null; then
	timeout "$run_limit" script -qfec "$bench --engine=uring --runtime=3 --size=8m" \
		/dev/null >"$out" 2>"$err" </dev/null
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "progress line on a terminal: exit $rc"
	elif ! grep -a -q $'\r.*uring randread 4k QD32: [0-9]* s, [0-9]* IOPS' "$out"; then
		fail "progress line on a terminal: none drawn"
	else
		pass "progress line on a terminal"
	fi
else
	echo "SKIP: no script(1) (util-linux) to give dio-bench a terminal"
fi

# ---- several files, jobs, batches, ramp, offsets, io_size -----------------
mkfile() { head -c "$2" /dev/urandom >"$1"; }
mkfile f1 4194304
mkfile f2 4194304
run --filename=f1,f2 --engine=uring-fixed,uring --numjobs=2 --iodepth=8 \
	--iodepth_batch=4 --ramp_time=1 --runtime=1 --offset=64k --size=1m \
	--output-format=json
if [ "$rc" -ne 0 ]; then
	fail "two files, two jobs: exit $rc"
elif [ "$have_python" = 1 ] && ! json_check "
assert [j['jobname'] for j in d['jobs']] == ['uring-fixed', 'uring']
for j in d['jobs']:
    assert j['read']['total_ios'] > 0
    assert j['job options']['numjobs'] in (2, '2')
assert d['jobs'][0]['pindio']['pin_regions'] >= 1
assert d['jobs'][0]['pindio']['vmpin_agrees']
"; then
	fail "two files, two jobs: JSON report"
else
	pass "two files, two jobs sharing one registered buffer, batches, ramp"
fi
run --filename=f1 --engine=uring --rw=read --io_size=1m --output-format=json
if [ "$rc" -ne 0 ]; then
	fail "--io_size=1m: exit $rc"
elif [ "$have_python" = 1 ] && ! json_check "
assert d['jobs'][0]['read']['io_bytes'] == 1048576, d['jobs'][0]['read']['io_bytes']
"; then
	fail "--io_size=1m: not exactly 1 MiB read"
else
	pass "--io_size=1m reads exactly 1 MiB and stops"
fi
run --filename=f1 --engine=uring-fixed --rw=randread --io_size=1m --ramp_time=1 \
	--output-format=json
if [ "$rc" -ne 0 ]; then
	fail "--io_size=1m --ramp_time=1: exit $rc"
elif [ "$have_python" = 1 ] && ! json_check "
assert d['jobs'][0]['read']['io_bytes'] == 1048576, d['jobs'][0]['read']['io_bytes']
"; then
	fail "--io_size=1m --ramp_time=1: the ramp's requests were measured too"
else
	pass "--io_size=1m --ramp_time=1 measures exactly 1 MiB after the ramp"
fi
run --engine=uring --runtime=1 --size=8m --output-format=csv --output=report.csv
if [ "$rc" -ne 0 ]; then
	fail "--output-format=csv --output=FILE: exit $rc"
elif [ -s "$out" ] || [ "$(wc -l <report.csv)" -ne 2 ] ||
     ! head -n1 report.csv | grep -q '^engine,'; then
	fail "--output-format=csv --output=FILE: expected a header and one row in the file, nothing on stdout"
else
	pass "--output-format=csv --output=FILE"
fi

run --engine=psync --direct=0 --bs=1000 --rw=randrw --runtime=1 --size=1000000
if [ "$rc" -ne 0 ]; then
	fail "--engine=psync --direct=0 --bs=1000: exit $rc"
elif ! grep -q '^psync ' "$out"; then
	fail "--engine=psync --direct=0: no psync row"
elif ! grep -q '^target: .*, buffered I/O (--direct=0)$' "$out"; then
	fail "--engine=psync --direct=0: the target line does not say buffered I/O: $(grep '^target:' "$out")"
else
	pass "--engine=psync --direct=0: buffered, unaligned blocks"
fi

# ---- ring and buffer options ----------------------------------------------
for o in --sqpoll --hugepages; do
	run --engine=uring-fixed,uring $o --runtime=1 --size=8m
	if [ "$rc" -ne 0 ] || ! grep -q '^uring-fixed ' "$out"; then
		fail "$o: exit $rc, or no uring-fixed row"
	else
		pass "$o: $(grep 'pinned in' "$out" | sed 's/^ *//')"
	fi
done
# Plain buffers alone go on huge pages too (transparent ones).
run --engine=libaio,psync --hugepages --runtime=1 --size=8m
if [ "$rc" -ne 0 ] || ! grep -q '^libaio ' "$out" || ! grep -q '^psync ' "$out"; then
	fail "--engine=libaio,psync --hugepages: exit $rc, or a row missing"
else
	pass "--engine=libaio,psync --hugepages: runs without uring-fixed"
fi
# A file has no poll queues: one error, and what --hipri needs.
run --engine=uring-fixed --hipri --runtime=1 --size=8m
if [ "$rc" -eq 0 ]; then
	echo "SKIP: --hipri worked on $PWD's filesystem: the refusal is not checked"
elif [ "$rc" -ne 1 ] || [ "$(grep -c 'at offset' "$err")" -ne 1 ] ||
     ! grep -q 'hipri.*poll queues' "$err"; then
	fail "--hipri on a file: expected exit 1, one failed request and the poll-queue hint"
else
	pass "--hipri on a file: $(tail -n1 "$err" | cut -c1-90)"
fi

# ---- --verify: a corrupted block is caught --------------------------------
for engine in uring-fixed libaio psync; do
	mkfile v 4194304
	run --filename=v --engine=$engine --rw=write --verify=crc32c --io_size=4m \
		--iodepth=4 --output-format=json
	if [ "$rc" -ne 0 ]; then
		fail "$engine --verify write and read back: exit $rc"
		continue
	fi
	run --filename=v --engine=$engine --rw=randread --verify=crc32c --runtime=1 \
		--iodepth=4
	if [ "$rc" -ne 0 ]; then
		fail "$engine --verify read of a verified file: exit $rc"
		continue
	fi
	# One byte in the middle of the block at 1 MiB + 4 KiB.
	printf 'X' | dd of=v bs=1 seek=$((1048576 + 4096 + 2000)) conv=notrunc status=none
	run --filename=v --engine=$engine --rw=read --verify=crc32c --io_size=4m \
		--iodepth=4
	if [ "$rc" -ne 1 ]; then
		fail "$engine --verify of a corrupted block: exit $rc, expected 1"
	elif ! grep -q 'verify.*offset 1052672' "$err"; then
		fail "$engine --verify of a corrupted block: no message naming offset 1052672"
	elif ! grep -q 'expected 0x[0-9a-f]*, actual 0x[0-9a-f]*' "$err"; then
		fail "$engine --verify of a corrupted block: no expected/actual values"
	else
		pass "$engine --verify catches a corrupted block: $(grep verify "$err" | head -n1)"
	fi
done
run --engine=uring-fixed --rw=randread --verify=crc32c --runtime=1 --size=8m \
	--offset=4k --bs=8k
if [ "$rc" -ne 0 ]; then
	fail "--verify --offset=4k --bs=8k on a scratch file: exit $rc"
else
	pass "--verify --offset=4k --bs=8k: the scratch file's blocks start at --offset"
fi
run --engine=uring-fixed --rw=randrw --verify=crc32c --runtime=1 --size=8m --numjobs=2
if [ "$rc" -ne 0 ]; then
	fail "--rw=randrw --verify on a scratch file: exit $rc"
else
	pass "--rw=randrw --verify on a scratch file, two jobs"
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
bad --numjobs --numjobs=0
bad --rwmixread --rw=randrw --rwmixread=101
bad --iodepth_batch --iodepth=4 --iodepth_batch=5
bad --output-format --output-format=xml
bad --verify --verify=md5
bad --direct --engine=uring --direct=0
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
# An existing --output file stays as it was; one the run created goes.
echo keep >kept.out
for o in kept.out new.out; do
	"$bench" --runtime=30 --size=8m --output=$o >"$out" 2>"$err" &
	pid=$!
	sleep 2
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	if [ "$rc" -ne 130 ]; then
		fail "SIGINT: exit $rc, expected 130 (killed by SIGINT)"
	elif ! no_scratch_left; then
		fail "SIGINT: scratch file left behind: $(echo dio-bench.scratch.*)"
	elif [ "$o" = kept.out ] && [ "$(cat kept.out)" != keep ]; then
		fail "SIGINT: the existing --output file was changed"
	elif [ "$o" = new.out ] && [ -e new.out ]; then
		fail "SIGINT: the --output file the run created is left behind"
	else
		pass "SIGINT stops the run, removes the scratch file, leaves --output=$o as it was"
	fi
done

exit "$failed"
