#!/usr/bin/env bash
# Print "MIRROR SUITE" for debootstrap: the first main-archive Debian source
# this machine's apt is configured with (deb822 or one-line format), and
# the machine's own release. No host is named here.
set -euo pipefail
. /etc/os-release
suite=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
mirror=
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	# deb822: a stanza of Types/URIs/Suites; take one whose Suites has $suite
	mirror=$(awk -v s="$suite" '
		/^[ \t]*$/ { if (deb && uri && suites ~ "(^| )" s "( |$)") { print uri; exit } deb = uri = suites = ""; next }
		/^Types:/ && / deb( |$)/ { deb = 1 }
		/^URIs:/ { uri = $2 }
		/^Suites:/ { $1 = ""; suites = $0; sub(/^ /, "", suites) }
		END { if (deb && uri && suites ~ "(^| )" s "( |$)") print uri }' "$f" | head -1)
	[ -n "$mirror" ] && break
done
if [ -z "$mirror" ]; then
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk -v s="$suite" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++;
			if ($(i + 1) == s) { print $i; exit } }')
fi
[ -n "$mirror" ] || { echo "debian-image: no deb source for $suite in /etc/apt" >&2; exit 1; }
echo "$mirror $suite"
