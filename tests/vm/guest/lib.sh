# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# The VM lab's guest helpers (busybox sh), sourced by /init.  Scenario
# files (/lab/scenarios/NAME.sh) are sourced in a subshell, one after the
# other, and use the lab_* functions below.  What the host reads on the
# serial console, one line each:
#
#   PINDIO-LAB-READY KERNEL UNAME-R        /init runs
#   PINDIO-LAB-BEGIN KERNEL SCENARIO       a scenario starts
#   PINDIO-LAB-OUT KERNEL SCENARIO/TEST TEXT   output of a test's command
#   PINDIO-LAB-RESULT KERNEL SCENARIO/TEST PASS|FAIL|SKIP DETAIL
#   PINDIO-LAB-NOTE KERNEL SCENARIO TEXT   logged, not a result
#   PINDIO-LAB-END KERNEL SCENARIO STATUS  the scenario is over
#   PINDIO-LAB-DONE KERNEL                 all scenarios are over
#
# A scenario that began and did not end (the guest crashed or hung) is a
# failure on the host side; one that did not begin is run again in a new
# boot.

LAB_STATE=/tmp/lab
LAB_KERNEL=${LAB_KERNEL:-unknown}
LAB_SCENARIO=${LAB_SCENARIO:-init}
LAB_CMD_TIMEOUT=${LAB_CMD_TIMEOUT:-60}

# ---- reporting ------------------------------------------------------------

# lab_result TEST PASS|FAIL|SKIP [DETAIL...]
lab_result() {
	_id=$1 _st=$2
	shift 2
	echo "$_st $_id" >>"$LAB_STATE/$LAB_SCENARIO.results"
	echo "PINDIO-LAB-RESULT $LAB_KERNEL $LAB_SCENARIO/$_id $_st $*"
}

# lab_note TEXT...: a line for the log (the host shows it, asserts nothing).
lab_note() {
	echo "PINDIO-LAB-NOTE $LAB_KERNEL $LAB_SCENARIO $*"
}

# ... | lab_out TEST: the output of a test's command.
lab_out() {
	while IFS= read -r _line; do
		echo "PINDIO-LAB-OUT $LAB_KERNEL $LAB_SCENARIO/$1 $_line"
	done
}

# ... | lab_note_lines PREFIX
lab_note_lines() {
	while IFS= read -r _line; do
		lab_note "$1$_line"
	done
}

# lab_last_line TEXT: its last non-blank line, shortened.
lab_last_line() {
	printf '%s\n' "$1" | sed '/^[[:space:]]*$/d' | tail -n 1 | cut -c1-200
}

# lab_first_match REGEX TEXT: the first line of TEXT matching REGEX (an
# extended one, any case), else its last non-blank line; shortened.
lab_first_match() {
	_m=$(printf '%s\n' "$2" | grep -E -i -m 1 -- "$1" | cut -c1-200)
	[ -n "$_m" ] || _m=$(lab_last_line "$2")
	echo "$_m"
}

# ---- running commands ------------------------------------------------------

# lab_run [-d REGEX] TEST CMD [ARGS...]: one test: run CMD (a program,
# not a shell function) under a timeout of LAB_CMD_TIMEOUT seconds.
# Exit 0 is PASS, 77 SKIP, anything else FAIL.  The result's detail is
# the first line CMD printed that says FAIL (for a failure) or SKIP (for a
# skip) or, for a pass, that matches the extended regular expression
# REGEX; else its last line.  Returns CMD's exit status.
lab_run() {
	_rpat=
	if [ "$1" = -d ]; then
		_rpat=$2
		shift 2
	fi
	_rid=$1
	shift
	echo "\$ $*" | lab_out "$_rid"
	_rout=$(timeout -k 5 "$LAB_CMD_TIMEOUT" "$@" 2>&1)
	_rst=$?
	[ -z "$_rout" ] || printf '%s\n' "$_rout" | lab_out "$_rid"
	_rlast=$(lab_last_line "$_rout")
	case $_rst in
	0)
		[ -z "$_rpat" ] || _rlast=$(lab_first_match "$_rpat" "$_rout")
		lab_result "$_rid" PASS "$_rlast"
		;;
	77) lab_result "$_rid" SKIP "$(lab_first_match skip "$_rout")" ;;
	143 | 137) lab_result "$_rid" FAIL "timed out after ${LAB_CMD_TIMEOUT}s: $_rlast" ;;
	*) lab_result "$_rid" FAIL "exit $_rst: $(lab_first_match fail "$_rout")" ;;
	esac
	return $_rst
}

