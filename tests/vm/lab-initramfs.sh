# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The VM lab's initramfs, in two parts the kernel unpacks one after the
# other (concatenated cpio archives):
#
#  - the base, cached in $LAB_CACHE/initramfs/ per kernel and per set of
#    tools and modules: busybox, the host programs the scenarios need with
#    their shared libraries, a few device nodes, the kernel modules the
#    scenarios need (decompressed) and lab.modules, the load order of each;
#  - the project part, rebuilt on every run in the build directory: the
#    guest's /init and helpers, the scenarios, the project's programs and
#    libpindio with their libraries.
#
# Sourced by lab.sh.

# initramfs_copy_file STAGE PATH: copy PATH (following symlinks) to the
# same path under STAGE.  The stage has merged-/usr symlinks, as the host.
initramfs_copy_file() {
	local stage=$1 p=$2
	[ -e "$stage$p" ] && return 0
	mkdir -p "$stage$(dirname "$p")"
	cp -L "$p" "$stage$p"
}

# initramfs_libs BINARY...: the shared libraries and the dynamic loader
# the binaries need, one path a line.
initramfs_libs() {
	local b
	for b in "$@"; do
		ldd "$b" 2>/dev/null | awk '
			$2 == "=>" && $3 ~ /^\// { print $3; next }
			$1 ~ /^\// { print $1 }'
	done | sort -u
}

# initramfs_copy_libs STAGE PATH: a program's libraries.
initramfs_copy_libs() {
	local stage=$1 p=$2 lib
	for lib in $(initramfs_libs "$p"); do
		initramfs_copy_file "$stage" "$lib" || return 1
	done
}

# initramfs_copy_bin STAGE PATH: a program and its libraries.
initramfs_copy_bin() {
	initramfs_copy_file "$1" "$2" && initramfs_copy_libs "$1" "$2"
}

initramfs_skeleton() {
	local stage=$1 d
	mkdir -p "$stage"/usr/bin "$stage"/usr/sbin "$stage"/usr/lib "$stage"/usr/lib64
	for d in bin sbin lib lib64; do
		ln -s "usr/$d" "$stage/$d"
	done
	mkdir -p "$stage"/dev "$stage"/proc "$stage"/sys "$stage"/tmp "$stage"/run \
		"$stage"/mnt "$stage"/etc "$stage"/root "$stage"/var/tmp
	echo 'root:x:0:0:root:/root:/bin/sh' >"$stage/etc/passwd"
	echo 'root:x:0:' >"$stage/etc/group"
}

