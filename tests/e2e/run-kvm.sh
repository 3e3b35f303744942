#!/usr/bin/env bash
# kvm-patch and the KVM transport on real KVM, nested under TCG: boot the
# guest kernel with -cpu max (AMD SVM) as L1, with the image of
# tests/e2e/kvm/mkl1.sh (make kvm-l1); its /init (tests/e2e/kvm/l1-init.sh)
# runs the selftest and an L2 guest on kvm-patch's modules, on them again
# with kvm.hostcall_eventfd=0, and on Debian's, one kick mode each.
# Prints the PASS/FAIL lines of L1; the whole console goes to
# BUILD_DIR/tests/kvm-l1-console.log.
# Environment: KVM_L1_TIMEOUT (s, default 420), KVM_L1_SILENT (s without
# console output that count as a hang, default 100), KVM_L1_TRIES (boots of
# L1 when it hangs, default 3), KVM_L1_SMP and
# KVM_L2_SMP (default 1 each, see below), KVM_L1_APPEND (more L1 kernel
# arguments, e.g. hckvm.loglevel=7 to see L1's kernel messages, or hckvm.nol2
# to run only the selftests, without the L2 guests).
. "$(dirname "$0")/lib.sh"
mkdir -p "$B/tests"
L1_IMG=$B/kvm-l1/initrd
KERNEL=$B/kernel/vmlinuz
QEMU=$B/bin/qemu-system-x86_64
LOG=$B/tests/kvm-l1-console.log
TIMEOUT=${KVM_L1_TIMEOUT:-420}

for f in "$L1_IMG" "$KERNEL" "$QEMU"; do
	[ -e "$f" ] || { fail "kvm: $f missing (make kvm-l1)"; exit 1; }
done
if ! "$QEMU" -accel tcg -cpu help 2>/dev/null | grep -q -w max; then
	echo "SKIP: kvm: $QEMU offers no -cpu max"
	exit 0
fi

# One L1 vCPU: with two, QEMU 7.2's multi-threaded TCG sometimes keeps
# running a stale translation of kernel text that the other vCPU has just
# re-patched (the int3 of text_poke_bp, e.g. when a KVM VM is created or
# destroyed and the preempt-notifier static key flips), and both vCPUs
# loop in the int3 handler for good (about 1 run in 7 hung that way). With
# one vCPU every patch is seen.
# One L2 vCPU too: with two L2 vCPUs on L1's one, L1 stopped for good while
# starting an L2 in 4 of 12 runs; with one, about 1 boot in 4 still does (L1
# halted, no interrupt ever comes), hence the hang detection below.
# stdin from /dev/null: the serial console only writes; -no-reboot turns the
# L1 poweroff (or a panic, panic=-1) into QEMU's exit.
# run_l1 LOG: one L1 boot; 124 when it went silent for $SILENT s (its vCPU
# state is printed first) or ran over $TIMEOUT s, else QEMU's status.
SILENT=${KVM_L1_SILENT:-100}
run_l1() {
	local mon=$1.mon q t=0 last=-1 quiet=0 size
	rm -f "$mon"
	"$QEMU" -M q35 -accel tcg -cpu max -m 3G -smp "${KVM_L1_SMP:-1}" \
		-nographic -no-reboot -nic none -L /usr/share/qemu -L /usr/share/seabios \
		-kernel "$KERNEL" -initrd "$L1_IMG" -monitor "unix:$mon,server,nowait" \
		-append "console=ttyS0 quiet panic=-1 hckvm.l2smp=${KVM_L2_SMP:-1} ${KVM_L1_APPEND:-}" \
		< /dev/null > "$1" 2>&1 &
	q=$!
	while kill -0 $q 2>/dev/null; do
		sleep 5
		t=$((t + 5))
		size=$(stat -c %s "$1")
		if [ "$size" = "$last" ]; then quiet=$((quiet + 5)); else quiet=0; last=$size; fi
		if [ $quiet -ge "$SILENT" ] || [ $t -ge "$TIMEOUT" ]; then
			echo "# L1 stopped making progress (${quiet} s silent, ${t} s in); its vCPU:"
			python3 - "$mon" <<'PY' 2>/dev/null | tr -d '\r' | grep -E '^(RIP|EFER|CR0|CPU)' | sed 's/^/#   /'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1]); time.sleep(0.3); s.recv(65536)
