#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The VM lab: boot Debian kernels under QEMU with an emulated NVDIMM and
# run the scenarios of tests/vm/scenarios inside, reporting each guest
# test as a TAP result.  tests/vm/README.md says more.
#
#   lab.sh run   [-k KERNEL]... [-s SCENARIO]... [-B BUILDDIR]
#   lab.sh shell [-k KERNEL] [-s SCENARIO]... [-B BUILDDIR]
#   lab.sh fetch [-k KERNEL]...
#   lab.sh list
#   lab.sh clean-cache
#
# run: TAP on stdout (progress on stderr), every guest test one line,
#      named "KERNEL SCENARIO/TEST".  Exit 1 when a test failed.
# shell: boot one kernel with the console on this terminal, run the
#      scenarios given (none by default), then a shell.
# fetch: only download the kernels into the cache.
#
# Environment:
#   PINDIO_VM_KERNELS    kernels for run (default "6.1 bpo"); see lab-kernel.sh
#   PINDIO_VM_SCENARIOS  scenarios for run (default: all)
#   PINDIO_VM_CACHE      the cache (default /var/cache/pindio-vm, or
#                        ~/.cache/pindio-vm when that is not writable)
#   PINDIO_VM_ACCEL      auto (KVM, else TCG), kvm or tcg
#   PINDIO_VM_OFFLINE=1  use only cached kernels, never the network
#   PINDIO_VM_SKIP=1     skip the lab (TAP "1..0 # SKIP")
#   PINDIO_VM_MEM, PINDIO_VM_SMP        guest RAM (1G), CPUs (2)
#   PINDIO_VM_CMD_TIMEOUT               seconds per guest command (60)
#   PINDIO_VM_STALL                     seconds without console output
#                                       before a boot is killed (150)
#   PINDIO_VM_APPEND     more kernel command line
set -uo pipefail

LAB_VMDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab-kernel.sh
. "$LAB_VMDIR/lab-kernel.sh"
# shellcheck source=lab-initramfs.sh
. "$LAB_VMDIR/lab-initramfs.sh"
# shellcheck source=lab-qemu.sh
. "$LAB_VMDIR/lab-qemu.sh"

PATH=$PATH:/usr/sbin:/sbin

# Killed or interrupted: stop QEMU, remove its temporary files.
Q_PID='' Q_TMP=''
lab_exit() {
	[ -z "$Q_PID" ] || kill "$Q_PID" 2>/dev/null
	[ -z "$Q_TMP" ] || rm -rf "$Q_TMP"
}
trap lab_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# The project's programs every guest gets (relative to the build dir).
LAB_PROJECT_FILES="tests/vm/dax-check bench/dio-bench"

# Progress, on stderr (which run sends to stdout when that is not a
# terminal, so that the TAP log keeps it in order), as TAP comments.
lab_msg() {
	echo "# lab: $*" >&2
}

# lab_lock VAR NAME: wait for the cache's lock NAME; VAR gets its file
# descriptor (close it with exec {VAR}>&- to unlock).
lab_lock() {
	local __var=$1 __name=$2 __fd
	mkdir -p "$LAB_CACHE/locks" || return 1
	exec {__fd}>>"$LAB_CACHE/locks/$__name.lock" || return 1
	if ! flock -w "${PINDIO_VM_LOCK_WAIT:-1800}" "$__fd"; then
		exec {__fd}>&-
		lab_msg "timed out waiting for the lock $LAB_CACHE/locks/$__name.lock"
		return 1
	fi
	printf -v "$__var" %s "$__fd"
}

lab_cache_dir() {
	if [ -n "${PINDIO_VM_CACHE:-}" ]; then
		LAB_CACHE=$PINDIO_VM_CACHE
	elif mkdir -p /var/cache/pindio-vm 2>/dev/null && [ -w /var/cache/pindio-vm ]; then
		LAB_CACHE=/var/cache/pindio-vm
	else
		LAB_CACHE=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/pindio-vm
	fi
	mkdir -p "$LAB_CACHE" 2>/dev/null && [ -w "$LAB_CACHE" ]
}

