# Core chain checks, run inside the guest as root by tests/e2e/run-core.sh.
. /tests/lib.sh
cd /tmp

# info names the transport, the host user and the shadow
info=$(hostcall info 2>&1)
echo "$info" | sed 's/^/# /'
case "$info" in *"transport: hypercall (tcg)"*|*"transport: hypercall (kvm)"*|*"transport: doorbell"*|\
	*"transport: hypercall-eventfd (kvm)"*)
	pass "core: hostcall info names the transport" ;;
	*) fail "core: hostcall info names the transport" ;; esac
case "$info" in *"host user:"*"uid"*) pass "core: hostcall info names the host user" ;;
	*) fail "core: hostcall info names the host user" ;; esac
case "$info" in *"shadow pid:"*[0-9]*) pass "core: hostcall info names the shadow pid" ;;
	*) fail "core: hostcall info names the shadow pid" ;; esac

# with session windows, libhostcall submits through them
case "$info" in *"features:"*" window"*)
	case "$info" in *"data path: window"*) pass "core: hostcall info: the data path is the window" ;;
		*) fail "core: hostcall info: the data path is the window" ;; esac ;;
	*) echo "SKIP: core: hostcall info: the data path is the window: the device has no windows" ;; esac
for k in calls kicks wakeups irqs; do
	case "$info" in *"$k: "[0-9]*) pass "core: hostcall info counts $k" ;;
		*) fail "core: hostcall info counts $k" ;; esac
done

out=$(hostcall ping -c 50 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
[ $rc = 0 ] && echo "$out" | grep -q 'avg' && pass "core: hostcall ping -c 50" || fail "core: hostcall ping ($rc)"

# host modules: the built-ins by name and version, their functions; no
# plugin without a policy naming it (this shadowd has the built-in policy)
out=$(hostcall modules 2>&1); rc=$?
echo "$out" | grep -v '^	' | sed 's/^/# /'
for m in "sys 1.0" "proc 1.0" "fs 1.0"; do
	case "$out" in *"$m"*) pass "core: hostcall modules lists $m" ;;
		*) fail "core: hostcall modules lists $m ($rc: $out)" ;; esac
done
case "$out" in *"sys 1.0
	1 ping"*"proc 1.0
	1 spawn"*"fs 1.0
	1 open"*) pass "core: hostcall modules lists each module's functions" ;;
	*) fail "core: hostcall modules lists each module's functions ($out)" ;; esac
"$T/hc-bind" absent | grep -E '^(PASS|FAIL):' | sed 's/^\(PASS\|FAIL\): /\1: core: /'

# exit statuses and signals
hostcall exec -- sh -c 'exit 7'; rc=$?
[ $rc = 7 ] && pass "core: exit status 7 comes back" || fail "core: exit status 7 comes back (got $rc)"
hostcall exec -- sh -c 'kill -TERM $$'; rc=$?
[ $rc = 143 ] && pass "core: death by SIGTERM gives 143" || fail "core: death by SIGTERM gives 143 (got $rc)"
err=$(hostcall exec -- no-such-command-xyz 2>&1); rc=$?
[ $rc = 127 ] && case "$err" in *"no-such-command-xyz: command not found"*) true ;; *) false ;; esac &&
	pass "core: missing host command gives 127 and a message" ||
	fail "core: missing host command gives 127 and a message (got $rc: $err)"

# argv is kept exactly; no host shell re-parses it
out=$(hostcall exec -- printf '[%s]' 'a b' '' '$HOME' '*' "it's")
[ "$out" = "[a b][][\$HOME][*][it's]" ] && pass "core: argv crosses unchanged" ||
	fail "core: argv crosses unchanged (got $out)"
# stdout and stderr stay apart; stdin flows
out=$(echo hello | hostcall exec -- sh -c 'cat; echo oops >&2' 2>/tmp/err)
[ "$out" = hello ] && [ "$(cat /tmp/err)" = oops ] && pass "core: stdin, stdout and stderr stay apart" ||
	fail "core: stdin, stdout and stderr stay apart (out=$out err=$(cat /tmp/err))"
out=$(hostcall exec -- cat < /dev/null | wc -c)
[ "$out" = 0 ] && pass "core: empty stdin reaches EOF" || fail "core: empty stdin reaches EOF ($out)"
out=$(hostcall exec --cwd /tmp --env HC_TEST=42 -- sh -c 'echo "$PWD $HC_TEST"')
[ "$out" = "/tmp 42" ] && pass "core: --cwd and --env" || fail "core: --cwd and --env (got $out)"

