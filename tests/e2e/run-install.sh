#!/usr/bin/env bash
# make install / uninstall into a DESTDIR: the file list, the example policy
# passes the installed shadowd's --check-config, the installed QEMU finds
# its firmware, a system-mode guest run from the installed tree (not from
# build/), and uninstall leaves nothing behind. The system-mode run needs
# root (host users); without it that part prints SKIP.
. "$(dirname "$0")/lib.sh"
name=install
top=$(cd "$(dirname "$0")/../.." && pwd)
D=$(mktemp -d /tmp/hcinst.XXXXXX) && chmod 755 "$D" || exit 1
O= M= SD=
cleanup() {
	[ -n "$SD" ] && kill "$SD" 2>/dev/null && wait "$SD" 2>/dev/null
	for u in $O $M; do userdel "$u" 2>/dev/null; groupdel "$u" 2>/dev/null; done
	rm -rf "$D"
}
trap cleanup EXIT
R=$D/root
mk() { make -s -C "$top" B="$B" DESTDIR="$R" PREFIX=/usr "$@"; }

mk install > "$D/install.log" 2>&1 || { fail "$name: make install failed"; cat "$D/install.log"; exit 1; }
want="/etc/hostcall/shadowd.conf
/etc/hostcall/shadowd.conf.example
/usr/bin/hcvm
/usr/include/hostcall/hostcall_module.h
/usr/lib/hostcall/bin/hcvm
/usr/lib/hostcall/bin/hostcall-shadow
/usr/lib/hostcall/bin/qemu-system-x86_64
/usr/lib/hostcall/bin/shadowd
/usr/lib/hostcall/image/initrd.gz
/usr/lib/hostcall/image/vmlinuz
/usr/lib/hostcall/install-manifest
/usr/lib/hostcall/modules/example.so
/usr/lib/hostcall/share/qemu
/usr/lib/hostcall/share/qemu-firmware
/usr/lib/systemd/system/shadowd.service
/usr/sbin/shadowd
/usr/share/man/man1/dualsh.1
/usr/share/man/man1/hcvm.1
/usr/share/man/man1/hostcall.1
/usr/share/man/man8/shadowd.8"
check "$name: the installed files" "$want" "$(cd "$R" && find . \( -type f -o -type l \) | sed 's/^\.//' | LC_ALL=C sort)"
check "$name: the manifest lists them" "$want" "$(LC_ALL=C sort "$R/usr/lib/hostcall/install-manifest")"
[ -e /usr/bin/qemu-system-x86_64 ] && [ /usr/bin/qemu-system-x86_64 -ef "$R/usr/lib/hostcall/bin/qemu-system-x86_64" ] &&
	fail "$name: the patched QEMU replaced the distribution's"
# ("note:" lines are advice, not errors)
out=$("$R/usr/sbin/shadowd" --check-config --config "$R/etc/hostcall/shadowd.conf" 2>&1); rc=$?
out=$(echo "$out" | grep -v "^note: ")
check "$name: the example policy passes the installed shadowd's --check-config" \
	"0 $R/etc/hostcall/shadowd.conf: OK" "$rc $out"
grep -q "^ExecStart=/usr/sbin/shadowd --system" "$R/usr/lib/systemd/system/shadowd.service" &&
	pass "$name: shadowd.service starts the installed shadowd --system" ||
	fail "$name: shadowd.service has no ExecStart=/usr/sbin/shadowd --system"
# without -L, as libvirt runs it: BIOS and option ROMs through its own share/
dirs=$("$R/usr/lib/hostcall/bin/qemu-system-x86_64" -L help 2>&1)
for f in bios-256k.bin kvmvapic.bin; do
	fw=$(echo "$dirs" | while read -r d; do [ -e "$d/$f" ] && echo "$d"; done | head -1)
	case $fw in
	"$R"/usr/lib/hostcall/*) pass "$name: the installed QEMU finds $f in its own share/" ;;
	*) fail "$name: the installed QEMU does not find $f in its own share/ (data dirs: $(echo $dirs))" ;;
	esac
done

# a system-mode guest, every program from the installed tree
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "SKIP: $name: system-mode run from the installed tree: needs root and setpriv (host users)"
else
	O=hcio$$ M=hcim$$
	for u in $O $M; do useradd -M -U -s /bin/sh -c hostcall-test "$u" || { fail "$name: useradd $u"; exit 1; }; done
	getent group kvm >/dev/null && usermod -aG kvm "$O"
	conf=$D/shadowd.conf
	{ cat "$R/etc/hostcall/shadowd.conf"; printf '\n[vm install-e2e]\nowners = %s\nmap * = owner\nmap 1000 = %s\n' "$O" "$M"; } > "$conf"
	"$R/usr/sbin/shadowd" --system --socket "$D/shadowd.sock" --config "$conf" 2> "$D/shadowd.log" &
	SD=$!
	for i in $(seq 50); do [ -S "$D/shadowd.sock" ] && break; sleep 0.1; done
	out=$(setpriv --reuid="$O" --regid="$O" --init-groups -- "$R/usr/bin/hcvm" exec --timeout 300 --verbose \
		--device-opts "socket=$D/shadowd.sock,vm=install-e2e" --user 1000 -- \
		hostcall exec -- id -un 2>"$D/hcvm.err")
	check "$name: system mode from the installed tree maps guest uid 1000" "$M" "$out"
	# hcvm --verbose prints QEMU's command line: QEMU and the image installed
	qline=$(grep -m1 '^hcvm: .*qemu-system-x86_64 ' "$D/hcvm.err")
	case $qline in
	"hcvm: $R/usr/lib/hostcall/bin/qemu-system-x86_64 "*"-kernel $R/usr/lib/hostcall/bin/../image/vmlinuz -initrd $R/usr/lib/hostcall/bin/../image/initrd.gz "*)
		pass "$name: QEMU and the guest image came from the installed tree" ;;
	*) fail "$name: QEMU command line not from the installed tree: $qline" ;;
	esac
	[ "$out" = "$M" ] || { cat "$D/hcvm.err"; cat "$D/shadowd.log"; }
fi

# uninstall: exactly what was installed, so nothing is left
mk uninstall > "$D/uninstall.log" 2>&1 || { fail "$name: make uninstall failed"; cat "$D/uninstall.log"; }
check "$name: uninstall removes every installed file" "" "$(cd "$R" && find . \( -type f -o -type l \))"
# an edited policy is kept
mk install > /dev/null 2>&1 && echo '# edited' >> "$R/etc/hostcall/shadowd.conf" && mk uninstall > /dev/null 2>&1
check "$name: uninstall keeps an edited policy" "./etc/hostcall/shadowd.conf" "$(cd "$R" && find . \( -type f -o -type l \))"
exit 0
