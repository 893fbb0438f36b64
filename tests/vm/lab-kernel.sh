# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The VM lab's kernels: fetch a Debian kernel package, unpack it into the
# cache, extract the ELF vmlinux QEMU boots, index its modules.  Sourced by
# lab.sh (which defines lab_msg, lab_lock and LAB_CACHE).
#
# A kernel is named by a spec:
#   6.1 (or bookworm)     bookworm's own kernel: what linux-image-amd64
#                         depends on in bookworm, bookworm-updates and
#                         bookworm-security
#   bpo (or backports)    bookworm-backports' linux-image-amd64 dependency
#   linux-image-NAME      that package, from any of those suites
#
# apt runs with a private configuration under $LAB_CACHE/apt/PROFILE
# (its own sources list, lists and archives; the system's sources are
# never read or changed); packages are checked against
# debian-archive-keyring.  Cache layout:
#
#   $LAB_CACHE/kernels/SPEC.current   the kernel directory SPEC resolved to
#   $LAB_CACHE/kernels/PKG_VERSION/   one unpacked kernel:
#       vmlinux  kver  package  version  config
#       root/lib/modules/KVER/...     the package's modules, depmod run
#       ready                         written last
#
# Every step that writes to the cache holds a lock (flock) and builds in a
# temporary directory renamed into place, so concurrent builds are safe.

LAB_MIRROR=${PINDIO_VM_MIRROR:-http://deb.debian.org/debian}
LAB_SECURITY_MIRROR=${PINDIO_VM_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
LAB_KEYRING=${PINDIO_VM_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
# Re-resolve a spec (apt-get update) when its answer is older than this.
LAB_REFRESH_DAYS=${PINDIO_VM_REFRESH_DAYS:-7}

# kernel_profile SPEC: which suites and which package a spec means.
# Sets K_PROFILE, K_META (a package to resolve, may be a metapackage).
kernel_profile() {
	case $1 in
	6.1 | bookworm) K_PROFILE=bookworm K_META=linux-image-amd64 ;;
	bpo | backports | bookworm-backports)
		K_PROFILE=bpo K_META=linux-image-amd64 ;;
	linux-image-*) K_PROFILE=all K_META=$1 ;;
	*) return 1 ;;
	esac
}

kernel_sources() {
	local sb="[signed-by=$LAB_KEYRING]"
	case $1 in
	bookworm)
		echo "deb $sb $LAB_MIRROR bookworm main"
		echo "deb $sb $LAB_MIRROR bookworm-updates main"
		echo "deb $sb $LAB_SECURITY_MIRROR bookworm-security main"
		;;
	bpo) echo "deb $sb $LAB_MIRROR bookworm-backports main" ;;
	all)
		kernel_sources bookworm
		kernel_sources bpo
		;;
	esac
}

# kernel_apt PROFILE apt-get|apt-cache ARGS...: apt with the private
# configuration of PROFILE.
kernel_apt() {
	local profile=$1 tool=$2 d=$LAB_CACHE/apt/$1
	shift 2
	local opts=(
		-o "Dir::Etc::sourcelist=$d/sources.list"
		-o "Dir::Etc::sourceparts=-"
		-o "Dir::State=$d/state"
		-o "Dir::State::status=$d/state/status"
		-o "Dir::Cache=$d/cache"
		-o "Dir::Cache::pkgcache="
		-o "Dir::Cache::srcpkgcache="
		-o "Debug::NoLocking=1"
		-o "Acquire::Languages=none"
		-o "Acquire::Retries=3"
		-o "APT::Architecture=amd64"
		-o "APT::Architectures=amd64"
		-o "APT::Get::List-Cleanup=0"
	)
	# The download sandbox user cannot write into our directories.
	[ "$(id -u)" -ne 0 ] || opts+=(-o "APT::Sandbox::User=root")
	"$tool" "${opts[@]}" "$@"
}

kernel_apt_setup() {
	local profile=$1 d=$LAB_CACHE/apt/$1
	mkdir -p "$d/state/lists/partial" "$d/cache/archives/partial"
	: >>"$d/state/status"
	kernel_sources "$profile" >"$d/sources.list.new"
	mv -f "$d/sources.list.new" "$d/sources.list"
}

