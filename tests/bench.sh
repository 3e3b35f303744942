#!/usr/bin/env bash
# make bench: hostcall beside its anchors (virtio-serial, virtio-9p,
# virtio-fs, the guest's memcpy, a host spawn; the sock module's TCP beside
# virtio-net on QEMU user-mode networking) in one guest boot, on the
# same QEMU and guest kernel; each figure the best of 3 interleaved rounds.
# Prints a table with the issue's goals; writes BUILD/bench/bench.json and
# BUILD/bench/bench.png. BENCH_QUICK=1: one short round (a smoke test);
# BENCH_ROUNDS and BENCH_MIB override the rounds and the stream size.
#   tests/bench.sh BUILD_DIR
set -euo pipefail
B=$(cd "${1:?usage: tests/bench.sh BUILD_DIR}" && pwd)
cd "$(dirname "$0")/.."
. tests/e2e/lib.sh "$B"
. tests/e2e/vmprocs.sh
out=$B/bench
if [ -n "${BENCH_QUICK:-}" ]; then
	rounds=1 mib=16 calls=200 nstat=200 secs=0.3 nsess=16 nspawn=50 nevq=20000 nconn=100
else
	rounds=3 mib=256 calls=2000 nstat=2000 secs=1 nsess=256 nspawn=200 nevq=1000000 nconn=1000
fi
rounds=${BENCH_ROUNDS:-$rounds} mib=${BENCH_MIB:-$mib} nevq=${BENCH_EVQ:-$nevq}
mkdir -p "$out" "$B/tests"
work=$(mktemp -d /tmp/hcbench.XXXXXX)
chmod 755 "$work"	# the shadows run as the mapped host user
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

# ---- host programs, the virtio-fs daemon, the bench guest ----------------
cflags=(-O2 -std=gnu11 -Wall -Wextra -Werror)
cc "${cflags[@]}" -pthread -o "$B/tests/bench-peer" tests/bench-peer.c
cc "${cflags[@]}" -o "$B/tests/bench-spawn" tests/bench/spawn.c
bash tests/bench/build-virtiofsd.sh "$B" ||
	echo "bench: no virtiofsd: the virtio-fs rows are n/a" >&2
bash tests/bench/mkoverlay.sh "$B" "$out/initrd.gz"

# ---- the host files all three file systems serve --------------------------
share=$work/share
mkdir -p "$share/stat"
head -c "${mib}M" /dev/zero > "$share/big"
for ((i = 0; i < nstat; i++)); do echo x > "$share/stat/f$i"; done
cat "$share/big" > /dev/null	# in the host page cache for every side

# ---- peers ---------------------------------------------------------------
"$B/tests/bench-peer" "$work/serial.sock" &
pids+=($!)
"$B/tests/bench-peer" --tcp "$work/tcp.ports" &
pids+=($!)
qargs=(--mem 1024M
	--qemu-arg=-chardev --qemu-arg="socket,id=bench,path=$work/serial.sock"
	--qemu-arg=-device --qemu-arg="virtserialport,chardev=bench,name=bench"
	--qemu-arg=-fsdev --qemu-arg="local,id=bench9p,path=$share,security_model=none"
	--qemu-arg=-device --qemu-arg="virtio-9p-pci,fsdev=bench9p,mount_tag=bench9p")
# the TCP rows' anchor: a virtio-net NIC on QEMU user-mode networking
# (slirp), which QEMU has only when built with libslirp; no option ROM
# (no PXE boot: the guest boots by -kernel)
if "$B/bin/qemu-system-x86_64" -netdev help 2>/dev/null | grep -qx user; then
	qargs+=(--qemu-arg=-netdev --qemu-arg="user,id=benchnet"
		--qemu-arg=-device --qemu-arg="virtio-net-pci,netdev=benchnet,romfile=")
else
	echo "bench: QEMU has no user-mode networking (slirp): the virtio_net rows are n/a" >&2
fi
vfsd=()
if [ -x "$B/bin/virtiofsd" ]; then
	# virtiofsd sandboxes itself in namespaces: it needs root
	[ "$(id -u)" = 0 ] || vfsd=(sudo -n)
	vfsd+=("$B/bin/virtiofsd" "--socket-path=$work/vfs.sock" -o "source=$share" -o cache=auto)
	[ "$(id -u)" = 0 ] || vfsd+=("--socket-group=$(id -gn)")
	"${vfsd[@]}" > "$work/virtiofsd.log" 2>&1 &
	pids+=($!)
