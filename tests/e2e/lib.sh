# Helpers for host-side end-to-end scripts: PASS/FAIL lines, hcvm.
B=${1:?usage: $0 BUILD_DIR}
HCVM="$B/bin/hcvm"
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
# check NAME WANT GOT
check() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: want '$2', got '$3'"; fi; }
hcvm() { "$HCVM" "$@"; }
