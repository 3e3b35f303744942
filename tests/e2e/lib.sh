# Helpers for host-side end-to-end scripts: PASS/FAIL lines, hcvm.
B=${1:?usage: $0 BUILD_DIR}
HCVM="$B/bin/hcvm"
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
# check NAME WANT GOT
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: want '$2', got '$3'"; fi; }
hcvm() { "$HCVM" "$@"; }
# why_hcvm STDERR_FILE: hcvm's own complaint and the guest console's last
# line, on one line (for a FAIL line)
why_hcvm() {
	local own last
	own=$(grep -m1 '^hcvm: [^-]' "$1")
	last=$(sed -n '/^hcvm: --- guest console/,/^hcvm: --- end of console/p' "$1" |
		grep -v '^hcvm: ---' | grep -v '^[[:space:]]*$' | tail -n 2 | tr '\n' ' ')
	echo "${own:-no message from hcvm}; console: ${last:-empty}"
}
# A private shadowd whose policy names the example plugin too (the event
# queues' boot and bench row), and the modules MORE (e.g. "sock"): writes
# DIR/plugin-policy.conf and the wrapper DIR/shadowd-plugin (for
# HCVM_SHADOWD) and prints the wrapper's path.
#   plugin_shadowd DIR [MORE]
# Guest users map to the VM owner as under the built-in policy (an owner
# root needs a rule naming root, or they would map to nobody).
plugin_shadowd() {
	local dir=$1 more=${2:+ $2} map='map * = owner'
	[ "$(id -u)" = 0 ] && map=$'owners = root\nmap * = root'
	printf '[global]\nmodule-dir = %s\n[vm *]\n%s\nmodules = sys proc fs evq example%s\n' \
		"$B/host/modules" "$map" "$more" > "$dir/plugin-policy.conf"
	printf '#!/bin/sh\nexec %s "$@" --config %s\n' "$B/bin/shadowd" \
		"$dir/plugin-policy.conf" > "$dir/shadowd-plugin"
	chmod 0755 "$dir/shadowd-plugin"
	echo "$dir/shadowd-plugin"
}
