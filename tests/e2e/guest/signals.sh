# Signals during host-calls, a stalled host and pty resize; run inside the
# guest as root by tests/e2e/run-signals.sh. MiB per stream: $1 (64).
. /tests/lib.sh
cd /tmp
mib=${1:-64}
dd if=/dev/urandom of=/tmp/data bs=1M count="$mib" 2>/dev/null
want=$(sha256sum < /tmp/data | cut -d' ' -f1)
size=$(wc -c < /tmp/data)

# storm NAME MODE USEC DELAY_MS CMD...: CMD reads /tmp/data and must print
# it back whole while hc-sigstorm pelts its process group with signals
# (from DELAY_MS on: 0 includes the session open and the spawn)
storm() {
	name=$1 mode=$2 usec=$3 delay=$4
	shift 4
	t0=$(date +%s)
	$T/hc-sigstorm "$mode" "$usec" "$delay" -- "$@" < /tmp/data > /tmp/out 2>/tmp/storm.err
	rc=$?
	got=$(sha256sum < /tmp/out | cut -d' ' -f1)
	n=$(wc -c < /tmp/out)
	echo "# $name: $(grep '# storm' /tmp/storm.err | cut -c3-), $(($(date +%s) - t0)) s"
	if [ $rc = 0 ] && [ "$got" = "$want" ]; then
		pass "signals: $name: $mib MiB intact (sha256)"
	else
		fail "signals: $name: got $n of $size bytes ($((n - size))), sha256 $([ "$got" = "$want" ] && echo equal || echo differs), exit $rc: $(grep -v '^#' /tmp/storm.err | head -3)"
	fi
	rm -f /tmp/out
}

# hostcall exec: host->guest and guest->host at once, through the ioctl
storm "hostcall exec -- cat, SIGSTOP/SIGCONT every 3 ms once streaming" stop 3000 300 \
	hostcall exec -- cat
storm "hostcall exec -- cat, SIGWINCH/SIGCHLD every 1 ms" winch 1000 0 hostcall exec -- cat
# dualsh: guest and host stages joined by stream fds, then by the pump
storm "dualsh cat | !cat | cat, SIGSTOP/SIGCONT every 3 ms" stop 3000 0 \
	dualsh -c 'cat | !cat | cat'
storm "dualsh cat | !cat | !cat | cat, SIGWINCH/SIGCHLD every 1 ms" winch 1000 0 \
	dualsh -c 'cat | !cat | !cat | cat'
storm "dualsh (pump) cat | !cat | cat, SIGSTOP/SIGCONT every 3 ms" stop 3000 0 \
	env DUALSH_NOSTREAM=1 dualsh -c 'cat | !cat | cat'
rm -f /tmp/data

# stream fds and raw calls with handlers (EINTR and SA_RESTART), checked
# byte for byte
for m in "stop 3000" "winch 1000"; do
	set -- $m
	$T/hc-sigstorm "$1" "$2" 300 -- $T/hc-sigio "$mib" "$1 storm" 2>/tmp/storm.err
	echo "# sigio under $1: $(grep '# storm' /tmp/storm.err | cut -c3-)"
done

# an interrupted spawn leaves no host process behind
$T/hc-spawnleak "4242.$$"

# item 3: a resize reaches the host pty
$T/hc-pty

# a stalled host (its shadow stopped by the host side for 6 s) gives no
# hung-task warning; the check interval follows the timeout
dmesg -c > /dev/null
echo 2 > /proc/sys/kernel/hung_task_timeout_secs
$T/hc-stall
sleep 3		# one more check interval
warn=$(dmesg | grep 'blocked for more than')
[ -z "$warn" ] && pass "stall: no hung-task warning while the host was stalled" ||
	fail "stall: hung-task warnings: $(echo "$warn" | tr '\n' ';')"

echo "signals: $fails failure(s)"
