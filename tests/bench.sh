#!/usr/bin/env bash
# make bench: hostcall figures beside virtio-serial in the same guest and
# run, and beside the reference figures in shared/notes/platform.md.
set -euo pipefail
B=${1:?usage: tests/bench.sh BUILD_DIR}
MIB=${BENCH_MIB:-256}
dir=$(mktemp -d /tmp/hcbench.XXXXXX)
trap 'kill $peer 2>/dev/null || true; rm -rf "$dir"' EXIT
python3 "$(dirname "$0")/bench-peer.py" "$dir/bench.sock" &
peer=$!
for _ in $(seq 50); do [ -S "$dir/bench.sock" ] && break; sleep 0.1; done
"$B/bin/hcvm" exec --timeout 900 \
	--qemu-arg=-chardev --qemu-arg="socket,id=bench,path=$dir/bench.sock" \
	--qemu-arg=-device --qemu-arg="virtserialport,chardev=bench,name=bench" \
	-- /usr/libexec/hostcall-tests/hc-bench "$MIB" > "$dir/out"
v() { awk -v k="$1" '$1 == k { print $2 }' "$dir/out"; }
printf '%-44s %12s %14s %12s\n' "figure (one run)" hostcall virtio-serial reference
printf '%-44s %12s %14s %12s\n' "round trip, 1 byte, guest user <-> host (us)" "$(v hostcall_rtt_us)" "$(v vserial_rtt_us)" 165
printf '%-44s %12s %14s %12s\n' "guest -> host stream (MB/s)" "$(v hostcall_g2h_MBps)" "$(v vserial_g2h_MBps)" 644
printf '%-44s %12s %14s %12s\n' "host -> guest stream (MB/s)" "$(v hostcall_h2g_MBps)" "$(v vserial_h2g_MBps)" "642 (9p read)"
printf '%-44s %12s %14s %12s\n' "dualsh: head -c N /dev/zero | !cat >/dev/null (MB/s)" "$(v dualsh_g2h_MBps)" "$(v vserial_g2h_MBps)" 644
printf '%-44s %12s %14s %12s\n' "dualsh: dd bs=128k | !cat >/dev/null (MB/s)" "$(v dualsh_g2h_dd_MBps)" "$(v vserial_g2h_MBps)" 644
printf '%-44s %12s %14s %12s\n' "dualsh: !cat bigfile | wc -c (MB/s)" "$(v dualsh_h2g_MBps)" "$(v vserial_h2g_MBps)" "642 (9p read)"
printf '%-44s %12s %14s %12s\n' "dualsh: !cat bigfile | cat >/dev/null (MB/s)" "$(v dualsh_h2g_cat_MBps)" "$(v vserial_h2g_MBps)" "642 (9p read)"
printf '%-44s %12s %14s %12s\n' "host spawn+wait of true (ms)" "$(v hostcall_spawn_true_ms)" "-" "0.76 (host)"
echo "hostcall streams: $MIB MiB in 128 KiB calls; virtio-serial: $((MIB / 2)) MiB in 64 KiB writes;"
echo "dualsh rows include the guest's own tools (busybox head and wc are slow under TCG by themselves)"
