# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The VM lab's QEMU: one boot of one kernel, with the hardware the
# scenarios ask for (LAB_MACHINE), under a timeout.  Sourced by lab.sh.
#
# Acceleration (PINDIO_VM_ACCEL): auto (the default) boots with KVM when
# /dev/kvm is usable and falls back to TCG when that boot fails: QEMU
# reports a KVM error at any point (a nested KVM can fail to emulate an
# instruction, and QEMU then stops the guest instead of exiting), or the
# guest's /init does not say it is ready within PINDIO_VM_KVM_WAIT
# seconds (20), or the console is silent for PINDIO_VM_KVM_QUIET seconds
# (5) before that.  The whole boot is then run again with TCG.  A kernel that failed under KVM is booted with TCG for
# a day (a mark in $LAB_CACHE/kvm-failed).  kvm or tcg force one.

LAB_READY_MARK=PINDIO-LAB-READY

qemu_binary() {
	command -v "${PINDIO_VM_QEMU:-qemu-system-x86_64}"
}

qemu_kvm_usable() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ]
}

# qemu_kvm_error STDERR: did QEMU report that KVM could not go on?
qemu_kvm_error() {
	grep -q "KVM internal error\|emulation failure\|kvm run failed" "$1" 2>/dev/null
}

# qemu_machine_args TMPDIR: the machine's options for LAB_MACHINE, into
# the array Q_ARGS.  Tokens: nvdimm[=SIZE] (an NVDIMM backed by a sparse
# file, 512M by default), disk=SIZE (a virtio disk, /dev/vda, /dev/vdb...).
qemu_machine_args() {
	local tmp=$1 tok n=0 d=0 size mem=${PINDIO_VM_MEM:-1G}
	local machine=pc
	Q_ARGS=()
	for tok in $LAB_MACHINE; do
		case $tok in
		nvdimm | nvdimm=*)
			size=512M
			[ "$tok" = nvdimm ] || size=${tok#nvdimm=}
			n=$((n + 1))
			truncate -s "$size" "$tmp/nvdimm$n.img" || return 1
			Q_ARGS+=(-object "memory-backend-file,id=nvmem$n,share=on,mem-path=$tmp/nvdimm$n.img,size=$size,align=2M"
				-device "nvdimm,id=nvdimm$n,memdev=nvmem$n")
			;;
		disk=*)
			d=$((d + 1))
			truncate -s "${tok#disk=}" "$tmp/disk$d.img" || return 1
			Q_ARGS+=(-drive "file=$tmp/disk$d.img,format=raw,if=virtio,cache=unsafe")
			;;
		*)
			lab_msg "unknown lab-machine token '$tok'"
			return 1
			;;
		esac
	done
	if [ "$n" -gt 0 ]; then
		machine=pc,nvdimm=on
		mem=$mem,slots=$((n + 1)),maxmem=$((4 + n))G
	fi
	Q_ARGS=(-machine "$machine" -m "$mem" "${Q_ARGS[@]}")
}

