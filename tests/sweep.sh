#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/sweep end to end on a small matrix: a CSV row per cell with
# numbers in it, both PNG charts drawn by gnuplot, a second sweep into the
# same directory appended, --plot-only redrawing, dio-bench run as its
# binary rather than libtool's wrapper, and exit status 2 for a bad option
# and 1 for a run that fails.
#
# Run by `make check` with top_builddir and top_srcdir set.  Exit 77
# (SKIP) without gnuplot (scripts/quickstart.sh installs gnuplot-nox) or
# when the current directory's filesystem has no O_DIRECT.

top_builddir=$(cd "${top_builddir:-.}" && pwd)
top_srcdir=$(cd "${top_srcdir:-.}" && pwd)
sweep=$top_srcdir/bench/sweep

if [ ! -x "$top_builddir/bench/dio-bench" ]; then
	echo "FAIL: $top_builddir/bench/dio-bench not found; build it first"
	exit 1
fi
if ! command -v gnuplot >/dev/null; then
	echo "SKIP: no gnuplot (apt-get install gnuplot-nox, or run scripts/quickstart.sh)"
	exit 77
fi
if ! command -v python3 >/dev/null; then
	echo "SKIP: no python3, which bench/sweep is written in"
	exit 77
fi

work=$(mktemp -d "${PWD}/sweep-test.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
out=$work/out
err=$work/err
failed=0

pass() { echo "PASS: $*"; }
fail() {
	echo "FAIL: $*"
	echo "--- stderr"; tail -n 20 "$err"
	failed=1
}

run() {
	timeout 120 "$sweep" --build-dir "$top_builddir" "$@" >"$out" 2>"$err"
	rc=$?
}

# png FILE: true when FILE starts with the PNG signature.
png() {
	[ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
}

# check_csv CSV N: CSV has N data rows, each ok with positive numbers;
# prints the cells (engine/bs/iodepth) it holds.
check_csv() {
	python3 - "$1" "$2" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
want = int(sys.argv[2])
if len(rows) != want:
    sys.exit(f"{len(rows)} rows, expected {want}")
cells = set()
for r in rows:
    cell = (r["engine"], r["bs"], r["iodepth"])
    if r["status"] != "ok":
        sys.exit(f"{cell}: status {r['status']}")
    for k in ("iops", "bw_bytes", "total_ios", "process_cpu_per_io_ns", "p50_ns", "p99_ns"):
        if not float(r[k] or 0) > 0:
            sys.exit(f"{cell}: {k} is {r[k]!r}")
    if abs(float(r["iops"]) * int(r["bs"]) - float(r["bw_bytes"])) > 0.01 * float(r["bw_bytes"]):
        sys.exit(f"{cell}: iops x bs = {float(r['iops']) * int(r['bs'])}, bw_bytes {r['bw_bytes']}")
    cells.add(cell)
print(" ".join(sorted("%s/%s/%s" % c for c in cells)))
EOF
}

d=$work/s1
run --engines uring-fixed,psync --bs 4k,8k --iodepth 1,4 --runtime 1 --size 16m --out "$d"
if [ "$rc" -ne 0 ] && grep -q "direct I/O" "$err"; then
	echo "SKIP: the filesystem of $PWD does not support O_DIRECT:"
	cat "$err"
	exit 77
fi
if [ "$rc" -ne 0 ]; then
	fail "2 engines x 2 bs x 2 iodepth: exit $rc"
elif ! cells=$(check_csv "$d/sweep.csv" 8 2>&1); then
	fail "2 x 2 x 2: sweep.csv: $cells"
elif [ "$cells" != "psync/4096/1 psync/4096/4 psync/8192/1 psync/8192/4 uring-fixed/4096/1 uring-fixed/4096/4 uring-fixed/8192/1 uring-fixed/8192/4" ]; then
	fail "2 x 2 x 2: not each cell once: $cells"
else
	pass "2 engines x 2 bs x 2 iodepth: a row per cell, with numbers"
fi

if png "$d/iops-vs-iodepth.png" && png "$d/bw-vs-bs.png"; then
	pass "both charts are PNG files"
else
	fail "charts: $(ls -l "$d")"
fi

if grep -q "libtool's wrapper" "$err"; then
	fail "dio-bench ran through libtool's wrapper: $(grep "libtool's wrapper" "$err")"
else
	pass "dio-bench runs as its binary"
fi

rm -f "$d/iops-vs-iodepth.png" "$d/bw-vs-bs.png"
run --engines uring --bs 4k --iodepth 2 --runtime 1 --size 16m --out "$d" --no-plot
if [ "$rc" -ne 0 ] || ! cells=$(check_csv "$d/sweep.csv" 9 2>&1); then
	fail "a second sweep into the same directory: exit $rc, ${cells:-}"
elif [ -e "$d/bw-vs-bs.png" ]; then
	fail "--no-plot drew a chart"
else
	pass "a second sweep appends its row, --no-plot draws nothing"
fi

run --plot-only --out "$d"
if [ "$rc" -eq 0 ] && png "$d/iops-vs-iodepth.png" && png "$d/bw-vs-bs.png"; then
	pass "--plot-only redraws both charts from the CSV"
else
	fail "--plot-only: exit $rc, $(ls "$d")"
fi

run --runtime 0 --out "$work/s2"
if [ "$rc" -eq 2 ] && grep -q -- "--runtime" "$err"; then
	pass "--runtime 0: exit 2 naming the option"
else
	fail "--runtime 0: exit $rc (expected 2)"
fi

: >"$work/short"
run --filename "$work/short" --engines psync --bs 4k --iodepth 1 --runtime 1 --out "$work/s3" --no-plot
if [ "$rc" -eq 1 ] && grep -q "FAILED psync" "$err" &&
   tr -d '\r' <"$work/s3/sweep.csv" | grep -q ",failed$"; then
	pass "a failing run: exit 1, its row marked failed"
else
	fail "an empty --filename: exit $rc (expected 1), $(cat "$work/s3/sweep.csv" 2>/dev/null)"
fi

exit $failed