# kernel_extract_vmlinux VMLINUZ OUT: the ELF image inside a bzImage.
# Like the kernel's scripts/extract-vmlinux: find a compressed stream's
# magic and decompress from there until an ELF file comes out.
kernel_extract_vmlinux() {
	local z=$1 out=$2 magic tool off
	for magic in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08' \
		'lzma:\x5d\x00\x00\x00' 'bzip2:BZh'; do
		tool=${magic%%:*}
		command -v "$tool" >/dev/null || continue
		for off in $(LC_ALL=C grep -obUaP "${magic#*:}" "$z" | cut -d: -f1); do
			# Trailing data after the stream makes the tools exit
			# non-zero: the ELF header decides.
			tail -c +$((off + 1)) "$z" | "$tool" -dc >"$out" 2>/dev/null || :
			if [ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
				return 0
			fi
		done
	done
	rm -f "$out"
	return 1
}

# kernel_unpack PKG VERSION DIR: download and unpack into DIR (new).
kernel_unpack() {
	local profile=$1 pkg=$2 ver=$3 dir=$4 deb vmlinuz kver moddir
	mkdir -p "$dir/dl"
	(cd "$dir/dl" && kernel_apt "$profile" apt-get -q download "$pkg=$ver") 2>&1 |
		sed 's/^/#   apt: /' >&2 || return 1
	deb=$(ls "$dir"/dl/*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || { lab_msg "apt-get download $pkg=$ver gave no .deb"; return 1; }
	lab_msg "unpacking $(basename "$deb")"
	dpkg-deb -x "$deb" "$dir/root" || return 1
	rm -rf "$dir/dl"
	vmlinuz=$(ls "$dir"/root/boot/vmlinuz-* 2>/dev/null | head -n 1)
	[ -n "$vmlinuz" ] || { lab_msg "$pkg has no /boot/vmlinuz-*"; return 1; }
	kver=${vmlinuz##*/vmlinuz-}
	kernel_extract_vmlinux "$vmlinuz" "$dir/vmlinux" ||
		{ lab_msg "no ELF vmlinux found inside $vmlinuz"; return 1; }
	cp "$dir/root/boot/config-$kver" "$dir/config" 2>/dev/null || :
	rm -rf "$dir/root/boot"
	# Debian 12 ships modules in /lib/modules, later releases in /usr.
	for moddir in "$dir/root/lib/modules/$kver" "$dir/root/usr/lib/modules/$kver"; do
		[ -d "$moddir" ] && break
	done
	[ -d "$moddir" ] || { lab_msg "$pkg has no modules directory"; return 1; }
	echo "${moddir#"$dir/"}" >"$dir/moddir"
	lab_msg "depmod $kver"
	depmod -b "${moddir%/lib/modules/*}" "$kver" || return 1
	echo "$kver" >"$dir/kver"
	echo "$pkg" >"$dir/package"
	echo "$ver" >"$dir/version"
	echo "$profile" >"$dir/profile"
	date -u +%FT%TZ >"$dir/ready"
}

# kernel_resolve_online PROFILE META: prints "PKG VERSION" of the kernel
# image package META is or depends on, after an apt-get update.
kernel_resolve_online() {
	local profile=$1 meta=$2 pkg ver
	kernel_apt_setup "$profile" || return 1
	lab_msg "apt-get update ($profile: $(kernel_sources "$profile" | awk '{print $4}' | tr '\n' ' '))"
	kernel_apt "$profile" apt-get -q update 2>&1 | sed 's/^/#   apt: /' >&2 ||
		return 1
	pkg=$meta
	case $meta in
	linux-image-[0-9]*) ;; # an image, e.g. linux-image-6.1.0-56-amd64
	*)	# a metapackage: the image it depends on
		pkg=$(kernel_apt "$profile" apt-cache depends "$meta" |
			sed -n 's/^ *Depends: \(linux-image-[^ <>]*\)$/\1/p' | head -n 1)
		;;
	esac
	[ -n "$pkg" ] || { lab_msg "cannot tell which package $meta depends on"; return 1; }
	ver=$(kernel_apt "$profile" apt-cache show --no-all-versions "$pkg" |
		sed -n 's/^Version: //p' | head -n 1)
	[ -n "$ver" ] || { lab_msg "no version of $pkg in $profile"; return 1; }
	echo "$pkg $ver"
}

