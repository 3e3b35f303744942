#!/bin/bash
# Build QEMU 7.2 with the hostcall patch series.
#
#   build.sh SRC WORK
#
# SRC:  pristine QEMU source tree (never modified).
# WORK: work directory; the patched tree goes to WORK/src, the build to
#       WORK/build, the result is WORK/build/qemu-system-x86_64.
#
# A staging copy of SRC is patched, gets files/ and the shared hostcall
# files (hostcall_abi.h, hostcall_proto.h and proto.c for the device in
# hw/misc, kvm-patch/hostcall_kvm.h for target/i386/kvm), and is then
# synced into WORK/src changing only files whose content differs, so
# ninja rebuilds only what a change touches.
set -euo pipefail

die() { echo "qemu-hostcall/build.sh: error: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 SRC WORK"
SRC=$(cd "$1" 2>/dev/null && pwd) || die "source dir '$1' not found"
mkdir -p "$2"
WORK=$(cd "$2" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
JOBS=${JOBS:-2}

[ -f "$SRC/VERSION" ] && [ -f "$SRC/configure" ] || die "'$SRC' is not a QEMU source tree"
command -v rsync >/dev/null || die "rsync is required (apt-get install rsync)"
command -v ninja >/dev/null || die "ninja is required (apt-get install ninja-build)"

ABI_H=$TOP/guest-lib/include/hostcall_abi.h
PROTO_H=$TOP/shadowd/include/hostcall_proto.h
PROTO_C=$TOP/shadowd/proto.c
KVM_H=$TOP/kvm-patch/hostcall_kvm.h
for f in "$ABI_H" "$PROTO_H" "$PROTO_C" "$KVM_H"; do
    [ -f "$f" ] || die "missing shared file $f"
done

STAGE=$WORK/stage
TREE=$WORK/src
BUILD=$WORK/build

# 1. Staging tree: pristine copy + patches + new files.
echo "== staging $SRC -> $STAGE"
rsync -a --delete --exclude=/.git "$SRC/" "$STAGE/"
if [ -f "$HERE/patches/series" ]; then
    while read -r p; do
        case "$p" in ''|'#'*) continue ;; esac
        [ -f "$HERE/patches/$p" ] || die "patch $p listed in series but missing"
        echo "   applying $p"
        patch -d "$STAGE" -p1 --batch --forward --no-backup-if-mismatch \
              -s < "$HERE/patches/$p" || die "patch $p does not apply"
    done < "$HERE/patches/series"
fi
cp -R "$HERE/files/." "$STAGE/"
cp "$ABI_H" "$PROTO_H" "$STAGE/hw/misc/"
cp "$PROTO_C" "$STAGE/hw/misc/hostcall-proto.c"
cp "$KVM_H" "$STAGE/target/i386/kvm/"

# 2. Sync into the build tree by content; no mtimes copied, so a changed
#    file gets a fresh mtime and unchanged files keep theirs.
echo "== syncing into $TREE"
mkdir -p "$TREE"
rsync -r -l --checksum --delete --perms "$STAGE/" "$TREE/"

# 3. Configure once (meson re-runs itself when meson.build files change).
CONFIG_ARGS="--target-list=x86_64-softmmu --disable-docs --disable-werror \
--disable-tools --disable-gtk --disable-sdl --disable-vnc --disable-opengl \
--disable-spice --disable-xen --enable-virtfs --enable-kvm"
if [ ! -f "$BUILD/build.ninja" ] || [ "$(cat "$BUILD/.hostcall-config" 2>/dev/null)" != "$CONFIG_ARGS" ]; then
    echo "== configuring in $BUILD"
    rm -rf "$BUILD"
    mkdir -p "$BUILD"
    # shellcheck disable=SC2086
    (cd "$BUILD" && "$TREE/configure" $CONFIG_ARGS) || die "configure failed (see above)"
    echo "$CONFIG_ARGS" > "$BUILD/.hostcall-config"
fi

# 4. Build.
echo "== ninja qemu-system-x86_64"
ninja -C "$BUILD" -j"$JOBS" qemu-system-x86_64 || die "build failed (see above)"
[ -x "$BUILD/qemu-system-x86_64" ] || die "no $BUILD/qemu-system-x86_64 after build"
echo "== built $BUILD/qemu-system-x86_64"
