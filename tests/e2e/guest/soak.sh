# `make soak` guest side (tests/soak.sh): for SECONDS, rounds of 5 s of
# session churn and four concurrent checksummed 16 MiB streams through the
# host. "MARK start", "MARK tick T" (after each round) and "MARK end" tell
# the host when to sample.
. /tests/lib.sh
secs=${1:?usage: soak.sh SECONDS}
cd /tmp
dd if=/dev/urandom of=/tmp/data bs=1M count=16 2>/dev/null
sum=$(sha256sum < /tmp/data)
sessions=0 streams=0 bad=0
round() {
	n=$($T/hc-lib-churn 0 5) || { fail "soak: churn: $n"; return 1; }
	n=${n#churn: }
	sessions=$((sessions + ${n%% *}))
	for i in 1 2 3 4; do hostcall exec -- cat < /tmp/data | sha256sum > /tmp/sum.$i & done
	wait
	for i in 1 2 3 4; do
		[ "$(cat /tmp/sum.$i)" = "$sum" ] || bad=$((bad + 1))
		streams=$((streams + 1))
	done
}
# One round first: allocators reach their working size before the start
# sample, so what grows after it is a leak, not a high-water mark.
round
sleep 2
echo "MARK start"
sleep 3
t0=$(date +%s) sessions=0 streams=0
while [ $(($(date +%s) - t0)) -lt "$secs" ]; do
	round || break
	echo "MARK tick $(($(date +%s) - t0))"
done
t=$(($(date +%s) - t0))
# each stream crosses twice: guest -> host and back
echo "SOAK seconds=$t sessions=$sessions streams=$streams bytes=$((streams * 2 * 16 * 1048576)) bad=$bad"
[ $bad = 0 ] && pass "soak: $streams checksummed streams, none differs" ||
	fail "soak: $bad of $streams streams differ"
sleep 2
echo "MARK end"
sleep 3
exit $fails
