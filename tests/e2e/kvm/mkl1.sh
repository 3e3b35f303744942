#!/usr/bin/env bash
# Build the L1 guest image of the nested-KVM test (tests/e2e/run-kvm.sh):
#   mkl1.sh BUILD_DIR OUT_DIR  ->  OUT_DIR/initrd (an uncompressed newc cpio)
# The L1 kernel is the guest kernel (BUILD_DIR/kernel/vmlinuz). The image holds:
#   /init                        tests/e2e/kvm/l1-init.sh
#   /bin/busybox + applets
#   /lib/modules/VER/...         Debian's irqbypass, ccp, kvm, kvm-amd, kvm-intel
#   /opt/kvm-patched/            kvm-patch's kvm*.ko and hostcall_test (BUILD_DIR/kvm)
#   /opt/hostcall/bin/           the patched QEMU (stripped), hcvm, shadowd,
#                                hostcall-shadow; their shared libraries at
#                                the paths ldd shows
#   /opt/hostcall/image/         the L2 guest: vmlinuz and the normal initrd.gz
#   /usr/share/qemu, /usr/share/seabios   the firmware hcvm's QEMU loads (-L)
# Uncompressed: the host loads it in no time, and TCG would spend seconds
# on gunzip (the L2 initrd inside is already compressed).
set -euo pipefail
die() { echo "mkl1: $*" >&2; exit 1; }
[ $# = 2 ] || die "usage: $0 BUILD_DIR OUT_DIR"
B=$(realpath "$1")
mkdir -p "$2"
out=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
ver=$(cat "$B/kernel/version")
kmods=$B/kernel/root/lib/modules/$ver

need=("$B/kernel/vmlinuz" "$B/image/initrd.gz" "$B/kvm/kvm.ko" "$B/kvm/kvm-amd.ko"
	"$B/kvm/kvm-intel.ko" "$B/kvm/hostcall_test" "$B/bin/qemu-system-x86_64"
	"$B/bin/hcvm" "$B/bin/shadowd" "$B/bin/hostcall-shadow" "$kmods/modules.dep")
for f in "${need[@]}"; do
	[ -e "$f" ] || die "$f missing (make kvm-modules all)"
done
modinfo -F vermagic "$B/kvm/kvm.ko" | grep -q "^$ver " ||
	die "$B/kvm/kvm.ko is not built for $ver (make kvm-modules)"

root=$out/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,usr/bin,usr/sbin,lib64} \
	"$root"/opt/{kvm-patched,hostcall/bin,hostcall/image} \
	"$root"/usr/share/{qemu,seabios}

# busybox and its applets
bb=$(command -v busybox || echo /bin/busybox)
file -b "$bb" 2>/dev/null | grep -q static || ldd "$bb" 2>&1 | grep -q 'not a dynamic' ||
	die "$bb is not static (install busybox-static)"
cp "$bb" "$root/bin/busybox"
for app in $("$root/bin/busybox" --list-full); do
	[ -e "$root/$app" ] || ln -s /bin/busybox "$root/$app"
done

# Debian's KVM modules with their dependencies, for modprobe
for m in kernel/virt/lib/irqbypass.ko kernel/drivers/crypto/ccp/ccp.ko \
	kernel/arch/x86/kvm/kvm.ko kernel/arch/x86/kvm/kvm-amd.ko kernel/arch/x86/kvm/kvm-intel.ko; do
	[ -f "$kmods/$m" ] || die "$kmods/$m missing"
	mkdir -p "$root/lib/modules/$ver/$(dirname "$m")"
	cp "$kmods/$m" "$root/lib/modules/$ver/$m"
done
cp "$kmods"/modules.order "$kmods"/modules.builtin* "$root/lib/modules/$ver/" 2>/dev/null || true
depmod -b "$root" "$ver"

# kvm-patch's modules and selftest
cp "$B"/kvm/{kvm.ko,kvm-amd.ko,kvm-intel.ko,hostcall_test,build-info} "$root/opt/kvm-patched/"

# QEMU and the hostcall host side, with their libraries
strip -o "$root/opt/hostcall/bin/qemu-system-x86_64" "$B/bin/qemu-system-x86_64"
for p in hcvm shadowd hostcall-shadow; do
	cp "$B/bin/$p" "$root/opt/hostcall/bin/"
done
for p in "$B"/bin/{qemu-system-x86_64,hcvm,shadowd,hostcall-shadow}; do
	ldd "$p" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }'
done | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	[ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
done
[ -e "$root/lib64/ld-linux-x86-64.so.2" ] || die "the dynamic loader was not found by ldd"

# firmware for -L /usr/share/qemu -L /usr/share/seabios (x86 only)
cp -L /usr/share/seabios/*.bin "$root/usr/share/seabios/"
for f in kvmvapic.bin linuxboot.bin linuxboot_dma.bin multiboot.bin multiboot_dma.bin pvh.bin; do
	[ -e "/usr/share/qemu/$f" ] && cp -L "/usr/share/qemu/$f" "$root/usr/share/qemu/"
done

# the L2 guest: hcvm finds ../image next to its own directory
cp -L "$B/kernel/vmlinuz" "$root/opt/hostcall/image/vmlinuz"
cp "$B/image/initrd.gz" "$root/opt/hostcall/image/initrd.gz"

# users: shadows of a root-owned VM run as nobody
cat > "$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/sh
EOF
cat > "$root/etc/group" <<'EOF'
root:x:0:
kvm:x:101:
nogroup:x:65534:
EOF
echo "passwd: files" > "$root/etc/nsswitch.conf"
echo "group: files" >> "$root/etc/nsswitch.conf"

install -m 0755 "$here/l1-init.sh" "$root/init"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$out/initrd.tmp"
mv "$out/initrd.tmp" "$out/initrd"
rm -rf "$root"
echo "mkl1: $out/initrd ($(du -h "$out/initrd" | cut -f1), kernel $ver)"
