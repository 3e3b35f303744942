#!/usr/bin/env bash
# Stage 1 of the Debian guest image: debootstrap minbase into DIR/base from
# the machine's own apt sources, with what the guest needs beyond minbase.
# Slow (network): the Makefile reruns it only when this script changes.
#   bootstrap.sh DIR  ->  DIR/base (a root tree)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(realpath -m "$1")
[ "$(id -u)" = 0 ] || { echo "debian-image: debootstrap needs root" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "debian-image: debootstrap missing (make deps)" >&2; exit 1; }
read -r mirror suite < <("$here/apt-source.sh")
# systemd as init, udev for the hostcall rule, a serial login, the
# scenario's a2ps, and the socket-outsourcing tests' curl, wget, python3
include=systemd,systemd-sysv,udev,kmod,login,passwd,a2ps,curl,wget,python3,ca-certificates,less
mkdir -p "$dir"
# A download that fails midway is tried once more before the build gives up.
for try in 1 2; do
	rm -rf "$dir/base.tmp"
	debootstrap --variant=minbase --include="$include" \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		"$suite" "$dir/base.tmp" "$mirror" > "$dir/bootstrap.log" 2>&1 && break
	tail -20 "$dir/bootstrap.log" >&2
	echo "debian-image: debootstrap failed, try $try of 2 (log: $dir/bootstrap.log)" >&2
	[ $try = 2 ] && exit 1
	sleep 10
done
# apt's downloaded archives are not needed in the image
rm -rf "$dir/base.tmp"/var/cache/apt/archives/*.deb "$dir/base.tmp"/var/lib/apt/lists/*_Packages
rm -rf "$dir/base"
mv "$dir/base.tmp" "$dir/base"
echo "debian-image: base $suite from the machine's apt sources ($(du -sh "$dir/base" | cut -f1))"
