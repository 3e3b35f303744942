#!/usr/bin/env bash
# make bench's report: from the run's log ("KEY SIDE VALUE" lines, several
# rounds) take each figure's best (the least time, the most throughput),
# print the table with the issue's goals, write bench.json and bench.png.
#   report.sh LOG OUT_DIR
set -euo pipefail
log=$1 out=$2
# The rows: label | key | side | anchor (key:side, or side of the same key)
# | goal: rX (hostcall / anchor, in the row's unit) or vX (the figure
# itself), with <= or >=; empty: reported, no goal.
rows='null round trip, 1 byte (us)|null_rtt_us|hostcall|virtio_serial|r<=0.25
  the same, ioctl path|null_rtt_us|hostcall_ioctl|virtio_serial|r<=0.25
  the same, hostcall ping (mean)|null_rtt_us|hostcall_tool|virtio_serial|r<=0.25
guest->host stream (MB/s)|g2h_MBps|hostcall|virtio_serial|r>=3
|g2h_MBps|hostcall|memcpy_MBps:guest|r>=0.5
  the same, window buffers|g2h_MBps|hostcall_zc|virtio_serial|r>=3
|g2h_MBps|hostcall_zc|memcpy_MBps:guest|r>=0.5
host->guest stream (MB/s)|h2g_MBps|hostcall|virtio_serial|r>=3
|h2g_MBps|hostcall|memcpy_MBps:guest|r>=0.5
  the same, window buffers|h2g_MBps|hostcall_zc|virtio_serial|r>=3
|h2g_MBps|hostcall_zc|memcpy_MBps:guest|r>=0.5
guest memcpy, the ceiling (MB/s)|memcpy_MBps|guest||
host file read (MB/s)|file_read_MBps|hostcall|virtio_9p|r>=2
|file_read_MBps|hostcall|virtio_fs|r>=1.5
  the same, window buffers|file_read_MBps|hostcall_zc|virtio_9p|r>=2
|file_read_MBps|hostcall_zc|virtio_fs|r>=1.5
stat of a small host file (us)|stat_us|hostcall|virtio_9p|r<=0.5
|stat_us|hostcall|virtio_fs|
!true from dualsh (ms)|true_ms|dualsh|host_spawn|
  true: spawn+wait, libhostcall|true_ms|hostcall|host_spawn|
  true: hostcall exec -- true|true_ms|hostcall_exec|host_spawn|
dualsh: guest dd into !cat (MB/s)|dualsh_g2h_MBps|stream_fd|pump|
dualsh: !cat of the file into dd (MB/s)|dualsh_h2g_MBps|stream_fd|pump|
sock: TCP guest->host stream (MB/s)|tcp_stream_MBps|sock|virtio_net|
sock: TCP connect+echo+close (us)|tcp_connect_us|sock|virtio_net|
sock: HTTP GETs/s, new connection each|http_rps|sock|virtio_net|
  the same, one kept connection|http_keepalive_rps|sock|virtio_net|
calls/s, 1 caller|calls_per_s_1|hostcall||
calls/s, 4 callers|calls_per_s_4|hostcall||
calls/s, 16 callers|calls_per_s_16|hostcall||
session creation, all held (ms each)|session_create_ms|hostcall||
QEMU RSS per session (KiB)|session_rss_kib|qemu||
shadow RSS per session (KiB)|session_rss_kib|shadow||
dualsh vs dash: arithmetic loop (ms)|shell_arith_ms|dualsh|dash|r<=2
dualsh vs dash: function calls (ms)|shell_func_ms|dualsh|dash|r<=2
kicks per 1000 calls, one caller|kicks_per_1000|hostcall||v<=10
  the same, ioctl path|kicks_per_1000|hostcall_ioctl||v<=10
  the same, hostcall ping|kicks_per_1000|hostcall_tool||v<=10
shadow wakeups per 1000 calls|wakeups_per_1000|hostcall||
  the same, ioctl path|wakeups_per_1000|hostcall_ioctl||
  the same, hostcall ping|wakeups_per_1000|hostcall_tool||
interrupts per 1000 calls|irqs_per_1000|hostcall||
  the same, ioctl path|irqs_per_1000|hostcall_ioctl||
  the same, hostcall ping|irqs_per_1000|hostcall_tool||
evq ping-pong events/s|evq_events_per_s|hostcall||
evq ping-pong: kicks per 1000 events|evq_kicks_per_1000|hostcall||v<=10
  interrupts per 1000 events|evq_irqs_per_1000|hostcall||v<=10
  shadow wakeups per 1000 events|evq_wakeups_per_1000|hostcall||'
