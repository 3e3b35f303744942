#!/usr/bin/env bash
# Stage 2 of the Debian guest image (stage 1: bootstrap.sh): from DIR/base,
# install the guest packages with dpkg, Debian's kernel modules, a user
# `user` (uid 1000, group hostcall), a serial getty and hcvm's agent units,
# then write DIR/disk.img with mke2fs -d (no loop mount) and DIR/initrd.gz,
# a busybox initramfs that mounts the disk and starts systemd.
#   build.sh DIR KERNEL_DIR DEBS_DIR GUEST_BUILD
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(realpath "$1") kdir=$(realpath "$2") debs=$(realpath "$3") gbuild=$(realpath "$4")
ver=$(cat "$kdir/version")
kmods=$kdir/root/lib/modules/$ver
[ "$(id -u)" = 0 ] || { echo "debian-image: needs root (chroot, file ownership)" >&2; exit 1; }
[ -d "$dir/base" ] || { echo "debian-image: $dir/base missing (bootstrap.sh)" >&2; exit 1; }
t0=$(date +%s)
root=$dir/root
rm -rf "$root"
cp -a "$dir/base" "$root"

# Debian's kernel modules, without what a VM never loads
mkdir -p "$root/usr/lib/modules"
rsync -a --exclude=kernel/drivers/gpu --exclude=kernel/drivers/media \
	--exclude=kernel/drivers/net/wireless --exclude=kernel/drivers/infiniband \
	--exclude=kernel/drivers/staging --exclude=kernel/sound \
	--exclude=kernel/drivers/bluetooth --exclude=kernel/net/bluetooth \
	"$kmods/" "$root/usr/lib/modules/$ver/"

# the guest packages, as a user would install them (the prebuilt module:
# the image has no compiler for DKMS)
rm -rf "$root/tmp/debs"
mkdir -p "$root/tmp/debs"
cp "$debs"/libhostcall1_*.deb "$debs"/libhostcall-dev_*.deb "$debs"/hostcall-tools_*.deb \
	"$debs/hostcall-modules-${ver}_"*.deb "$root/tmp/debs/"
chroot "$root" sh -c 'dpkg -i /tmp/debs/*.deb' > "$dir/dpkg.log" 2>&1 ||
	{ cat "$dir/dpkg.log" >&2; echo "debian-image: dpkg -i of the guest packages failed" >&2; exit 1; }
rm -rf "$root/tmp/debs"
depmod -b "$root" "$ver"

# users: root and user/user2 log in on the console without a password (a
# throwaway test guest; every boot starts from this image)
chroot "$root" sh -e -c '
	useradd -m -u 1000 -G hostcall -s /bin/bash -c "Guest User" user
	useradd -m -u 1001 -G hostcall -s /bin/bash -c "Second Guest User" user2
	passwd -dq root; passwd -dq user; passwd -dq user2'
echo hcvm-debian > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\thcvm-debian\n' > "$root/etc/hosts"
printf '/dev/vda\t/\text4\tdefaults\t0\t0\n' > "$root/etc/fstab"
: > "$root/etc/machine-id"

# hcvm's agent and its units; a serial getty for hcvm run
install -m 0755 "$gbuild/hcvm-agent" "$root/usr/sbin/hcvm-agent"
install -D -m 0755 "$here/files/console-size" "$root/usr/lib/hcvm/console-size"
install -m 0644 "$here/files/hcvm-exec.service" "$here/files/hcvm-console.service" \
	"$root/etc/systemd/system/"
chroot "$root" systemctl enable -q hcvm-exec.service hcvm-console.service serial-getty@ttyS0.service
# what only slows a short-lived guest's boot
chroot "$root" systemctl mask -q apt-daily.timer apt-daily-upgrade.timer \
	systemd-timesyncd.service e2scrub_all.timer e2scrub_reap.service 2>/dev/null || true

# the disk: files' size plus room to write
mb=$(( $(du -sm "$root" | cut -f1) * 13 / 10 + 512 ))
rm -f "$dir/disk.img.tmp"
mke2fs -q -F -t ext4 -L hcvm-debian -d "$root" "$dir/disk.img.tmp" "${mb}M"
mv "$dir/disk.img.tmp" "$dir/disk.img"

# the initramfs: busybox, virtio and ext4 modules, init
ird=$dir/initramfs
rm -rf "$ird"
mkdir -p "$ird"/{bin,sbin,proc,sys,dev,newroot,lib/modules/$ver}
bb=$(command -v busybox || echo /bin/busybox)
cp "$bb" "$ird/bin/busybox"
for app in sh mount umount modprobe sleep mkdir cat switch_root poweroff; do
	ln -s busybox "$ird/bin/$app"
done
for m in virtio_pci virtio_blk crc32c_generic ext4; do
	modprobe -d "$kdir/root" -S "$ver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | sort -u | while read -r ko; do
	rel=${ko#"$kmods"/}
	install -D -m 0644 "$ko" "$ird/lib/modules/$ver/$rel"
done
cp "$kmods"/modules.order "$kmods"/modules.builtin* "$ird/lib/modules/$ver/"
depmod -b "$ird" "$ver"
install -m 0755 "$here/files/initramfs-init" "$ird/init"
(cd "$ird" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$dir/initrd.gz.tmp"
mv "$dir/initrd.gz.tmp" "$dir/initrd.gz"
ln -sf "$kdir/vmlinuz" "$dir/vmlinuz"
echo "debian-image: $dir/disk.img ($(du -h --apparent-size "$dir/disk.img" | cut -f1) apparent," \
	"$(du -h "$dir/disk.img" | cut -f1) used; files $(du -sh "$root" | cut -f1)), kernel $ver, $(( $(date +%s) - t0 )) s"
