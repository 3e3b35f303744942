#!/usr/bin/env bash
# Core chain, end to end under the default accelerator: each `hcvm exec`
# boots a fresh guest. One boot runs the guest-side group (guest/core.sh).
. "$(dirname "$0")/lib.sh"
T=/usr/libexec/hostcall-tests
mkdir -p "$B/tests"

# 1. the guest-side group
hcvm exec --timeout 420 -- sh /tests/core.sh
rc=$?
[ $rc = 0 ] || fail "core: guest group ran to its end (hcvm exit $rc)"

# 2. the issue's own commands
out=$(hcvm exec --timeout 300 -- sh -c 'seq 1 100000 | hostcall exec -- wc -l')
check "hcvm: seq 1 100000 | hostcall exec -- wc -l prints 100000" 100000 "$out"
hcvm exec --timeout 300 -- hostcall exec -- sh -c 'exit 7'
check "hcvm: hostcall exec -- sh -c 'exit 7' exits 7" 7 $?

# 3. hcvm exec: argv exact, stdin forwarded, stdout and stderr apart
out=$(printf 'from-host-stdin\n' | hcvm exec --timeout 300 -- \
	sh -c 'cat; echo to-stderr >&2; printf "[%s]" "$@"; exit 3' sh 'a b' '' '*' 2>"$B/tests/err.txt")
rc=$?
check "hcvm: stdin reaches the guest command, stdout comes back" "from-host-stdin
[a b][][*]" "$out"
check "hcvm: stderr stays apart" "to-stderr" "$(cat "$B/tests/err.txt")"
check "hcvm: exit status of the guest command" 3 $rc
out=$(hcvm exec --user 1000 --timeout 300 -- sh -c 'id -u; hostcall info | grep -c transport')
check "hcvm: --user 1000 runs as uid 1000 and may call the host" "1000
1" "$out"

# 4. shadowd dies: running sessions keep working, the next open starts a new one.
# The guest's shadows may run as an unprivileged user, so the host side kills it.
hcvm exec --timeout 300 -- sh -c 'hostcall exec -- sh -c "sleep 7; echo alive"; hostcall exec -- echo new' \
	> "$B/tests/sd.out" 2>&1 &
hp=$!
s=
for _ in $(seq 300); do s=$(pgrep -f '^sleep 7$' | head -1); [ -n "$s" ] && break; sleep 0.2; done
sd=
if [ -n "$s" ]; then
	shadow=$(ps -o ppid= -p "$(ps -o ppid= -p "$s" | tr -d ' ')" | tr -d ' ')
	sd=$(ps -o ppid= -p "$shadow" | tr -d ' ')
	case "$(ps -o args= -p "$sd")" in *"shadowd --private"*) kill -KILL "$sd" ;; *) sd= ;; esac
fi
wait $hp
[ -n "$sd" ] && pass "core: found and killed the VM's shadowd" || fail "core: found and killed the VM's shadowd"
check "core: a running session survives shadowd's death; a new shadowd serves new sessions" "alive
new" "$(cat "$B/tests/sd.out")"

# 5. a hostile guest program on a second device; the first keeps serving
hcvm exec --timeout 300 --qemu-arg=-device --qemu-arg="hostcall,shadowd=$B/bin/shadowd" -- $T/hc-hostile
rc=$?
[ $rc = 0 ] || fail "hostile: program exit status $rc"

# 6. event queues (tests/guest/hc-evq.c) need the example plugin: a boot of
# their own, its private shadowd given a policy that names the plugin (the
# first boot's has the built-in policy: no plugin, as core.sh checks)
HCVM_SHADOWD=$(plugin_shadowd "$B/tests") hcvm exec --timeout 300 -- $T/hc-evq 20000 \
	2> "$B/tests/evq.err"
rc=$?
cat "$B/tests/evq.err"
# the FAIL line carries hcvm's reason and the console's last line: CI
# output keeps that line when it cuts the log
[ $rc = 0 ] || fail "evq: hc-evq exit status $rc: $(why_hcvm "$B/tests/evq.err")"

# 7. nothing is left on the host once the VMs are gone
sleep 1
# only this build's (other checkouts may be testing beside this one)
left=$(for p in $(pgrep -f 'hostcall-shadow|shadowd --private'); do
	case $(readlink "/proc/$p/exe") in "$B"/*) ps -o pid=,args= -p "$p" ;; esac
done)
check "core: no shadow or shadowd left after the guests stopped" "" "$left"
