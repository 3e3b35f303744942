# Socket outsourcing checks, run inside the guest by tests/e2e/run-sock.sh:
# sh /tests/sock.sh HTTP ECHO UDP DENY TLS NAME MD5 ECHO6 (the host's ports;
# TLS and NAME "-" when the host could not set them up; MD5 the served
# file's; ECHO6 on the host's ::1, 0 when it has none).
# hc-net is dynamically linked and knows nothing of hostcall: hcnet serves
# its sockets.
. /tests/lib.sh
http=$1 echo=$2 udp=$3 deny=$4 tls=$5 name=$6 md5=$7 echo6=$8
N=$T/hc-net H=host.internal
cd /tmp

# the guest has no network of its own
ifs=$(ls /sys/class/net | tr '\n' ' ')
[ "$ifs" = "lo " ] && pass "sock: the guest has no interface but lo" ||
	fail "sock: the guest has no interface but lo (got: $ifs)"
out=$($N get "http://$H:$http/blob" 2>&1 >/dev/null)
[ $? != 0 ] && pass "sock: without hcnet the guest cannot reach the host ($out)" ||
	fail "sock: without hcnet the guest cannot reach the host"

# 1. a file from the host's HTTP server, by the unmodified client
hcnet $N get "http://$H:$http/blob" > blob 2>err; rc=$?
got=$(md5sum < blob | cut -d' ' -f1)
[ $rc = 0 ] && [ "$got" = "$md5" ] && pass "sock: hcnet hc-net get fetches the host's file ($(wc -c < blob) bytes, md5 equal)" ||
	fail "sock: hcnet hc-net get fetches the host's file (exit $rc, md5 $got, want $md5: $(cat err))"

# 2. a guest server listening through the host, connected to from the host
hcnet $N serve $H 0 > serve.out 2>&1 &
sp=$!
i=0
while [ $i -lt 100 ] && ! grep -q '^port' serve.out; do sleep 0.1; i=$((i + 1)); done
port=$(sed -n 's/^port \([0-9]*\) .*/\1/p' serve.out)
reply=
[ -n "$port" ] && reply=$(hostcall exec -- python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', $port), timeout=20)
s.sendall(b'hello-from-the-host')
s.shutdown(socket.SHUT_WR)
print(s.recv(100).decode())")
wait $sp
case "$(cat serve.out)" in *"addr 169.254.77.1:$port"*"peer 169.254.77.1:"*done*) ok=1 ;; *) ok= ;; esac
[ -n "$port" ] && [ "$port" != 0 ] && [ "$reply" = hello-from-the-host ] && [ -n "$ok" ] &&
	pass "sock: a guest server listens on the host (real port $port), the host connects and gets its echo" ||
	fail "sock: a guest server listens on the host (port '$port', reply '$reply': $(cat serve.out | tr '\n' ' '))"

# 2b. a wildcard address with a port is the host's; its default sock-listen
# (the host's loopback) refuses it
out=$(hcnet $N serve 0.0.0.0 $deny 2>/dev/null)
[ "$out" = "error EACCES" ] && pass "sock: bind 0.0.0.0:PORT goes to the host, whose default sock-listen refuses it (EACCES)" ||
	fail "sock: bind 0.0.0.0:PORT goes to the host, whose default sock-listen refuses it (got: $out)"

# 3. UDP echo
out=$(hcnet $N udp $H $udp "datagram-$$" 2>&1)
[ "$out" = "reply datagram-$$ from 169.254.77.1:$udp" ] && pass "sock: UDP echo ($out)" ||
	fail "sock: UDP echo (got: $out)"

# 4. non-blocking connect plus epoll
out=$(hcnet $N nbconnect $H $echo 2>&1)
case "$out" in "einprogress "[01]" echo ok") pass "sock: non-blocking connect, epoll for EPOLLOUT and EPOLLIN, SO_ERROR 0 ($out)" ;;
	*) fail "sock: non-blocking connect plus epoll (got: $out)" ;; esac
out=$(hcnet $N nbconnect $H $echo early 2>&1)
case "$out" in "einprogress "[01]" echo ok") pass "sock: a socket in an epoll set before its connect stays in it on the host ($out)" ;;
	*) fail "sock: a socket in an epoll set before its connect stays in it on the host (got: $out)" ;; esac

# 5. 100 concurrent connections, each echoing its own data
out=$(hcnet $N many $H $echo 100 2>&1)
[ "$out" = "connections 100 bad 0" ] && pass "sock: 100 concurrent connections each get their own data back" ||
	fail "sock: 100 concurrent connections (got: $out)"

# 5a. IPv6: host.internal's IPv6 address is the host's ::1
if [ "$echo6" = 0 ]; then
	echo "SKIP: sock: IPv6 through host.internal: the host has no ::1"
else
	out=$(hcnet $N many fd68:6368:6f73:7400::1 $echo6 3 2>&1)
	[ "$out" = "connections 3 bad 0" ] && pass "sock: IPv6: [fd68:6368:6f73:7400::1] reaches the host's ::1" ||
		fail "sock: IPv6: [fd68:6368:6f73:7400::1] reaches the host's ::1 (got: $out)"
