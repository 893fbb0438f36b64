#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The fio engine (fio/fio-pindio.so) driven by the real fio binary:
#   - write then verify=crc32c read-back jobs, sequential and random,
#     several block sizes and queue depths, numjobs=2 in fio's process
#     and thread modes, several files per job;
#   - randrw with verify;
#   - the engine's options: the libaio backend, huge pages, no fixed
#     buffers (with fsync), SQ polling;
#   - iomem=mmapshared on a file (a writable shared file mapping), which
#     pindio must refuse with its message while fio exits non-zero, and
#     the same for memory over RLIMIT_MEMLOCK (as root, without
#     CAP_IPC_LOCK);
#   - every job file in fio/examples.
# For each run: fio's exit status, no error in any job of its JSON report,
# data read and written, no verify complaint, and one pin report per job
# saying that VmPin agrees with pindio's account.
#
# Run by `make check` with top_srcdir set, and PINDIO_FIO_ENGINE (the
# module in the build tree) when configure was given --with-fio-src.
# Exit 77 (SKIP) when the engine was not built, fio or python3 is missing,
# or the build directory's filesystem has no O_DIRECT.

top_srcdir=${top_srcdir:-.}
script_dir=$(cd "$(dirname "$0")" && pwd)
. "$script_dir/script-lib.sh"

[ -n "${PINDIO_FIO_ENGINE:-}" ] ||
	skip "the fio engine was not built (configure --with-fio-src=\`scripts/fio-source.sh\`)"
[ -f "$PINDIO_FIO_ENGINE" ] ||
	hard_error "configure built the engine but $PINDIO_FIO_ENGINE is missing; run make"
command -v fio >/dev/null 2>&1 || skip "fio not found (Debian package fio)"
# An instrumented module cannot be loaded by fio, which is not.
[ "${PINDIO_SANITIZED:-0}" != 1 ] ||
	skip "a sanitizer build: fio cannot load an instrumented engine"
command -v python3 >/dev/null 2>&1 || skip "python3 not found; it reads fio's JSON reports"
examples=$(cd "$top_srcdir/fio/examples" && pwd) || hard_error "no fio/examples"
export PINDIO_FIO_ENGINE

work=$(mktemp -d "${PWD}/fio-engine.XXXXXX") || hard_error "mktemp failed"
trap 'rm -rf "$work"' EXIT
export PINDIO_FIO_DIR=$work/data
mkdir -p "$PINDIO_FIO_DIR"
dd if=/dev/zero of="$PINDIO_FIO_DIR/probe" bs=4096 count=1 oflag=direct \
	>/dev/null 2>&1 ||
	skip "$PINDIO_FIO_DIR: the filesystem does not support O_DIRECT"
rm -f "$PINDIO_FIO_DIR/probe"
# fio writes its verify state files (*-verify.state) into the current
# directory: the private one, not the build tree (distcheck checks it).
cd "$work" || hard_error "cannot enter $work"

failed=0
run_limit=60
json=$work/out.json
err=$work/err

fail() {
	echo "FAIL: $*"
	echo "--- stderr"; cat "$err"
	echo "--- report"; cat "$json" 2>/dev/null | head -n 40
	echo "---"
	failed=1
}