# lab_log CMD [ARGS...]: run CMD and log what it prints; never a result.
lab_log() {
	lab_note "\$ $*"
	_lout=$(timeout -k 5 "$LAB_CMD_TIMEOUT" "$@" 2>&1)
	_lst=$?
	[ -z "$_lout" ] || printf '%s\n' "$_lout" | lab_note_lines "  "
	[ $_lst -eq 0 ] || lab_note "  (exit $_lst)"
	return $_lst
}

# lab_setup CMD [ARGS...]: a step the scenario's tests depend on.  Logged;
# when it fails, the scenario ends with the failed result "setup".
lab_setup() {
	lab_note "\$ $*"
	_sout=$(timeout -k 5 "$LAB_CMD_TIMEOUT" "$@" 2>&1)
	_sst=$?
	[ -z "$_sout" ] || printf '%s\n' "$_sout" | lab_note_lines "  "
	if [ $_sst -ne 0 ]; then
		lab_result setup FAIL "$* -> exit $_sst: $(lab_last_line "$_sout")"
		exit 1
	fi
}

# lab_skip REASON: the scenario cannot run here (a SKIP, the scenario ends).
lab_skip() {
	lab_result all SKIP "$*"
	exit 0
}

# lab_fail TEST REASON: a failure found by the scenario itself.
lab_fail() {
	_fid=$1
	shift
	lab_result "$_fid" FAIL "$*"
}

# ---- the kernel -------------------------------------------------------------

# lab_kver_ge MAJOR.MINOR: is the running kernel at least that version?
lab_kver_ge() {
	_have=$(uname -r)
	_hmaj=${_have%%.*}
	_hmin=${_have#*.}
	_hmin=${_hmin%%[!0-9]*}
	_wmaj=${1%%.*}
	_wmin=0
	case $1 in *.*) _wmin=${1#*.} ;; esac
	[ "$_hmaj" -gt "$_wmaj" ] || { [ "$_hmaj" -eq "$_wmaj" ] && [ "$_hmin" -ge "$_wmin" ]; }
}

# lab_pick VERSION=VALUE...: the VALUE of the first VERSION the running
# kernel is at least; 0 matches every kernel.  For expectations that
# differ between kernels:
#     expect=$(lab_pick 6.5=allowed 0=refused)
lab_pick() {
	for _p in "$@"; do
		if lab_kver_ge "${_p%%=*}"; then
			echo "${_p#*=}"
			return 0
		fi
	done
	return 1
}

# lab_modprobe NAME [PARAM=VALUE...]: load a module and what it needs, as
# the host resolved them (lib/modules/KVER/lab.modules).  Every module a
# scenario loads must be named in a "# lab-modules:" or
# "# lab-modules-ship:" line of a scenario, or it is not in the guest.
lab_modprobe() {
	_mname=$1
	shift
	_mline=$(grep "^$_mname " "/lib/modules/$(uname -r)/lab.modules" 2>/dev/null)
	if [ -z "$_mline" ]; then
		echo "lab_modprobe: $_mname was not shipped (add it to a lab-modules line)"
		return 1
	fi
	for _mtok in ${_mline#* }; do
		case $_mtok in
		builtin) return 0 ;;
		missing)
			echo "lab_modprobe: $_mname is not in kernel $(uname -r)"
			return 1
			;;
		esac
		_mopt=
		case $_mtok in \?*) _mopt=1 _mtok=${_mtok#\?} ;; esac
		_mmod=${_mtok##*/}
		_mmod=${_mmod%.ko}
		_mmod=$(echo "$_mmod" | tr - _)
		# Loaded already (initstate exists for loadable modules only).
		[ -e "/sys/module/$_mmod/initstate" ] && continue
		if [ "$_mmod" = "$(echo "$_mname" | tr - _)" ]; then
			_merr=$(insmod "/lib/modules/$(uname -r)/$_mtok" "$@" 2>&1)
		else
			_merr=$(insmod "/lib/modules/$(uname -r)/$_mtok" 2>&1)
		fi
		if [ $? -ne 0 ] && [ -z "$_mopt" ] &&
			[ ! -e "/sys/module/$_mmod/initstate" ]; then
			echo "lab_modprobe: insmod $_mtok: $_merr"
			return 1
		fi
	done
	return 0
}

# ---- NVDIMM, filesystems ----------------------------------------------------

# lab_namespace MODE [NDCTL-ARGS...]: (re)configure namespace0.0 in MODE
# (fsdax, devdax, sector, raw) and set LAB_DEV to its device (/dev/pmem0,
# /dev/dax0.0, /dev/pmem0s).  Unmount what uses the old one first.
lab_namespace() {
	_nmode=$1
	shift
	lab_setup ndctl create-namespace -f -e namespace0.0 -m "$_nmode" "$@"
	_ndev=$(printf '%s\n' "$_sout" |
		sed -n -E 's/.*"(blockdev|chardev)":"([^"]*)".*/\2/p' | tail -n 1)
	if [ -z "$_ndev" ]; then
		lab_result setup FAIL "ndctl create-namespace -m $_nmode: no device in its output"
		exit 1
	fi
	LAB_DEV=/dev/$_ndev
	_n=0
	while [ ! -e "$LAB_DEV" ] && [ $_n -lt 50 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	[ -e "$LAB_DEV" ] || {
		lab_result setup FAIL "$LAB_DEV did not appear"
		exit 1
	}
	lab_note "namespace0.0 is now $_nmode: $LAB_DEV"
}

# lab_mkfs ext4|xfs DEV [MKFS-ARGS...]: a new filesystem.  XFS is made
# without reflink, which DAX does not support on older kernels.
lab_mkfs() {
	_fs=$1 _dev=$2
	shift 2
	case $_fs in
	ext4) lab_setup mkfs.ext4 -q -F -b 4096 "$@" "$_dev" ;;
	xfs) lab_setup mkfs.xfs -q -f -m reflink=0 "$@" "$_dev" ;;
	*) lab_setup "mkfs.$_fs" "$@" "$_dev" ;;
	esac
}

