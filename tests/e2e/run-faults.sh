#!/usr/bin/env bash
# Faults and load in one boot (guest side: guest/faults.sh): session churn
# with flat fds and RSS in QEMU and shadowd, 64 concurrent checksummed
# pipelines, and kill -9 of a guest caller, a shadow, shadowd and QEMU
# mid-stream: no orphan, an error within a bound, no lost byte.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vmprocs.sh"
BOUND=10	# seconds from a kill to the guest's error
# RSS may grow by a few allocator pages; a leak per session would show as
# 900 x its size. fds must be equal.
RSS_SLACK=1024	# KiB
mkdir -p "$B/tests"
log=$B/tests/faults-guest.log
qemu= shadowd= shadows= killed_at=
on_line() {
	local line=$1
	case $line in
	PASS:*|FAIL:*|SKIP:*) echo "$line" ;;
	"MARK churn100") s100=$(vm_sample) ;;
	"MARK churn1000")
		s1000=$(vm_sample)
		echo "# fds and RSS (KiB) of QEMU and shadowd after 100: $s100; after 1000: $s1000"
		read -r qf1 qr1 df1 dr1 <<< "$s100"
		read -r qf2 qr2 df2 dr2 <<< "$s1000"
		if [ -n "$qf1" ] && [ "$qf1" = "$qf2" ] && [ "$df1" = "$df2" ]; then
			pass "faults: QEMU and shadowd hold as many fds after 1000 sessions as after 100 ($qf2, $df2)"
		else
			fail "faults: fds after 100 / 1000 sessions: $s100 / $s1000"
		fi
		if [ -n "$qr1" ] && [ $((qr2 - qr1)) -le $RSS_SLACK ] && [ $((dr2 - dr1)) -le $RSS_SLACK ]; then
			pass "faults: QEMU and shadowd RSS flat over 900 sessions (+$((qr2 - qr1)) KiB, +$((dr2 - dr1)) KiB)"
		else
			fail "faults: RSS grew over 900 sessions: $s100 -> $s1000"
		fi ;;
	"MARK shadow")
		if wait_proc 'fault-shado[w]' 60; then
			sleep 1
			shadows=$(vm_shadows)
			kill -9 $shadows 2>/dev/null
			killed_at=$SECONDS
		else
			fail "faults: the shadow-kill stream never started on the host"
		fi ;;
	"MARK shadow-done")
		[ -n "$killed_at" ] && [ $((SECONDS - killed_at)) -le $BOUND ] &&
			pass "faults: the guest saw the shadow's death within $BOUND s" ||
			fail "faults: the guest saw the shadow's death after $((SECONDS - ${killed_at:-0})) s"
		gone_within 5 'fault-shado[w]' && pass "faults: a killed shadow leaves no host process" ||
			fail "faults: a killed shadow's command still runs" ;;
	"MARK shadowd")
		if wait_proc 'fault-shadow[d]' 60; then
			sleep 1
			shadowd=$(vm_shadowd)
			kill -9 "$shadowd"
		else
			fail "faults: the shadowd-kill stream never started on the host"
		fi ;;
	"MARK qemu")
		if wait_proc 'fault-qem[u]' 60; then
			sleep 1
			qemu=$(vm_qemu) shadowd=$(vm_shadowd) shadows=$(vm_shadows)
			kill -9 "$qemu"
			killed_at=$SECONDS
		else
			fail "faults: the QEMU-kill stream never started on the host"
		fi ;;
	esac
}
vm_watch "$log" on_line --timeout 600 -- sh /tests/faults.sh
rc=$?
if [ -n "$qemu" ]; then
	[ "$rc" != 0 ] && pass "faults: hcvm reports the killed QEMU (exit $rc)" ||
		fail "faults: hcvm exit 0 after QEMU was killed"
	grep -q '^hcvm: QEMU was killed by signal 9 ' "$log" &&
		pass "faults: hcvm says how QEMU ended (killed by signal 9)" ||
		fail "faults: hcvm did not say how QEMU ended: $(grep -m2 '^hcvm: [^-]' "$log" | tr '\n' ' ')"
	left=
	for _ in $(seq $((BOUND * 10))); do
		left=$(ps -o pid=,args= -p "$(echo $shadowd $shadows | tr ' ' ,)" 2>/dev/null)
		left="$left$(pgrep -fa 'fault-qem[u]')"
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -z "$left" ] && pass "faults: after QEMU's kill -9, its shadowd, shadows and commands are gone within $BOUND s" ||
		fail "faults: left after QEMU's kill -9: $left"
else
	fail "faults: the guest group did not reach the QEMU kill (hcvm exit $rc; log $log)"
fi