# fio_run ARGS...: fio with a JSON report in $json, stderr in $err (the
# engine's pin reports go there with a JSON report), status in $rc.
fio_run() {
	rm -f "$json"
	timeout "$run_limit" fio --output-format=json --output="$json" "$@" \
		2>"$err"
	rc=$?
	# Between runs: the files of one are not the next one's.
	rm -rf "${PINDIO_FIO_DIR:?}"/*
}

# check_report: every job of $json ran without error and moved data (both
# directions for a verify job), $err has no verify complaint and one pin
# report per job, each agreeing with VmPin.  Prints what is wrong.
check_report() {
	local jobs agree
	jobs=$(python3 - "$json" <<'EOF'
import json, sys
# The whole file: the engine's own lines must not get into it.
doc = json.load(open(sys.argv[1]))
bad = []
for j in doc['jobs']:
    name = j['jobname']
    if j['error']:
        bad.append('%s: error %d' % (name, j['error']))
    if j['read']['io_bytes'] + j['write']['io_bytes'] == 0:
        bad.append('%s: no data moved' % name)
    verify = j.get('job options', {}).get('verify') or \
        doc.get('global options', {}).get('verify')
    if verify and (j['read']['io_bytes'] == 0 or j['write']['io_bytes'] == 0):
        bad.append('%s: verify job without both writes and reads' % name)
for b in bad:
    print('BAD', b)
print(len(doc['jobs']))
EOF
	) || { echo "fio's JSON report does not parse"; return; }
	if printf '%s\n' "$jobs" | grep '^BAD'; then
		return
	fi
	if grep -q '^verify: ' "$err"; then
		echo "fio's verify complained"
		return
	fi
	agree=$(grep -c 'VmPin agrees with the account' "$err")
	[ "$agree" -eq "$jobs" ] ||
		echo "$jobs jobs but $agree pin reports agreeing with VmPin"
}

# job DESCRIPTION FIO-ARGS...: a run that must succeed
job() {
	local what=$1 problem
	shift
	fio_run "$@"
	if [ "$rc" -ne 0 ]; then
		fail "$what: fio exited with $rc"
		return
	fi
	problem=$(check_report)
	if [ -n "$problem" ]; then
		fail "$what: $problem"
		return
	fi
	echo "PASS: $what"
}

engine="--ioengine=external:$PINDIO_FIO_ENGINE"
common=("$engine" "--directory=$PINDIO_FIO_DIR" --size=2m
	--verify=crc32c --verify_fatal=1)

job "sequential write + verify, bs=4k iodepth=1, numjobs=2 (processes)" \
	--name=seq4k "${common[@]}" --rw=write --bs=4k --iodepth=1 --numjobs=2
job "random write + verify, bs=16k iodepth=32, numjobs=2 (threads)" \
	--name=rand16k "${common[@]}" --rw=randwrite --bs=16k --iodepth=32 \
	--numjobs=2 --thread=1
job "sequential write + verify, bs=128k iodepth=4, 3 files per job" \
	--name=seq128k "${common[@]}" --rw=write --bs=128k --iodepth=4 \
	--nrfiles=3
job "random write + verify, bs=64k iodepth=8, numjobs=2, 2 files each" \
	--name=rand64k "${common[@]}" --rw=randwrite --bs=64k --iodepth=8 \
	--numjobs=2 --nrfiles=2
job "randrw + verify, bs=4k iodepth=16, numjobs=2 (threads)" \
	--name=randrw "${common[@]}" --rw=randrw --bs=4k --iodepth=16 \
	--numjobs=2 --thread=1
job "pindio_backend=aio: random write + verify" \
	--name=aio "${common[@]}" --rw=randwrite --bs=8k --iodepth=8 \
	--pindio_backend=aio
job "pindio_hugepages=1: random write + verify" \
	--name=huge "${common[@]}" --rw=randwrite --bs=4k --iodepth=8 \
	--pindio_hugepages=1
job "pindio_fixedbufs=0 with fsync=4: random write + verify" \
	--name=plain "${common[@]}" --rw=randwrite --bs=4k --iodepth=8 \
	--pindio_fixedbufs=0 --fsync=4
job "pindio_sqpoll=1: sequential write + verify" \
	--name=sqpoll "${common[@]}" --rw=write --bs=4k --iodepth=8 \
	--pindio_sqpoll=1

# A block device: fio sizes it by opening it through the engine from its
# main thread, before the job's ->init (this crashed the engine once).
if [ "$(id -u)" -eq 0 ] && command -v losetup >/dev/null; then
	truncate -s 16m "$work/loop-backing" || hard_error "cannot create a loop backing file"
	loopdev=$(losetup --find --show "$work/loop-backing" 2>/dev/null)
	if [ -n "$loopdev" ]; then
		job "a block device ($loopdev): random write + verify" \
			--name=blockdev "$engine" "--filename=$loopdev" --size=8m \
			--verify=crc32c --verify_fatal=1 --rw=randwrite --bs=4k \
			--iodepth=16
		losetup -d "$loopdev"
	else
		echo "(not checked: a block device; no free loop device)"
	fi
else
	echo "(not checked: a block device, which needs root and losetup)"
fi

# The io_uring jobs registered their memory: the pin report of a job
# with fixed buffers says so.
fio_run --name=pinned "${common[@]}" --rw=write --bs=4k --iodepth=4
if [ "$rc" -eq 0 ] &&
	grep -q 'io_uring backend, pinned peak [1-9][0-9]* bytes in 1 region' "$err"; then
	echo "PASS: a job's io_u memory is pinned as one region"
else
	fail "the pin report of an io_uring job shows no pinned region"
fi

# fio's io_u memory in a writable MAP_SHARED mapping of a regular file:
# the kernel would refuse to pin it with a bare EFAULT; pindio refuses it
# first, naming the mapping, and the job fails.  fio does not size an
# existing file for mmapshared: it is made big enough beforehand.
shared=$work/iomem-shared
truncate -s 4m "$shared" || hard_error "cannot create $shared"
# The normal report on stdout, as a user reads it: fio's line about the
# failed job carries pindio's message (cut to fio's 128 bytes).
rm -f "$json"
timeout "$run_limit" fio --name=shared "$engine" \
	"--directory=$PINDIO_FIO_DIR" --size=1m --rw=write --bs=4k --iodepth=4 \
	"--iomem=mmapshared:$shared" >"$json" 2>"$err"
rc=$?
rm -rf "${PINDIO_FIO_DIR:?}"/*
if [ "$rc" -eq 0 ]; then
	fail "iomem=mmapshared on a file: fio exited 0"
elif ! grep -q "is a writable MAP_SHARED mapping of $shared" "$err"; then
	fail "iomem=mmapshared on a file: no pindio message naming the mapping"
elif ! grep -q 'err=14/.*func=pindio_buf_register, error=\[0x' "$json"; then
	fail "iomem=mmapshared on a file: the job's error is not pindio_buf_register's message"
else
	echo "PASS: iomem=mmapshared on a file is refused with pindio's message (fio exit $rc)"
fi

# Over RLIMIT_MEMLOCK: refused by pindio's prediction, with its message.
# The limit applies only without CAP_IPC_LOCK, which root has: drop it.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 &&
	command -v prlimit >/dev/null 2>&1; then
	rm -f "$json"
	timeout "$run_limit" prlimit --memlock=1048576 \
		setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock \
		fio --name=memlock "$engine" "--directory=$PINDIO_FIO_DIR" \
		--size=4m --rw=write --bs=256k --iodepth=16 >"$json" 2>"$err"
	rc=$?
	rm -rf "${PINDIO_FIO_DIR:?}"/*
	if [ "$rc" -ne 0 ] && grep -q 'but RLIMIT_MEMLOCK is 1024 KiB' "$err" &&
		grep -q 'err=12/.*func=pindio_buf_register' "$json"; then
		echo "PASS: over RLIMIT_MEMLOCK the job fails with pindio's message (fio exit $rc)"
	else
		fail "over RLIMIT_MEMLOCK: no failure with pindio's message (exit $rc)"
	fi
else
	echo "(not checked: the RLIMIT_MEMLOCK refusal, which needs root, setpriv and prlimit)"
fi

# pindio_registerfiles=0: files through their descriptors
# (PINDIO_CTX_NO_FIXED_FILES), as fio's io_uring engine without
# registerfiles.
job "pindio_registerfiles=0: random write + verify, 2 files" \
	--name=regfiles "${common[@]}" --rw=randwrite --bs=4k --iodepth=8 \
	--nrfiles=2 --pindio_registerfiles=0

nexamples=0
for example in "$examples"/*.fio; do
	[ -f "$example" ] || continue
	nexamples=$((nexamples + 1))
	job "example $(basename "$example")" "$example"
done
[ "$nexamples" -gt 0 ] || fail "no job file in $examples"

exit $failed
