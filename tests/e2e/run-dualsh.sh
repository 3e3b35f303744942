#!/usr/bin/env bash
# dualsh end to end: one boot runs the guest-side group (guest/dualsh.sh),
# then the issue's own example through hcvm exec.
. "$(dirname "$0")/lib.sh"
hcvm exec --timeout 420 -- sh /tests/dualsh.sh
rc=$?
[ $rc = 0 ] || fail "dualsh: guest group ran to its end (hcvm exit $rc)"
out=$(hcvm exec --timeout 300 -- dualsh -c 'seq 1 3 | !tac | tr -d 3')
check "dualsh: hcvm exec -- dualsh -c 'seq 1 3 | !tac | tr -d 3' prints 2 and 1" "
2
1" "$out"
