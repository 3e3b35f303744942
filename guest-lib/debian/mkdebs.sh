#!/usr/bin/env bash
# Build the guest packages from the tree:
#   hostcall-dkms               the driver source, built by DKMS on the guest
#   hostcall-modules-KVER       the driver prebuilt for Debian's kernel ABI KVER
#   libhostcall1, libhostcall-dev, hostcall-tools
#   mkdebs.sh KERNEL_DIR OUT_DIR  ->  OUT_DIR/*.deb
# The version is guest-lib/Makefile's VERSION (one place in the tree).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gl=$(cd "$here/.." && pwd)
top=$(cd "$gl/.." && pwd)
kdir=$(realpath "$1")
out=$(realpath -m "$2")
kver=$(cat "$kdir/version")
ver=$(sed -n 's/^VERSION := *//p' "$gl/Makefile")
[ -n "$ver" ] || { echo "debs: no VERSION in $gl/Makefile" >&2; exit 1; }
arch=$(dpkg --print-architecture)
multi=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
maint="hostcall developers <hostcall-devel@example.org>"
obj=$out/obj pkgs=$out/pkg
rm -rf "$obj" "$pkgs" "$out"/*.deb
mkdir -p "$obj" "$pkgs"

# Debian's hardening flags: lintian checks for them
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cflags=$(dpkg-buildflags --get CFLAGS) ldflags=$(dpkg-buildflags --get LDFLAGS)
make -s -C "$gl" BUILD="$obj" KDIR="/usr/src/linux-headers-$kver" PREFIX=/usr \
	LIBDIR="/usr/lib/$multi" CFLAGS="$cflags" LDFLAGS="$ldflags" all >/dev/null
make -s -C "$top/dualsh" BUILD="$obj" CFLAGS="$cflags" LDFLAGS="$ldflags" >/dev/null
# the packaged hostcall tool links the shared library (the static build is
# for the initramfs, which has no libc)
cc $cflags -pthread -o "$obj/hostcall.dyn" "$obj/obj/tool/hostcall.o" \
	-L"$obj" -lhostcall $ldflags

# shlibdeps ARGS...: the Depends of the given binaries (dpkg-shlibdeps
# wants a debian/control to read; give it a minimal one)
shlibdeps() {
	mkdir -p "$obj/shlib/debian"
	printf 'Source: hostcall\n\nPackage: hostcall\nArchitecture: any\n' > "$obj/shlib/debian/control"
	(cd "$obj/shlib" && dpkg-shlibdeps -O "$@") | sed -n 's/^shlibs:Depends=//p'
}
# start PKG: a package tree with its doc directory
start() {
	local p=$1 d=$pkgs/$1
	mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$p"
	install -m 0644 "$here/files/copyright" "$d/usr/share/doc/$p/copyright"
	printf '%s (%s) unstable; urgency=medium\n\n  * Built from the hostcall tree.\n\n -- %s  %s\n' \
		"$p" "$ver" "$maint" "$(date -R -d @"${SOURCE_DATE_EPOCH:-0}")" |
		gzip -9n > "$d/usr/share/doc/$p/changelog.gz"
}
# control PKG ARCH FIELDS DESCRIPTION...: write DEBIAN/control
control() {
	local p=$1 a=$2 fields=$3; shift 3
	local size
	size=$(du -sk --exclude=DEBIAN "$pkgs/$p" | cut -f1)
	{
		echo "Package: $p"
		echo "Version: $ver"
		echo "Architecture: $a"
		echo "Maintainer: $maint"
		echo "Installed-Size: $size"
		[ -n "$fields" ] && printf '%b\n' "$fields"
		echo "Section: ${SECTION:-misc}"
		echo "Priority: optional"
		echo "Homepage: https://hostcall.invalid/"
		printf 'Description: %s\n' "$1"; shift
		for l in "$@"; do printf ' %s\n' "$l"; done
	} > "$pkgs/$p/DEBIAN/control"
}
# script PKG NAME BODY: a maintainer script
script() {
	printf '#!/bin/sh\nset -e\n%s\n' "$3" > "$pkgs/$1/DEBIAN/$2"
	chmod 0755 "$pkgs/$1/DEBIAN/$2"
}
finish() {
	local d=$pkgs/$1
	(cd "$d" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
		xargs -0r md5sum > DEBIAN/md5sums)
	[ -s "$d/DEBIAN/md5sums" ] || rm -f "$d/DEBIAN/md5sums"
	dpkg-deb --root-owner-group -Zxz --build "$d" "$out/${1}_${ver}_$2.deb" >/dev/null
}

# ---- hostcall-dkms -------------------------------------------------------
p=hostcall-dkms; start $p
src=$pkgs/$p/usr/src/hostcall-$ver
install -d "$src"
install -m 0644 "$gl"/driver/*.c "$gl"/driver/*.h "$gl"/driver/Kbuild "$gl/include/hostcall_abi.h" "$src/"
sed "s/@VERSION@/$ver/" "$here/files/dkms.conf" > "$src/dkms.conf"
script $p postinst '/usr/lib/dkms/common.postinst hostcall '"$ver"' "" "" "$2"'
script $p prerm 'if [ "$1" = remove ] || [ "$1" = upgrade ]; then
	dkms remove -m hostcall -v '"$ver"' --all >/dev/null 2>&1 || true
fi'
SECTION=kernel control $p all 'Depends: dkms (>= 3), linux-headers-amd64 | linux-headers-generic | linux-headers\nProvides: hostcall-modules' \
	"hostcall guest driver (DKMS source)" \
	"The hostcall.ko driver for a guest of QEMU's -device hostcall: it gives" \
	"guest programs /dev/hostcall, through which they run calls on the host." \
	"DKMS builds it for each installed kernel."
finish $p all

# ---- hostcall-modules-KVER: prebuilt for Debian's kernel ABI ---------------
p=hostcall-modules-$kver; start $p
install -d "$pkgs/$p/lib/modules/$kver/updates"
install -m 0644 "$obj/hostcall.ko" "$pkgs/$p/lib/modules/$kver/updates/"
strip --strip-debug "$pkgs/$p/lib/modules/$kver/updates/hostcall.ko"
depmod_body='if [ -e /lib/modules/'"$kver"'/modules.order ]; then depmod -a '"$kver"' || true; fi'
script $p postinst "$depmod_body"
script $p postrm "$depmod_body"
SECTION=kernel control $p "$arch" 'Depends: kmod\nProvides: hostcall-modules\nConflicts: hostcall-dkms' \
	"hostcall guest driver for Linux $kver" \
	"The hostcall.ko driver, prebuilt for Debian's kernel ABI $kver, for" \
	"guests that run that kernel and have no compiler (hostcall-dkms builds" \
	"it on the guest instead)."
finish $p "$arch"

# ---- libhostcall1 ---------------------------------------------------------
p=libhostcall1; start $p
install -d "$pkgs/$p/usr/lib/$multi"
install -m 0644 "$obj/libhostcall.so.1" "$pkgs/$p/usr/lib/$multi/"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$pkgs/$p/usr/lib/$multi/libhostcall.so.1"
echo "libhostcall 1 libhostcall1 (>= $ver)" > "$pkgs/$p/DEBIAN/shlibs"
echo "activate-noawait ldconfig" > "$pkgs/$p/DEBIAN/triggers"
libdeps=$(shlibdeps -e"$pkgs/$p/usr/lib/$multi/libhostcall.so.1")
SECTION=libs control $p "$arch" "Depends: $libdeps\nMulti-Arch: same" \
	"hostcall guest library" \
	"libhostcall: the C API through which a guest program makes host-calls" \
	"(/dev/hostcall) to the host of a QEMU -device hostcall VM."
finish $p "$arch"

# ---- libhostcall-dev ------------------------------------------------------
p=libhostcall-dev; start $p
d=$pkgs/$p
install -d "$d/usr/include" "$d/usr/lib/$multi/pkgconfig"
install -m 0644 "$obj"/include/hostcall.h "$obj"/include/hostcall_abi.h "$d/usr/include/"
install -m 0644 "$obj/libhostcall.a" "$d/usr/lib/$multi/"
strip --strip-debug --remove-section=.comment "$d/usr/lib/$multi/libhostcall.a"
ln -s libhostcall.so.1 "$d/usr/lib/$multi/libhostcall.so"
install -m 0644 "$obj/hostcall.pc" "$d/usr/lib/$multi/pkgconfig/"
SECTION=libdevel control $p "$arch" "Depends: libhostcall1 (= $ver)\nMulti-Arch: same" \
	"hostcall guest library (development files)" \
	"Header, static library and pkg-config file (hostcall) for libhostcall," \
	"the C API for host-calls from a guest of a QEMU -device hostcall VM."
finish $p "$arch"

# ---- hostcall-tools: hostcall, dualsh, and the device's setup --------------
p=hostcall-tools; start $p
d=$pkgs/$p
install -d "$d/usr/bin" "$d/usr/share/man/man1" "$d/usr/lib/udev/rules.d" "$d/usr/lib/modules-load.d"
install -m 0755 "$obj/hostcall.dyn" "$d/usr/bin/hostcall"
install -m 0755 "$obj/dualsh" "$d/usr/bin/dualsh"
install -m 0755 "$obj/hcnet" "$d/usr/bin/hcnet"
install -d "$d/usr/lib/$multi/hostcall"
install -m 0644 "$obj/libhcnet.so" "$d/usr/lib/$multi/hostcall/"
strip --remove-section=.comment --remove-section=.note "$d/usr/bin/hostcall" "$d/usr/bin/dualsh" \
	"$d/usr/bin/hcnet"
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	"$d/usr/lib/$multi/hostcall/libhcnet.so"
for m in "$top"/Documentation/hostcall.1 "$top"/Documentation/dualsh.1 "$top"/Documentation/hcnet.1; do
	[ -f "$m" ] && gzip -9n < "$m" > "$d/usr/share/man/man1/$(basename "$m").gz"
done
install -m 0644 "$here/files/60-hostcall.rules" "$d/usr/lib/udev/rules.d/"
install -m 0644 "$here/files/hostcall.modules-load" "$d/usr/lib/modules-load.d/hostcall.conf"
install -d "$d/usr/share/lintian/overrides"
install -m 0644 "$here/files/hostcall-tools.lintian-overrides" "$d/usr/share/lintian/overrides/$p"
script $p postinst 'if [ "$1" = configure ]; then
	# /dev/hostcall belongs to this group (60-hostcall.rules)
	getent group hostcall >/dev/null || groupadd --system hostcall
	add-shell /usr/bin/dualsh
	# on a running system: load the driver and apply the rule now
	if [ -d /run/systemd/system ]; then
		modprobe hostcall 2>/dev/null || true
		udevadm trigger --sysname-match="hostcall*" >/dev/null 2>&1 || true
	fi
fi'
script $p postrm 'if [ "$1" = remove ] || [ "$1" = purge ]; then
	remove-shell /usr/bin/dualsh
fi'
tooldeps=$(shlibdeps -l"$obj" -L"$pkgs/libhostcall1/DEBIAN/shlibs" -e"$d/usr/bin/hostcall" \
	-e"$d/usr/bin/hcnet" -e"$d/usr/lib/$multi/hostcall/libhcnet.so")
control $p "$arch" "Depends: $tooldeps, hostcall-dkms | hostcall-modules, passwd, udev, kmod" \
	"hostcall guest tools: hostcall, the dual-OS shell dualsh, hcnet" \
	"hostcall runs calls on the host of a QEMU -device hostcall VM; dualsh is a" \
	"shell where one pipeline mixes guest and host commands (!cmd runs on the" \
	"host); hcnet runs a program with its sockets served by the host's network." \
	"Sets up /dev/hostcall for group hostcall and loads the driver at boot."
finish $p "$arch"

ls "$out"/*.deb | sed "s|^$out/|debs: |"
