#!/usr/bin/env bash
# Fetch QEMU 7.2 with `apt-get source qemu` into DIR (cached), writing the
# extracted tree's path to DIR/qemu-dir. The deb-src entry is derived from
# the machine's own apt sources, so no package host is named here.
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
if tree=$(ls -d "$PWD"/qemu-7.2*/ 2>/dev/null | head -1) && [ -n "$tree" ]; then
	echo "${tree%/}" > qemu-dir
	exit 0
fi
sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
if ! apt-get source --print-uris qemu >/dev/null 2>&1 ||
   ! apt-get source --print-uris qemu 2>/dev/null | grep -q "qemu_7.2"; then
	added=
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
			$sudo tee /etc/apt/sources.list.d/hostcall-src.sources >/dev/null
		added=1
	fi
	if [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list; then
		sed -n 's/^deb /deb-src /p' /etc/apt/sources.list |
			$sudo tee /etc/apt/sources.list.d/hostcall-src.list >/dev/null
		added=1
	fi
	[ -n "$added" ] || { echo "qemu: no apt sources found to derive deb-src from" >&2; exit 1; }
	$sudo apt-get update -qq
fi
if ! apt-get source -qq qemu > qemu-source.log 2>&1; then
	cat qemu-source.log >&2
	echo "qemu: 'apt-get source qemu' failed (see above)" >&2
	exit 1
fi
tree=$(ls -d "$PWD"/qemu-7.2*/ | head -1)
[ -n "$tree" ] || { echo "qemu: source tree qemu-7.2* missing after apt-get source" >&2; exit 1; }
echo "${tree%/}" > qemu-dir
