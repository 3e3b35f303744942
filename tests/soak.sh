#!/usr/bin/env bash
# make soak: one guest churns sessions and streams for DURATION seconds
# (default 600); prints sessions/s, bytes moved, and the fds and RSS of
# QEMU and shadowd at start and end, which must stay flat.
B=${1:?usage: tests/soak.sh BUILD_DIR [SECONDS]}
DUR=${2:-600}
cd "$(dirname "$0")/.."
. tests/e2e/lib.sh "$B"
. tests/e2e/vmprocs.sh
# RSS is judged over the second half: allocators (glibc arenas for QEMU's
# 128 KiB packets) grow to a working size first; a leak keeps growing.
RSS_SLACK=2048	# KiB
mkdir -p "$B/tests"
log=$B/tests/soak-guest.log
echo "soak: $DUR s (log: $log)"
on_line() {
	local line=$1
	case $line in
	PASS:*|FAIL:*) echo "$line" ;;
	"MARK start") s0=$(vm_sample) ;;
	"MARK tick "*)
		t=${line#MARK tick }
		s=$(vm_sample)
		echo "# t=$t s: fds and RSS (KiB) of QEMU and shadowd: $s"
		# the first sample past half time: growth after it is a leak
		[ -z "$smid" ] && [ "$t" -ge $((DUR / 2)) ] && smid=$s ;;
	"MARK end") s1=$(vm_sample) ;;
	SOAK*) figures=${line#SOAK } ;;
	esac
}
vm_watch "$log" on_line --timeout $((DUR + 600)) -- sh /tests/soak.sh "$DUR"
rc=$?
eval "$figures"	# seconds= sessions= streams= bytes= bad=
read -r qf0 qr0 df0 dr0 <<< "$s0"
read -r qf1 qr1 df1 dr1 <<< "$s1"
read -r _ qrm _ drm <<< "${smid:-$s0}"
printf '%-30s %s\n' "duration (s)" "${seconds:-?}" \
	"sessions" "${sessions:-?}" \
	"sessions/s" "$(awk -v n="${sessions:-0}" -v t="${seconds:-0}" 'BEGIN { printf "%.1f", t ? n / t : 0 }')" \
	"bytes moved (MiB)" "$(( ${bytes:-0} / 1048576 ))" \
	"QEMU fds start/end" "$qf0 / $qf1" \
	"QEMU RSS KiB start/mid/end" "$qr0 / $qrm / $qr1" \
	"shadowd fds start/end" "$df0 / $df1" \
	"shadowd RSS KiB start/mid/end" "$dr0 / $drm / $dr1"
ok=1
[ "$rc" = 0 ] || { echo "FAIL: soak: the guest group exited $rc"; ok=0; }
[ -n "$qf0" ] && [ "$qf0" = "$qf1" ] && [ "$df0" = "$df1" ] || { echo "FAIL: soak: fds not flat"; ok=0; }
[ -n "$qrm" ] && [ $((qr1 - qrm)) -le $RSS_SLACK ] && [ $((dr1 - drm)) -le $RSS_SLACK ] ||
	{ echo "FAIL: soak: RSS grew by more than $RSS_SLACK KiB over the second half"; ok=0; }
[ $ok = 1 ] && echo "PASS: soak: fds flat over $DUR s, RSS flat over its second half"
[ $ok = 1 ]
