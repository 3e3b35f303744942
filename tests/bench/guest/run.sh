#!/bin/sh
# Guest half of `make bench` (run by tests/bench.sh through hcvm exec):
# every row and its anchors once per round, rounds one after the other, so
# that the machine's noise hits both sides alike. "round N" starts a round
# (the host measures its own anchor then, and says when it is done with a
# file spawned.N in the share, while we wait); "hold N" says
# N sessions are open (the host measures their memory). The TCP rows
# (NCONN connections; PEER_PORT and HTTP_PORT: tests/bench-peer.c --tcp
# on the host's 127.0.0.1) go through sock (host.internal) and the NIC of
# QEMU user-mode networking (10.0.2.2); without the ports they are not run.
#   run.sh ROUNDS MIB CALLS NSTAT SECS NSESS HOSTDIR [EVQ_EVENTS
#          [NCONN PEER_PORT HTTP_PORT]]
set -u
rounds=$1 mib=$2 calls=$3 nstat=$4 secs=$5 nsess=$6 hostdir=$7 evq=${8:-1000000}
nconn=${9:-} pport=${10:-} hport=${11:-}
cd /bench || exit 1
while read -r m; do insmod "$m" 2>/dev/null; done < modules.list
# slirp's fixed plan: the guest 10.0.2.15/24, the host (its 127.0.0.1 as
# slirp connects) 10.0.2.2; the NIC is the one interface besides lo
vnet=
if [ -n "$pport" ]; then
	nic=
	for n in /sys/class/net/*; do
		[ "${n##*/}" = lo ] || { nic=${n##*/}; break; }
	done
	if [ -n "$nic" ] && ip addr add 10.0.2.15/24 dev "$nic" && ip link set "$nic" up; then
		vnet=10.0.2.2
	else
		echo "skip virtio_net: no NIC to configure"
	fi
fi
mkdir -p /mnt/9p /mnt/vfs
# msize 512000: 9p's largest useful request size, so its reads are not
# limited by small messages
p9=/mnt/9p vfs=/mnt/vfs
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 bench9p $p9 ||
	{ echo "skip virtio_9p mount failed"; p9=; }
mount -t virtiofs benchfs $vfs 2>/dev/null ||
	{ echo "skip virtio_fs no virtiofsd"; vfs=; }
# the loop body is one !true: what a host command costs from the shell
ntrue=20
trueloop="i=0; while [ \$i -lt $ntrue ]; do !true; i=\$((i + 1)); done"
execloop="i=0; while [ \$i -lt $ntrue ]; do hostcall exec -- true; i=\$((i + 1)); done"

r=1
while [ $r -le "$rounds" ]; do
	echo "round $r"
	# the host measures its spawn anchor now: wait until it says it is
	# done (a file in the share), so that it does not load the machine
	# under our first rows
	w=0
	while [ $w -lt 120 ]; do
		if [ -n "$p9" ]; then [ -e "$p9/spawned.$r" ] && break
		elif [ $w -ge 4 ]; then break; fi
		sleep 0.5; w=$((w + 1))
	done
	# hostcall's rows: libhostcall as a program uses it, then (ABI 2) its
	# calls forced through the driver's ioctl, and its streams from and
	# into window buffers (zero copy; "skip" before ABI 2)
	./hcb rtt "$calls"
	HOSTCALL_WINDOW=0 ./hcb --side=hostcall_ioctl rtt "$calls"
	# the tool: its average round trip and (ABI 2) the data path and the
	# session's counters it ends with, "data path: P; N calls, K kicks,
	# W wakeups, I irqs"
	hostcall ping -c "$calls" -s 1 | awk '
		/^rtt min\/avg\/max/ { split($4, t, "/"); print "null_rtt_us hostcall_tool", t[2] }
		/^data path:/ {
			gsub(/[;,]/, "")
			print "info hostcall_tool path: " $3
			if ($4 > 0) {
				print "kicks_per_1000 hostcall_tool", $6 / $4 * 1000
				print "wakeups_per_1000 hostcall_tool", $8 / $4 * 1000
				print "irqs_per_1000 hostcall_tool", $10 / $4 * 1000
			}
		}'
	./anchor vrtt "$calls"
	./hcb g2h "$mib"
	./hcb --zc g2h "$mib"
	./anchor vg2h "$mib"
	./hcb h2g "$mib"
	./hcb --zc h2g "$mib"
	./anchor vh2g "$mib"
	./anchor memcpy 64
	./hcb read "$hostdir/big"
	./hcb --zc read "$hostdir/big"
	[ -n "$p9" ] && ./anchor read virtio_9p $p9/big
	[ -n "$vfs" ] && ./anchor read virtio_fs $vfs/big
	./hcb stat "$hostdir/stat" "$nstat"
	[ -n "$p9" ] && ./anchor stat virtio_9p $p9/stat "$nstat"
	[ -n "$vfs" ] && ./anchor stat virtio_fs $vfs/stat "$nstat"
	./anchor time true_ms dualsh $ntrue "dualsh -c '$trueloop'"
	./hcb spawn $ntrue
	./anchor time true_ms hostcall_exec $ntrue "$execloop"
	# dualsh pipelines with a guest stage: through a driver stream fd
	# (the default) and through the shell's pump (DUALSH_NOSTREAM=1)
	for how in stream_fd pump; do
		env=; [ $how = pump ] && env=DUALSH_NOSTREAM=1
		./anchor rate dualsh_g2h_MBps $how "$mib" \
			"$env dualsh -c 'dd if=/dev/zero bs=128k count=$((mib * 8)) 2>/dev/null | !cat > /dev/null'"
		./anchor rate dualsh_h2g_MBps $how "$mib" \
			"$env dualsh -c '!cat $hostdir/big | dd bs=128k of=/dev/null 2>/dev/null'"
	done
	# TCP to the host: sock beside virtio-net, row by row
	if [ -n "$pport" ]; then
		for row in "stream $mib $pport" "connect $nconn $pport" "http $nconn $hport"; do
			# shellcheck disable=SC2086 # row is words
			set -- $row
			./netb --sock "$1" "$2" host.internal "$3"
			[ -n "$vnet" ] && ./netb "$1" "$2" $vnet "$3"
		done
	fi
	for c in 1 4 16; do ./hcb cps $c "$secs"; done
	# event queues: the ping-pong with the example plugin
	./hcb evq "$evq"
	./hcb sessions "$nsess" 3
	r=$((r + 1))
done
# the tool's view (of its own session): the kick in use and, with ABI 2,
# the window's counters
hostcall info | grep -E '^(transport|accel|data path|calls|kicks|wakeups|irqs):' | sed 's/^/info /'
echo "done"