fi

# 5b. what programs expect of a socket (tests/guest/hc-netsem.c)
hcnet $T/hc-netsem $H $echo $udp > sem.out 2>&1
sed -n 's/^ok \(.*\)/PASS: sock: semantics: \1/p; s/^bad \(.*\)/FAIL: sock: semantics: \1/p' sem.out
fails=$((fails + $(grep -c '^bad ' sem.out)))
grep -q '^semantics bad 0$' sem.out && pass "sock: semantics ran to their end" ||
	fail "sock: semantics ran to their end ($(tail -2 sem.out | tr '\n' ' '))"

# 5c. threads of a process with no session yet, all at once
out=$(hcnet $N threads $H $echo 16 2>&1)
[ "$out" = "threads 16 echoes 160 of 160" ] && pass "sock: 16 threads at once, 10 connections each ($out)" ||
	fail "sock: 16 threads at once, 10 connections each (got: $out)"

# 6. a denied destination: EACCES (the host checks its audit line)
out=$(hcnet $N connect $H $deny 2>/dev/null)
[ "$out" = "error EACCES" ] && pass "sock: a destination the policy denies fails with EACCES" ||
	fail "sock: a destination the policy denies fails with EACCES (got: $out)"

# 7. force-tls: plain HTTP from the guest, the TLS server answers
if [ "$tls" = - ]; then
	echo "SKIP: sock: force-tls against openssl s_server: no test CA on the host"
else
	out=$(hcnet $N get "http://$H:$tls/" -i 2>&1)
	case "$out" in "HTTP/1.0 200 ok"*"TLSv1"*) pass "sock: force-tls: plain HTTP in, openssl s_server -www answers over TLS" ;;
		*) fail "sock: force-tls against openssl s_server (got: $(echo "$out" | head -3 | tr '\n' ' '))" ;; esac
fi

# 8. a name only the host's /etc/hosts knows (127.0.0.1 there: host.internal here)
if [ "$name" = - ]; then
	echo "SKIP: sock: a name only the host's /etc/hosts knows: the host could not add one"
else
	out=$(hcnet $N resolve "$name" 2>&1)
	[ "$out" = 169.254.77.1 ] && pass "sock: $name (only in the host's /etc/hosts) resolves in the guest" ||
		fail "sock: $name (only in the host's /etc/hosts) resolves in the guest (got: $out)"
	out=$(hcnet $N hostbyname "$name" 2>&1)
	[ "$out" = 169.254.77.1 ] && pass "sock: gethostbyname finds it too" ||
		fail "sock: gethostbyname finds it too (got: $out)"
	got=$(hcnet $N get "http://$name:$http/blob" 2>&1 | md5sum | cut -d' ' -f1)
	[ "$got" = "$md5" ] && pass "sock: the file fetched by that name" ||
		fail "sock: the file fetched by that name (md5 $got)"
	out=$($N resolve "$name" 2>&1)
	[ "$out" != 169.254.77.1 ] && pass "sock: without hcnet the guest does not know $name" ||
		fail "sock: without hcnet the guest does not know $name"
fi

# 9. guest loopback stays in the guest: with no device at all it works, the
# shim never tries to open one, every fd is a guest socket
out=$(HOSTCALL_DEVICE=/nonexistent hcnet -d $N loop 2>loop.err)
rc=$?
port=$(echo "$out" | sed -n 's/^port \([0-9]*\) .*/\1/p')
echo "# loop-port $port"
case "$out" in *"echo ok listener guest accepted guest client guest") ok=1 ;; *) ok= ;; esac
[ $rc = 0 ] && [ -n "$ok" ] && grep -q "connect 127.0.0.1:$port: guest" loop.err &&
	! grep -q 'stay in the guest' loop.err &&
	pass "sock: guest loopback under hcnet: guest sockets, no session opened ($out)" ||
	fail "sock: guest loopback under hcnet (exit $rc: $out; $(cat loop.err | tr '\n' ' '))"

# 10. no device: hcnet says so once, the guest's stack answers
out=$(HOSTCALL_DEVICE=/nonexistent hcnet $N connect 169.254.77.1 $echo 2>&1)
n=$(echo "$out" | grep -c 'stay in the guest')
case "$out" in *"error ENETUNREACH"*) [ "$n" = 1 ] ;; *) false ;; esac &&
	pass "sock: without a device hcnet says so once and the guest's stack answers (ENETUNREACH)" ||
	fail "sock: without a device (got: $(echo "$out" | tr '\n' ' '))"

# 11. a static program: hcnet says LD_PRELOAD cannot reach it
out=$(hcnet /bin/busybox true 2>&1)
case "$out" in *"statically linked"*) pass "sock: hcnet says a static program is not covered" ;;
	*) fail "sock: hcnet says a static program is not covered (got: $out)" ;; esac

[ $fails = 0 ]
