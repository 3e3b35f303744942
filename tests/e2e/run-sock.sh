#!/usr/bin/env bash
# Socket outsourcing end to end (issue 11 section 3, Documentation/hcnet.md):
# a guest with no NIC runs the dynamically linked tests/guest/hc-net under
# hcnet against servers on the host's loopback (sock-servers.py, openssl
# s_server), in one boot (guest/sock.sh); its private shadowd has a policy
# of its own (a denied port, force-tls with a CA made here, an audit file),
# whose audit trail is checked here afterwards.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

for t in python3 openssl; do
	command -v $t >/dev/null || { echo "SKIP: e2e-sock: $t missing on the host"; exit 0; }
done
D=$(mktemp -d /tmp/hcsock.XXXXXX) && chmod 755 "$D" || exit 1
SRV= TLSD= HOSTS_SAVED=
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	[ -n "$TLSD" ] && kill "$TLSD" 2>/dev/null && wait "$TLSD" 2>/dev/null
	# in place: /etc/hosts may be a bind mount
	[ -n "$HOSTS_SAVED" ] && cat "$D/hosts.orig" > /etc/hosts
	rm -rf "$D"
}
trap cleanup EXIT

# 1. the host's servers: a 300 KiB file (more than one call's HC_MAX_DATA)
mkdir "$D/www"
head -c 307200 /dev/urandom > "$D/www/blob"
md5=$(md5sum < "$D/www/blob" | cut -d' ' -f1)
python3 "$here/sock-servers.py" "$D/www" > "$D/ports" 2>"$D/servers.err" &
SRV=$!
for _ in $(seq 100); do [ -s "$D/ports" ] && break; sleep 0.1; done
read -r _ http _ echo _ deny _ udp _ echo6 < "$D/ports" 2>/dev/null
[ -n "$echo6" ] || { fail "e2e-sock: the host's servers started ($(cat "$D/servers.err"))"; exit 1; }

# 2. force-tls: a test CA, a certificate for host.internal (the name the
# guest resolves, so the SNI and the name verified), openssl s_server -www
if (cd "$D" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=hcnet-e2e-ca &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout srv.key -out srv.csr -subj /CN=host.internal &&
	printf 'subjectAltName=DNS:host.internal\n' > ext &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-out srv.pem -days 2 -extfile ext) >"$D/openssl.log" 2>&1; then
	tls=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	openssl s_server -accept "127.0.0.1:$tls" -cert "$D/srv.pem" -key "$D/srv.key" \
		-www > "$D/s_server.log" 2>&1 < /dev/null &
	TLSD=$!
	for _ in $(seq 100); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $tls)).close()" 2>/dev/null && break
		sleep 0.1
	done
else
	tls=-
	echo "SKIP: e2e-sock: force-tls against openssl s_server: openssl could not make a test CA ($(tail -1 "$D/openssl.log"))"
fi

# 3. a name only the host's /etc/hosts knows (for the suite's duration)
name=-
if [ "$(id -u)" = 0 ] && [ -w /etc/hosts ]; then
	name=hcnet-e2e-$$.test
	cp /etc/hosts "$D/hosts.orig" && HOSTS_SAVED=1 &&
		printf '127.0.0.1\t%s\n' "$name" >> /etc/hosts || name=-
fi
[ "$name" = - ] && echo "SKIP: e2e-sock: a name only the host's /etc/hosts knows: needs root to add one to /etc/hosts"

# 4. the policy: every destination but the denied port, force-tls for the
# s_server, the audit trail in a file
map='map * = owner'
[ "$(id -u)" = 0 ] && map=$'owners = root\nmap * = root'
{
	printf '[global]\naudit = file %s\n[vm *]\n%s\n' "$D/audit.log" "$map"
	printf 'modules = sys proc fs sock\n'
	printf 'sock-connect = deny *:%s\nsock-connect = allow *\n' "$deny"
	[ "$tls" != - ] && printf 'force-tls = host.internal:%s\ntls-ca = %s\n' "$tls" "$D/ca.pem"
} > "$D/policy.conf"
out=$("$B/bin/shadowd" --check-config --config "$D/policy.conf" 2>&1)
case "$out" in *": OK"*) pass "e2e-sock: the suite's policy passes --check-config" ;;
	*) fail "e2e-sock: the suite's policy passes --check-config ($out)" ;; esac
printf '#!/bin/sh\nexec %s "$@" --config %s\n' "$B/bin/shadowd" "$D/policy.conf" > "$D/shadowd"
chmod 0755 "$D/shadowd"

