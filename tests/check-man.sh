#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Every man page in man/ (sections 1, 3 and 7) renders without a warning:
#   - with man(1) as a user would read it:
#       LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z PAGE
#   - with groff's own checks: groff -man -ww -z PAGE (every warning on);
# an alias page (".so man3/<page>.3") must resolve to a page of man/: the
# pages are rendered from a temporary directory laid out as man1/, man3/,
# man7/ so that ".so man3/x.3" finds its target as it will once installed.
# Also checked: the pages in man/ and those man/local.mk installs
# (dist_man_MANS) are the same, so that `make dist` ships them all.
#
# Run by `make check` with top_srcdir in the environment; by hand, it
# defaults to the directory above this script.  MAN and GROFF override the
# tools.
#
# Exit status: 0 all checks passed; 1 a page warned (it is named, with the
# warning); 77 groff is missing (skip); 99 nothing could be checked.

set -u

script_dir=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$script_dir/..}
# Absolute: the pages are rendered from a temporary directory.
top_srcdir=$(cd "$top_srcdir" && pwd) || exit 99
mandir=$top_srcdir/man
MAN=${MAN:-man}
GROFF=${GROFF:-groff}

. "$script_dir/script-lib.sh"

command -v "$GROFF" >/dev/null 2>&1 ||
	skip "$GROFF not found; it is needed to render the man pages (Debian package groff-base)"
have_man=1
command -v "$MAN" >/dev/null 2>&1 || have_man=0

[ -d "$mandir" ] || hard_error "$mandir does not exist"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-man.XXXXXX") || hard_error "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

# The rendering locale: C.UTF-8 where it exists (glibc >= 2.35 always has
# it), else whatever UTF-8 locale the machine offers.
locale=C.UTF-8
if command -v locale >/dev/null 2>&1 &&
	! locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then
	locale=$(locale -a 2>/dev/null | grep -i 'utf-\?8' | head -n 1)
	locale=${locale:-C.UTF-8}
fi
export MANWIDTH=80

pages=()
for page in "$mandir"/*.[137]; do
	[ -f "$page" ] || continue
	name=$(basename "$page")
	section=${name##*.}
	mkdir -p "$tmp/man$section"
	cp "$page" "$tmp/man$section/" || hard_error "cannot copy $page"
	pages+=("man$section/$name")
done
[ ${#pages[@]} -gt 0 ] || hard_error "no man page in $mandir"

failed=0

[ $have_man = 1 ] ||
	echo "NOTE: $MAN not found: the pages are checked with $GROFF only (Debian package man-db)"

cd "$tmp" || hard_error "cannot enter $tmp"
for page in "${pages[@]}"; do
	: >"$tmp/bad"
	target=$(sed -n '1s/^\.so[ \t]\{1,\}//p' "$page")
	if [ -n "$target" ] && [ ! -f "$target" ]; then
		echo "alias of $target, which is not a page of man/" >>"$tmp/bad"
	fi
	if [ $have_man = 1 ]; then
		LC_ALL=$locale "$MAN" --warnings -E UTF-8 -l -Tutf8 -Z "$page" \
			>"$tmp/out" 2>"$tmp/err"
		rc=$?
		[ $rc = 0 ] || echo "man exited with status $rc" >>"$tmp/bad"
		sed 's/^/man: /' "$tmp/err" >>"$tmp/bad"
		[ -s "$tmp/out" ] || echo "man rendered nothing" >>"$tmp/bad"
	fi
	# -t and -k: tables and UTF-8 input are handled as man(1) would.
	LC_ALL=$locale "$GROFF" -man -t -k -ww -z "$page" >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc = 0 ] || echo "groff exited with status $rc" >>"$tmp/bad"
	sed 's/^/groff: /' "$tmp/err" >>"$tmp/bad"
	report "man/${page#*/}${target:+ (.so $target)}" "$tmp/bad"
done

# ---- man/local.mk installs (and distributes) every page ------------------
sed -n '/^dist_man_MANS[ \t]*=/,/^[ \t]*$/p' "$mandir/local.mk" |
	sed 's/\\$//' | tr -s '[:blank:]' '\n' | sed -n 's|^man/||p' | sort -u >"$tmp/listed"
printf '%s\n' "${pages[@]}" | sed 's|^man[0-9]/||' | sort -u >"$tmp/present"
{
	[ -s "$tmp/listed" ] || echo "no dist_man_MANS in man/local.mk"
	comm -13 "$tmp/listed" "$tmp/present" | sed 's/$/: in man\/, not in dist_man_MANS/'
	comm -23 "$tmp/listed" "$tmp/present" | sed 's/$/: in dist_man_MANS, not in man\//'
} >"$tmp/bad"
report "man/local.mk dist_man_MANS lists the ${#pages[@]} pages of man/" "$tmp/bad"

exit $failed