# kernel_fetch SPEC: make sure SPEC's kernel is in the cache.  Sets K_DIR,
# K_KVER, K_PKG, K_VERSION.  Returns 1 with K_ERROR set when it cannot.
kernel_fetch() {
	local spec=$1 current name cur_dir resolved pkg ver tmp fd age
	K_ERROR=
	if ! kernel_profile "$spec"; then
		K_ERROR="unknown kernel '$spec' (use 6.1, bpo or a linux-image-* package name)"
		return 1
	fi
	mkdir -p "$LAB_CACHE/kernels" "$LAB_CACHE/apt" || {
		K_ERROR="cannot create $LAB_CACHE/kernels"
		return 1
	}
	current=$LAB_CACHE/kernels/$spec.current
	cur_dir=
	if [ -f "$current" ]; then
		name=$(cat "$current")
		[ -f "$LAB_CACHE/kernels/$name/ready" ] && cur_dir=$LAB_CACHE/kernels/$name
	fi
	# A fresh enough answer, or offline: no network at all.
	if [ -n "$cur_dir" ]; then
		age=$(($(date +%s) - $(stat -c %Y "$current")))
		if [ "${PINDIO_VM_OFFLINE:-0}" = 1 ] ||
			[ "$age" -lt $((LAB_REFRESH_DAYS * 86400)) ]; then
			kernel_set "$cur_dir"
			return 0
		fi
	elif [ "${PINDIO_VM_OFFLINE:-0}" = 1 ]; then
		K_ERROR="kernel $spec is not in the cache ($LAB_CACHE) and PINDIO_VM_OFFLINE=1"
		return 1
	fi
	for tool in apt-get apt-cache dpkg-deb depmod; do
		if ! command -v "$tool" >/dev/null; then
			K_ERROR="no $tool here (Debian's apt, dpkg and kmod are needed to fetch kernels)"
			return 1
		fi
	done
	if [ ! -r "$LAB_KEYRING" ]; then
		K_ERROR="no $LAB_KEYRING (apt-get install debian-archive-keyring)"
		return 1
	fi

	lab_lock fd "apt-$K_PROFILE" || { K_ERROR="cannot lock the cache"; return 1; }
	# Another build may have refreshed it while we waited for the lock.
	if [ -f "$current" ] && [ -f "$LAB_CACHE/kernels/$(cat "$current")/ready" ] &&
		[ $(($(date +%s) - $(stat -c %Y "$current"))) -lt $((LAB_REFRESH_DAYS * 86400)) ]; then
		exec {fd}>&-
		kernel_set "$LAB_CACHE/kernels/$(cat "$current")"
		return 0
	fi
	if ! resolved=$(kernel_resolve_online "$K_PROFILE" "$K_META"); then
		exec {fd}>&-
		if [ -n "$cur_dir" ]; then
			lab_msg "cannot refresh kernel $spec; using the cached $(basename "$cur_dir")"
			kernel_set "$cur_dir"
			return 0
		fi
		K_ERROR="cannot download kernel $spec ($K_META) from $LAB_MIRROR"
		return 1
	fi
	exec {fd}>&-
	read -r pkg ver <<<"$resolved"
	name=${pkg}_$ver
	if [ ! -f "$LAB_CACHE/kernels/$name/ready" ]; then
		lab_lock fd "kernel-$name" || { K_ERROR="cannot lock the cache"; return 1; }
		if [ ! -f "$LAB_CACHE/kernels/$name/ready" ]; then
			lab_msg "fetching $pkg $ver"
			tmp=$LAB_CACHE/kernels/.tmp-$name-$$
			rm -rf "$tmp" "$LAB_CACHE/kernels/$name"
			if ! kernel_unpack "$K_PROFILE" "$pkg" "$ver" "$tmp"; then
				rm -rf "$tmp"
				exec {fd}>&-
				K_ERROR="cannot download or unpack $pkg $ver"
				return 1
			fi
			mv -T "$tmp" "$LAB_CACHE/kernels/$name"
		fi
		exec {fd}>&-
	fi
	echo "$name" >"$current.new.$$" && mv -f "$current.new.$$" "$current"
	kernel_set "$LAB_CACHE/kernels/$name"
}

kernel_set() {
	K_DIR=$1
	K_KVER=$(cat "$K_DIR/kver")
	K_PKG=$(cat "$K_DIR/package")
	K_VERSION=$(cat "$K_DIR/version")
	K_MODDIR=$K_DIR/$(cat "$K_DIR/moddir")
	# Used: keep it from being pruned.
	touch "$K_DIR/ready"
}

# kernel_prune: remove unpacked kernels no spec points to any more and
# not used for PINDIO_VM_PRUNE_DAYS (30) days, and old initramfs bases.
kernel_prune() {
	local d keep days=${PINDIO_VM_PRUNE_DAYS:-30}
	keep=" $(cat "$LAB_CACHE"/kernels/*.current 2>/dev/null | tr '\n' ' ') "
	for d in "$LAB_CACHE"/kernels/*/; do
		d=${d%/}
		[ -d "$d" ] || continue
		case $keep in *" ${d##*/} "*) continue ;; esac
		if [ -z "$(find "$d/ready" -mtime -"$days" 2>/dev/null)" ]; then
			lab_msg "pruning unused kernel ${d##*/}"
			rm -rf "$d"
		fi
	done
	# Temporary directories of runs that died.
	find "$LAB_CACHE/kernels" -maxdepth 1 -name '.tmp-*' -mmin +120 \
		-exec rm -rf {} + 2>/dev/null || :
	# Base initramfs archives (cheap to rebuild) unused for two days, and
	# leftovers of builds that died.
	find "$LAB_CACHE/initramfs" -maxdepth 1 -name '*.cpio.gz' -mtime +1 \
		-delete 2>/dev/null || :
	find "$LAB_CACHE/initramfs" -maxdepth 1 \( -name '.stage-*' -o -name '*.tmp.*' \) \
		-mmin +120 -exec rm -rf {} + 2>/dev/null || :
}
