#!/usr/bin/env bash
# Build QEMU 7.2's C virtiofsd for `make bench`'s virtio-fs anchor, from the
# QEMU source the build already fetched, and cache it as BUILD/bin/virtiofsd.
#   build-virtiofsd.sh BUILD_DIR
# A separate meson build dir (BUILD/virtiofsd) configured with nothing but
# what virtiofsd needs (tools, seccomp, libcap-ng, vhost-user); only the
# virtiofsd target is built. The source tree is only read.
set -euo pipefail
B=$(cd "${1:?usage: build-virtiofsd.sh BUILD_DIR}" && pwd)
out=$B/bin/virtiofsd
[ -x "$out" ] && exit 0
src=$(cat "$B/src/qemu-dir" 2>/dev/null) ||
	{ echo "build-virtiofsd: no $B/src/qemu-dir (run make qemu first)" >&2; exit 1; }
[ -d "$src/tools/virtiofsd" ] ||
	{ echo "build-virtiofsd: $src has no tools/virtiofsd (QEMU 7.2 expected)" >&2; exit 1; }
work=$B/virtiofsd
args="--target-list= --without-default-features --disable-docs --disable-werror \
--enable-tools --enable-virtiofsd --enable-seccomp --enable-cap-ng --enable-vhost-user"
if [ ! -f "$work/build.ninja" ] || [ "$(cat "$work/.bench-config" 2>/dev/null)" != "$args" ]; then
	rm -rf "$work"
	mkdir -p "$work"
	# shellcheck disable=SC2086
	(cd "$work" && "$src/configure" $args > configure.log 2>&1) ||
		{ tail -20 "$work/configure.log" >&2; echo "build-virtiofsd: configure failed ($work/configure.log)" >&2; exit 1; }
	echo "$args" > "$work/.bench-config"
fi
ninja -C "$work" -j"${JOBS:-2}" tools/virtiofsd/virtiofsd > "$work/ninja.log" 2>&1 ||
	{ tail -20 "$work/ninja.log" >&2; echo "build-virtiofsd: build failed ($work/ninja.log)" >&2; exit 1; }
mkdir -p "$B/bin"
cp "$work/tools/virtiofsd/virtiofsd" "$out.tmp" && mv -f "$out.tmp" "$out"
echo "build-virtiofsd: $out"