# ---- scenarios -----------------------------------------------------------------

lab_all_scenarios() {
	local f
	for f in "$LAB_VMDIR"/scenarios/*.sh; do
		[ -f "$f" ] || continue
		f=${f##*/}
		echo "${f%.sh}"
	done
}

# lab_header NAME KEY: the values of the scenario's "# lab-KEY:" lines.
lab_header() {
	sed -n "s/^# lab-$2:[[:space:]]*//p" "$LAB_VMDIR/scenarios/$1.sh" | tr '\n' ' '
}

# Debian packages of the programs scenarios use, for skip messages.
lab_tool_package() {
	case $1 in
	ndctl) echo ndctl ;;
	daxctl) echo daxctl ;;
	mkfs.ext4 | mke2fs | chattr | lsattr | e2fsck | tune2fs) echo e2fsprogs ;;
	mkfs.xfs | xfs_io | xfs_info | xfs_repair) echo xfsprogs ;;
	dmsetup) echo dmsetup ;;
	*) echo "the package providing $1" ;;
	esac
}

# lab_union KEY NAME...: the union of the scenarios' KEY values.
lab_union() {
	local key=$1 s
	shift
	for s in "$@"; do
		lab_header "$s" "$key"
	done | tr ' ' '\n' | sed '/^$/d' | awk '!seen[$0]++' | tr '\n' ' '
}

# ---- TAP --------------------------------------------------------------------------

TAP_N=0
TAP_FAILED=0

tap() { # ok|not-ok DESCRIPTION [DIRECTIVE]
	local st=ok hash='#' desc=$2
	TAP_N=$((TAP_N + 1))
	[ "$1" = ok ] || { st="not ok"; TAP_FAILED=$((TAP_FAILED + 1)); }
	# A '#' in the description would start a directive: escape it.
	desc=${desc//"$hash"/'\#'}
	echo "$st $TAP_N - $desc${3:+ # $3}"
}

tap_diag() {
	local line
	while IFS= read -r line; do
		echo "#   $line"
	done
}

# tap_boot LOG KERNEL PENDING...: turn one boot's console log into TAP.
# Sets LAB_REMAINING to the scenarios that did not begin and LAB_PROGRESS
# to 1 when at least one scenario began.
tap_boot() {
	local log=$1 kernel=$2 line tag k rest id st detail s
	shift 2
	local -A begun=() ended=() out=()
	LAB_PROGRESS=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		*PINDIO-LAB-*) line=PINDIO-LAB-${line#*PINDIO-LAB-} ;;
		*) continue ;;
		esac
		read -r tag k rest <<<"$line"
		[ "$k" = "$kernel" ] || continue
		case $tag in
		PINDIO-LAB-BEGIN)
			begun[$rest]=1
			LAB_PROGRESS=1
			;;
		PINDIO-LAB-END)
			ended[${rest%% *}]=1
			;;
		PINDIO-LAB-OUT)
			id=${rest%% *}
			[ "$id" = "$rest" ] && rest= || rest=${rest#* }
			out[$id]+="$rest"$'\n'
			;;
		PINDIO-LAB-NOTE)
			echo "# $kernel $rest"
			;;
		PINDIO-LAB-RESULT)
			read -r id st detail <<<"$rest"
			case $st in
			PASS) tap ok "$kernel $id${detail:+: $detail}" ;;
			SKIP) tap ok "$kernel $id" "SKIP ${detail:-skipped}" ;;
			*) tap not-ok "$kernel $id${detail:+: $detail}" ;;
			esac
			[ -z "${out[$id]:-}" ] || printf '%s' "${out[$id]}" | tap_diag
			unset "out[$id]"
			;;
		esac
	done <"$log"
	LAB_REMAINING=()
	for s in "$@"; do
		if [ -n "${ended[$s]:-}" ]; then
			:
		elif [ -n "${begun[$s]:-}" ]; then
			tap not-ok "$kernel $s: the guest crashed, hung or was killed in this scenario (no end marker; console log $log)"
		else
			LAB_REMAINING+=("$s")
		fi
	done
}