s.send(b"info registers\n"); time.sleep(0.5)
print(s.recv(65536).decode(errors="replace"))
PY
			kill $q; sleep 1; kill -9 $q 2>/dev/null
			wait $q 2>/dev/null
			rm -f "$mon"
			return 124
		fi
	done
	wait $q
	local rc=$?
	rm -f "$mon"
	return $rc
}

# A hang of the nested stack is not a result: it is said, its console kept,
# and L1 booted again, up to $TRIES times in all.
TRIES=${KVM_L1_TRIES:-3}
for try in $(seq 1 "$TRIES"); do
	start=$SECONDS
	run_l1 "$LOG.$$"
	rc=$?
	[ $rc = 124 ] || break
	tr -d '\r' < "$LOG.$$" > "$LOG.hung$try"
	echo "# boot $try of L1 hung after: $(grep -a -E '^(# )?L1: ' "$LOG.hung$try" | tail -n 1)"
	echo "# (its console: $LOG.hung$try)"
done
took=$((SECONDS - start))
tr -d '\r' < "$LOG.$$" > "$LOG" && rm -f "$LOG.$$"

# the L1 console, without the kernel's boot noise: comments and results
grep -E '^(# |PASS: |FAIL: |SKIP: |L1: )' "$LOG"
echo "# nested run: ${took} s (L1 boot to poweroff, QEMU exit status $rc)"
if ! grep -q '^L1: done$' "$LOG"; then
	if [ $rc = 124 ]; then
		fail "kvm: the L1 guest finished in one of $TRIES boots (within ${TIMEOUT} s, never ${SILENT} s silent)"
	else
		fail "kvm: the L1 guest ran its init to the end (QEMU exit $rc)"
	fi
	echo "# last lines of $LOG:"
	tail -n 40 "$LOG" | sed 's/^/#   /'
	exit 1
fi
pass "kvm: the nested run finished (${took} s)"
# the three kick modes side by side, as hostcall_test measured them in L1
kick=$(sed -n 's/^# hostcall_test: # kick: \(.*\): \([0-9.]*\) us per kick.*/\1 \2 us/p' "$LOG" |
	paste -s -d '|' | sed 's/|/, /g')
[ -n "$kick" ] && echo "# kick cost, guest to eventfd, nested KVM (L1): $kick"
# and the L2 guests' ping round trips, one per mode
rtt=$(sed -n 's/^# rtt: \(.*\): median \([0-9?]*\) us, .*, \(.*\)$/\1 \2 us (\3)/p' "$LOG" |
	paste -s -d '|' | sed 's/|/, /g')
[ -n "$rtt" ] && echo "# L2 round trip, hostcall ping median, nested KVM: $rtt"
# every result L1 promised is there
for want in "kvm-patched: hostcall info: transport: hypercall-eventfd (kvm)" \
	"kvm-patched: selftest: KVM_CHECK_EXTENSION(KVM_CAP_HOSTCALL_EVENTFD) = 1" \
	"kvm-patched: selftest: eventfd: registered session kick: 0 exits" \
	"kvm-exit: KVM_CAP_HOSTCALL_EVENTFD withdrawn (0)" \
	"kvm-exit: hostcall info: transport: hypercall (kvm)" \
	"kvm-stock: hostcall info: transport: doorbell-ioeventfd (kvm)"; do
	grep -q -F "PASS: $want" "$LOG" || fail "kvm: no 'PASS: $want' line"
done
! grep -q '^FAIL: ' "$LOG"
