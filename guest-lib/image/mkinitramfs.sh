#!/usr/bin/env bash
# Build the embedded default guest: a busybox initramfs with the hostcall
# driver, libhostcall, the tools and the guest-side tests.
#   mkinitramfs.sh KERNEL_DIR GUEST_BUILD OUT_DIR  ->  OUT_DIR/{vmlinuz,initrd.gz}
set -euo pipefail
mkdir -p "$3"
kdir=$(realpath "$1") gbuild=$(realpath "$2") out=$(realpath "$3")
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ver=$(cat "$kdir/version")
kmods=$kdir/root/lib/modules/$ver
root=$out/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,home/user,usr/bin,usr/sbin,usr/lib,usr/include,usr/libexec/hostcall-tests,tests,lib/modules/$ver/extra}

# busybox and its applets
bb=$(command -v busybox || echo /bin/busybox)
[ -x "$bb" ] || { echo "image: busybox (package busybox-static) missing" >&2; exit 1; }
file -b "$bb" 2>/dev/null | grep -q static || ldd "$bb" 2>&1 | grep -q 'not a dynamic' ||
	{ echo "image: $bb is not static (install busybox-static)" >&2; exit 1; }
cp "$bb" "$root/bin/busybox"
for app in $("$root/bin/busybox" --list-full); do
	[ -e "$root/$app" ] || ln -s /bin/busybox "$root/$app"
done

# kernel modules: what the image loads, with their dependencies
need="virtio_pci virtio_console"
declare -A seen=()
add_mod() {	# $1: path relative to the modules dir, as modules.dep names it
	[ -n "${seen[$1]:-}" ] && return
	seen[$1]=1
	mkdir -p "$root/lib/modules/$ver/$(dirname "$1")"
	cp "$kmods/$1" "$root/lib/modules/$ver/$1"
	local deps
	deps=$(awk -v m="$1:" '$1 == m { $1 = ""; print }' "$kmods/modules.dep")
	for d in $deps; do add_mod "$d"; done
}
for m in $need; do
	path=$(awk -F: -v m="/$m.ko" 'index($1, m) && substr($1, length($1) - length(m) + 1) == m { print $1; exit }' "$kmods/modules.dep")
	[ -n "$path" ] || { echo "image: module $m not in $kmods/modules.dep" >&2; exit 1; }
	add_mod "$path"
done
cp "$gbuild/hostcall.ko" "$root/lib/modules/$ver/extra/"
cp "$kmods"/modules.order "$kmods"/modules.builtin* "$root/lib/modules/$ver/" 2>/dev/null || true
depmod -b "$root" "$ver"

# hostcall userland
install -m 0755 "$gbuild/hostcall" "$root/bin/hostcall"
install -m 0755 "$gbuild/hcvm-agent" "$root/sbin/hcvm-agent"
cp -P "$gbuild"/libhostcall.a "$gbuild"/libhostcall.so* "$root/usr/lib/"
cp -r "$gbuild"/include/. "$root/usr/include/" 2>/dev/null || true
[ -x "$gbuild/dualsh" ] && install -m 0755 "$gbuild/dualsh" "$root/bin/dualsh"
install -m 0755 "$gbuild/hcnet" "$root/usr/bin/hcnet"
install -D -m 0755 "$gbuild/libhcnet.so" "$root/usr/lib/hostcall/libhcnet.so"
strip --strip-debug "$root/usr/bin/hcnet" "$root/usr/lib/hostcall/libhcnet.so"
for t in "$gbuild"/tests/*; do [ -f "$t" ] && install -m 0755 "$t" "$root/usr/libexec/hostcall-tests/"; done
cp "$top"/tests/e2e/guest/*.sh "$root/tests/"

# the dynamic loader and libc for hcnet and dynamically linked programs:
# the build host's (the guest kernel has its architecture), at their paths
for f in "$gbuild/hcnet" "$gbuild/libhcnet.so" "$gbuild/libhostcall.so" "$root"/usr/libexec/hostcall-tests/*; do
	ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true
done | sort -u | while read -r lib; do
	[ -e "$root$lib" ] || install -D -m 0755 "$(realpath "$lib")" "$root$lib"
done

# system files
install -m 0755 "$here/init" "$root/init"
cp "$here"/etc/* "$root/etc/"
echo hcvm > "$root/etc/hostname"

mkdir -p "$out"
ln -sf "$kdir/vmlinuz" "$out/vmlinuz"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$out/initrd.gz.tmp"
mv "$out/initrd.gz.tmp" "$out/initrd.gz"
echo "image: $out/initrd.gz ($(du -h "$out/initrd.gz" | cut -f1), kernel $ver)"