# lab_mount DEV DIR [OPTIONS]: mount (OPTIONS as for mount -o), log the
# mount's line in mountinfo.  The runner unmounts it after the scenario.
lab_mount() {
	mkdir -p "$2"
	if [ -n "${3:-}" ]; then
		lab_setup mount -o "$3" "$1" "$2"
	else
		lab_setup mount "$1" "$2"
	fi
	echo "$2" >>"$LAB_STATE/mounts"
	lab_note "mountinfo: $(grep " $2 " /proc/self/mountinfo)"
}

# lab_umount DIR
lab_umount() {
	lab_setup umount "$1"
	grep -v "^$1\$" "$LAB_STATE/mounts" >"$LAB_STATE/mounts.new"
	mv "$LAB_STATE/mounts.new" "$LAB_STATE/mounts"
}

# lab_mkfile PATH BYTES: a file with its blocks written (not sparse).
lab_mkfile() {
	lab_setup dd if=/dev/zero of="$1" bs=4096 count=$((($2 + 4095) / 4096)) conv=fsync
}

# lab_mount_dax DIR: the DAX mode of the mount at DIR as its options say:
# always (dax or dax=always), inode, never, or none (no dax option).
lab_mount_dax() {
	# The mount's options (field 6) and the superblock's (after "-").
	_opts=$(awk -v d="$1" '$5 == d {
		o = $6
		for (i = 7; i <= NF; i++)
			if ($i == "-") { o = o "," $(i + 3); break }
		print o
	}' /proc/self/mountinfo | tail -n 1)
	case ",$_opts," in
	*,dax=always,* | *,dax,*) echo always ;;
	*,dax=inode,*) echo inode ;;
	*,dax=never,*) echo never ;;
	*) echo none ;;
	esac
}

# lab_check_mount_dax TEST DIR always|inode|never|none: a test of what
# the kernel made of the mount's dax option (the ground truth the
# project's DAX probe is compared with).
lab_check_mount_dax() {
	_got=$(lab_mount_dax "$2")
	if [ "$_got" = "$3" ]; then
		lab_result "$1" PASS "$2 is mounted with dax mode $_got"
	else
		grep " $2 " /proc/self/mountinfo | lab_out "$1"
		lab_result "$1" FAIL "$2 is mounted with dax mode $_got, expected $3"
	fi
}

# lab_check_statx_dax TEST FILE yes|no: a test of whether the kernel
# calls FILE DAX (statx STATX_ATTR_DAX, read with xfs_io, which the
# scenario must list in its lab-tools).
lab_check_statx_dax() {
	_attrs=$(xfs_io -r -c 'statx -r' "$2" 2>&1 | sed -n 's/^stat.attributes = //p')
	if [ -z "$_attrs" ]; then
		lab_result "$1" FAIL "xfs_io statx $2 failed"
		return 1
	fi
	_got=no
	[ $((_attrs & 0x200000)) -eq 0 ] || _got=yes
	if [ "$_got" = "$3" ]; then
		lab_result "$1" PASS "statx says $2 is DAX: $_got (attributes $_attrs)"
	else
		lab_result "$1" FAIL "statx says $2 is DAX: $_got (attributes $_attrs), expected $3"
	fi
}