# qemu_run ACCEL LOG TIMEOUT VMLINUX INITRD APPEND [interactive]
# One QEMU run, the serial console to LOG.  Sets Q_STATUS (QEMU's exit
# status; 124 when TIMEOUT seconds passed), Q_STALLED (non-empty when it
# was killed for printing nothing for PINDIO_VM_STALL seconds) and, with
# KVM, Q_KVM_FAILED=1 when the boot failed in a way TCG may not.
qemu_run() {
	local accel=$1 log=$2 timeout=$3 vmlinux=$4 initrd=$5 append=$6
	local interactive=${7:-} tmp cpu pid ticks=0 size last_size=-1 quiet=0
	local kvm_wait=${PINDIO_VM_KVM_WAIT:-20} kvm_quiet=${PINDIO_VM_KVM_QUIET:-5}
	local stall=${PINDIO_VM_STALL:-150} qemu
	qemu=$(qemu_binary) || return 1
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/pindio-vm.XXXXXX") || return 1
	# lab.sh's exit trap removes it (and stops QEMU) if we are killed.
	Q_TMP=$tmp
	if ! qemu_machine_args "$tmp"; then
		rm -rf "$tmp"
		return 1
	fi
	case $accel in
	kvm) cpu=host ;;
	*) cpu=max ;;
	esac
	local cmd=("$qemu" -accel "$accel" -cpu "$cpu" -smp "${PINDIO_VM_SMP:-2}"
		"${Q_ARGS[@]}" -nodefaults -display none -no-reboot
		-kernel "$vmlinux" -initrd "$initrd" -append "$append")
	Q_KVM_FAILED=0 Q_STALLED=
	if [ -n "$interactive" ]; then
		"${cmd[@]}" -serial mon:stdio
		Q_STATUS=$?
		rm -rf "$tmp"
		Q_TMP=
		return 0
	fi
	: >"$log"
	echo "${cmd[*]} -serial file:$log -monitor none" >"$log.cmd"
	timeout -k 5 "$timeout" "${cmd[@]}" -serial "file:$log" -monitor none \
		</dev/null 2>"$log.stderr" &
	pid=$!
	Q_PID=$pid
	# Every 0.2 s: is QEMU stuck (a KVM error, no output for too long)?
	while kill -0 "$pid" 2>/dev/null; do
		sleep 0.2
		ticks=$((ticks + 1))
		[ $((ticks % 5)) -eq 0 ] || continue
		size=$(stat -c %s "$log" 2>/dev/null || echo 0)
		if [ "$size" = "$last_size" ]; then
			quiet=$((quiet + 1))
		else
			quiet=0 last_size=$size
		fi
		# A KVM boot that fails: QEMU reports an error and stops the
		# guest (at any time), or the kernel hangs before /init.
		if [ "$accel" = kvm ] && { qemu_kvm_error "$log.stderr" ||
			{ ! grep -q "$LAB_READY_MARK" "$log" &&
				{ [ "$quiet" -ge "$kvm_quiet" ] ||
					[ "$ticks" -ge $((kvm_wait * 5)) ]; }; }; }; then
			Q_KVM_FAILED=1
			kill "$pid" 2>/dev/null
			break
		fi
		if [ "$quiet" -gt 0 ]; then
			if [ "$quiet" -ge "$stall" ]; then
				Q_STALLED=1
				kill "$pid" 2>/dev/null
				break
			fi
		fi
	done
	wait "$pid"
	Q_STATUS=$?
	Q_PID=
	if [ "$accel" = kvm ] &&
		{ qemu_kvm_error "$log.stderr" || ! grep -q "$LAB_READY_MARK" "$log"; }; then
		Q_KVM_FAILED=1
	fi
	rm -rf "$tmp"
	Q_TMP=
}

# qemu_boot NAME LOG TIMEOUT VMLINUX INITRD APPEND: boot, with KVM when
# it works.  Sets Q_ACCEL (what the boot ran with), Q_STATUS, Q_SECONDS.
qemu_boot() {
	local name=$1 log=$2 start accel=${PINDIO_VM_ACCEL:-auto} var mark
	shift 2
	start=$(date +%s)
	var=Q_KVM_BROKEN_$(printf '%s' "$name" | tr -c 'A-Za-z0-9' _)
	# A failed KVM boot of this kernel on this host is remembered in the
	# cache for a day: later runs go straight to TCG.
	mark=$LAB_CACHE/kvm-failed/$(uname -r)_${K_KVER:-$name}
	if [ -n "$(find "$mark" -mmin -1440 2>/dev/null)" ]; then
		printf -v "$var" 1
	fi
	if [ "$accel" = auto ]; then
		accel=tcg
		if qemu_kvm_usable && [ -z "${!var:-}" ]; then
			qemu_run kvm "$log" "$@" || return 1
			if [ "$Q_KVM_FAILED" = 0 ]; then
				Q_ACCEL=kvm
				Q_SECONDS=$(($(date +%s) - start))
				return 0
			fi
			mv -f "$log" "$log.kvm-failed"
			mv -f "$log.stderr" "$log.kvm-failed.stderr"
			lab_msg "$name: the KVM boot failed" \
				"($(grep -m1 -o 'KVM internal error.*\|emulation failure' "$log.kvm-failed.stderr" 2>/dev/null || echo "no ready marker")):" \
				"falling back to TCG"
			printf -v "$var" 1
			mkdir -p "${mark%/*}" && date -u +%FT%TZ >"$mark"
		fi
	fi
	qemu_run "$accel" "$log" "$@" || return 1
	Q_ACCEL=$accel
	Q_SECONDS=$(($(date +%s) - start))
}