# 5. the guest-side group, one boot
HCVM_SHADOWD=$D/shadowd hcvm exec --timeout 600 -- \
	sh /tests/sock.sh "$http" "$echo" "$udp" "$deny" "$tls" "$name" "$md5" "$echo6" > "$D/guest.out" 2>&1
rc=$?
cat "$D/guest.out"
[ $rc = 0 ] || fail "e2e-sock: guest group ran to its end (hcvm exit $rc)"

# 5b. the Debian guest's curl, wget and python3 under hcnet (a second boot,
# when that image exists and carries hcnet: make debian-image, root)
if [ ! -f "$B/debian-image/disk.img" ]; then
	echo "SKIP: e2e-sock: curl, wget, python3 in the Debian guest: no Debian image (make debian-image, root)"
else
	url=http://host.internal:$http/blob
	HCVM_SHADOWD=$D/shadowd hcvm exec --image debian --timeout 400 -- bash -c '
		command -v hcnet >/dev/null || { echo "no-hcnet"; exit 0; }
		echo "curl:$(hcnet curl -sS "$1" | md5sum | cut -d" " -f1)"
		echo "wget:$(hcnet wget -qO- "$1" | md5sum | cut -d" " -f1)"
		echo "python3:$(hcnet python3 -c "import sys, urllib.request
sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())" "$1" | md5sum | cut -d" " -f1)"
		echo "plain:$(curl -sS --max-time 5 "$1" 2>&1 | head -c 60)"' sh "$url" > "$D/debian.out" 2>&1
	rc=$?
	sed 's/^/# debian: /' "$D/debian.out"
	if grep -q '^no-hcnet' "$D/debian.out"; then
		echo "SKIP: e2e-sock: curl, wget, python3 in the Debian guest: its image predates hcnet (make debian-image)"
	else
		for c in curl wget python3; do
			check "e2e-sock: hcnet $c in the Debian guest fetches the host's file (md5)" "$md5" \
				"$(sed -n "s/^$c://p" "$D/debian.out")"
		done
		case "$(sed -n 's/^plain://p' "$D/debian.out")" in *"$md5"*|"") fail "e2e-sock: without hcnet the Debian guest's curl fails" ;;
			*) pass "e2e-sock: without hcnet the Debian guest's curl fails" ;; esac
	fi
fi

# 6. the audit trail
log=$D/audit.log
sed 's/^/# audit: /' "$log" | grep -E 'sock-(denied|bind|tls)|tls=1' | head -5
grep -q "event=sock-denied .*dest=127.0.0.1:$deny " "$log" &&
	pass "e2e-sock: audit: the denied destination (event=sock-denied dest=127.0.0.1:$deny)" ||
	fail "e2e-sock: audit: the denied destination (no event=sock-denied for port $deny)"
grep -q "event=sock-bind-denied .*addr=0.0.0.0:$deny" "$log" &&
	pass "e2e-sock: audit: the refused wildcard bind (event=sock-bind-denied addr=0.0.0.0:$deny)" ||
	fail "e2e-sock: audit: the refused wildcard bind (no event=sock-bind-denied for 0.0.0.0:$deny)"
n=$(grep -c "event=sock-close .*proto=tcp dest=127.0.0.1:$echo " "$log")
[ "$n" -ge 101 ] && pass "e2e-sock: audit: every connection to the echo server closed with its bytes ($n)" ||
	fail "e2e-sock: audit: every connection to the echo server closed with its bytes (want >= 101 sock-close, got $n)"
grep -q "event=sock-close .*proto=tcp dest=127.0.0.1:$http .*sent=[1-9].*received=[1-9][0-9]\{5\}" "$log" &&
	pass "e2e-sock: audit: the HTTP fetch, its bytes each way" ||
	fail "e2e-sock: audit: the HTTP fetch, its bytes each way ($(grep ":$http " "$log" | head -1))"
if [ "$tls" != - ]; then
	grep -q "event=sock-close .*proto=tcp dest=127.0.0.1:$tls .*tls=1" "$log" &&
		pass "e2e-sock: audit: the force-tls connection (tls=1)" ||
		fail "e2e-sock: audit: the force-tls connection (tls=1) ($(grep ":$tls " "$log" | head -1))"
fi
loop=$(sed -n 's/^# loop-port //p' "$D/guest.out")
if [ -n "$loop" ]; then
	grep -Eq "(dest|peer|addr)=[^ ]*:$loop( |\$)" "$log" &&
		fail "e2e-sock: guest loopback (port $loop) never reached the shadow: $(grep -E ":$loop( |\$)" "$log" | head -1)" ||
		pass "e2e-sock: guest loopback (port $loop) never reached the shadow: no audit line names it"
else
	fail "e2e-sock: guest loopback never reached the shadow: the guest printed no loop port"
fi
