#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The library's exported interface, checked against what declares and
# documents it:
#   (a) every symbol libpindio.so defines in its dynamic table is listed
#       in src/libpindio.sym;
#   (b) every symbol listed in src/libpindio.sym is exported;
#   (every exported symbol has the pindio_ prefix, too)
#   (c) every symbol listed in src/libpindio.sym is declared as a function
#       in include/pindio.h;
#   (d) every symbol listed in src/libpindio.sym has its own man/<symbol>.3,
#       whose NAME section (or that of the page it .so-includes) names it;
#   (e) every function declared in include/pindio.h is listed in
#       src/libpindio.sym;
# and the exported symbols carry a version node of src/libpindio.sym, and
# the library has a SONAME.
#
# Run by `make check` with top_srcdir and top_builddir in the environment;
# by hand, they default to the directory above this script.  LIBPINDIO_SO
# overrides the library checked, NM and READELF the tools.
#
# Exit status: 0 all checks passed; 1 a check failed (each offender is
# named); 77 a tool is missing (skip); 99 nothing could be checked (no
# library, no symbol file...).

set -u
export LC_ALL=C

script_dir=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$script_dir/..}
top_builddir=${top_builddir:-$top_srcdir}
lib=${LIBPINDIO_SO:-$top_builddir/src/.libs/libpindio.so}
symfile=$top_srcdir/src/libpindio.sym
header=$top_srcdir/include/pindio.h
mandir=$top_srcdir/man
NM=${NM:-nm}
READELF=${READELF:-readelf}

. "$script_dir/script-lib.sh"

# NM may carry options (libtool's is "nm -B"): only its first word must exist.
for tool in "${NM%% *}" "${READELF%% *}" awk sort comm; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip "$tool not found; it is needed to read the library's symbols (Debian package binutils)"
done

[ -f "$lib" ] || hard_error "$lib does not exist: build the library first"
[ -f "$symfile" ] || hard_error "$symfile does not exist"
[ -f "$header" ] || hard_error "$header does not exist"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-exports.XXXXXX") || hard_error "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

failed=0

# Print FILE with its /* */ comments replaced by a space; an unterminated
# comment ends the output with a line "ERR unterminated comment".
strip_block_comments() {
	awk '
	{ text = text $0 "\n" }
	END {
		while ((i = index(text, "/*")) > 0) {
			rest = substr(text, i + 2)
			j = index(rest, "*/")
			if (!j) {
				text = substr(text, 1, i - 1) "\nERR unterminated comment\n"
				break
			}
			text = substr(text, 1, i - 1) " " substr(rest, j + 2)
		}
		printf "%s", text
	}' "$1"
}

