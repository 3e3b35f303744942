#!/bin/sh
# /init of the L1 guest of the nested-KVM test (tests/e2e/run-kvm.sh; the
# image is made by tests/e2e/kvm/mkl1.sh). L1 runs under TCG with -cpu max,
# which offers AMD SVM, so KVM works inside it. Three rounds, each the
# selftest and then an L2 guest (the normal image, QEMU -accel kvm -cpu host
# via hcvm, /tests/kvm-l2.sh) whose kick must be the round's:
#   1. kvm-patch's modules: "hypercall-eventfd (kvm)", KVM signals the
#      shadow's eventfd (0003);
#   2. the same with kvm.hostcall_eventfd=0: "hypercall (kvm)", every kick
#      exits to QEMU (0001);
#   3. Debian's stock modules: the selftest must skip, the kick is the
#      doorbell ("doorbell-ioeventfd (kvm)").
# Results are PASS:/FAIL: lines on the console; "L1: done" ends the run.
export PATH=/opt/hostcall/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmp /tmp
chmod 1777 /tmp
hostname l1

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
say() { echo "# L1: $*"; }
P=/opt/kvm-patched
T0=$(cut -d' ' -f1 /proc/uptime)
elapsed() { awk -v a="$T0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }'; }

cmdline=$(cat /proc/cmdline)
L2_SMP=1 L2_MEM=512M LOGLEVEL=1
for arg in $cmdline; do
	case $arg in
	hckvm.l2smp=*) L2_SMP=${arg#hckvm.l2smp=} ;;
	hckvm.l2mem=*) L2_MEM=${arg#hckvm.l2mem=} ;;
	hckvm.loglevel=*) LOGLEVEL=${arg#hckvm.loglevel=} ;;
	hckvm.nol2) NO_L2=1 ;;
	esac
done
# Kernel messages would break result lines: by default only emergencies
# (panics, soft lockups) reach the console.
echo "$LOGLEVEL" > /proc/sys/kernel/printk

if grep -q -w svm /proc/cpuinfo; then vendor=amd
elif grep -q -w vmx /proc/cpuinfo; then vendor=intel
else vendor=
fi
say "kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) " MiB" }' /proc/meminfo), virtualization: ${vendor:-none}"
if [ -z "$vendor" ]; then
	echo "SKIP: kvm: the L1 CPU shows neither svm nor vmx (QEMU -cpu max without nested virtualization?)"
	echo "L1: done"
	poweroff -f
	exit 0
fi

# selftest LABEL WANT_EXIT: run hostcall_test, show its TAP output, turn its
# results into PASS/FAIL lines. Expected skips (stock KVM) stay comments.
selftest() {
	say "$1: running hostcall_test"
	# (each KVM_RUN has its own 20 s alarm; this bounds everything else)
	{ timeout -s KILL 120 "$P/hostcall_test" 2>&1; echo $? > /tmp/selftest.rc; } |
		tee /tmp/selftest.out | sed 's/^/# hostcall_test: /'
	rc=$(cat /tmp/selftest.rc)
	[ "$rc" = 137 ] && say "$1: hostcall_test killed after 120 s"
	sed -n -e '/# SKIP/d' \
		-e "s/^ok [0-9]* - \\(.*\\)/PASS: $1: selftest: \\1/p" \
		-e "s/^not ok [0-9]* - \\(.*\\)/FAIL: $1: selftest: \\1/p" /tmp/selftest.out
	if [ "$rc" = "$2" ]; then
		pass "$1: hostcall_test exits $rc ($(grep -c '^ok' /tmp/selftest.out) ok, $(grep -c '^not ok' /tmp/selftest.out) not ok, $(grep -c '# SKIP' /tmp/selftest.out) skipped)"
	else
		fail "$1: hostcall_test exits $2 (got $rc)"
	fi
}