awk -F'|' -v rows="$rows" -v json="$out/bench.json" -v dat="$out/bench.dat" '
function better(k, a, b) { return k ~ /_(us|ms|kib|per_1000)$/ ? a < b : a > b }
function fmt(v) { return v == "" ? "n/a" : (v >= 100 ? sprintf("%.0f", v) : sprintf("%.3g", v)) }
# log lines: figures, "info NAME: VALUE" from hostcall info, skips
/^[A-Za-z0-9_]+ [a-z0-9_]+ -?[0-9.]+$/ {
	split($0, f, " ")
	id = f[1] SUBSEP f[2]
	if (!(id in best) || better(f[1], f[3] + 0, best[id])) best[id] = f[3] + 0
	logid[++nlog] = id
	next
}
/^info / { sub(/^info /, ""); if (!($0 in infoseen)) { infoseen[$0] = 1; info[++ninfo] = $0 }; next }
/^skip / { if (!($0 in skipseen)) { skipseen[$0] = 1; skips = skips "\n  " substr($0, 6) } }
END {
	printf "%-40s %10s  %-14s %10s %8s %9s  %s\n", "figure (best of the rounds)", "hostcall",
	       "anchor", "", "ratio", "goal", ""
	n = split(rows, R, "\n")
	for (i = 1; i <= n; i++) {
		split(R[i], c, "|")
		if (c[1] != "") label = c[1]
		key = c[2]; side = c[3]; anc = c[4]; goal = c[5]
		if (!(key in seenkey)) { seenkey[key] = 1; keys[++nkeys] = key }
		if (!((key, side) in seenside)) { seenside[key, side] = 1; sides[key] = sides[key] " " side }
		v = (key SUBSEP side) in best ? best[key, side] : ""
		akey = key; aside = anc
		if (anc ~ /:/) { split(anc, a, ":"); akey = a[1]; aside = a[2] }
		av = anc != "" && (akey SUBSEP aside) in best ? best[akey, aside] : ""
		if (anc != "" && !((akey, aside) in seenside)) {
			seenside[akey, aside] = 1; sides[akey] = sides[akey] " " aside
		}
		ratio = v != "" && av != "" && av != 0 ? v / av : ""
		verdict = ""
		if (goal != "") {
			op = substr(goal, 2, 2); g = substr(goal, 4) + 0
			x = substr(goal, 1, 1) == "r" ? ratio : v
			verdict = x == "" ? "n/a" : ((op == "<=" ? x <= g : x >= g) ? "met" : "missed")
			gtxt = op == "<=" ? "<= " : ">= "
			gtxt = gtxt g (substr(goal, 1, 1) == "r" ? "x" : "")
		} else gtxt = ""
		# an anchor of another figure is named for that figure
		aname = akey != key ? akey : aside
		sub(/_(MBps|us|ms)$/, "", aname)
		printf "%-40s %10s  %-14s %10s %8s %9s  %s\n", c[1] == "" ? "" : label,
		       c[1] == "" ? "" : fmt(v), anc == "" ? "" : aname, anc == "" ? "" : fmt(av),
		       ratio == "" ? (anc == "" ? "" : "n/a") : sprintf("%.2fx", ratio), gtxt, verdict
		# the chart: hostcall speed over the anchor (higher is better);
		# dualsh beside itself or dash is no hostcall figure
		if (ratio != "" && ratio > 0 && key !~ /^(shell|dualsh)_/) {
			t = key ~ /_(us|ms)$/
			sp = t ? 1 / ratio : ratio
			gs = goal != "" && substr(goal, 1, 1) == "r" ? (t ? 1 / g : g) : "NaN"
			kname = key
			sub(/_(MBps|us|ms|rps)$/, "", kname)
			if (side != "hostcall") kname = kname " " (side ~ /^hostcall_/ ? substr(side, 10) : side)
			printf "\"%s vs %s\" %g %s\n", kname, aname, sp, gs > dat
		}
	}
	for (i = 1; i <= nlog; i++) {	# figures no row names, after the rows
		split(logid[i], f, SUBSEP)
		if (!(f[1] in seenkey)) { seenkey[f[1]] = 1; keys[++nkeys] = f[1] }
		if (!((f[1], f[2]) in seenside)) { seenside[f[1], f[2]] = 1; sides[f[1]] = sides[f[1]] " " f[2] }
	}
	for (i = 1; i <= ninfo; i++) {
		printf "hostcall info: %s\n", info[i]
		split(info[i], w, ":"); have[w[1]] = 1
	}
	split("calls kicks wakeups irqs", W, " ")
	for (i = 1; i <= 4; i++) if (!(W[i] in have)) printf "hostcall info: %s: n/a\n", W[i]
	if (skips != "") printf "skipped:%s\n", skips
	printf "{" > json
	for (i = 1; i <= nkeys; i++) {
		k = keys[i]
		printf "%s\n  \"%s\": {", (i > 1 ? "," : ""), k > json
		ns = split(substr(sides[k], 2), S, " ")
		for (j = 1; j <= ns; j++)
			printf "%s\"%s\": %s", (j > 1 ? ", " : ""), S[j],
			       (((k SUBSEP S[j]) in best) ? best[k, S[j]] : "null") > json
		printf "}" > json
	}
	printf "\n}\n" > json
}' "$log"
if command -v gnuplot > /dev/null && [ -s "$out/bench.dat" ]; then
	gnuplot <<-GP
	set terminal pngcairo size 1100,560 noenhanced
	set output "$out/bench.png"
	set title "hostcall vs its anchors (speed ratio; above 1: hostcall is faster)"
	set logscale y
	set style fill solid 0.6
	set boxwidth 0.6
	set xtics rotate by -35
	set rmargin 20
	set bmargin 10
	set grid ytics
	set key top right
	plot "$out/bench.dat" using 0:2:xtic(1) with boxes title "hostcall / anchor", \
	     "" using 0:3 with points pt 9 ps 2 title "goal", \
	     1 with lines dt 2 lc rgb "black" title "parity"
	GP
	echo "bench: $out/bench.json, $out/bench.png"
else
	echo "bench: $out/bench.json (no gnuplot: no chart)"
fi
rm -f "$out/bench.dat"
