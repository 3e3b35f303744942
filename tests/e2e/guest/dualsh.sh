# dualsh checks, run inside the guest as root (busybox sh), e.g. by
#   hcvm exec --timeout 900 -- sh /tests/dualsh.sh
# The host side needs coreutils (tac, sha256sum, sleep, pgrep).
. /tests/lib.sh
cd /tmp
D=${DUALSH:-dualsh}

# check NAME WANT GOT
check() { if [ "$2" = "$3" ]; then pass "dualsh: $1"; else fail "dualsh: $1: want '$2', got '$3'"; fi; }

command -v "$D" >/dev/null || { fail "dualsh: $D is installed"; echo "dualsh: $fails failure(s)"; exit 1; }

# the issue's pipeline: guest, host, guest
out=$($D -c 'seq 1 3 | !tac | tr -d 3')
check "seq 1 3 | !tac | tr -d 3 prints 2 and 1" "
2
1" "$out"

# mixed pipelines: host first, middle, last, several
check "host first" "1 x 3" "$($D -c '!seq 1 3 | tr 2 x' | tr '\n' ' ' | sed 's/ $//')"
check "host middle" "3 x 1" "$($D -c 'seq 1 3 | !sort -r | tr 2 x' | tr '\n' ' ' | sed 's/ $//')"
check "host last" "3" "$($D -c 'seq 1 3 | !wc -l')"
check "several host runs" "6,5,4," "$($D -c '!seq 1 6 | grep -v 2 | !sort -rn | head -n 3 | !tr "\n" ,')"
check "!a | !b joined on the host" "4 5" "$($D -c '!seq 1 5 | !tail -n 2' | tr '\n' ' ' | sed 's/ $//')"
check "three host stages" "5" "$($D -c '!seq 1 5 | !tac | !head -n 1')"

# exit statuses from host and guest stages
$D -c '!false'; check "!false exits 1" 1 $?
$D -c '!sh -c "exit 9"'; check "host exit status 9 comes back" 9 $?
$D -c 'true | !false'; check "status of a pipeline ending on the host" 1 $?
$D -c '!true | false'; check "status of a pipeline ending in the guest" 1 $?
$D -c '!false | true'; check "a failing host stage before the last" 0 $?
$D -c 'set -o pipefail; !false | cat'; check "pipefail sees a host stage" 1 $?
$D -c '!sh -c "kill -TERM \$\$"'; check "host death by SIGTERM gives 143" 143 $?
check "set -e stops at a failing host stage" "a" "$($D -c 'set -e; echo a; !false; echo b')"

# redirections on host stages, both ways
rm -f /tmp/g1
$D -c '!echo to-guest > /tmp/g1'
check "!cmd > f writes a guest file" "to-guest" "$(cat /tmp/g1)"
check "!cmd < f reads a guest file" "to-guest" "$($D -c '!cat < /tmp/g1')"
$D -c '!echo more >> /tmp/g1'
check "!cmd >> f appends to a guest file" "to-guest more" "$(cat /tmp/g1 | tr '\n' ' ' | sed 's/ $//')"
hf=/tmp/dualsh-e2e-$$.txt
$D -c "!echo to-host !> $hf"
check "!cmd !> f writes a host file" "to-host" "$(hostcall exec -- cat $hf)"
check "!> does not write the guest" "no" "$(test -e $hf && echo yes || echo no)"
check "!cmd !< f reads a host file" "to-host" "$($D -c "!cat !< $hf")"
$D -c "!echo again !>> $hf"
check "!cmd !>> f appends to a host file" "to-host again" "$(hostcall exec -- cat $hf | tr '\n' ' ' | sed 's/ $//')"
hostcall exec -- rm -f $hf
check "stderr of a host stage, 2>&1" "E" "$($D -c '!sh -c "echo e >&2" 2>&1 | tr e E')"
$D -c '!sh -c "echo f >&2" 2> /tmp/e1'
check "stderr of a host stage to a guest file" "f" "$(cat /tmp/e1)"
check "heredoc into a host stage" "v=1" "$($D -c 'x=1; !cat <<EOF
v=$x
EOF')"

# host cwd
check "!cd /tmp; !pwd" "/tmp" "$($D -c '!cd /tmp; !pwd')"
check "host commands start in the host cwd" "/" "$($D -c '!cd /; !sh -c pwd')"
check "!cd in a subshell stays there" "/ /tmp" "$($D -c '!cd /tmp; (!cd /; !pwd); !pwd' | tr '\n' ' ' | sed 's/ $//')"

# command substitution of host commands
check "\$(!echo hi)" "[hi]" "$($D -c 'echo "[$(!echo hi)]"')"

# missing host command: message and 127
err=$($D -c '!lpr-nosuch-xyz' 2>&1); rc=$?
check "missing host command exits 127" 127 $rc
check "missing host command message" "dualsh: host: lpr-nosuch-xyz: command not found" "$err"

# guest stages next to a host stage hold its stream directly (no relay)
check "a guest stage reads a host stage's stdout stream fd" "anon_inode:[hostcall-stream]" \
	"$($D -c '!echo hi | readlink /proc/self/fd/0')"
check "a guest stage writes a host stage's stdin stream fd" "anon_inode:[hostcall-stream]" \
	"$($D -c 'readlink /proc/self/fd/1 | !cat')"
check "both neighbours of a host stage" "anon_inode:[hostcall-stream]" \
	"$($D -c 'echo x | !cat | readlink /proc/self/fd/0')"
