#!/usr/bin/env bash
# Signals during host-calls, a stalled host, pty resize: one boot runs the
# guest-side group (guest/signals.sh), a second one the driver behind a
# virtual IOMMU (guest/iommu.sh). The host side stops the guest's
# shadow for 6 s when hc-stall starts its marker process, and afterwards
# checks that no host process of the group outlived the boot.
. "$(dirname "$0")/lib.sh"
mkdir -p "$B/tests"

# Find the shadow that started the marker (its nearest hostcall-shadow
# ancestor) and stop it for 6 s.
stall_shadow() {
	local m= p
	for _ in $(seq 3000); do
		m=$(pgrep -f 'hc-stall-marke[r]' | head -1)
		[ -n "$m" ] && break
		sleep 0.2
	done
	[ -n "$m" ] || { fail "stall: the guest's marker process showed up on the host"; return; }
	p=$m
	while [ -n "$p" ] && [ "$p" -gt 1 ] && [ "$(ps -o comm= -p "$p")" != hostcall-shadow ]; do
		p=$(ps -o ppid= -p "$p" | tr -d ' ')
	done
	if [ -z "$p" ] || [ "$p" -le 1 ]; then
		fail "stall: found the marker's shadow"
		return
	fi
	kill -STOP "$p"
	sleep 6
	kill -CONT "$p"
	pass "stall: the host stopped the guest's shadow for 6 s"
}

stall_shadow > "$B/tests/stall.out" &
sp=$!
hcvm exec --timeout 600 -- sh /tests/signals.sh 64
rc=$?
[ $rc = 0 ] || fail "signals: guest group ran to its end (hcvm exit $rc)"
kill "$sp" 2>/dev/null
wait "$sp" 2>/dev/null
cat "$B/tests/stall.out"

# the device gets DMA addresses: it works behind a virtual IOMMU
hcvm exec --timeout 300 --qemu-arg=-device --qemu-arg=intel-iommu -- sh /tests/iommu.sh
rc=$?
[ $rc = 0 ] || fail "iommu: guest group ran to its end (hcvm exit $rc)"

sleep 1
left=$(pgrep -fa '^sleep 4242\.|hc-stall-marke[r]')
check "signals: no spawned host process outlived the guest" "" "$left"