# l2 LABEL patched|stock: the normal guest image under KVM with two hostcall
# devices, its checks in /tests/kvm-l2.sh; then hcvm exec's exit status.
l2() {
	if [ -n "${NO_L2:-}" ]; then say "$1: no L2 guest (hckvm.nol2)"; return; fi
	say "$1: booting the L2 guest"
	t=$(elapsed)
	# a normal run takes 20-40 s; on a hang hcvm prints L2's console
	hcvm exec --accel kvm --smp "$L2_SMP" --mem "$L2_MEM" --timeout 90 \
		--qemu-arg=-device --qemu-arg=hostcall,shadowd=/opt/hostcall/bin/shadowd \
		-- sh /tests/kvm-l2.sh "$1" "$2" < /dev/null
	rc=$?
	[ $rc = 0 ] && pass "$1: L2 guest ran its checks to the end (hcvm exec exit 0)" ||
		fail "$1: L2 guest ran its checks to the end (hcvm exec exit $rc)"
	say "$1: L2 run took $(awk -v a="$t" -v b="$(elapsed)" 'BEGIN { printf "%.1f", b - a }') s"
}

# which_kvm LABEL: the loaded kvm.ko, told apart by its taint (out of tree: O)
which_kvm() {
	taint=$(cat /sys/module/kvm/taint 2>/dev/null)
	say "$1: kvm.ko taint '$taint', /dev/kvm: $(ls /dev/kvm 2>&1)"
}

# ---- round 1: kvm-patch --------------------------------------------------
say "patched: loading kvm-patch's modules"
modprobe irqbypass
[ $vendor = amd ] && { modprobe ccp || say "ccp did not load"; }
if insmod $P/kvm.ko && insmod $P/kvm-$vendor.ko && [ -c /dev/kvm ]; then
	which_kvm patched
	case "$(cat /sys/module/kvm/taint)" in *O*)
		pass "kvm-patched: kvm-patch's kvm.ko and kvm-$vendor.ko loaded" ;;
		*) fail "kvm-patched: kvm-patch's kvm.ko and kvm-$vendor.ko loaded (kvm.ko not out of tree)" ;;
	esac
	selftest kvm-patched 0
	l2 kvm-patched patched
else
	fail "kvm-patched: kvm-patch's kvm.ko and kvm-$vendor.ko loaded"
fi
say "round 1 done at $(elapsed) s"

# ---- round 2: kvm-patch with its eventfd withdrawn (kvm.hostcall_eventfd=0) -
# Kicks exit to QEMU, which writes the eventfd: the third kick mode, on the
# same kernel as round 1.
say "exit: reloading kvm-patch's modules with hostcall_eventfd=0"
rmmod kvm_$vendor kvm 2>/dev/null
if [ -e /sys/module/kvm ]; then
	fail "kvm-exit: kvm-patch's modules reloaded with hostcall_eventfd=0"
elif insmod $P/kvm.ko hostcall_eventfd=0 && insmod $P/kvm-$vendor.ko && [ -c /dev/kvm ] &&
	[ "$(cat /sys/module/kvm/parameters/hostcall_eventfd)" = N ]; then
	which_kvm exit
	pass "kvm-exit: kvm-patch's modules reloaded with hostcall_eventfd=0"
	selftest kvm-exit 0
	grep -q '^# KVM_CHECK_EXTENSION(KVM_CAP_HOSTCALL_EVENTFD) = 0$' /tmp/selftest.out &&
		pass "kvm-exit: KVM_CAP_HOSTCALL_EVENTFD withdrawn (0)" ||
		fail "kvm-exit: KVM_CAP_HOSTCALL_EVENTFD withdrawn (0)"
	l2 kvm-exit exit
else
	fail "kvm-exit: kvm-patch's modules reloaded with hostcall_eventfd=0"
fi
say "round 2 done at $(elapsed) s"

# ---- round 3: Debian's stock modules ---------------------------------------
say "stock: unloading kvm-patch's modules, loading Debian's"
rmmod kvm_$vendor kvm 2>/dev/null
if [ -e /sys/module/kvm ]; then
	fail "kvm-stock: kvm-patch's modules unloaded"
elif modprobe kvm_$vendor && [ -c /dev/kvm ]; then
	which_kvm stock
	case "$(cat /sys/module/kvm/taint)" in *O*)
		fail "kvm-stock: Debian's kvm.ko and kvm-$vendor.ko loaded (kvm.ko is out of tree)" ;;
		*) pass "kvm-stock: Debian's kvm.ko and kvm-$vendor.ko loaded" ;;
	esac
	selftest kvm-stock 4
	l2 kvm-stock stock
else
	fail "kvm-stock: Debian's kvm.ko and kvm-$vendor.ko loaded"
fi
say "round 3 done at $(elapsed) s"

echo "L1: done"
sync
poweroff -f
