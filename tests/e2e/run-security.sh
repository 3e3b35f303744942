#!/usr/bin/env bash
# Security model, end to end: a shadowd --system with a policy, guests
# booted by `hcvm exec --device-opts socket=...,vm=...` as an unprivileged
# VM owner, the guest-side group tests/e2e/guest/security.sh, then the
# audit trail on the host. Needs root (it creates three host users:
# A and B, each with a 0600 file, and O, who owns the VMs); without root
# it prints SKIP lines. Everything it made is removed at the end.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v useradd >/dev/null || ! command -v setpriv >/dev/null; then
	echo "SKIP: e2e-security: needs root, useradd and setpriv to create host users"
	exit 0
fi

D=$(mktemp -d /tmp/hce2e.XXXXXX) && chmod 755 "$D" || exit 1
p=hce$$
A=${p}a UB_NAME=${p}b O=${p}o
SD=
cleanup() {
	[ -n "$SD" ] && kill "$SD" 2>/dev/null && wait "$SD" 2>/dev/null
	for u in "$A" "$UB_NAME" "$O"; do
		userdel "$u" 2>/dev/null; groupdel "$u" 2>/dev/null
	done
	rm -rf "$D"
}
trap cleanup EXIT

for u in "$A" "$UB_NAME" "$O"; do
	useradd -M -U -s /bin/sh -c hostcall-test "$u" || { fail "e2e-security: useradd $u"; exit 1; }
done
# KVM for the owner's QEMU where there is one (else hcvm uses TCG)
getent group kvm >/dev/null && usermod -aG kvm "$O"
ua=$(id -u "$A") ub=$(id -u "$UB_NAME") uo=$(id -u "$O")

printf 'secret-a\n' > "$D/a.txt"; chown "$A:$A" "$D/a.txt"; chmod 600 "$D/a.txt"
printf 'secret-b\n' > "$D/b.txt"; chown "$UB_NAME:$UB_NAME" "$D/b.txt"; chmod 600 "$D/b.txt"
printf 'outside\n' > "$D/outside.txt"
mkdir "$D/share"; printf 'inside\n' > "$D/share/in.txt"
mkdir "$D/x"; chown "$O:$O" "$D/x"	# sort's temporary files (the attack)
ln -s ../outside.txt "$D/share/escape"; ln -s .. "$D/share/up"

cat > "$D/shadowd.conf" <<EOF
# tests/e2e/run-security.sh
[global]
owners = $O
audit = file $D/audit.log
module-dir = $B/host/modules

[vm e2e]
owners = $O
map * = owner
map 1000 = $A
map 1001 = $UB_NAME
modules = sys proc fs example
modules 1001 = sys proc fs example@1.0-1.1

[vm e2e-cmds]
owners = $O
commands = id true sort sleep sha256sum
fs-roots = $D/share
max-sessions = 3
cpu-seconds = 2
EOF
out=$("$B/bin/shadowd" --check-config --config "$D/shadowd.conf" 2>&1)
check "e2e-security: the policy passes --check-config" "$D/shadowd.conf: OK" "$(echo "$out" | grep -v '^note: ')"
case "$out" in *"note: VM names without a section are refused"*) pass "e2e-security: --check-config notes that unknown VM names are refused" ;;
	*) fail "e2e-security: --check-config notes that unknown VM names are refused ($out)" ;; esac
# Landlock (execution confined to the list) where the kernel has it
landlock=yes
case "$out" in *"no Landlock"*) landlock=no ;; esac

"$B/bin/shadowd" --system --socket "$D/shadowd.sock" --config "$D/shadowd.conf" 2>"$D/shadowd.log" &
SD=$!
for i in $(seq 50); do [ -S "$D/shadowd.sock" ] && break; sleep 0.1; done
[ -S "$D/shadowd.sock" ] || { fail "e2e-security: shadowd --system started"; cat "$D/shadowd.log"; exit 1; }

