#!/usr/bin/env python3
"""What a session window costs QEMU: opens N sessions through the control
ring (qtest, a fake shadowd whose shadows map and touch their window as a
serving shadow does) and prints the time per open and QEMU's RSS.

  window-cost.py QEMU_BINARY [N] [--accel tcg|qtest]

Under --accel tcg the vCPU runs (firmware, then idle), so each open's
memory transaction also flushes a live vCPU's TLB. QEMU's own share of an
open, from the memfd to the mapped slot and wired doorbell, comes from its
trace events hostcall_window_create and hostcall_window_map.
"""
import os, struct, sys, time, importlib.util

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('qth', os.path.join(here, 'qtest-hostcall.py'))
src = open(spec.origin).read().replace('\nmain()\n', '\n')
qth = type(sys)('qth')
qth.__file__ = spec.origin
exec(compile(src, spec.origin, 'exec'), qth.__dict__)


def rss_kb(pid):
    for line in open('/proc/%d/status' % pid):
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
    return 0


def main():
    qemu = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 256
    accel = sys.argv[sys.argv.index('--accel') + 1] if '--accel' in sys.argv else 'qtest'
    tmp = qth.tempfile.mkdtemp()
    sock = os.path.join(tmp, 'sd.sock')
    tlog = os.path.join(tmp, 'trace.log')
    trace = ['-trace', 'hostcall_window_create', '-trace', 'hostcall_window_map',
             '-msg', 'timestamp=on', '-D', tlog]
    qth.FakeShadowd(sock)
    qt = qth.QTest(qemu, trace + ['-device', 'hostcall,addr=4,socket=%s' % sock])
    if accel != 'qtest':
        qt.quit()
        qt.p = qth.subprocess.Popen(
            [qemu, '-machine', 'q35,accel=' + accel, '-display', 'none', '-nodefaults', '-m', '128',
             '-L', '/usr/share/qemu', '-L', '/usr/share/seabios', '-qtest', 'stdio',
             '-device', 'hostcall,addr=4,socket=%s' % sock] + trace,
            stdin=qth.subprocess.PIPE, stdout=qth.subprocess.PIPE, stderr=qt.errf, text=True, bufsize=1)
        time.sleep(1)           # firmware runs and assigns BARs; ours override them
    d = qth.Dev(qt, 4, qth.BAR0[0], qth.BAR2[0])
    time.sleep(0.3)
    d.enable(qth.RING, 64)
    ident = struct.pack('<IIII16s', 1000, 1000, 77, 0, b'cost')
    rss0 = rss_kb(qt.p.pid)
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        sid, c = d.open(i + 1, 0x300000, 0x200000, ident, nap=0)
        times.append(time.perf_counter() - t0)
        if sid <= 0:
            print('open %d failed: %s' % (i, c))
            break
        # a guest touches its qp control pages and a data page
        for qp in (0, 1):
            qt.writel(d.qp(sid, qp) + qth.CTL['cq_flags'], 0)
        qt.writel(d.qp(sid, 0) + qth.DATA_OFF, 1)
    time.sleep(0.3)
    rss1 = rss_kb(qt.p.pid)
    times.sort()
    print('sessions: %d (accel %s)' % (len(times), accel))
    print('open: median %.2f ms, min %.2f ms, max %.2f ms (qtest and fake-shadowd round trips included)'
          % (times[len(times) // 2] * 1e3, times[0] * 1e3, times[-1] * 1e3))
    starts, spans = {}, []
    for line in open(tlog):
        m = qth.re.match(r'\d+@(\d+\.\d+):hostcall_window_(create|map) session (\d+)', line)
        if m and m.group(2) == 'create':
            starts[m.group(3)] = float(m.group(1))
        elif m and m.group(3) in starts:
            spans.append(float(m.group(1)) - starts.pop(m.group(3)))
    spans.sort()
    if spans:
        print('window creation in QEMU (memfd, seals, region, one memory transaction): '
              'median %.0f us, min %.0f us, max %.0f us'
              % (spans[len(spans) // 2] * 1e6, spans[0] * 1e6, spans[-1] * 1e6))
    print('QEMU RSS: %d KiB before, %d KiB with %d windows: %.1f KiB per window'
          % (rss0, rss1, len(times), (rss1 - rss0) / max(1, len(times))))
    qt.quit()


main()