# initramfs_cpio_nodes: a newc archive holding only /dev/console and
# /dev/null, so that the kernel finds a console before /init mounts
# devtmpfs, without mknod (and so without root) on the host.
initramfs_cpio_nodes() {
	local ino=900000 entry name mode maj min len pad
	for entry in "dev/console 020600 5 1" "dev/null 020666 1 3" \
		"TRAILER!!! 0 0 0"; do
		read -r name mode maj min <<<"$entry"
		len=$((${#name} + 1))
		printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
			$((ino++)) $((8#$mode)) 0 0 1 0 0 0 0 "$maj" "$min" "$len" 0
		printf '%s\0' "$name"
		pad=$(((4 - (110 + len) % 4) % 4))
		[ "$pad" -eq 0 ] || head -c "$pad" /dev/zero
	done
}

# initramfs_pack STAGE OUT: a gzipped newc archive of STAGE, owned by root.
initramfs_pack() {
	local stage=$1 out=$2
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0) | gzip -1 >"$out"
}

# initramfs_resolve_modules MODDIR NAME...: for each wanted module, one
# line "NAME TOKEN..." where each TOKEN is a module file to load, in order
# (its softdeps, marked optional with '?', then its dependencies, then the
# module), relative to MODDIR and without the .xz/.zst suffix; or
# "builtin"; or "missing".
initramfs_resolve_modules() {
	local moddir=$1
	shift
	LC_ALL=C awk -v want="$*" '
	function norm(p) {
		sub(/.*\//, "", p); sub(/\.ko(\.(xz|zst|gz))?$/, "", p)
		gsub(/-/, "_", p)
		return p
	}
	function plain(p) { sub(/\.(xz|zst|gz)$/, "", p); return p }
	FILENAME ~ /modules\.dep$/ {
		i = index($0, ":"); p = substr($0, 1, i - 1); n = norm(p)
		path[n] = plain(p); deps[n] = substr($0, i + 1); next
	}
	FILENAME ~ /modules\.builtin$/ { builtin[norm($0)] = 1; next }
	FILENAME ~ /modules\.alias$/ {
		if ($1 == "alias") alias[$2] = alias[$2] " " norm($3)
		next
	}
	FILENAME ~ /modules\.softdep$/ {
		if ($1 == "softdep")
			for (i = 3; i <= NF; i++)
				if ($i != "pre:" && $i != "post:")
					soft[norm($2)] = soft[norm($2)] " " $i
		next
	}
	# The files that load module n, in order: each module after its
	# dependencies and the softdeps of them all.  Softdeps are optional:
	# an alias may name modules this CPU cannot load (crc32c_intel
	# without SSE4.2).
	function chain(n, opt,   out, d, k, i) {
		out = softs(n)
		k = split(deps[n], d, " ")
		for (i = k; i >= 1; i--)
			out = out softs(norm(d[i])) " " opt plain(d[i])
		return out " " opt path[n]
	}
	function softs(n,   out, s, a, i) {
		out = ""
		s = split(soft[n], a, " ")
		for (i = 1; i <= s; i++)
			out = out resolve(a[i], 1)
		return out
	}
	function resolve(name, opt,   n, k, a, i, out) {
		if (name in seen) return ""
		seen[name] = 1
		n = norm(name)
		if (n in path) return chain(n, opt ? "?" : "")
		if (n in builtin) return ""
		if (name in alias) {
			out = ""
			k = split(alias[name], a, " ")
			for (i = 1; i <= k; i++)
				out = out resolve(a[i], 1)
			return out
		}
		return opt ? "" : " missing"
	}
	END {
		k = split(want, w, " ")
		for (i = 1; i <= k; i++) {
			delete seen
			name = w[i]; n = norm(name)
			if (n in path) r = resolve(name, 0)
			else if (n in builtin) r = " builtin"
			else if (name in alias) r = resolve(name, 0)
			else r = " missing"
			if (r == "") r = " builtin"
			print name r
		}
	}' "$moddir/modules.dep" "$moddir/modules.builtin" "$moddir/modules.alias" \
		"$moddir/modules.softdep"
}

# initramfs_copy_modules STAGE MODDIR KVER RESOLVED: copy (decompressed)
# the module files named in RESOLVED (initramfs_resolve_modules' output)
# and write it as lib/modules/KVER/lab.modules.
initramfs_copy_modules() {
	local stage=$1 moddir=$2 kver=$3 resolved=$4 f src dst
	dst=$stage/lib/modules/$kver
	mkdir -p "$dst"
	for f in $(printf '%s\n' "$resolved" | cut -d' ' -f2- | tr ' ' '\n' |
		sed 's/^?//' | grep '\.ko$' | sort -u); do
		mkdir -p "$dst/$(dirname "$f")"
		if [ -f "$moddir/$f" ]; then
			cp "$moddir/$f" "$dst/$f"
		elif [ -f "$moddir/$f.xz" ]; then
			xz -dc "$moddir/$f.xz" >"$dst/$f"
		elif [ -f "$moddir/$f.zst" ]; then
			zstd -qdc "$moddir/$f.zst" >"$dst/$f"
		elif [ -f "$moddir/$f.gz" ]; then
			gzip -dc "$moddir/$f.gz" >"$dst/$f"
		else
			lab_msg "module file $f not found under $moddir"
			return 1
		fi
	done
	cp "$moddir/modules.builtin" "$dst/" 2>/dev/null || :
	printf '%s\n' "$resolved" >"$dst/lab.modules"
}

# initramfs_base KERNEL_DIR KVER MODDIR: the cached base archive for this
# kernel and the tools, files and modules in LAB_TOOLS, LAB_FILES and
# LAB_MODULES (host paths and module names).  Sets IR_BASE.
initramfs_base() {
	local kdir=$1 kver=$2 moddir=$3 key p l lib fd stage tmp resolved busybox
	busybox=$(command -v busybox) || { lab_msg "no busybox"; return 1; }
	# What the archive is made of, so that a change rebuilds it.
	key=$( {
		echo "format 3 ${kdir##*/} $kver"
		echo "modules $LAB_MODULES"
		for p in "$busybox" $LAB_TOOLS $LAB_FILES; do
			stat -L -c '%n %s %Y' "$p"
			for l in $(initramfs_libs "$p"); do stat -L -c '%n %s %Y' "$l"; done
		done
		cat "$LAB_VMDIR/lab-initramfs.sh"
	} | sha256sum | cut -c1-16)
	IR_BASE=$LAB_CACHE/initramfs/$kver-$key.cpio.gz
	[ -f "$IR_BASE" ] && { touch "$IR_BASE"; return 0; }

	mkdir -p "$LAB_CACHE/initramfs"
	lab_lock fd "initramfs-$kver-$key" || return 1
	if [ -f "$IR_BASE" ]; then
		exec {fd}>&-
		return 0
	fi
	lab_msg "building the base initramfs for $kver"
	stage=$LAB_CACHE/initramfs/.stage-$key-$$
	tmp=$IR_BASE.tmp.$$
	rm -rf "$stage"
	initramfs_skeleton "$stage"
	# busybox as /usr/bin/busybox with a link per applet, whatever
	# its path on the host.
	if ! cp -L "$busybox" "$stage/usr/bin/busybox" ||
		! initramfs_copy_libs "$stage" "$busybox"; then
		lab_msg "cannot install busybox"
		rm -rf "$stage"
		exec {fd}>&-
		return 1
	fi
	for p in $("$busybox" --list); do
		[ -e "$stage/usr/bin/$p" ] || ln -s busybox "$stage/usr/bin/$p"
	done
	for p in $LAB_TOOLS; do
		# A real program replaces busybox's applet of the same name.
		rm -f "$stage$p"
		initramfs_copy_bin "$stage" "$p" || { rm -rf "$stage"; exec {fd}>&-; return 1; }
	done
	for p in $LAB_FILES; do
		initramfs_copy_file "$stage" "$p"
	done
	if ! resolved=$(initramfs_resolve_modules "$moddir" $LAB_MODULES) ||
		! initramfs_copy_modules "$stage" "$moddir" "$kver" "$resolved"; then
		rm -rf "$stage"
		exec {fd}>&-
		return 1
	fi
	{ initramfs_cpio_nodes; } >"$tmp.nodes"
	if initramfs_pack "$stage" "$tmp"; then
		# The device nodes go first, uncompressed; the kernel unpacks
		# both.
		cat "$tmp.nodes" "$tmp" >"$tmp.all" && mv -f "$tmp.all" "$IR_BASE"
	fi
	rm -rf "$stage" "$tmp" "$tmp.nodes" "$tmp.all"
	exec {fd}>&-
	[ -f "$IR_BASE" ]
}

# initramfs_project OUT BUILDDIR FILE...: the project part: the guest
# side of the lab and the build's programs (libtool wrappers resolved to
# the real binaries) with libpindio and their libraries.
initramfs_project() {
	local out=$1 builddir=$2 stage f real lib
	shift 2
	stage=$out.stage
	rm -rf "$stage"
	mkdir -p "$stage/lab/scenarios" "$stage/pindio/bin" "$stage/pindio/lib" \
		"$stage/usr/lib" "$stage/usr/lib64"
	ln -s usr/lib "$stage/lib"
	ln -s usr/lib64 "$stage/lib64"
	cp "$LAB_VMDIR/guest/init" "$stage/init"
	chmod 755 "$stage/init"
	cp "$LAB_VMDIR"/guest/*.sh "$stage/lab/"
	cp "$LAB_VMDIR"/scenarios/*.sh "$stage/lab/scenarios/"
	for f in "$builddir"/src/.libs/libpindio.so*; do
		[ -e "$f" ] && cp -P "$f" "$stage/pindio/lib/"
	done
	for f in "$@"; do
		real=$builddir/$f
		# A libtool wrapper script: the real program is in .libs.
		if [ -f "$real" ] && grep -q 'libtool' "$real" 2>/dev/null &&
			! head -c 4 "$real" | grep -q 'ELF'; then
			if [ -x "$(dirname "$real")/.libs/$(basename "$real")" ]; then
				real=$(dirname "$real")/.libs/$(basename "$real")
			elif [ -x "$(dirname "$real")/.libs/lt-$(basename "$real")" ]; then
				real=$(dirname "$real")/.libs/lt-$(basename "$real")
			fi
		fi
		if [ ! -x "$real" ]; then
			lab_msg "$builddir/$f is not built"
			continue
		fi
		cp "$real" "$stage/pindio/bin/$(basename "$f")"
		for lib in $(LD_LIBRARY_PATH=$builddir/src/.libs initramfs_libs "$real"); do
			case $lib in
			"$builddir"/*) ;;
			*) initramfs_copy_file "$stage" "$lib" ;;
			esac
		done
	done
	initramfs_pack "$stage" "$out"
	rm -rf "$stage"
}