check "output of an exited host stage is still read" "2000" \
	"$($D -c '!seq 1 2000 | (sleep 2; tail -n 1)')"
check "yes | !head -n 2 ends (SIGPIPE in the guest)" "y y" \
	"$($D -c 'yes | !head -n 2' | tr '\n' ' ' | sed 's/ $//')"
check "!yes | head -n 1 ends (SIGPIPE on the host)" "y" "$($D -c '!yes | head -n 1')"
check "a background mixed job and \$!" "done 3" \
	"$($D -c 'seq 1 3 | !wc -l > /tmp/bgj & wait $!; echo done $(cat /tmp/bgj)')"

# 32 MiB through a guest-host-guest pipeline, checked by sha256
dd if=/dev/urandom of=/tmp/data bs=1M count=32 2>/dev/null
want=$(sha256sum < /tmp/data | cut -d' ' -f1)
got=$($D -c 'cat /tmp/data | !cat | sha256sum' | cut -d' ' -f1)
check "32 MiB guest | !cat | guest, sha256" "$want" "$got"
got=$($D -c '!cat < /tmp/data | !cat | cat | sha256sum' | cut -d' ' -f1)
check "32 MiB !cat < f | !cat | guest, sha256" "$want" "$got"
got=$($D -c 'cat /tmp/data | !sha256sum' | cut -d' ' -f1)
check "32 MiB into host sha256sum" "$want" "$got"
rm -f /tmp/data

# Ctrl-C: SIGINT to dualsh while a mixed pipeline runs stops the host stages
$D -c 'yes | !cat | !sleep 1011 | cat' </dev/null >/dev/null 2>&1 &
p=$!
i=0
while [ $i -lt 50 ] && ! hostcall exec -- pgrep -f "sleep 1011" >/dev/null; do sleep 0.2; i=$((i + 1)); done
hostcall exec -- pgrep -f "sleep 1011" >/dev/null && pass "dualsh: the mixed pipeline runs on the host" ||
	fail "dualsh: the mixed pipeline runs on the host"
kill -INT $p
wait $p; rc=$?
check "SIGINT: dualsh exits 130" 130 $rc
expect "dualsh: SIGINT stops the host stages" host_gone "sleep 1011"

# the same through the process group (what the terminal's Ctrl-C does)
# (a background child of this non-interactive sh is no group leader, so
# setsid runs dualsh itself as the leader of a new group: pgid = $!)
setsid $D -c 'seq 1 100000000 | !cat | !sleep 1012 | wc -c' </dev/null >/dev/null 2>&1 &
p=$!
i=0
while [ $i -lt 50 ] && ! hostcall exec -- pgrep -f "sleep 1012" >/dev/null; do sleep 0.2; i=$((i + 1)); done
kill -INT -$p
wait $p
expect "dualsh: SIGINT to the foreground group stops the host stages" host_gone "sleep 1012"

# background host job and wait
check "background host job and wait" "done" "$($D -c '!sleep 0.3 & wait; echo done')"

# no device: one message, guest commands go on
out=$(HOSTCALL_DEVICE=/dev/nonexistent $D -c '!ls; echo $?; !ls | !cat; echo guest-ok' 2>/tmp/e2)
check "without a device, host stages give 127 and guest commands go on" "127
guest-ok" "$out"
check "without a device, one message" 1 "$(grep -c unavailable /tmp/e2)"

# scripts, -c, pipes
printf '#!/bin/dualsh\necho "script $1"\n!echo from-host\nexit 4\n' > /tmp/s.dsh
chmod +x /tmp/s.dsh
out=$(/tmp/s.dsh arg); rc=$?
check "#! script with a host command" "script arg
from-host" "$out"
check "#! script exit status" 4 $rc
check "commands from a pipe" "a b" "$(printf 'echo a\n!echo b\n' | $D | tr '\n' ' ' | sed 's/ $//')"
check "syntax error with a column" "dualsh: syntax error at 1:8: unexpected '|'" "$($D -c 'echo | | x' 2>&1)"
rm -f /tmp/s.dsh /tmp/g1 /tmp/e1 /tmp/e2

# the language, with host stages in it (real driver: stream fds)
check "if on a host status" "yes no" "$($D -c 'if !test -d /tmp; then echo yes; fi; if !test -d /nonexistent-x; then :; else echo no; fi' | tr '\n' ' ' | sed 's/ $//')"
check "for over \$(!cmd)" "[1][2][3]" "$($D -c 'for i in $(!seq 1 3); do printf "[%s]" $i; done')"
check "a function wraps a host pipeline" "3" "$($D -c 'n() { !seq 1 "$1" | !wc -l; }; n 3')"
check "while loop feeding a host stage" "6" "$($D -c 'i=0; while [ $i -lt 3 ]; do i=$((i+1)); echo $i; done | !awk "{s+=\$1} END {print s}"')"
check "case, arithmetic, parameter forms" "tar.gz 8 b" "$($D -c 'v=x.tar.gz; echo ${v#*.} $((2<<2)) $(case $(!echo b) in b) echo b;; esac)')"
check "! negates, !cmd is a host stage" "0 1" "$($D -c '! !false; a=$?; ! !true; echo $a $?')"
check "!cd in a subshell stays there" "/tmp /" "$($D -c '!cd /; (!cd /tmp; !pwd); !pwd' | tr '\n' ' ' | sed 's/ $//')"

echo "dualsh: $fails failure(s)"
[ $fails = 0 ]