as() { u=$1; shift; setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"; }
vm() { echo "socket=$D/shadowd.sock,vm=$1"; }

# 1. identity mapping and confinement, as the VM owner
as "$O" "$HCVM" exec --timeout 420 --device-opts "$(vm e2e)" -- \
	sh /tests/security.sh map "$D" "$ua" "$ub" "$uo"
rc=$?
[ $rc = 0 ] || fail "e2e-security: map group ran to its end (hcvm exit $rc)"

# 2. command list, fs-roots, limits
as "$O" "$HCVM" exec --timeout 420 --device-opts "$(vm e2e-cmds)" -- \
	sh /tests/security.sh cmds "$D" "$ua" "$ub" "$uo"
rc=$?
[ $rc = 0 ] || fail "e2e-security: cmds group ran to its end (hcvm exit $rc)"
if [ $landlock = yes ]; then
	[ ! -e "$D/x/pwn" ] && pass "e2e-security: sort --compress-program=sh ran no shell on the host" ||
		fail "e2e-security: sort --compress-program=sh ran no shell on the host ($(cat "$D/x/pwn"))"
else
	echo "SKIP: e2e-security: sort --compress-program=sh ran no shell on the host: this kernel has no Landlock"
fi

# 3. a user who owns no VM is refused by shadowd: no host-calls at all
# (hostcall's 125; the audit check below shows it was shadowd's refusal)
as "$UB_NAME" "$HCVM" exec --timeout 600 --device-opts "$(vm e2e)" -- hostcall exec -- true 2>/dev/null
check "e2e-security: a VM of a user who is no owner gets no host-calls (exit 125)" 125 $?

# 4. the audit trail
kill "$SD"; wait "$SD"; SD=
log=$D/audit.log
has() { grep -q -- "$1" "$log" && pass "$2" || fail "$2 (no line matching '$1')"; }
has "event=session-start vm=e2e owner=$uo .*guest_uid=1000 .*host_user=$A host_uid=$ua .*result=ok" \
	"e2e-security: audit: session start, guest 1000 as A"
has "event=session-end vm=e2e owner=$uo .*guest_uid=1001 .*host_user=$UB_NAME " \
	"e2e-security: audit: session end, guest 1001 as B"
has "event=exec vm=e2e .*host_user=$A .*from=shadow cmd=cat .*result=ok" \
	"e2e-security: audit: exec"
has "event=exec vm=e2e-cmds .*cmd=ls .*result=refused" \
	"e2e-security: audit: refused exec"
has "event=fs-refused vm=e2e-cmds .*op=open .*reason=outside-fs-roots" \
	"e2e-security: audit: refused path"
has "event=session-start vm=e2e-cmds .*result=refused reason=max-sessions" \
	"e2e-security: audit: refused session (limit)"
has "event=attach vm=e2e owner=$ub result=refused" \
	"e2e-security: audit: refused VM owner"
[ $landlock = yes ] && has "event=execve vm=e2e-cmds .*from=launcher pid=[0-9]* path=[^ ]*/sh .*result=denied" \
	"e2e-security: audit: the shell sort tried to run was denied"
has "event=session-end vm=e2e .*result=\"signal 9\"" \
	"e2e-security: audit: the shadow its command killed"
has "event=module-bind vm=e2e .*module=example version=1.2 handle=[0-9]* guest_uid=1000" \
	"e2e-security: audit: a bind of the example plugin, with its version, handle and guest user"
has "event=module-bind-refused vm=e2e .*module=example version=1.2 guest_uid=1001 reason=policy" \
	"e2e-security: audit: the bind the policy refused"
has "event=session-fini vm=e2e .*module=example count=" \
	"e2e-security: audit: the example plugin's session_fini"

# 5. nothing of the three users is left running
sleep 1
left=$(pgrep -u "$A,$UB_NAME,$O" -a)
check "e2e-security: no shadow or command left after the guests stopped" "" "$left"
