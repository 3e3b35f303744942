# Security model checks inside the guest, run as guest root by
# tests/e2e/run-security.sh against a shadowd --system and its policy:
#   sh /tests/security.sh map  DIR UID_A UID_B UID_O   (vm e2e)
#   sh /tests/security.sh cmds DIR UID_A UID_B UID_O   (vm e2e-cmds)
# DIR is the host's scratch directory: a.txt (A's, 0600), b.txt (B's,
# 0600), outside.txt, share/ (the fs-root of e2e-cmds) with in.txt and
# the links escape -> ../outside.txt and up -> .. .
. /tests/lib.sh
mode=$1 dir=$2 ua=$3 ub=$4 uo=$5
cd /tmp

# as GUEST-USER CMD: run CMD (a shell line) as that guest user
as() { u=$1; shift; su -s /bin/sh "$u" -c "$*"; }
# is NAME WANT GOT
is() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (want '$2', got '$3')"; fi; }

if [ "$mode" = map ]; then
	# guest root is not host root: it is the VM's owner here
	is "security: guest root runs host id -u as the VM owner" "$uo" \
		"$(hostcall exec -- id -u)"
	[ "$uo" != 0 ] && pass "security: ... which is not host root" ||
		fail "security: ... which is not host root"

	# guest uid 1000 is host user A, 1001 host user B
	is "security: guest 1000 runs as host user A" "$ua" "$(as user hostcall exec -- id -u)"
	is "security: guest 1001 runs as host user B" "$ub" "$(as user2 hostcall exec -- id -u)"
	is "security: guest 1000 reads A's 0600 file" "secret-a" \
		"$(as user hostcall exec -- cat "$dir/a.txt")"
	out=$(as user hostcall exec -- cat "$dir/b.txt" 2>&1); rc=$?
	case "$rc:$out" in 1:*"Permission denied"*) pass "security: guest 1000 cannot read B's file (host cat)" ;;
		*) fail "security: guest 1000 cannot read B's file (host cat) ($rc: $out)" ;; esac
	as user "$T/hc-fsopen $dir/b.txt" >/dev/null 2>&1
	is "security: guest 1000 gets EACCES on B's file (fs module)" 13 $?
	is "security: guest 1001 reads B's 0600 file" "secret-b" \
		"$(as user2 hostcall exec -- cat "$dir/b.txt")"
	as user2 "$T/hc-fsopen $dir/a.txt" >/dev/null 2>&1
	is "security: guest 1001 gets EACCES on A's file (fs module)" 13 $?
	is "security: guest 1001 reads B's file through the fs module" "secret-b" \
		"$(as user2 "$T/hc-fsopen $dir/b.txt")"

	# the shadow (the commands' parent) is confined; its commands are not
	out=$(hostcall exec -- sh -c 'grep -E "^(NoNewPrivs|Seccomp):" /proc/$PPID/status' | tr -d ' \t' | tr '\n' ' ')
	is "security: the shadow has no_new_privs and a seccomp filter" "NoNewPrivs:1 Seccomp:2 " "$out"
	out=$(hostcall exec -- sh -c 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status' | tr -d ' \t' | tr '\n' ' ')
	is "security: host commands: no_new_privs, no filter" "NoNewPrivs:1 Seccomp:0 " "$out"
	out=$(printf 'b\na\n' | hostcall exec -- sort | tr '\n' ' ')
	is "security: ordinary host programs work (sort)" "a b " "$out"

	# A command that kills its own shadow, after starting a daemon: the
	# session's container ends the daemon all the same (the host checks
	# that nothing is left once the VM is gone), and one left running
	# normally goes when the VM exits.
	hostcall exec -- sh -c '(setsid sh -c "sleep 300" >/dev/null 2>&1 &); sleep 1; kill -9 $PPID' 2>/dev/null
	pass "security: a command killed its shadow (the host checks what is left)"
	hostcall exec -- sh -c 'setsid sleep 303 >/dev/null 2>&1 </dev/null & exit 0'
	is "security: a setsid daemon was started (the host checks it is gone)" 0 $?

	# host modules: the policy names the example plugin for this VM,
	# and refuses guest 1001 its version
	out=$(hostcall modules)
	for m in "sys 1.0" "proc 1.0" "fs 1.0" "example 1.2"; do
		case "$out" in *"$m"*) pass "security: hostcall modules lists $m" ;;
			*) fail "security: hostcall modules lists $m ($out)" ;; esac
	done
	case "$out" in *"	1 echo"*"	4 sleep"*"	5 count"*) pass "security: hostcall modules lists the example's functions" ;;
		*) fail "security: hostcall modules lists the example's functions ($out)" ;; esac
	as user "$T/hc-bind" | grep -E '^(PASS|FAIL):'
	as user "HOSTCALL_WINDOW=0 $T/hc-bind" | sed 's/^\(PASS\|FAIL\): /\1: ioctl: /' | grep -E '^(PASS|FAIL):'
	as user2 "$T/hc-bind refused" | grep -E '^(PASS|FAIL):'
	out=$(as user2 hostcall modules)
	case "$out" in *example*) fail "security: guest 1001's hostcall modules leaves out what it may not bind ($out)" ;;
		*"sys 1.0"*) pass "security: guest 1001's hostcall modules leaves out what it may not bind" ;;
		*) fail "security: guest 1001's hostcall modules ($out)" ;; esac