# ---- src/libpindio.sym -------------------------------------------------
# Lines "NODE name", "SYM name", "WILD pattern", "ERR message".  Symbols
# are those of global scopes (a node's scope is global until "local:").
strip_block_comments "$symfile" | awk '
/^ERR / { print; next }
{ text = text $0 "\n" }
END {
	gsub(/#[^\n]*/, "", text)
	gsub(/[ \t\n]+:/, ":", text)
	gsub(/[{};]/, " & ", text)
	n = split(text, tok, /[ \t\n]+/)
	depth = 0
	prev = ""
	for (k = 1; k <= n; k++) {
		t = tok[k]
		if (t == "")
			continue
		if (t == "{") {
			if (depth == 0) {
				if (prev ~ /^[A-Za-z_][A-Za-z0-9_.]*$/)
					print "NODE " prev
				global = 1
			} else {
				print "ERR nested block (extern \"C++\"?) not supported"
			}
			depth++
		} else if (t == "}") {
			depth--
		} else if (depth == 1 && t == "global:") {
			global = 1
		} else if (depth == 1 && t == "local:") {
			global = 0
		} else if (depth == 1 && t == ";") {
			if (global && prev != "" && prev != ";" && prev != "global:") {
				if (prev ~ /[*?\[]/)
					print "WILD " prev
				else
					print "SYM " prev
			}
		}
		prev = t
	}
	if (depth != 0)
		print "ERR unbalanced braces"
}' >"$tmp/symfile.parsed"

sed -n 's/^SYM //p' "$tmp/symfile.parsed" | sort -u >"$tmp/listed"
sed -n 's/^NODE //p' "$tmp/symfile.parsed" | sort -u >"$tmp/nodes"
{
	sed -n 's/^ERR //p' "$tmp/symfile.parsed"
	sed -n 's/^WILD \(.*\)/wildcard "\1" in a global scope: list each symbol by name/p' \
		"$tmp/symfile.parsed"
	[ -s "$tmp/listed" ] || echo "no symbol listed in a global scope"
	[ -s "$tmp/nodes" ] || echo "no named version node"
} >"$tmp/bad"
report "src/libpindio.sym: $(wc -l <"$tmp/listed") symbols in $(wc -l <"$tmp/nodes") version node(s)" "$tmp/bad"

# ---- the library's dynamic symbols -------------------------------------
# nm prints "VALUE TYPE NAME[@[@]VERSION]"; a version node itself shows up
# as an absolute symbol ("A") of the node's name.
# shellcheck disable=SC2086 # NM may carry options
$NM -D --defined-only "$lib" >"$tmp/nm" 2>"$tmp/nm.err" ||
	hard_error "$NM -D --defined-only $lib failed: $(cat "$tmp/nm.err")"
awk 'NF >= 2 { name = $NF; sub(/@.*/, "", name); print $(NF - 1), name }' \
	"$tmp/nm" | sort -u -k2 >"$tmp/defined"

# Symbols any linker may define that are no part of the API.
printf '%s\n' _init _fini _edata _end __bss_start | sort >"$tmp/standard"
awk 'FILENAME == ARGV[1] { node[$1] = 1; next }
     $1 == "A" && ($2 in node) { next }
     { print $2 }' "$tmp/nodes" "$tmp/defined" | sort -u |
	comm -23 - "$tmp/standard" >"$tmp/exported"

{
	[ -s "$tmp/defined" ] || echo "nm lists no defined dynamic symbol at all"
	comm -23 "$tmp/exported" "$tmp/listed"
} >"$tmp/bad"
report "(a) every symbol exported by $(basename "$lib") is listed in src/libpindio.sym ($(wc -l <"$tmp/exported") exported)" "$tmp/bad"

grep -v '^pindio_' "$tmp/exported" >"$tmp/bad" || :
report "every symbol exported by $(basename "$lib") has the pindio_ prefix" "$tmp/bad"

comm -13 "$tmp/exported" "$tmp/listed" >"$tmp/bad"
report "(b) every symbol listed in src/libpindio.sym is exported" "$tmp/bad"

# ---- include/pindio.h -----------------------------------------------------
# Function declarations at file scope: comments, preprocessor lines and
# brace bodies removed, the first "pindio_xxx(" of each statement that is
# not a typedef or a static (inline) definition.
strip_block_comments "$header" | awk '
/^ERR / { next }
{ text = text $0 "\n" }
END {
	gsub(/\/\/[^\n]*/, "", text)
	n = split(text, line, "\n")
	text = ""
	cont = 0
	for (k = 1; k <= n; k++) {
		l = line[k]
		if (cont || l ~ /^[ \t]*#/) {
			cont = (l ~ /\\$/)
			continue
		}
		text = text l "\n"
	}
	gsub(/extern[ \t\n]*"C"[ \t\n]*\{/, "", text)
	depth = 0
	stmt = ""
	len = length(text)
	for (k = 1; k <= len; k++) {
		c = substr(text, k, 1)
		if (c == "{") {
			if (depth == 0)
				emit(stmt)
			depth++
			stmt = ""
		} else if (c == "}") {
			if (depth > 0)
				depth--
			stmt = ""
		} else if (depth == 0 && c == ";") {
			emit(stmt)
			stmt = ""
		} else if (depth == 0) {
			stmt = stmt c
		}
	}
}
function emit(s) {
	sub(/^[ \t\n]+/, "", s)
	if (s ~ /^(typedef|static)[ \t\n]/)
		return
	if (match(s, /pindio_[A-Za-z0-9_]*[ \t\n]*\(/)) {
		name = substr(s, RSTART, RLENGTH)
		sub(/[ \t\n]*\($/, "", name)
		print name
	}
}' | sort -u >"$tmp/declared"

{
	[ -s "$tmp/declared" ] || echo "no function declaration found in include/pindio.h"
	comm -23 "$tmp/listed" "$tmp/declared"
} >"$tmp/bad"
report "(c) every symbol listed in src/libpindio.sym is declared in include/pindio.h ($(wc -l <"$tmp/declared") declared)" "$tmp/bad"

# ---- man pages -------------------------------------------------------------
# Print the symbols named in the NAME section of page $1.
names_of() {
	awk '/^\.SH/ { in_name = ($2 == "NAME" || $2 == "\"NAME\""); next }
	     in_name {
		sub(/\\-.*/, "")
		n = split($0, word, /[, \t]+/)
		for (i = 1; i <= n; i++)
			if (word[i] != "")
				print word[i]
	     }' "$1"
}

while read -r sym; do
	page=$mandir/$sym.3
	if [ ! -s "$page" ]; then
		echo "$sym: no man/$sym.3"
		continue
	fi
	target=$(sed -n '1s|^\.so[ \t]\{1,\}man3/||p' "$page")
	if [ -n "$target" ]; then
		if [ ! -s "$mandir/$target" ]; then
			echo "$sym: man/$sym.3 includes man3/$target, which is not in man/"
			continue
		fi
		page=$mandir/$target
	fi
	names_of "$page" | grep -qx -- "$sym" ||
		echo "$sym: the NAME section of man/$(basename "$page") does not name it"
done <"$tmp/listed" >"$tmp/bad"
report "(d) every symbol listed in src/libpindio.sym has a man page (man/<symbol>.3)" "$tmp/bad"

comm -13 "$tmp/listed" "$tmp/declared" >"$tmp/bad"
report "(e) every function declared in include/pindio.h is listed in src/libpindio.sym" "$tmp/bad"

# ---- symbol versions and SONAME -------------------------------------------
# readelf --dyn-syms -W: "Num: Value Size Type Bind Vis Ndx Name[@[@]VERSION]".
# shellcheck disable=SC2086 # READELF may carry options
$READELF --dyn-syms -W "$lib" >"$tmp/dynsyms" 2>"$tmp/readelf.err" ||
	hard_error "$READELF --dyn-syms $lib failed: $(cat "$tmp/readelf.err")"
awk 'FILENAME == ARGV[1] { listed[$1] = 1; next }
     FILENAME == ARGV[2] { node[$1] = 1; next }
     $7 != "UND" && NF >= 8 {
	name = $8; version = ""
	if (index(name, "@")) { version = name; sub(/^[^@]*@@?/, "", version); sub(/@.*/, "", name) }
	if (!(name in listed)) next
	if (version == "") print name ": unversioned"
	else if (!(version in node)) print name ": version " version " is not a node of src/libpindio.sym"
     }' "$tmp/listed" "$tmp/nodes" "$tmp/dynsyms" | sort -u >"$tmp/bad"
report "exported symbols carry a version node of src/libpindio.sym (ld --version-script)" "$tmp/bad"

# shellcheck disable=SC2086 # READELF may carry options
soname=$($READELF -d "$lib" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
case $soname in
libpindio.so.[0-9]*) : >"$tmp/bad" ;;
"") echo "$(basename "$lib") has no SONAME (DT_SONAME)" >"$tmp/bad" ;;
*) echo "SONAME $soname is not libpindio.so.<major>" >"$tmp/bad" ;;
esac
report "SONAME ${soname:-(none)}" "$tmp/bad"

exit $failed
