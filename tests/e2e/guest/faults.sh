# Fault and load checks, run inside the guest as root by
# tests/e2e/run-faults.sh. Lines "MARK name" tell the host side when to
# sample or kill; the host answers by what it does, so each step below
# either waits for the host or gives it a few seconds.
. /tests/lib.sh
cd /tmp
dd if=/dev/urandom of=/tmp/data bs=1M count=16 2>/dev/null
sum=$(sha256sum < /tmp/data)
sum2=$(cat /tmp/data /tmp/data | sha256sum)

# 1. session churn: the host samples QEMU and shadowd after 100 and 1000
$T/hc-lib-churn 100 || fail "faults: 100 sessions"
sleep 2	# closed sessions end asynchronously on the host
echo "MARK churn100"
sleep 3
out=$($T/hc-lib-churn 900) && pass "faults: 1000 sessions opened and closed ($out)" ||
	fail "faults: 1000 sessions ($out)"
sleep 2
echo "MARK churn1000"
sleep 3

# 2. 64 concurrent 16 MiB guest -> host -> guest pipelines, each checksummed
i=0
while [ $i -lt 64 ]; do
	hostcall exec -- cat < /tmp/data | sha256sum > /tmp/sum.$i &
	i=$((i + 1))
done
wait
bad=0 i=0
while [ $i -lt 64 ]; do [ "$(cat /tmp/sum.$i)" = "$sum" ] || bad=$((bad + 1)); i=$((i + 1)); done
[ $bad = 0 ] && pass "faults: 64 concurrent 16 MiB pipelines, every checksum equal" ||
	fail "faults: 64 concurrent pipelines: $bad checksums differ"

# 3. kill -9 of the guest caller mid-stream: its host command goes
cat /dev/zero | hostcall exec -- sh -c 'cat >/dev/null; : fault-caller' &
caller=$!
sleep 2
kill -9 $caller
wait $caller 2>/dev/null
host_gone 'fault-calle[r]' && pass "faults: a killed guest caller leaves no host process" ||
	fail "faults: the host command of a killed guest caller still runs"
out=$(hostcall exec -- echo again)
[ "$out" = again ] && pass "faults: new sessions work after a guest caller was killed" ||
	fail "faults: new session after a killed caller ($out)"

# 4. kill -9 of the shadow mid-stream (the host kills it): an error, no hang
echo "MARK shadow"
cat /dev/zero | hostcall exec -- sh -c 'cat >/dev/null; : fault-shadow' 2>/tmp/err
rc=$?
echo "MARK shadow-done"
# ECONNRESET is the ABI's "the session's shadow is gone" (guest-abi.md)
[ $rc != 0 ] && grep -qE 'Connection reset by peer|Input/output error|Broken pipe' /tmp/err &&
	pass "faults: a killed shadow fails the stream with ECONNRESET, EIO or EPIPE (exit $rc: $(head -1 /tmp/err))" ||
	fail "faults: a killed shadow: exit $rc, stderr '$(head -1 /tmp/err)'"
out=$(hostcall exec -- echo again)
[ "$out" = again ] && pass "faults: new sessions work after a shadow was killed" ||
	fail "faults: new session after a killed shadow ($out)"

# 5. kill -9 of shadowd mid-stream: the running session keeps its bytes
echo "MARK shadowd"
out=$( (cat /tmp/data; sleep 4; cat /tmp/data) | hostcall exec -- sh -c 'cat; : fault-shadowd' | sha256sum)
[ "$out" = "$sum2" ] && pass "faults: a stream running while shadowd is killed loses no byte" ||
	fail "faults: stream across shadowd's death: checksum differs"
out=$(hostcall exec -- echo again)
[ "$out" = again ] && pass "faults: new sessions work after shadowd was killed" ||
	fail "faults: new session after shadowd was killed ($out)"

# 6. kill -9 of QEMU mid-stream: this boot ends here; the host checks
echo "MARK qemu"
cat /dev/zero | hostcall exec -- sh -c 'cat >/dev/null; : fault-qemu'
fail "faults: the guest outlived its QEMU"
exit 1
