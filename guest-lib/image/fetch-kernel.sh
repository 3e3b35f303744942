#!/usr/bin/env bash
# Fetch Debian's guest kernel into DIR: the version is the one the
# linux-image-amd64 metapackage depends on (never hard-coded). Installs the
# matching linux-headers package for building the guest driver.
# Leaves DIR/version, DIR/vmlinuz and DIR/root/lib/modules/<version>.
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$pkg" ]; then
	$sudo apt-get update -qq
	pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
[ -n "$pkg" ] || { echo "kernel: cannot resolve linux-image-amd64's kernel package" >&2; exit 1; }
ver=${pkg#linux-image-}
if [ ! -f "root/boot/vmlinuz-$ver" ]; then
	rm -rf root ./*.deb
	apt-get download -qq "$pkg" || { echo "kernel: apt-get download $pkg failed" >&2; exit 1; }
	dpkg-deb -x ./"$pkg"_*.deb root
	rm -f ./"$pkg"_*.deb
fi
# the package leaves modules.dep to its postinst: make it here
[ -f "root/lib/modules/$ver/modules.dep" ] || depmod -b "$PWD/root" "$ver"
if ! dpkg-query -W -f='${Status}' "linux-headers-$ver" 2>/dev/null | grep -q 'ok installed'; then
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "linux-headers-$ver" >/dev/null ||
		{ echo "kernel: apt-get install linux-headers-$ver failed" >&2; exit 1; }
fi
ln -sf "root/boot/vmlinuz-$ver" vmlinuz
echo "$ver" > version
echo "kernel: $ver"
