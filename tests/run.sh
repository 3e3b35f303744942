#!/usr/bin/env bash
# Run every test suite; print each PASS/FAIL/SKIP line and, at the end,
# "N passed, N failed" (", N skipped" when some were skipped).
# Suites print one line per check; a suite that fails without saying why
# counts as one failure.
set -u
# With SUITE names after BUILD_DIR, only those suites run.
B=${1:?usage: tests/run.sh BUILD_DIR [SUITE...]}
shift
only=" $* "
cd "$(dirname "$0")/.."
mkdir -p "$B/tests"
pass=0 fail=0 skip=0

suite() {	# NAME CMD...
	local name=$1; shift
	[ "$only" = "  " ] || [[ "$only" == *" $name "* ]] || return 0
	local log="$B/tests/$name.log"
	echo "== $name"
	local start=$SECONDS
	"$@" > "$log" 2>&1
	local rc=$?
	local p f s
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	s=$(grep -c '^SKIP: ' "$log")
	grep -E '^(PASS|FAIL|SKIP): ' "$log"
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL: $name: suite exited with status $rc (log: $log)"
		f=1
	fi
	if [ "$f" != 0 ]; then
		echo "-- last lines of $log:"
		tail -n 30 "$log" | sed 's/^/   /'
	fi
	echo "-- $name: $p passed, $f failed, $s skipped ($((SECONDS - start)) s)"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

suite unit make -s -C tests/unit BUILD="$B/tests/unit" run
suite shadowd make -s -C tests/shadowd BUILD="$B/tests/shadowd" run
suite fuzz make -s -C tests/fuzz BUILD="$B/tests/fuzz" smoke
suite qemu-device bash -c 'python3 qemu-hostcall/test/qtest-hostcall.py "$0/bin/qemu-system-x86_64" &&
	python3 qemu-hostcall/test/qtest-hostcall.py "$0/bin/qemu-system-x86_64" --private "$0/bin/shadowd"' "$B"
suite dualsh make -s -C tests/dualsh BUILD="$B/tests/dualsh" run
suite libhostcall make -s -C tests/libhostcall BUILD="$B/tests/libhostcall" SHADOWD="$B/bin" run
suite e2e-core bash tests/e2e/run-core.sh "$B"
suite e2e-dualsh bash tests/e2e/run-dualsh.sh "$B"
suite e2e-interactive bash tests/e2e/run-interactive.sh "$B"
suite e2e-faults bash tests/e2e/run-faults.sh "$B"
suite e2e-security bash tests/e2e/run-security.sh "$B"
suite e2e-signals bash tests/e2e/run-signals.sh "$B"
suite e2e-sock bash tests/e2e/run-sock.sh "$B"
suite e2e-kvm bash tests/e2e/run-kvm.sh "$B"
suite e2e-debian bash tests/e2e/run-debian.sh "$B"
suite install bash tests/e2e/run-install.sh "$B"

line="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$fail" = 0 ]