tap_log_tail() {
	local log=$1
	echo "# console log: $log (last ${PINDIO_VM_LOG_TAIL:-40} lines):"
	tail -n "${PINDIO_VM_LOG_TAIL:-40}" "$log" 2>/dev/null | tr -d '\r' | tap_diag
	if [ -s "$log.stderr" ]; then
		echo "# QEMU's stderr:"
		tail -n 20 "$log.stderr" | tap_diag
	fi
}

# ---- one kernel --------------------------------------------------------------------

# lab_kernel_scenarios KERNEL BUILDDIR PROJECT SCENARIO...: fetch done
# (K_*), build the initramfs, boot until every scenario ran.
lab_run_kernel() {
	local kernel=$1 builddir=$2 project=$3 work s t m tool missing resolved
	local boot=0 timeout fails_before start why
	shift 3
	local -a runnable=()
	start=$(date +%s)
	work=$builddir/tests/vm/lab/$kernel
	mkdir -p "$work"

	if ! initramfs_base "$K_DIR" "$K_KVER" "$K_MODDIR"; then
		tap not-ok "$kernel: cannot build the initramfs for $K_KVER"
		return 0
	fi
	cat "$IR_BASE" "$project" >"$work/initrd.img" || {
		tap not-ok "$kernel: cannot write $work/initrd.img"
		return 0
	}
	resolved=$(initramfs_resolve_modules "$K_MODDIR" $LAB_MODULES)

	# What this host and this kernel cannot offer a scenario is a skip.
	for s in "$@"; do
		missing=
		for t in $(lab_header "$s" tools); do
			command -v "$t" >/dev/null ||
				missing+=" $t (apt-get install $(lab_tool_package "$t"))"
		done
		if [ -n "$missing" ]; then
			tap ok "$kernel $s" "SKIP this host lacks:$missing"
			continue
		fi
		for m in $(lab_header "$s" modules) $(lab_header "$s" modules-ship); do
			case $m in \?*) continue ;; esac
			if grep -q "^$m missing" <<<"$resolved"; then
				missing+=" $m"
			fi
		done
		if [ -n "$missing" ]; then
			tap ok "$kernel $s" "SKIP kernel $K_KVER has no module:$missing"
			continue
		fi
		runnable+=("$s")
	done

	while [ ${#runnable[@]} -gt 0 ]; do
		boot=$((boot + 1))
		timeout=${PINDIO_VM_BOOT_TIMEOUT:-120}
		for s in "${runnable[@]}"; do
			t=$(lab_header "$s" timeout)
			timeout=$((timeout + ${t:-120}))
		done
		local log=$work/console-$boot.log
		local append="console=ttyS0,115200 panic=-1 lab_kernel=$kernel"
		append+=" lab_scenarios=$(IFS=,; echo "${runnable[*]}")"
		append+=" lab_cmd_timeout=${PINDIO_VM_CMD_TIMEOUT:-60} ${PINDIO_VM_APPEND:-}"
		lab_msg "$kernel: boot $boot ($K_KVER): ${runnable[*]}"
		fails_before=$TAP_FAILED
		if ! qemu_boot "$kernel" "$log" "$timeout" "$K_DIR/vmlinux" \
			"$work/initrd.img" "$append"; then
			tap not-ok "$kernel: cannot start QEMU"
			return 0
		fi
		echo "# $kernel: boot $boot: $K_PKG $K_VERSION, accel $Q_ACCEL," \
			"$Q_SECONDS s, QEMU exit $Q_STATUS${Q_STALLED:+ (killed: no console output for ${PINDIO_VM_STALL:-150} s)}," \
			"log $log"
		tap_boot "$log" "$kernel" "${runnable[@]}"
		if [ "$LAB_PROGRESS" = 0 ] && [ ${#LAB_REMAINING[@]} -gt 0 ]; then
			if grep -q "^$LAB_READY_MARK" "$log"; then
				why="the guest booted but ran no scenario"
			else
				why="the guest did not boot (no ready marker)"
			fi
			for s in "${LAB_REMAINING[@]}"; do
				tap not-ok "$kernel $s: not run: $why"
			done
			LAB_REMAINING=()
		fi
		[ "$TAP_FAILED" -eq "$fails_before" ] || tap_log_tail "$log"
		runnable=("${LAB_REMAINING[@]}")
	done
	echo "# $kernel: done in $(($(date +%s) - start)) s ($boot boot(s))"
	lab_msg "$kernel: done in $(($(date +%s) - start)) s"
}

# ---- commands -------------------------------------------------------------------

usage() {
	sed -n '/^#   lab.sh/p' "$0" | sed 's/^#   /usage: /' >&2
	exit 2
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# Options common to the commands: -k, -s, -B.
parse_opts() {
	OPT_KERNELS=() OPT_SCENARIOS=() OPT_BUILDDIR=
	while [ $# -gt 0 ]; do
		case $1 in
		-k | --kernel) OPT_KERNELS+=("$2"); shift 2 ;;
		-s | --scenario) OPT_SCENARIOS+=("$2"); shift 2 ;;
		-B | --builddir) OPT_BUILDDIR=$2; shift 2 ;;
		*) usage ;;
		esac
	done
	[ ${#OPT_KERNELS[@]} -gt 0 ] || read -r -a OPT_KERNELS <<<"${PINDIO_VM_KERNELS:-6.1 bpo}"
	if [ ${#OPT_SCENARIOS[@]} -eq 0 ] && [ -n "${PINDIO_VM_SCENARIOS:-}" ]; then
		read -r -a OPT_SCENARIOS <<<"$PINDIO_VM_SCENARIOS"
	fi
	OPT_BUILDDIR=${OPT_BUILDDIR:-${top_builddir:-.}}
	OPT_BUILDDIR=$(cd "$OPT_BUILDDIR" 2>/dev/null && pwd) || {
		echo "lab: no build directory $OPT_BUILDDIR" >&2
		exit 2
	}
}

# Host checks shared by run and shell: sets LAB_TOOLS, LAB_FILES and
# LAB_MODULES from all scenarios (so that the cached base initramfs does
# not depend on which ones run).  Returns 1 with the reason in LAB_WHY
# when the lab cannot run at all.
lab_prepare() {
	local all t p
	LAB_WHY=
	if ! qemu_binary >/dev/null; then
		LAB_WHY="no ${PINDIO_VM_QEMU:-qemu-system-x86_64} (apt-get install qemu-system-x86)"
		return 1
	fi
	for t in busybox cpio gzip xz flock timeout; do
		command -v "$t" >/dev/null || {
			LAB_WHY="no $t on this host (apt-get install busybox-static cpio gzip xz-utils util-linux coreutils)"
			return 1
		}
	done
	if ! lab_cache_dir; then
		LAB_WHY="cannot write the cache directory $LAB_CACHE (set PINDIO_VM_CACHE)"
		return 1
	fi
	for p in $LAB_PROJECT_FILES; do
		if [ ! -e "$OPT_BUILDDIR/$p" ]; then
			LAB_WHY="$OPT_BUILDDIR/$p is not built (make check builds it)"
			return 1
		fi
	done
	mapfile -t all < <(lab_all_scenarios)
	LAB_TOOLS=
	for t in $(lab_union tools "${all[@]}"); do
		p=$(command -v "$t") && LAB_TOOLS+=" $p"
	done
	LAB_FILES=
	for p in $(lab_union files "${all[@]}"); do
		[ -e "$p" ] && LAB_FILES+=" $p"
	done
	LAB_MODULES=$(lab_union modules "${all[@]}" | sed 's/?//g')
	LAB_MODULES+=" $(lab_union modules-ship "${all[@]}" | sed 's/?//g')"
	return 0
}

# lab_select_scenarios: OPT_SCENARIOS, checked, or all; into SCENARIOS.
lab_select_scenarios() {
	local s
	SCENARIOS=()
	if [ ${#OPT_SCENARIOS[@]} -eq 0 ]; then
		mapfile -t SCENARIOS < <(lab_all_scenarios)
		return 0
	fi
	for s in "${OPT_SCENARIOS[@]}"; do
		s=${s%.sh}
		s=${s##*/}
		[ -f "$LAB_VMDIR/scenarios/$s.sh" ] || {
			echo "lab: no scenario $s (see: $0 list)" >&2
			exit 2
		}
		SCENARIOS+=("$s")
	done
}

cmd_run() {
	local k fetched=() skipped=() project s start
	start=$(date +%s)
	parse_opts "$@"
	[ -t 1 ] || exec 2>&1
	[ "${PINDIO_VM_SKIP:-0}" != 1 ] || skip_all "PINDIO_VM_SKIP=1"
	lab_prepare || skip_all "$LAB_WHY"
	lab_select_scenarios
	[ ${#SCENARIOS[@]} -gt 0 ] || skip_all "no scenarios in $LAB_VMDIR/scenarios"
	LAB_MACHINE=$(lab_union machine "${SCENARIOS[@]}")
	# A misspelt kernel is an error, not a skip.
	for k in "${OPT_KERNELS[@]}"; do
		kernel_profile "$k" || {
			echo "lab: unknown kernel '$k' (use 6.1, bpo or a linux-image-* package name)" >&2
			exit 2
		}
	done

	for k in "${OPT_KERNELS[@]}"; do
		if kernel_fetch "$k"; then
			fetched+=("$k")
			eval "KDIR_$(printf %s "$k" | tr -c 'A-Za-z0-9' _)=\$K_DIR"
		else
			skipped+=("$k: $K_ERROR")
			lab_msg "kernel $k: $K_ERROR"
		fi
	done
	if [ ${#fetched[@]} -eq 0 ]; then
		skip_all "no kernel could be had: $(IFS=';'; echo "${skipped[*]}")"
	fi
	kernel_prune

	mkdir -p "$OPT_BUILDDIR/tests/vm/lab"
	project=$OPT_BUILDDIR/tests/vm/lab/project.cpio.gz
	# shellcheck disable=SC2086
	initramfs_project "$project" "$OPT_BUILDDIR" $LAB_PROJECT_FILES \
		$(lab_union build-files "${SCENARIOS[@]}") ||
		skip_all "cannot build the project's initramfs"

	echo "# pindio VM lab: kernels ${OPT_KERNELS[*]}; scenarios ${SCENARIOS[*]}; cache $LAB_CACHE"
	for s in "${skipped[@]}"; do
		tap ok "${s%%:*}" "SKIP ${s#*: }"
	done
	for k in "${fetched[@]}"; do
		eval "kernel_set \"\$KDIR_$(printf %s "$k" | tr -c 'A-Za-z0-9' _)\""
		lab_run_kernel "$k" "$OPT_BUILDDIR" "$project" "${SCENARIOS[@]}"
	done
	echo "1..$TAP_N"
	echo "# $TAP_FAILED failed; $(($(date +%s) - start)) s in all"
	[ "$TAP_FAILED" -eq 0 ]
}

cmd_shell() {
	local project work append accel all
	parse_opts "$@"
	lab_prepare || { echo "lab: $LAB_WHY" >&2; exit 1; }
	SCENARIOS=()
	[ ${#OPT_SCENARIOS[@]} -eq 0 ] || lab_select_scenarios
	mapfile -t all < <(lab_all_scenarios)
	LAB_MACHINE=$(lab_union machine "${all[@]}")
	kernel_fetch "${OPT_KERNELS[0]}" || { echo "lab: $K_ERROR" >&2; exit 1; }
	work=$OPT_BUILDDIR/tests/vm/lab/${OPT_KERNELS[0]}
	mkdir -p "$work"
	project=$OPT_BUILDDIR/tests/vm/lab/project.cpio.gz
	# shellcheck disable=SC2086
	initramfs_project "$project" "$OPT_BUILDDIR" $LAB_PROJECT_FILES \
		$(lab_union build-files "${all[@]}") || exit 1
	initramfs_base "$K_DIR" "$K_KVER" "$K_MODDIR" || exit 1
	cat "$IR_BASE" "$project" >"$work/initrd.img" || exit 1
	append="console=ttyS0,115200 panic=-1 lab_kernel=${OPT_KERNELS[0]} lab_shell=1"
	append+=" lab_scenarios=$(IFS=,; echo "${SCENARIOS[*]}") ${PINDIO_VM_APPEND:-}"
	accel=${PINDIO_VM_ACCEL:-auto}
	if [ "$accel" = auto ]; then
		# A short boot with no scenario tells whether KVM works.
		qemu_boot "${OPT_KERNELS[0]}" "$work/accel-probe.log" 120 \
			"$K_DIR/vmlinux" "$work/initrd.img" \
			"console=ttyS0,115200 panic=-1 lab_kernel=${OPT_KERNELS[0]}" || exit 1
		accel=$Q_ACCEL
	fi
	lab_msg "booting ${OPT_KERNELS[0]} ($K_KVER) with $accel;" \
		"leave with 'poweroff -f' or Ctrl-A x"
	qemu_run "$accel" "$work/shell.log" 0 "$K_DIR/vmlinux" "$work/initrd.img" \
		"$append" interactive
}

cmd_fetch() {
	local k st=0
	parse_opts "$@"
	lab_cache_dir || { echo "lab: cannot write $LAB_CACHE" >&2; exit 1; }
	for k in "${OPT_KERNELS[@]}"; do
		if kernel_fetch "$k"; then
			echo "$k: $K_PKG $K_VERSION ($K_KVER) in $K_DIR"
		else
			echo "$k: $K_ERROR" >&2
			st=1
		fi
	done
	exit $st
}

cmd_list() {
	local s
	echo "scenarios ($LAB_VMDIR/scenarios):"
	for s in $(lab_all_scenarios); do
		printf '  %-16s %s\n' "$s" "$(sed -n 's/^# lab-about:[[:space:]]*//p' "$LAB_VMDIR/scenarios/$s.sh" | head -n 1)"
	done
	echo "kernels: 6.1 (bookworm), bpo (bookworm-backports), or a linux-image-* package"
	lab_cache_dir && echo "cache: $LAB_CACHE" && ls "$LAB_CACHE/kernels" 2>/dev/null | sed 's/^/  /'
}

cmd_clean_cache() {
	lab_cache_dir || exit 1
	local fd
	lab_lock fd clean || exit 1
	lab_msg "removing $LAB_CACHE/kernels $LAB_CACHE/initramfs $LAB_CACHE/apt"
	rm -rf "$LAB_CACHE/kernels" "$LAB_CACHE/initramfs" "$LAB_CACHE/apt"
}

[ $# -gt 0 ] || usage
command_name=$1
shift
case $command_name in
run) cmd_run "$@" ;;
shell) cmd_shell "$@" ;;
fetch) cmd_fetch "$@" ;;
list) cmd_list ;;
clean-cache) cmd_clean_cache ;;
*) usage ;;
esac
