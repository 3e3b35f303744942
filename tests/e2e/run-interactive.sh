#!/usr/bin/env bash
# The interactive console (what `make run` gives), driven through tmux:
# dualsh prompt, window size carried to a host pty, Ctrl-C on a host
# command, an interactive host shell, Ctrl-D powering the guest off.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || { echo "SKIP: interactive: tmux is not installed"; exit 0; }
S=hcvm-test-$$
tmux -L "$S" new-session -d -s t -x 100 -y 30 "$HCVM run; echo HCVM-EXIT=\$?; sleep 30"
trap 'tmux -L "$S" kill-server 2>/dev/null' EXIT
screen() { tmux -L "$S" capture-pane -p -t t -S -200; }
send() { tmux -L "$S" send-keys -t t "$@"; }
# wait_for PATTERN [SECONDS]: the screen shows PATTERN (grep -E)
wait_for() {
	for _ in $(seq $((${2:-30} * 5))); do screen | grep -Eq "$1" && return 0; sleep 0.2; done
	return 1
}
if wait_for '!.*:/.*# ?$' 120; then pass "interactive: hcvm run gives a dualsh prompt with guest and host cwd"
else fail "interactive: no dualsh prompt"; screen | tail -20; exit 1; fi

# The serial console takes the tmux pane's size, and follows its resizes.
size() { tmux -L "$S" display -p -t t '#{pane_height} #{pane_width}'; }
sz=$(size)
send 'clear; stty size; !stty size; echo sizes-done' Enter
wait_for '^sizes-done' 30
[ "$(screen | grep -cx "$sz")" = 2 ] &&
	pass "interactive: stty size and !stty size show the terminal's size ($sz)" ||
	fail "interactive: initial size (want '$sz' twice; screen: $(screen | tail -4 | tr '\n' '|'))"
send 'clear; !sh' Enter
sleep 2
tmux -L "$S" resize-window -t t -x 90 -y 24
sleep 2
sz=$(size)
send 'stty size; echo host-$((6*7)); exit' Enter
wait_for '^host-42' 30
screen | grep -B1 '^host-42' | head -1 | grep -qx "$sz" &&
	pass "interactive: a resize reaches a running host shell's pty ($sz)" ||
	fail "interactive: host pty after a resize (want '$sz'; screen: $(screen | grep -v '^$' | tail -4 | tr '\n' '|'))"
send 'stty size; echo resize-done' Enter
wait_for '^resize-done' 30
screen | grep -B1 '^resize-done' | head -1 | grep -qx "$sz" &&
	pass "interactive: a resize reaches the guest console ($sz)" ||
	fail "interactive: guest console after a resize (want '$sz'; screen: $(screen | grep -v '^$' | tail -4 | tr '\n' '|'))"

send 'stty rows 40 cols 120; !stty size; !tty' Enter
wait_for '^/dev/pts/' 30
screen | grep -qx '40 120' && pass "interactive: the window size reaches the host pty" ||
	fail "interactive: window size (screen: $(screen | tail -4 | tr '\n' '|'))"
screen | grep -q '^/dev/pts/[0-9]' && pass "interactive: a lone host command gets a host pty" ||
	fail "interactive: host pty"

send '!sleep 4321' Enter
sleep 3
send C-c
sleep 1
send 'echo after-ctrl-c; !pgrep -f "sleep 4321"; echo pgrep=$?' Enter
wait_for '^pgrep=' 30
screen | grep -q '^pgrep=1' && pass "interactive: Ctrl-C stops the host command" ||
	fail "interactive: Ctrl-C (screen: $(screen | tail -4 | tr '\n' '|'))"
screen | grep -Eq '^[~/][^ ]* !.*# echo after-ctrl-c' &&
	pass "interactive: after Ctrl-C the prompt starts on a new line" ||
	fail "interactive: prompt after Ctrl-C (screen: $(screen | grep -B1 'echo after-ctrl-c' | tr '\n' '|'))"

# Ctrl-Z on a host command: stopped on the host, prompt back, jobs, fg, bg, kill %1
hstate='!sh -c "ps -o stat= -p \$(pgrep -f \"^sleep 4323\") || echo none"'
send '!sleep 4323' Enter
sleep 3
send C-z
if wait_for 'Stopped.*sleep 4323' 20; then pass "interactive: Ctrl-Z stops a host command and gives the prompt back"
else fail "interactive: Ctrl-Z on a host command (screen: $(screen | tail -4 | tr '\n' '|'))"; fi
send "jobs; echo state=\$($hstate)" Enter
wait_for '^state=' 30
screen | grep -Eq '^\[1\]\+ +Stopped' && screen | grep -q '^state=T' &&
	pass "interactive: jobs lists the host job as Stopped, and it is stopped on the host" ||
	fail "interactive: stopped host job (screen: $(screen | tail -5 | tr '\n' '|'))"
send 'fg' Enter
sleep 2
send C-z
sleep 1
send 'bg; sleep 1; echo bgstate=$('"$hstate"')' Enter
wait_for '^bgstate=' 30
screen | grep -q '^bgstate=S' && pass "interactive: fg and bg continue the host job" ||
	fail "interactive: fg/bg (screen: $(screen | tail -5 | tr '\n' '|'))"
send 'kill %1; wait; echo killed=$?; !pgrep -f "^sleep 4323"; echo left=$?' Enter
wait_for '^left=' 30
screen | grep -q '^killed=143' && screen | grep -q '^left=1' &&
	pass "interactive: kill %1 ends the host job" ||
	fail "interactive: kill %1 (screen: $(screen | tail -5 | tr '\n' '|'))"

send '!sh' Enter
sleep 2
send 'echo in-host-shell-$((6*7)); exit' Enter
wait_for '^in-host-shell-42' 30 && pass "interactive: !sh gives an interactive host shell" ||
	fail "interactive: host shell (screen: $(screen | tail -4 | tr '\n' '|'))"

# tab completion: a host command after !, a guest path
send '!hostnam' Tab
sleep 2
send Enter
wait_for "^$(hostname)\$" 30 && pass "interactive: Tab completes a host command after !" ||
	fail "interactive: host command completion (screen: $(screen | tail -3 | tr '\n' '|'))"
send 'cat /etc/hostna' Tab
sleep 1
send Enter
wait_for '^hcvm$' 30 && pass "interactive: Tab completes a guest path" ||
	fail "interactive: guest path completion (screen: $(screen | tail -3 | tr '\n' '|'))"

send 'echo history-check' Enter
sleep 1
send C-d
wait_for 'HCVM-EXIT=' 60
screen | grep -q 'HCVM-EXIT=0' && pass "interactive: Ctrl-D leaves dualsh and powers the guest off" ||
	fail "interactive: Ctrl-D (screen: $(screen | tail -4 | tr '\n' '|'))"