fi

if [ "$mode" = cmds ]; then
	# the command list: sort, sleep, sha256sum, id, true (see the policy)
	out=$(hostcall exec -- ls / 2>&1); rc=$?
	case "$rc:$out" in 126:*"Operation not permitted"*) pass "security: an unlisted command is refused" ;;
		*) fail "security: an unlisted command is refused ($rc: $out)" ;; esac
	out=$(hostcall exec -- sh -c id 2>&1); rc=$?
	is "security: ... a host shell too" 126 $rc
	out=$(printf 'b\na\n' | hostcall exec -- sort | tr '\n' ' ')
	is "security: a listed command runs" "a b " "$out"

	# The issue's attack: sort runs its compress program through a shell
	# once its 1k buffer spills; "sh" would then run the first line.
	# With Landlock the shell is denied (the host checks $dir/x/pwn).
	{ echo "id > $dir/x/pwn"; i=0; while [ $i -lt 3000 ]; do echo "# $i"; i=$((i+1)); done; } |
		hostcall exec -- sort -S 1k -T "$dir/x" --compress-program=sh >/dev/null 2>&1
	pass "security: sort --compress-program=sh tried (the host checks it ran nothing)"

	# fs-roots: the share and nothing else
	is "security: a file inside the fs-root" "inside" "$($T/hc-fsopen "$dir/share/in.txt")"
	$T/hc-fsopen "$dir/share/../outside.txt" >/dev/null 2>&1
	is "security: .. out of the fs-root is refused (EPERM)" 1 $?
	$T/hc-fsopen "$dir/share/escape" >/dev/null 2>&1
	is "security: a symlink out of the fs-root is refused (EPERM)" 1 $?
	$T/hc-fsopen "$dir/share/up/outside.txt" >/dev/null 2>&1
	is "security: a directory symlink out is refused (EPERM)" 1 $?
	$T/hc-fsopen /etc/passwd >/dev/null 2>&1
	is "security: a path outside the fs-root is refused (EPERM)" 1 $?

	# limits: max-sessions = 3 (each hostcall exec is one session)
	# A session holds an open /dev/hostcall once the host accepted it. The
	# sessions of the checks above may still be ending on the host, so a
	# sleep refused for the limit is simply started again.
	has_session() { ls -l /proc/$1/fd 2>/dev/null | grep -q /dev/hostcall; }
	start_sleep() {
		tries=0
		while [ $tries -lt 100 ]; do
			hostcall exec -- sleep 60 2>/dev/null &
			sp=$!
			while kill -0 $sp 2>/dev/null && ! has_session $sp; do sleep 0.1; done
			has_session $sp && return 0
			sleep 0.2; tries=$((tries + 1))
		done
		return 1
	}
	start_sleep; p1=$sp
	start_sleep; p2=$sp
	start_sleep; p3=$sp
	hostcall exec -- true 2>/dev/null; rc=$?
	is "security: the 4th session of a 3-session VM is refused" 125 $rc
	kill $p1 $p2 $p3 2>/dev/null; wait $p1 $p2 $p3 2>/dev/null
	i=0
	while [ $i -lt 50 ]; do hostcall exec -- true 2>/dev/null && break; sleep 0.2; i=$((i + 1)); done
	hostcall exec -- true; is "security: ... and served again once they end" 0 $?

	# limits: cpu-seconds = 2 per host command
	hostcall exec -- sha256sum /dev/zero; rc=$?
	case $rc in 152|137) pass "security: a host command over its CPU seconds is stopped" ;;
		*) fail "security: a host command over its CPU seconds is stopped (exit $rc)" ;; esac
fi

[ "$fails" = 0 ]