fi
for _ in $(seq 100); do
	[ -S "$work/serial.sock" ] && [ -e "$work/tcp.ports" ] &&
		{ [ ${#vfsd[@]} = 0 ] || [ -S "$work/vfs.sock" ]; } && break
	sleep 0.1
done
if [ ${#vfsd[@]} -gt 0 ] && [ -S "$work/vfs.sock" ]; then
	# vhost-user: the daemon maps guest RAM, so it must be a shared memfd
	qargs+=(--qemu-arg=-object --qemu-arg="memory-backend-memfd,id=benchmem,size=1024M,share=on"
		--qemu-arg=-machine --qemu-arg=memory-backend=benchmem
		--qemu-arg=-chardev --qemu-arg="socket,id=benchfs,path=$work/vfs.sock"
		--qemu-arg=-device --qemu-arg="vhost-user-fs-pci,chardev=benchfs,tag=benchfs")
else
	echo "bench: virtiofsd did not start: the virtio-fs rows are n/a" >&2
	cat "$work/virtiofsd.log" >&2 2>/dev/null || true
fi

# ---- host-side measurements, as the guest reaches them --------------------
# QEMU's RSS without the guest RAM mapping (its memfd), KiB
qemu_rss() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { skip = /memfd:memory-backend/ }
	     /^Rss:/ && !skip { kb += $2 } END { print kb + 0 }' "/proc/$(vm_qemu)/smaps" 2>/dev/null
}
# "count total_KiB" of the shadows, one awk for all of them
shadows_rss() {
	local files=() p
	for p in $(vm_shadows); do files+=("/proc/$p/smaps_rollup"); done
	[ ${#files[@]} -gt 0 ] || { echo "0 0"; return; }
	awk '/^Rss:/ { n++; kb += $2 } END { print n + 0, kb + 0 }' "${files[@]}" 2>/dev/null
}
base_q=
on_line() {
	case $1 in
	"round "*)
		"$B/tests/bench-spawn" "$nspawn" >> "$work/log"
		: > "$share/spawned.${1#round }"	# the guest waits for it
		# QEMU's before any session was ever opened: later rounds reuse
		# what the first one grew
		[ -n "$base_q" ] || base_q=$(qemu_rss) ;;
	"hold "*)
		local n=${1#hold } q c t
		q=$(qemu_rss)
		read -r c t <<< "$(shadows_rss)"
		echo "session_rss_kib qemu $(((q - base_q) / n))" >> "$work/log"
		[ "$c" -gt 0 ] && echo "session_rss_kib shadow $((t / c))" >> "$work/log"
		echo "session_shadows host $c" >> "$work/log" ;;
	esac
}
echo "bench: $rounds round(s), $mib MiB streams, $nsess sessions (log: $out/bench.log)"
rc=0
export HCVM_INITRD=$out/initrd.gz
# the event-queue row needs the example plugin: the private shadowd gets a
# policy that names it (as e2e-core's evq boot; the shadows then carry it)
# and the TCP rows the sock module
HCVM_SHADOWD=$(plugin_shadowd "$work" sock)
export HCVM_SHADOWD
ports=$(cat "$work/tcp.ports" 2>/dev/null) || echo "bench: no TCP peer: the TCP rows are n/a" >&2
# shellcheck disable=SC2086 # ports: "PEER HTTP"
vm_watch "$work/log" on_line --timeout 1800 "${qargs[@]}" -- \
	/bench/run.sh "$rounds" "$mib" "$calls" "$nstat" "$secs" "$nsess" "$share" "$nevq" \
	${ports:+$nconn $ports} || rc=$?
grep -q '^done' "$work/log" || {
	cp "$work/log" "$out/bench.log"
	echo "bench: the guest did not finish (hcvm: $rc)" >&2; tail -20 "$out/bench.log" >&2; exit 1; }

# ---- dualsh's language beside dash, on this host (the guest's static
# dualsh runs here too), interleaved rounds as in the guest ----------------
DASH=$(command -v dash || true)
if [ -n "$DASH" ] && [ -x "$B/guest/dualsh" ]; then
	na=100000 nf=10000
	[ -n "${BENCH_QUICK:-}" ] && na=10000 nf=1000
	# shellcheck disable=SC2034 # used as ${!w}
	arith="i=0; s=0; while [ \$i -lt $na ]; do s=\$((s + i * 2 % 7)); i=\$((i + 1)); done"
	# shellcheck disable=SC2034
	func="f() { r=\$(( \$1 + 1 )); }; i=0; while [ \$i -lt $nf ]; do f \$i; i=\$r; done"
	ms() { local s e; s=$(date +%s%N); "$@" > /dev/null; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
	for ((r = 0; r < rounds; r++)); do
		for w in arith func; do
			for sh in "$B/guest/dualsh" "$DASH"; do
				echo "shell_${w}_ms $(basename "$sh") $(ms "$sh" -c "${!w}")"
			done
		done
	done >> "$work/log"
fi
cp "$work/log" "$out/bench.log"
bash tests/bench/report.sh "$out/bench.log" "$out"
