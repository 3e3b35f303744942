# Host-side helpers for suites that watch one VM's host processes while its
# guest runs: find its QEMU, shadowd and shadows, sample their fds and RSS.
# Source after lib.sh. The VM is started with `-name $VM_TAG` (vm_args).
VM_TAG=hctest-$$-$RANDOM
vm_args() { echo "--qemu-arg=-name --qemu-arg=$VM_TAG"; }
vm_qemu() { pgrep -f "^[^ ]*qemu-system-x86_64 .*-name $VM_TAG( |\$)" | head -1; }
vm_shadowd() { local q; q=$(vm_qemu); [ -n "$q" ] && pgrep -P "$q" -f 'shadowd --private' | head -1; }
vm_shadows() { local d; d=$(vm_shadowd); [ -n "$d" ] && pgrep -P "$d"; }
# proc_fds PID / proc_rss PID (KiB). The RSS leaves out mappings of 512 MiB
# or more: QEMU's guest RAM grows as the guest touches it, which is no leak.
proc_fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
proc_rss() {
	awk '/^Size:/ { big = $2 >= 524288 } /^Rss:/ && !big { kb += $2 } END { print kb + 0 }' \
		"/proc/$1/smaps" 2>/dev/null
}
# vm_sample: "qemu_fds qemu_rss_kib shadowd_fds shadowd_rss_kib"
vm_sample() {
	local q d
	q=$(vm_qemu) d=$(vm_shadowd)
	echo "$(proc_fds "$q") $(proc_rss "$q") $(proc_fds "$d") $(proc_rss "$d")"
}
# wait_proc PATTERN [SECONDS]: a host process matching PATTERN exists
wait_proc() {
	local i
	for i in $(seq $((${2:-60} * 10))); do pgrep -f "$1" >/dev/null && return 0; sleep 0.1; done
	return 1
}
# gone_within SECONDS PATTERN: no host process matches PATTERN within SECONDS
gone_within() {
	local i
	for i in $(seq $(($1 * 10))); do pgrep -f "$2" >/dev/null || return 0; sleep 0.1; done
	return 1
}
# vm_watch LOG HANDLER HCVM_EXEC_ARGS...: run `hcvm exec` on this VM
# (vm_args added); each line it prints goes to LOG and, as it comes, to the
# shell function HANDLER (run in this shell, so it may set variables).
# Returns hcvm's exit status.
vm_watch() {
	local log=$1 handler=$2 fifo hp line
	shift 2
	: > "$log"
	fifo=$(mktemp -u /tmp/hcvm-watch.XXXXXX)
	mkfifo "$fifo" || return 125
	# shellcheck disable=SC2046
	hcvm exec $(vm_args) "$@" > "$fifo" 2>&1 &
	hp=$!
	while IFS= read -r line; do
		echo "$line" >> "$log"
		"$handler" "$line"
	done < "$fifo"
	rm -f "$fifo"
	wait $hp
}
