#!/usr/bin/env bash
# The bench guest: the default image's initramfs with a second cpio archive
# appended (the kernel unpacks both): /bench holds the guest programs
# (guest/*.c, built here against this tree's libhostcall, so they use its
# data path), the guest script and the 9p, virtio-fs and virtio-net modules,
# which the default image does not carry.
#   mkoverlay.sh BUILD_DIR OUT_INITRD
set -euo pipefail
B=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ver=$(cat "$B/kernel/version")
kmods=$B/kernel/root/lib/modules/$ver
root=$(mktemp -d /tmp/hcbench-root.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bench"
for p in hcb anchor netb; do
	gcc -O2 -std=gnu11 -Wall -Wextra -Werror -I"$top/guest-lib/include" -I"$top/guest-lib/lib" \
		-static -pthread -o "$root/bench/$p" "$here/guest/$p.c" "$B/guest/libhostcall.a"
done
install -m 0755 "$here/guest/run.sh" "$root/bench/run.sh"
# modules, dependencies first (modules.dep lists each one's, all levels)
declare -A seen=()
: > "$root/bench/modules.list"
add_mod() {
	local path d
	path=$(awk -F: -v m="/$1.ko" 'substr($1, length($1) - length(m) + 1) == m { print $1; exit }' \
		"$kmods/modules.dep")
	[ -n "$path" ] || { echo "mkoverlay: module $1 not in $kmods/modules.dep" >&2; exit 1; }
	[ -n "${seen[$path]:-}" ] && return
	seen[$path]=1
	for d in $(awk -v m="$path:" '$1 == m { $1 = ""; print }' "$kmods/modules.dep"); do
		add_mod "$(basename "$d" .ko)"
	done
	cp "$kmods/$path" "$root/bench/"
	basename "$path" >> "$root/bench/modules.list"
}
for m in 9p 9pnet_virtio virtiofs virtio_net; do add_mod $m; done
mkdir -p "$(dirname "$out")"
{
	cat "$B/image/initrd.gz"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1)
} > "$out.tmp"
mv -f "$out.tmp" "$out"