# 64 MiB through the host and back, checked by sha256
dd if=/dev/urandom of=/tmp/data bs=1M count=64 2>/dev/null
want=$(sha256sum < /tmp/data | cut -d' ' -f1)
got=$(hostcall exec -- sha256sum < /tmp/data | cut -d' ' -f1)
[ -n "$want" ] && [ "$want" = "$got" ] && pass "core: 64 MiB stream to host sha256sum matches" ||
	fail "core: 64 MiB stream to host sha256sum matches ($want vs $got)"
got=$(hostcall exec -- cat < /tmp/data | sha256sum | cut -d' ' -f1)
[ "$want" = "$got" ] && pass "core: 64 MiB round trip through host cat matches" ||
	fail "core: 64 MiB round trip through host cat matches ($want vs $got)"
rm -f /tmp/data
out=$(seq 1 100000 | hostcall exec -- wc -l)
[ "$out" = 100000 ] && pass "core: seq 1 100000 | hostcall exec -- wc -l" || fail "core: seq | wc -l gave $out"

# 16 concurrent callers get 16 distinct shadows: the host shell's parent
# is the shadow, and all 16 are alive at once.
rm -f /tmp/pp.*
i=0
while [ $i -lt 16 ]; do
	hostcall exec -- sh -c 'echo $PPID; sleep 2' > /tmp/pp.$i &
	i=$((i + 1))
done
wait
n=$(cat /tmp/pp.* | sort -u | grep -c '^[0-9][0-9]*$')
[ "$n" = 16 ] && pass "core: 16 concurrent callers get 16 distinct shadows" ||
	fail "core: 16 concurrent callers get 16 distinct shadows (got $n: $(cat /tmp/pp.* | tr '\n' ' '))"

# a host sleep in one process does not stall another process's calls
hostcall exec -- sleep 5 &
sp=$!
sleep 0.5
hostcall ping -c 20 >/dev/null; rc=$?
if [ $rc = 0 ] && kill -0 $sp 2>/dev/null; then pass "core: calls complete while another process waits on host sleep 5"
else fail "core: calls complete while another process waits on host sleep 5 (ping $rc)"; fi
wait $sp; rc=$?
[ $rc = 0 ] && pass "core: host sleep 5 finishes with 0" || fail "core: host sleep 5 finishes with 0 (got $rc)"

# SIGINT to a guest caller stops the host command
hostcall exec -- sleep 1001 &
p=$!
sleep 1
kill -INT $p
wait $p; rc=$?
[ $rc = 130 ] && pass "core: SIGINT stops the host command (status 130)" || fail "core: SIGINT status (got $rc)"
expect "core: no host process left after SIGINT" host_gone "sleep 1001"

# killing a guest caller leaves no host process behind
hostcall exec -- sh -c 'sleep 1002 & sleep 1003' &
p=$!
sleep 1
kill -KILL $p
wait $p 2>/dev/null
expect "core: SIGKILL of the caller leaves no host process (nor its children)" host_gone "sleep 100[23]"

# nor does a host daemon that left its process group (setsid): the shadow
# is its subreaper and ends it with the session
hostcall exec -- sh -c 'setsid sleep 1004 </dev/null >/dev/null 2>&1 & exit 0'
expect "core: a setsid daemon of a host command ends with the session" host_gone "^sleep 1004"

# a user in the hostcall group can call; one outside it cannot open the device
out=$(su -s /bin/sh user -c 'hostcall exec -- echo hi' 2>&1)
[ "$out" = hi ] && pass "core: guest user 1000 (group hostcall) can call" || fail "core: uid 1000 call (got $out)"
out=$(su -s /bin/sh nobody -c 'hostcall info' 2>&1); rc=$?
[ $rc != 0 ] && case "$out" in *"ermission denied"*) true ;; *) false ;; esac &&
	pass "core: a user outside the hostcall group is refused" || fail "core: nobody refused (rc $rc: $out)"

# driver-level checks in C
$T/hc-intr
$T/hc-stream
$T/hc-threads 8 200 4
$T/hc-fs
# socket fds (the sock module), both ends on the host's loopback
$T/hc-sockfd
# libhostcall's direct path: threads, fork, zero copy, kicks; signals
$T/hc-lib-window 16 300
$T/hc-lib-signal
# the same signal checks on the ioctl path (e2e-signals storms hostcall exec)
HOSTCALL_WINDOW=0 $T/hc-lib-signal | sed 's/libsig:/libsig (ioctl):/'
# direct submission vs the ioctl, one after the other (figures only)
hostcall ping -c 500 | grep -E 'rtt|data path' | sed 's/^/# window: /'
HOSTCALL_WINDOW=0 hostcall ping -c 500 | grep -E 'rtt|data path' | sed 's/^/# ioctl: /'

echo "core: $fails failure(s)"
