# Core checks for the nested-KVM test, run as root inside the L2 guest by
# tests/e2e/kvm/l1-init.sh (through hcvm exec in the L1 guest):
#   sh /tests/kvm-l2.sh LABEL patched|exit|stock
# with two hostcall devices (/dev/hostcall, /dev/hostcall1).
# patched: KVM with kvm-patch; exit: the same with kvm.hostcall_eventfd=0;
# stock: Debian's KVM, the probe gets -KVM_ENOSYS and the driver uses the
# doorbell. The kick differs (want_tr below); the data checks must pass
# every way.
. /tests/lib.sh
# check NAME WANT GOT
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: want '$2', got '$3'"; fi; }
cd /tmp
label=$1 kind=$2
case $kind in
patched) want_tr="hypercall-eventfd (kvm)" ;;
exit) want_tr="hypercall (kvm)" ;;
*) want_tr="doorbell-ioeventfd (kvm)" ;;
esac
# exit: KVM signals no eventfd (kvm.hostcall_eventfd=0 in L1), so the driver
# would pick the doorbell; kvm_hypercall_kick=1 makes it kick by the
# hypercall that exits to QEMU, the third mode.
if [ "$kind" = exit ]; then
	if rmmod hostcall && modprobe hostcall kvm_hypercall_kick=1 &&
		[ -c /dev/hostcall ]; then
		pass "$label: driver reloaded with kvm_hypercall_kick=1"
	else
		fail "$label: driver reloaded with kvm_hypercall_kick=1"
	fi
fi

info=$(hostcall info 2>&1)
echo "$info" | sed 's/^/# /'
dmesg | grep -i hostcall | sed 's/^/# dmesg: /'
tr=$(echo "$info" | sed -n 's/^transport: //p')
feat=$(echo "$info" | sed -n 's/^features://p')
case "$info" in *"accel: kvm"*) pass "$label: the device reports accel: kvm" ;;
	*) fail "$label: the device reports accel: kvm" ;; esac
check "$label: hostcall info: transport: $want_tr" "$want_tr" "$tr"
if [ "$kind" != stock ]; then
	case " $feat " in *" hypercall "*) pass "$label: FEATURES has HC_F_HYPERCALL (KVM_CAP_EXIT_HOSTCALL enabled)" ;;
		*) fail "$label: FEATURES has HC_F_HYPERCALL (got '$feat')" ;; esac
	case " $feat " in *" hypercall-eventfd "*) has=yes ;; *) has=no ;; esac
	[ "$kind" = patched ] && want=yes || want=no
	check "$label: FEATURES has HC_F_HC_EVENTFD (KVM_CAP_HOSTCALL_EVENTFD): $want" "$want" "$has"
else
	case " $feat " in *" hypercall "*) fail "$label: FEATURES lacks HC_F_HYPERCALL (got '$feat')" ;;
		*) pass "$label: FEATURES lacks HC_F_HYPERCALL" ;; esac
	dmesg | grep -q 'hypercall not served (-1000)' &&
		pass "$label: the driver's probe hypercall got -KVM_ENOSYS (-1000)" ||
		fail "$label: the driver's probe hypercall got -KVM_ENOSYS (-1000)"
fi

# a second device: the capability is a VM setting, enabled once for both
if [ -e /dev/hostcall1 ]; then
	tr1=$(hostcall -d /dev/hostcall1 info 2>&1 | sed -n 's/^transport: //p')
	check "$label: second device: transport: $want_tr" "$want_tr" "$tr1"
	out=$(hostcall -d /dev/hostcall1 exec -- echo second 2>&1)
	check "$label: second device: hostcall exec works" second "$out"
else
	fail "$label: a second device /dev/hostcall1 exists"
fi

# Round trips with this kick: ping's calls are far enough apart here (each
# prints a line) that the shadow has gone to sleep and is kicked; its last
# line counts the kicks.
out=$(hostcall ping -c 200 2>&1); rc=$?
echo "$out" | tail -n 2 | sed 's/^/# /'
[ $rc = 0 ] && pass "$label: hostcall ping -c 200" || fail "$label: hostcall ping -c 200 ($rc)"
med=$(echo "$out" | sed -n 's/.* time=\([0-9.]*\) us$/\1/p' | sort -n |
	awk '{ v[NR] = $1 } END { if (NR) printf "%.0f", v[int((NR + 1) / 2)] }')
mm=$(echo "$out" | sed -n 's|^rtt min/avg/max = \([0-9.]*\)/\([0-9.]*\)/.*|min \1 us, avg \2 us|p')
kc=$(echo "$out" | sed -n 's/.*; \([0-9]*\) calls, \([0-9]*\) kicks.*/\2 kicks in \1 calls/p')
echo "# rtt: $want_tr: median ${med:-?} us, ${mm:-?}, ${kc:-kicks ?}"

# 4 MiB through a host pipeline, compared by sha256 (guest vs host)
head -c 4194304 /dev/urandom > /tmp/data
want=$(sha256sum < /tmp/data | cut -d' ' -f1)
got=$(hostcall exec -- sha256sum < /tmp/data | cut -d' ' -f1)
[ -n "$want" ] && [ "$want" = "$got" ] &&
	pass "$label: 4 MiB to host sha256sum: host and guest sums agree" ||
	fail "$label: 4 MiB to host sha256sum: host and guest sums agree ($want vs $got)"
got=$(hostcall exec -- cat < /tmp/data | sha256sum | cut -d' ' -f1)
[ "$want" = "$got" ] &&
	pass "$label: 4 MiB round trip through host cat keeps its sha256" ||
	fail "$label: 4 MiB round trip through host cat keeps its sha256 ($want vs $got)"
out=$(seq 1 10000 | hostcall exec -- sh -c 'sort -rn | head -n 1')
check "$label: seq 1 10000 | hostcall exec -- sh -c 'sort -rn | head -n 1'" 10000 "$out"
rm -f /tmp/data

# exit status of a host command
hostcall exec -- sh -c 'exit 7'; rc=$?
check "$label: hostcall exec -- sh -c 'exit 7' exits 7" 7 "$rc"

# several processes at once
i=0
while [ $i -lt 4 ]; do
	hostcall exec -- sh -c 'echo $PPID' > /tmp/pp.$i &
	i=$((i + 1))
done
wait
n=$(cat /tmp/pp.* | sort -u | grep -c '^[0-9][0-9]*$')
check "$label: 4 concurrent callers get 4 shadows" 4 "$n"
rm -f /tmp/pp.*

# every kick went the same way: the driver falls back to the doorbell (and
# says so) if a hypercall kick ever fails
tr=$(hostcall info 2>&1 | sed -n 's/^transport: //p')
check "$label: after the transfers the transport is still $want_tr" "$want_tr" "$tr"
if dmesg | grep -q 'hypercall kick failed'; then
	fail "$label: no hypercall kick failed"
	dmesg | grep 'hypercall kick failed' | sed 's/^/# dmesg: /'
else
	pass "$label: no hypercall kick failed"
fi

[ "$fails" = 0 ]