# lab_dax_align DAXDEV: the device-DAX device's alignment in bytes (2 MiB
# when sysfs does not say).
lab_dax_align() {
	_d=${1##*/}
	cat "/sys/bus/dax/devices/$_d/align" 2>/dev/null ||
		cat "/sys/class/dax/$_d/align" 2>/dev/null || echo 2097152
}

# ---- the runner (used by /init) ---------------------------------------------

# lab_header FILE KEY: the values of a scenario's "# lab-KEY:" lines.
lab_header() {
	sed -n "s/^# lab-$2:[[:space:]]*//p" "$1" | tr '\n' ' '
}

lab_cleanup() {
	if [ -f "$LAB_STATE/mounts" ]; then
		for _m in $(sed '1!G;h;$!d' "$LAB_STATE/mounts"); do
			umount "$_m" 2>/dev/null || umount -l "$_m" 2>/dev/null
		done
		: >"$LAB_STATE/mounts"
	fi
	cd /
}

# The kernel's messages during a scenario: all of them to the console
# log, and a failed result when they hold an oops, a BUG or a WARNING.
lab_kernel_log_check() {
	_klog=$(dmesg -c 2>/dev/null)
	printf '%s\n' "$_klog" | sed "s/^/[dmesg $LAB_SCENARIO] /"
	_kbad=$(printf '%s\n' "$_klog" |
		grep -E 'Oops|BUG:|kernel BUG|WARNING:|Call Trace|general protection' |
		head -n 20)
	if [ -n "$_kbad" ]; then
		printf '%s\n' "$_kbad" | lab_out kernel-log
		lab_result kernel-log FAIL "the kernel logged: $(echo "$_kbad" | head -n 1 | cut -c1-150)"
	else
		lab_result kernel-log PASS "no oops, BUG or WARNING in the kernel log"
	fi
}

lab_run_scenario() {
	_scn=$1 _scn_st=1
	_file=/lab/scenarios/$_scn.sh
	LAB_SCENARIO=$_scn
	echo "PINDIO-LAB-BEGIN $LAB_KERNEL $_scn"
	: >"$LAB_STATE/$_scn.results"
	: >"$LAB_STATE/mounts"
	dmesg -c >/dev/null 2>&1
	if [ ! -f "$_file" ]; then
		lab_result setup FAIL "no scenario $_file in the guest"
	else
		(
			cd /tmp || exit 1
			for _m in $(lab_header "$_file" modules); do
				case $_m in
				\?*)
					lab_modprobe "${_m#\?}" >/dev/null 2>&1 || :
					;;
				*)
					_merr=$(lab_modprobe "$_m") || {
						lab_result setup FAIL "$_merr"
						exit 1
					}
					;;
				esac
			done
			# shellcheck disable=SC1090
			. "$_file"
		)
		_scn_st=$?
		LAB_SCENARIO=$_scn
		lab_cleanup
		if [ $_scn_st -ne 0 ] && ! grep -q '^FAIL' "$LAB_STATE/$_scn.results"; then
			lab_result exit FAIL "the scenario exited with status $_scn_st"
		fi
		if ! grep -q . "$LAB_STATE/$_scn.results"; then
			lab_result results FAIL "the scenario reported no result"
		fi
	fi
	lab_kernel_log_check
	echo "PINDIO-LAB-END $LAB_KERNEL $_scn ${_scn_st:-1}"
}

lab_main() {
	LAB_SCENARIOS='' LAB_SHELL=0
	for _w in $(cat /proc/cmdline); do
		case $_w in
		lab_kernel=*) LAB_KERNEL=${_w#*=} ;;
		lab_scenarios=*) LAB_SCENARIOS=$(echo "${_w#*=}" | tr , ' ') ;;
		lab_cmd_timeout=*) LAB_CMD_TIMEOUT=${_w#*=} ;;
		lab_shell=1) LAB_SHELL=1 ;;
		esac
	done
	mkdir -p "$LAB_STATE"
	# Kernel messages on the console would cut into the result lines:
	# they are printed per scenario instead (an oops still reaches the
	# console).
	[ $LAB_SHELL = 1 ] || dmesg -n 1
	echo "PINDIO-LAB-READY $LAB_KERNEL $(uname -r)"
	for _s in $LAB_SCENARIOS; do
		lab_run_scenario "$_s"
	done
	echo "PINDIO-LAB-DONE $LAB_KERNEL"
	if [ $LAB_SHELL = 1 ]; then
		LAB_SCENARIO=shell
		echo "lab: a shell; the scenarios are in /lab/scenarios, the helpers in /lab/lib.sh"
		echo "lab: run one with: lab_run_scenario NAME   ('poweroff -f' to leave)"
		# ENV: the interactive shell reads the helpers first.
		export ENV=/lab/lib.sh LAB_KERNEL LAB_SCENARIO
		setsid cttyhack sh -i || sh -i
	fi
}
