#!/usr/bin/env bash
# kvm-patch and the KVM transport on real KVM, nested under TCG: boot the
# guest kernel with -cpu max (AMD SVM) as L1, with the image of
# tests/e2e/kvm/mkl1.sh (make kvm-l1); its /init (tests/e2e/kvm/l1-init.sh)
# runs the selftest and an L2 guest once on kvm-patch's modules
# (transport "hypercall (kvm)") and once on Debian's (transport "doorbell").
# Prints the PASS/FAIL lines of L1; the whole console goes to
# BUILD_DIR/tests/kvm-l1-console.log.
# Environment: KVM_L1_TIMEOUT (s, default 420), KVM_L1_SMP (default 1, see
# below),
# KVM_L2_SMP (default 2), KVM_L1_APPEND (more L1 kernel arguments, e.g.
# hckvm.loglevel=7 to see L1's kernel messages).
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

start=$SECONDS
# One L1 vCPU: with two, QEMU 7.2's multi-threaded TCG sometimes keeps
# running a stale translation of kernel text that the other vCPU has just
# re-patched (the int3 of text_poke_bp, e.g. when a KVM VM is created or
# destroyed and the preempt-notifier static key flips), and both vCPUs
# loop in the int3 handler for good (about 1 run in 7 hung that way). With
# one vCPU every patch is seen. L2 still gets two vCPUs (KVM_L2_SMP).
# stdin from /dev/null: the serial console only writes; -no-reboot turns the
# L1 poweroff (or a panic, panic=-1) into QEMU's exit.
timeout -k 10 "$TIMEOUT" "$QEMU" -M q35 -accel tcg -cpu max -m 3G -smp "${KVM_L1_SMP:-1}" \
	-nographic -no-reboot -nic none -L /usr/share/qemu -L /usr/share/seabios \
	-kernel "$KERNEL" -initrd "$L1_IMG" \
	-append "console=ttyS0 quiet panic=-1 hckvm.l2smp=${KVM_L2_SMP:-2} ${KVM_L1_APPEND:-}" \
	< /dev/null > "$LOG.$$" 2>&1
rc=$?
took=$((SECONDS - start))
tr -d '\r' < "$LOG.$$" > "$LOG" && rm -f "$LOG.$$"

# the L1 console, without the kernel's boot noise: comments and results
grep -E '^(# |PASS: |FAIL: |SKIP: |L1: )' "$LOG"
echo "# nested run: ${took} s (L1 boot to poweroff, QEMU exit status $rc)"
if ! grep -q '^L1: done$' "$LOG"; then
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		fail "kvm: the L1 guest finished within ${TIMEOUT} s"
	else
		fail "kvm: the L1 guest ran its init to the end (QEMU exit $rc)"
	fi
	echo "# last lines of $LOG:"
	tail -n 40 "$LOG" | sed 's/^/#   /'
	exit 1
fi
pass "kvm: the nested run finished (${took} s)"
# every result L1 promised is there
for want in "kvm-patched: hostcall info: transport: hypercall (kvm)" \
	"kvm-stock: hostcall info: transport: doorbell"; do
	grep -q -F "PASS: $want" "$LOG" || fail "kvm: no 'PASS: $want' line"
done
! grep -q '^FAIL: ' "$LOG"
