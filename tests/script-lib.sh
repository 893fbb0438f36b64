# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared by the script tests (tests/check-*.sh), which source it: the
# automake exit statuses and the one-line-per-check report.  The caller
# sets failed=0 before its first report.

skip() { echo "SKIP: $*"; exit 77; }
hard_error() { echo "ERROR: $*"; exit 99; }

# report LABEL FILE: one line per check, PASS when FILE is empty, else FAIL
# followed by the offenders FILE lists, one per line; sets failed=1.
report() {
	local label=$1 list=$2
	if [ -s "$list" ]; then
		echo "FAIL: $label:"
		sed 's/^/    /' "$list"
		failed=1
	else
		echo "PASS: $label"
	fi
}
