#!/usr/bin/env bash
# The Debian 12 guest (make debian-image) end to end, in one boot:
# - hcvm exec's contract there (argv exact, stdin, stdout apart from
#   stderr, exit status), the driver loaded by the package's
#   modules-load.d entry, /dev/hostcall group hostcall 0660, dualsh in
#   /etc/shells;
# - the printing scenario on a real CUPS: this script starts cupsd itself
#   (no systemd) with the cups-pdf queue PDF and creates a host user
#   hcprint<pid> who owns the VM (private shadowd, so every guest user maps
#   to it). In the guest, as uid 1000:
#     dualsh -c 'a2ps -o - test.c | !lpr -P PDF'
#   must leave a PDF in that user's ~/PDF whose text has test.c's lines,
#   with CUPS recording that user as the job's owner; and the reverse, a
#   host file read by a guest command (!cat FILE | a2ps | !lpr).
# A second boot checks `hcvm run --image debian` (login prompt, size).
# Before the boots, without a guest: lintian over the packages and a DKMS
# build of hostcall-dkms. The guest part needs root (a host user, cupsd)
# and the image; it prints SKIP otherwise.
. "$(dirname "$0")/lib.sh"
name=e2e-debian
img=$B/debian-image

# The packages (make debs), without a guest: lintian, and DKMS building
# hostcall-dkms's source for the guest kernel (not the running one).
debs=$B/debs
ver=$(sed -n 's/^VERSION := *//p' "$(dirname "$0")/../../guest-lib/Makefile")
kver=$(cat "$B/kernel/version" 2>/dev/null)
if ! ls "$debs"/*.deb >/dev/null 2>&1; then
	echo "SKIP: $name: no packages (make debs)"
else
	if command -v lintian >/dev/null; then
		lint=$(lintian --pedantic "$debs"/*.deb 2>&1 | grep -E '^[EW]: ')
		check "$name: lintian: no errors or warnings beyond the documented overrides" "" "$lint"
	else
		echo "SKIP: $name: lintian missing (make deps installs it)"
	fi
	if command -v dkms >/dev/null && [ -d "/lib/modules/$kver/build" ]; then
		T=$(mktemp -d /tmp/hcdkms.XXXXXX)
		mkdir "$T/dkms"
		dpkg-deb -x "$debs/hostcall-dkms_${ver}_all.deb" "$T/x"
		dkms build -m hostcall -v "$ver" -k "$kver" --sourcetree "$T/x/usr/src" \
			--dkmstree "$T/dkms" > "$T/log" 2>&1
		ko=$(find "$T/dkms" -name 'hostcall.ko*' -path "*/$kver/*" | head -1)
		if [ -n "$ko" ]; then
			check "$name: DKMS builds hostcall-dkms for $kver" "$kver" "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)"
		else
			fail "$name: DKMS did not build hostcall-dkms for $kver"; tail -20 "$T/log"
		fi
		rm -rf "$T"
	else
		echo "SKIP: $name: DKMS build: needs dkms and linux-headers-$kver"
	fi
fi

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $name: the guest: needs root (debootstrap for the image, a host user, cupsd)"; exit 0
fi
if [ ! -f "$img/disk.img" ]; then
	echo "SKIP: $name: no Debian image (make debian-image)"; exit 0
fi
for c in cupsd lpadmin lpr lpstat pdftotext useradd setpriv; do
	command -v $c >/dev/null || { echo "SKIP: $name: $c missing (make deps installs cups, cups-bsd, printer-driver-cups-pdf, poppler-utils)"; exit 0; }
done
[ -e /usr/lib/cups/backend/cups-pdf ] ||
	{ echo "SKIP: $name: no cups-pdf backend (printer-driver-cups-pdf)"; exit 0; }

U=hcprint$$
D=$(mktemp -d /tmp/hcdeb.XXXXXX) && chmod 755 "$D" || exit 1
CUPSD= QUEUE_MADE=
cleanup() {
	[ -n "$QUEUE_MADE" ] && lpadmin -x PDF 2>/dev/null
	[ -n "$CUPSD" ] && kill "$CUPSD" 2>/dev/null && wait "$CUPSD" 2>/dev/null
	pkill -u "$U" 2>/dev/null; sleep 0.2
	userdel -r "$U" 2>/dev/null; groupdel "$U" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT

# cupsd, unless one already serves the default socket
if ! lpstat -r 2>/dev/null | grep -q 'is running'; then
	cupsd -f 2>"$D/cupsd.log" &
	CUPSD=$!
	for i in $(seq 100); do lpstat -r 2>/dev/null | grep -q 'is running' && break; sleep 0.1; done
fi
lpstat -r 2>/dev/null | grep -q 'is running' || { fail "$name: cupsd started"; cat "$D/cupsd.log"; exit 1; }
if ! lpstat -v PDF >/dev/null 2>&1; then
	lpadmin -p PDF -E -v cups-pdf:/ -P /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd 2>/dev/null ||
		{ fail "$name: lpadmin could not create the cups-pdf queue PDF"; exit 1; }
	QUEUE_MADE=1
fi
pass "$name: cupsd runs with the cups-pdf queue PDF"

useradd -m -U -s /bin/bash -c "hostcall print test" "$U" || { fail "$name: useradd $U"; exit 1; }
getent group kvm >/dev/null && usermod -aG kvm "$U"
H=$(getent passwd "$U" | cut -d: -f6)
token="hostnote$$"  # no hyphens: a2ps fonts turn them into other glyphs
printf '%s\nprinted from the host, formatted in the guest\n' "$token" > "$H/note.txt"
chown "$U:$U" "$H/note.txt"

# One boot: everything the guest does, its output in sections.
cat > "$D/guest.sh" <<'EOF'
echo "argv:$#:$1|$2|$3"
cat > stdin.txt
echo "stdin:$(cat stdin.txt)"
echo "to-stderr" >&2
echo "id:$(id -u):$(id -Gn)"
echo "dev:$(stat -c '%G %a' /dev/hostcall)"
# nothing but the package's modules-load.d entry loads it in this image
echo "modules-load:$(cat /usr/lib/modules-load.d/hostcall.conf | grep -v '^#'):$(grep -c '^hostcall ' /proc/modules)"
echo "shells:$(grep -c '^/usr/bin/dualsh$' /etc/shells)"
echo "pkgs:$(dpkg-query -W -f='${Package}\n' libhostcall1 libhostcall-dev hostcall-tools 'hostcall-modules-*' | sort | tr '\n' ' ')"
cat > test.c <<'C'
#include <stdio.h>
int main(void)
{
	printf("printed through hostcall\n");
	return 0;
}
C
dualsh -c 'a2ps -q -o - test.c | !lpr -P PDF -T forward'
echo "forward:$?"
echo "note:$(dualsh -c "!cat $NOTE" | head -1)"
dualsh -c "!cat $NOTE | a2ps -q -o - --stdin=note | !lpr -P PDF -T reverse"
echo "reverse:$?"
exit 7
EOF
chmod 644 "$D/guest.sh"
t0=$SECONDS
printf 'line one\nline two\n' | setpriv --reuid="$U" --regid="$U" --init-groups -- \
	"$HCVM" exec --image debian --user 1000 --timeout 400 -- \
	env NOTE="$H/note.txt" bash -c "$(cat "$D/guest.sh")" guest.sh 'a b' '' '$HOME*' \
	> "$D/out" 2> "$D/err"
rc=$?
echo "boot and run: $((SECONDS - t0)) s"
check "$name: exit status is the command's" 7 "$rc"
if [ "$rc" = 124 ] || [ "$rc" = 125 ]; then cat "$D/err"; exit 1; fi
got() { sed -n "s/^$1://p" "$D/out"; }
check "$name: argv exact" "3:a b||\$HOME*" "$(got argv)"
check "$name: stdin forwarded" "line one
line two" "$(got stdin; sed -n '/^stdin:/,/^to-stderr\|^id:/p' "$D/out" | sed 1d | grep -v '^id:')"
check "$name: stderr kept apart" "to-stderr" "$(cat "$D/err")"
grep -q to-stderr "$D/out" && fail "$name: stderr leaked into stdout"
check "$name: uid 1000 in group hostcall" "1000:user hostcall" "$(got id)"
check "$name: /dev/hostcall is group hostcall, 0660" "hostcall 660" "$(got dev)"
check "$name: driver loaded at boot by modules-load.d" "hostcall:1" "$(got modules-load)"
check "$name: dualsh in /etc/shells" 1 "$(got shells)"
check "$name: guest packages installed" "hostcall-modules-$(cat "$B/kernel/version") hostcall-tools libhostcall-dev libhostcall1 " "$(got pkgs)"
check "$name: a2ps | !lpr exit status" 0 "$(got forward)"
check "$name: !cat | a2ps | !lpr exit status" 0 "$(got reverse)"

# cups-pdf writes asynchronously: wait for both PDFs
for i in $(seq 120); do
	[ "$(ls "$H"/PDF/*.pdf 2>/dev/null | wc -l)" -ge 2 ] && break; sleep 0.5
done
fwd= rev=
for f in "$H"/PDF/*.pdf; do
	[ -f "$f" ] || continue
	pdftotext "$f" "$f.txt" 2>/dev/null || continue
	grep -q 'printed through hostcall' "$f.txt" && fwd=$f.txt
	grep -q "$token" "$f.txt" && rev=$f.txt
done
if [ -n "$fwd" ]; then
	missing=0
	# every non-empty line of test.c, whitespace aside
	tr -d ' \t' < "$fwd" > "$D/pdf.flat"
	while IFS= read -r l; do
		l=$(printf '%s' "$l" | tr -d ' \t'); [ -n "$l" ] || continue
		grep -qF -- "$l" "$D/pdf.flat" || { missing=1; echo "not in the PDF: $l"; }
	done < <(sed -n '/^cat > test.c/,/^C$/p' "$D/guest.sh" | sed '1d;$d')
	check "$name: the PDF in ~$U/PDF has test.c's lines" 0 "$missing"
else
	fail "$name: no PDF with test.c's text in $H/PDF ($(ls "$H/PDF" 2>&1 | tr '\n' ' '))"
fi
if [ -n "$rev" ]; then pass "$name: the reverse PDF has the host file's text"
else
	fail "$name: no PDF with the host note's text in $H/PDF (the guest read: '$(got note)')"
	for f in "$H"/PDF/*.txt; do echo "== $f"; head -5 "$f"; done
fi
owners=$(lpstat -W completed -o PDF 2>/dev/null | awk '{print $2}' | sort | uniq -c)
echo "job owners: $owners"
if lpstat -W completed -o PDF 2>/dev/null | awk -v u="$U" '$2 == u' | grep -q .; then
	pass "$name: CUPS records $U as the jobs' owner"
else fail "$name: no completed PDF job owned by $U ($owners)"; fi
lpstat -W completed -o PDF 2>/dev/null | awk '$2 == "root"' | grep -q . &&
	fail "$name: a job owned by root"

# The second boot: hcvm run --image debian in a tmux pane: the serial
# getty's login prompt, a passwordless login as user, the pane's size.
if ! command -v tmux >/dev/null; then
	echo "SKIP: $name: hcvm run: tmux missing"; exit 0
fi
S=hcdeb$$
tmux new-session -d -s "$S" -x 100 -y 30 "$HCVM run --image debian" || { fail "$name: tmux"; exit 0; }
t0=$SECONDS
until tmux capture-pane -p -t "$S" 2>/dev/null | grep -q 'login:'; do
	[ $((SECONDS - t0)) -lt 240 ] || break
	sleep 0.5
done
echo "hcvm run --image debian: login prompt after $((SECONDS - t0)) s"
tmux send-keys -t "$S" user Enter
sleep 3
tmux send-keys -t "$S" "echo size=\$(stty size) hc=\$(hostcall exec -- echo ok)" Enter
for i in $(seq 60); do
	tmux capture-pane -p -t "$S" | grep -q '^size=' && break; sleep 0.5
done
check "$name: hcvm run: login as user, the pane's size, a host-call" "size=30 100 hc=ok" \
	"$(tmux capture-pane -p -t "$S" | grep '^size=' | tail -1)"
tmux kill-session -t "$S" 2>/dev/null
exit 0
