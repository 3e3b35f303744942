# Helpers for guest-side end-to-end scripts (busybox sh): PASS/FAIL lines.
T=/usr/libexec/hostcall-tests
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# expect NAME CMD...: pass when CMD succeeds
expect() { n=$1; shift; if "$@"; then pass "$n"; else fail "$n: '$*' failed"; fi; }
# host_gone PATTERN: no host process matches PATTERN (waits up to 5 s)
host_gone() {
	i=0
	while [ $i -lt 50 ]; do
		hostcall exec -- pgrep -f "$1" >/dev/null || return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
