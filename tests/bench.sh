#!/usr/bin/env bash
# make bench: hostcall figures beside virtio-serial in the same guest and
# run, and beside the reference figures in shared/notes/platform.md.
set -euo pipefail
B=${1:?usage: tests/bench.sh BUILD_DIR}
MIB=${BENCH_MIB:-256}
dir=$(mktemp -d /tmp/hcbench.XXXXXX)
trap 'kill $peer 2>/dev/null || true; rm -rf "$dir"' EXIT
mkdir -p "$B/tests"
cc -O2 -std=gnu11 -Wall -Wextra -Werror -o "$B/tests/bench-peer" "$(dirname "$0")/bench-peer.c"
"$B/tests/bench-peer" "$dir/bench.sock" &
peer=$!
for _ in $(seq 50); do [ -S "$dir/bench.sock" ] && break; sleep 0.1; done
"$B/bin/hcvm" exec --timeout 900 \
	--qemu-arg=-chardev --qemu-arg="socket,id=bench,path=$dir/bench.sock" \
	--qemu-arg=-device --qemu-arg="virtserialport,chardev=bench,name=bench" \
	-- /usr/libexec/hostcall-tests/hc-bench "$MIB" > "$dir/out"
v() { awk -v k="$1" '$1 == k { print $2 }' "$dir/out"; }
printf '%-50s %14s %14s %12s\n' "figure (one run)" hostcall virtio-serial reference
printf '%-50s %14s %14s %12s\n' "round trip, 1 byte, guest user <-> host (us)" "$(v hostcall_rtt_us)" "$(v vserial_rtt_us)" 165
printf '%-50s %14s %14s %12s\n' "guest -> host stream (MB/s)" "$(v hostcall_g2h_MBps)" "$(v vserial_g2h_MBps)" 644
printf '%-50s %14s %14s %12s\n' "host -> guest stream (MB/s)" "$(v hostcall_h2g_MBps)" "$(v vserial_h2g_MBps)" "642 (9p read)"
# dualsh rows: stream fd (default) / pump relay (DUALSH_NOSTREAM=1)
d() { echo "$(v "dualsh_$1_MBps") / $(v "dualsh_$1_pump_MBps")"; }
row() { printf '%-50s %14s %14s %12s\n' "$@"; }
row "dualsh: head -c N /dev/zero | !cat >/dev/null (MB/s)" "$(d g2h)" "$(v vserial_g2h_MBps)" 644
row "  guest alone: head -c N /dev/zero | cat (MB/s)" "$(v guest_head_MBps)" - -
row "dualsh: dd bs=4k | !cat >/dev/null (MB/s)" "$(d g2h_dd4k)" "$(v vserial_g2h_MBps)" 644
row "dualsh: dd bs=128k | !cat >/dev/null (MB/s)" "$(d g2h_dd)" "$(v vserial_g2h_MBps)" 644
row "dualsh: !cat bigfile | wc -c (MB/s)" "$(d h2g)" "$(v vserial_h2g_MBps)" "642 (9p read)"
row "  guest alone: head -c N /dev/zero | wc -c (MB/s)" "$(v guest_wc_MBps)" - -
row "dualsh: !cat bigfile | dd bs=4k (MB/s)" "$(d h2g_dd4k)" "$(v vserial_h2g_MBps)" "642 (9p read)"
row "dualsh: !cat bigfile | dd bs=128k (MB/s)" "$(d h2g_dd)" "$(v vserial_h2g_MBps)" "642 (9p read)"
printf '%-50s %14s %14s %12s\n' "host spawn+wait of true (ms)" "$(v hostcall_spawn_true_ms)" "-" "0.76 (host)"
echo "hostcall streams: $MIB MiB in 128 KiB calls; virtio-serial: $((MIB / 2)) MiB in 64 KiB writes;"
echo "dualsh rows: stream fd / pump relay (DUALSH_NOSTREAM=1); they include the guest's own"
echo "tools, and busybox head and wc are slow under TCG by themselves (the 'guest alone' rows)"
# dualsh's language beside dash, on this host (the guest's static dualsh
# runs here too), best of 3 each, side by side; the goal is at most 2x
DASH=$(command -v dash || true)
if [ -n "$DASH" ] && [ -x "$B/guest/dualsh" ]; then
	ARITH='i=0; s=0; while [ $i -lt 100000 ]; do s=$((s + i * 2 % 7)); i=$((i + 1)); done'
	FUNC='f() { r=$(( $1 + 1 )); }; i=0; while [ $i -lt 10000 ]; do f $i; i=$r; done'
	best_ms() {
		local b='' t s e
		for _ in 1 2 3; do
			s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N)
			t=$(((e - s) / 1000000))
			if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
		done
		echo "$b"
	}
	for w in ARITH FUNC; do
		ds=$(best_ms "$B/guest/dualsh" -c "${!w}"); da=$(best_ms "$DASH" -c "${!w}")
		label="100,000-iteration arithmetic loop"
		[ $w = FUNC ] && label="10,000-call function loop"
		row "dualsh vs dash: $label (ms)" "$ds" "dash $da" "<= 2x dash"
	done
fi
