#!/usr/bin/env python3
"""Device-level test of -device hostcall without a guest: drives the device
through QEMU's qtest protocol (PCI config, MMIO, guest memory) against a
fake shadowd written here (socket mode), or a real shadowd (--private PROG).

  qtest-hostcall.py QEMU_BINARY [--private SHADOWD]
"""
import os, re, select, socket, struct, subprocess, sys, threading, time, array, tempfile, errno

HCP_MAGIC = 0x48435031
HDR = struct.Struct('<IHHIIQ')          # magic type flags len session tag
HELLO, HELLO_OK, OPEN, OPENED, WINDOW = 1, 2, 3, 4, 8
RING, CPL_BASE = 0x100000, None
REG = dict(MAGIC=0, VERSION=4, FEATURES=8, ACCEL=0xc, TOKEN=0x10, STATUS=0x14,
           ERROR=0x18, MAX_DATA=0x1c, RING_LO=0x20, RING_HI=0x24,
           RING_ENTRIES=0x28, CTRL=0x2c, DOORBELL=0x30, ISR=0x34, MAX_SEGS=0x38,
           WIN_SLOTS=0x3c, WIN_SIZE=0x40)
BAR0 = [0xc0000000, 0xc0010000]
BAR2 = [0x100000000, 0x200000000]     # 64-bit, in q35's hole above 4 GiB
fails = 0
prefix = 'qemu-device: '


def check(cond, what):
    global fails
    print(('PASS: ' if cond else 'FAIL: ') + prefix + what)
    if not cond:
        fails += 1


# ---------------------------------------------------------------- the window
WIN_SIZE, QP_SIZE, QP_ENTRIES = 1 << 20, 1 << 19, 64
SQ_OFF, CQ_OFF, DATA_OFF = 0x1000, 0x2000, 0x3000
CTL = dict(sq_prod=0, guest_kicks=4, sq_cons=64, sq_flags=68, cq_prod=128, host_wakeups=132,
           host_irqs=136, cq_cons=192, cq_flags=196, state=256, error=260)
SQE = struct.Struct('<QHHI4qIIII')      # tag module op flags args in_off in_len out_off out_len
CQE = struct.Struct('<QqIIQ')           # tag result out_len flags reserved
QP_DEAD, CQ_WAITING = 1, 1


class FakeShadow:
    """One session's shadow: takes HCP_WINDOW, maps the memfd and serves
    BIND (sys is handle 1) and SYS PING in both queue pairs, only when
    kicked (it never polls), so a served call proves the kick arrived. SYS
    GETCWD makes it hang up."""
    def __init__(self, sock):
        self.sock, self.win, self.fds, self.seals, self.size = sock, None, [], None, None
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        import mmap, fcntl
        try:
            msg, fds, _, _ = socket.recv_fds(self.sock, 512, 8)
        except OSError:
            return
        magic, typ, fl, ln, sess, tag = HDR.unpack_from(msg)
        self.window_msg = (typ, ln, sess) + struct.unpack_from('<II', msg, 24)
        self.fds = fds
        if typ != WINDOW or len(fds) != 3:
            return
        mem, kick, self.irq = fds
        self.size = os.fstat(mem).st_size
        self.seals = fcntl.fcntl(mem, fcntl.F_GET_SEALS)
        try:
            os.ftruncate(mem, 4096)
            self.shrunk = True
        except OSError:
            self.shrunk = False
        self.win = mmap.mmap(mem, WIN_SIZE)
        pl = select.poll()
        pl.register(kick, select.POLLIN)
        while True:                     # QEMU's eventfds are non-blocking
            pl.poll()
            try:
                os.read(kick, 8)
            except BlockingIOError:
                continue
            for qp in (0, 1):
                if self.serve(qp * QP_SIZE):
                    return

    def u32(self, base, f, v=None):
        if v is None:
            return struct.unpack_from('<I', self.win, base + CTL[f])[0]
        struct.pack_into('<I', self.win, base + CTL[f], v & 0xffffffff)

    def serve(self, base):
        prod, cons = self.u32(base, 'sq_prod'), self.u32(base, 'sq_cons')
        while cons != prod:
            e = SQE.unpack_from(self.win, base + SQ_OFF + (cons % QP_ENTRIES) * SQE.size)
            tag, mod, op, flags, _, _, _, _, ioff, ilen, ooff, olen = e
            n = 0
            if (mod, op) == (1, 5):
                self.sock.close()
                return True
            ok = all(l == 0 or (o >= DATA_OFF and o + l <= QP_SIZE) for o, l in ((ioff, ilen), (ooff, olen)))
            if not ok or flags:
                res = -22
            elif (mod, op) == (0, 4):
                res = 1         # BIND: sys is handle 1, as a shadow's first
            elif (mod, op) == (1, 1):
                n = min(ilen, olen)
                self.win[base + ooff:base + ooff + n] = self.win[base + ioff:base + ioff + n]
                res = n
            else:
                res = -95
            cp = self.u32(base, 'cq_prod')
            CQE.pack_into(self.win, base + CQ_OFF + (cp % QP_ENTRIES) * CQE.size, tag, res, n, 0, 0)
            self.u32(base, 'cq_prod', cp + 1)
            cons += 1
            self.u32(base, 'sq_cons', cons)
            if self.u32(base, 'cq_flags') & CQ_WAITING:
                os.write(self.irq, struct.pack('<Q', 1))
        return False


# ---------------------------------------------------------------- fake shadowd
class FakeShadowd:
    def __init__(self, path):
        self.path = path
        self.lsock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.lsock.bind(path)
        self.lsock.listen(4)
        self.shadows = {}       # session id -> FakeShadow
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            c, _ = self.lsock.accept()
            threading.Thread(target=self.ctrl, args=(c,), daemon=True).start()

    def ctrl(self, c):
        while True:
            m = c.recv(1 << 18)
            if not m:
                return
            magic, typ, fl, ln, sess, tag = HDR.unpack_from(m)
            if typ == HELLO:
                c.send(HDR.pack(HCP_MAGIC, HELLO_OK, 0, 32, sess, tag) + struct.pack('<iI', 0, 2))
            elif typ == OPEN:
                a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                self.shadows[sess] = FakeShadow(a)
                info = struct.pack('<IIiI32s', 1000, 1000, 4242, 0, b'tester')
                body = HDR.pack(HCP_MAGIC, OPENED, 0, 24 + 8 + 48, sess, tag) + struct.pack('<iI', 0, 0) + info
                c.sendmsg([body], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [b.fileno()]))])
                b.close()


def abi_version():
    """HC_ABI_VERSION, read from the one ABI header."""
    hdr = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       '../../guest-lib/include/hostcall_abi.h')
    return int(re.search(r'#define HC_ABI_VERSION\s+(\d+)', open(hdr).read()).group(1))


ABI_VERSION = abi_version()


# ---------------------------------------------------------------- qtest
class QTest:
    def __init__(self, qemu, devargs):
        self.errf = open(os.environ.get('QTEST_LOG', '/dev/null'), 'w')
        cmd = [qemu, '-machine', 'q35,accel=qtest', '-display', 'none', '-nodefaults',
               '-m', '128', '-L', '/usr/share/qemu', '-L', '/usr/share/seabios', '-qtest', 'stdio'] + devargs
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.errf, text=True, bufsize=1)

    def cmd(self, line):
        self.p.stdin.write(line + '\n')
        self.p.stdin.flush()
        while True:
            r = self.p.stdout.readline()
            if not r:
                raise RuntimeError('qemu died')
            if r.startswith('OK') or r.startswith('FAIL') or r.startswith('ERR'):
                return r.split()

    def outl(self, port, v): self.cmd('outl 0x%x 0x%x' % (port, v))
    def inl(self, port): return int(self.cmd('inl 0x%x' % port)[1], 16)
    def writel(self, a, v): self.cmd('writel 0x%x 0x%x' % (a, v))
    def readl(self, a): return int(self.cmd('readl 0x%x' % a)[1], 16)
    def readq(self, a): return int(self.cmd('readq 0x%x' % a)[1], 16)
    def write(self, a, data):
        if data:
            self.cmd('write 0x%x 0x%x 0x%s' % (a, len(data), data.hex()))
    def read(self, a, n):
        return bytes.fromhex(self.cmd('read 0x%x 0x%x' % (a, n))[1][2:])
    def memset0(self, a, n): self.cmd('memset 0x%x 0x%x 0' % (a, n))

    def cfg(self, dev, reg, val=None):
        self.outl(0xcf8, 0x80000000 | (dev << 11) | reg)
        if val is None:
            return self.inl(0xcfc)
        self.outl(0xcfc, val)

    def quit(self):
        self.p.terminate()
        self.p.wait(10)


class Dev:
    def __init__(self, qt, slot, bar, bar2):
        self.qt, self.bar, self.bar2 = qt, bar, bar2
        qt.cfg(slot, 0x10, bar)
        qt.cfg(slot, 0x14, bar + 0x2000)     # MSI-X table
        qt.cfg(slot, 0x18, bar2 & 0xffffffff)
        qt.cfg(slot, 0x1c, bar2 >> 32)
        qt.cfg(slot, 0x04, 0x6)           # memory + bus master
        self.entries = 0
        self.prod = 0
        self.cons = 0
        self.qps = {}                     # (sid, qp) -> [sq_prod, cq_cons]

    def r(self, name): return self.qt.readl(self.bar + REG[name])
    def w(self, name, v): self.qt.writel(self.bar + REG[name], v)

    def enable(self, ring, entries):
        self.ring, self.entries, self.prod, self.cons = ring, entries, 0, 0
        self.qt.memset0(ring, 64 + entries * 96)
        self.w('RING_LO', ring & 0xffffffff)
        self.w('RING_HI', ring >> 32)
        self.w('RING_ENTRIES', entries)
        self.w('CTRL', 1)

    def post(self, tag, session, module, op, args=(0, 0, 0, 0), segs=0, nin=0, nout=0, flags=0, kick=True):
        d = struct.pack('<QIHH4qQHHI', tag, session, module, op, *args, segs, nin, nout, flags)
        self.qt.write(self.ring + 64 + (self.prod % self.entries) * 64, d)
        self.prod += 1
        self.qt.writel(self.ring, self.prod)
        if kick:
            self.w('DOORBELL', 1)

    def completions(self, want=1, timeout=5, nap=0.02):
        out = []
        t = time.time() + timeout
        while len(out) < want and time.time() < t:
            cp = self.qt.readl(self.ring + 8)
            while self.cons != cp:
                a = self.ring + 64 + self.entries * 64 + (self.cons % self.entries) * 32
                tag, res, olen = struct.unpack('<QqI', self.qt.read(a, 20))
                out.append((tag, res, olen))
                self.cons += 1
                self.qt.writel(self.ring + 12, self.cons)
            if len(out) < want and nap:
                self.qt.cmd('clock_step 5000000')    # qtest: virtual time is ours
                time.sleep(nap)
        return out

    # ---- session windows, driven as a guest drives them
    def qp(self, sid, qp):
        return self.bar2 + (sid - 1) * WIN_SIZE + qp * QP_SIZE

    def ctl(self, sid, qp, f, v=None):
        a = self.qp(sid, qp) + CTL[f]
        if v is None:
            return self.qt.readl(a)
        self.qt.writel(a, v)

    def submit(self, sid, qp, tag, module, op, data=b'', out_len=0, in_off=DATA_OFF,
               out_off=DATA_OFF + 0x10000, flags=0, kick=True, args=(0, 0, 0, 0)):
        base = self.qp(sid, qp)
        st = self.qps.setdefault((sid, qp), [0, 0])
        self.qt.write(base + in_off, data)
        sqe = SQE.pack(tag, module, op, flags, *args, in_off if data else 0, len(data),
                       out_off if out_len else 0, out_len)
        self.qt.write(base + SQ_OFF + (st[0] % QP_ENTRIES) * SQE.size, sqe)
        st[0] += 1
        self.ctl(sid, qp, 'sq_prod', st[0])
        if kick:
            self.qt.writel(self.bar + 0x1000 + 4 * (sid - 1), 1)

    def bind(self, sid, tag, name=b'sys'):
        """HC_SESSION_BIND of name 1.0 in qp 0: the handle (or error)."""
        self.submit(sid, 0, tag, 0, 4, name, 8, args=(1, 0, 0, 0))
        c = self.reap(sid, 0)
        return c[0][1] if c else None

    def reap(self, sid, qp, want=1, timeout=5):
        base = self.qp(sid, qp)
        st = self.qps.setdefault((sid, qp), [0, 0])
        out = []
        t = time.time() + timeout
        while len(out) < want and time.time() < t:
            cp = self.ctl(sid, qp, 'cq_prod')
            while st[1] != cp and len(out) < want:
                tag, res, olen, _, _ = CQE.unpack(self.qt.read(base + CQ_OFF + (st[1] % QP_ENTRIES) * CQE.size, CQE.size))
                out.append((tag, res, olen))
                st[1] += 1
                self.ctl(sid, qp, 'cq_cons', st[1])
            if len(out) < want:
                time.sleep(0.01)
        return out

    def open(self, tag, buf, st, ident, nap=0.02):
        self.qt.write(buf, ident)
        self.post(tag, 0, 0, 1, segs=segs(self.qt, st, [(buf, 32), (buf + 0x1000, 48)]), nin=1, nout=1)
        c = self.completions(nap=nap)
        return c[0][1] if c and c[0][0] == tag else -1, c


def segs(qt, addr, lst):
    """lst: (address, len); writes the seg table at addr."""
    qt.write(addr, b''.join(struct.pack('<QII', a, l, 0) for a, l in lst))
    return addr


def main():
    qemu = sys.argv[1]
    private = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == '--private' else None
    global prefix
    if private:
        prefix = 'qemu-device (real shadowd): '
    tmp = tempfile.mkdtemp()
    sock = os.path.join(tmp, 'sd.sock')
    if private:
        dev0 = ['-device', 'hostcall,addr=4,windows=4,shadowd=%s,vm=qtest' % private]
        sd = None
    else:
        sd = FakeShadowd(sock)
        dev0 = ['-device', 'hostcall,addr=4,windows=4,socket=%s,vm=qtest' % sock]
    qt = QTest(qemu, dev0 + ['-device', 'hostcall,addr=5,shadowd=/nonexistent/shadowd'])
    d = Dev(qt, 4, BAR0[0], BAR2[0])
    e = Dev(qt, 5, BAR0[1], BAR2[1])   # the second device, no shadowd

    check(d.r('MAGIC') == 0x4843414c, 'magic')
    check(d.r('VERSION') == ABI_VERSION, 'version %d' % ABI_VERSION)
    check(d.r('TOKEN') == 1 and e.r('TOKEN') == 2, 'tokens 1 and 2')
    check(d.r('FEATURES') & 2 and d.r('FEATURES') & 4, 'HC_F_MSIX and HC_F_WINDOW')
    check(not d.r('FEATURES') & 8, 'no HC_F_HC_EVENTFD without KVM')
    check(d.r('MAX_DATA') == 128 * 1024 and d.r('MAX_SEGS') == 80, 'max data/segs')
    check(d.r('WIN_SLOTS') == 4 and e.r('WIN_SLOTS') == 512 and d.r('WIN_SIZE') == WIN_SIZE,
          'window slots 4 (windows=4) and 512 (default), 1 MiB each')
    # BAR2 sizing as firmware does it: all ones, read back the size mask
    qt.cfg(5, 0x04, 0)
    qt.cfg(5, 0x18, 0xffffffff)
    qt.cfg(5, 0x1c, 0xffffffff)
    lo, hi = qt.cfg(5, 0x18), qt.cfg(5, 0x1c)
    size = (~(((hi << 32) | lo) & ~0xf) + 1) & ((1 << 64) - 1)
    check(lo & 0xf == 0xc and size == 512 << 20, 'BAR2 64-bit prefetchable, 512 MiB (flags 0x%x, size 0x%x)' % (lo & 0xf, size))
    e = Dev(qt, 5, BAR0[1], BAR2[1])
    for _ in range(50):
        if d.r('STATUS') & 4:
            break
        time.sleep(0.05)
    check(d.r('STATUS') & 4, 'HOST_UP after HELLO_OK')
    check(not (e.r('STATUS') & 4), 'second device: host down')

    # ring config errors
    d.enable(RING, 7)
    check(d.r('STATUS') & 2 and d.r('ERROR') == 3, 'entries 7 -> RING_CONFIG')
    d.w('CTRL', 0)
    check(d.r('STATUS') & 3 == 0 and d.r('ERROR') == 0, 'reset clears')
    d.enable(RING + 8, 8)
    check(d.r('ERROR') == 1, 'misaligned -> RING_ADDR')
    d.w('CTRL', 0)
    d.enable(0xc0000000, 8)
    check(d.r('ERROR') == 1, 'ring in MMIO -> RING_ADDR')
    d.w('CTRL', 0)
    d.enable(128 * 1024 * 1024 - 4096, 64)
    check(d.r('ERROR') == 1, 'ring past RAM end -> RING_ADDR')
    d.w('CTRL', 0)
    d.enable(RING, 8)
    check(d.r('STATUS') & 1 and not d.r('STATUS') & 2, 'enable ok')

    ST = 0x200000                  # seg tables
    BUF = 0x300000                 # data pages
    ident = struct.pack('<IIII16s', 1000, 1000, 77, 0, b'qtest')
    sid, c = d.open(1, BUF, ST, ident)
    check(len(c) == 1 and sid > 0 and c[0][2] == 48, 'SESSION_OPEN -> %s' % c)
    info = qt.read(BUF + 0x1000, 48)
    uid, gid, pid, sess, user = struct.unpack('<IIiI32s', info)
    if not private:
        check(pid == 4242 and sess == sid and user.rstrip(b'\0') == b'tester', 'session info %r' % (info[:20],))
        sh = sd.shadows.get(sid)
        check(sh and sh.window_msg == (WINDOW, 32, sid, WIN_SIZE, 0) and len(sh.fds) == 3,
              'HCP_WINDOW: session %d, size 1 MiB, 3 fds (%s)' % (sid, sh and sh.window_msg))
        check(sh and sh.size == WIN_SIZE and sh.seals == 7 and not sh.shrunk,
              'window memfd: 1 MiB, sealed SHRINK|GROW|SEAL, the shadow cannot shrink it (seals %s)' % (sh and sh.seals))
    else:
        print('     session info: uid %d gid %d shadow pid %d session %d user %s' % (uid, gid, pid, sess, user.rstrip(b'\0')))

    # the window: a call in qp 0 and one in qp 1, each kicked by the doorbell
    check(d.ctl(sid, 0, 'state') == 0 and d.ctl(sid, 0, 'sq_prod') == 0, 'new window is zeroed')
    h = d.bind(sid, 900)
    check(h == 1, 'window: BIND sys 1.0 -> handle %s' % h)
    d.submit(sid, 0, 11, 1, 1, b'hello window', 64)
    c = d.reap(sid, 0)
    out = qt.read(d.qp(sid, 0) + DATA_OFF + 0x10000, 12)
    check(c == [(11, 12, 12)] and out == b'hello window', 'window qp 0: PING by doorbell -> %s %r' % (c, out))
    d.submit(sid, 1, 12, 1, 1, b'user queue', 64)
    c = d.reap(sid, 1)
    out = qt.read(d.qp(sid, 1) + DATA_OFF + 0x10000, 10)
    check(c == [(12, 10, 10)] and out == b'user queue', 'window qp 1: PING -> %s %r' % (c, out))
    # a bad entry fails alone; the next one works
    d.submit(sid, 0, 13, 1, 1, b'x', 64, out_off=QP_SIZE - 8)
    d.submit(sid, 0, 14, 1, 1, b'after', 64)
    c = d.reap(sid, 0, 2)
    check(len(c) == 2 and c[0][0] == 13 and c[0][1] in (-22, -14) and c[1] == (14, 5, 5),
          'sqe with output past the data area fails alone -> %s' % c)
    # the completion interrupt: a waiting guest gets INTx (MSI-X is off here)
    d.r('ISR')
    d.ctl(sid, 0, 'cq_flags', CQ_WAITING)
    d.submit(sid, 0, 15, 1, 1, b'irq', 8)
    c = d.reap(sid, 0)
    isr = 0
    for _ in range(100):
        isr = d.r('ISR')
        if isr:
            break
        time.sleep(0.01)
    d.ctl(sid, 0, 'cq_flags', 0)
    check(c == [(15, 3, 3)] and isr == 1, 'interrupt eventfd -> INTx for a waiting guest (ISR %d)' % isr)

    # invalid control-ring requests; calls do not go through the ring any more
    bad = [
        ('call on the ring', dict(module=1, op=1), -38),
        ('unknown module', dict(module=9, op=1), -38),
        ('unknown op', dict(module=1, op=99), -38),
        ('CANCEL on the ring', dict(module=0, op=3, args=(1, 0, 0, 0)), -38),
        ('session op 4', dict(module=0, op=4), -38),
        ('flags', dict(module=0, op=2, flags=1), -22),
        ('close bad session', dict(module=0, op=2, session=999), -9),
        ('close session 0', dict(module=0, op=2, session=0), -9),
        ('open with session', dict(module=0, op=1, session=5), -22),
        ('81 segs', dict(module=0, op=1, session=0, nin=41, nout=40), -7),
        ('segs table in MMIO', dict(module=0, op=1, session=0, nin=1, segs=0xc0000000), -14),
        ('seg crosses page', dict(module=0, op=1, session=0, nin=1, seglist=[(BUF + 0xff0, 32)]), -22),
        ('seg len 0', dict(module=0, op=1, session=0, nin=1, seglist=[(BUF, 0)]), -22),
        ('seg in MMIO', dict(module=0, op=1, session=0, nin=1, seglist=[(0xc0000000, 4)]), -14),
        ('seg past RAM', dict(module=0, op=1, session=0, nin=1, seglist=[(0x40000000, 4)]), -14),
        ('out seg in BIOS ROM', dict(module=0, op=1, session=0, nin=1, nout=1, seglist=[(BUF, 32), (0xfffff000, 4)]), -14),
        ('open identity short', dict(module=0, op=1, session=0, nin=1, seglist=[(BUF, 31)]), -22),
    ]
    tag = 100
    for name, kw, want in bad:
        sl = kw.pop('seglist', None)
        sg = kw.pop('segs', None)
        if sl is not None:
            sg = segs(qt, ST, sl)
        kw.setdefault('session', sid)
        d.post(tag, kw.pop('session'), kw.pop('module'), kw.pop('op'), segs=sg or ST, **kw)
        c = d.completions()
        check(c == [(tag, want, 0)], 'invalid: %s -> %s' % (name, c))
        tag += 1
    check(d.r('STATUS') & 1 and not d.r('STATUS') & 2, 'ring still fine after invalid requests')

    # the shadow dies: both queue pairs are marked dead and the guest interrupted
    d.r('ISR')
    if private:
        os.kill(pid, 9)
    else:
        d.submit(sid, 0, 16, 1, 5)          # the fake hangs up on GETCWD
    st = (0, 0)
    for _ in range(200):
        st = (d.ctl(sid, 0, 'state'), d.ctl(sid, 1, 'state'))
        if st[0] & QP_DEAD and st[1] & QP_DEAD:
            break
        time.sleep(0.01)
    check(st[0] & QP_DEAD and st[1] & QP_DEAD and d.r('ISR') == 1,
          'shadow killed: both queue pairs HC_QP_DEAD, interrupt raised (%s)' % (st,))
    d.post(tag, sid, 0, 2)
    check(d.completions() == [(tag, 0, 0)], 'close the dead session')
    tag += 1
    qt.writel(d.qp(sid, 0) + DATA_OFF, 0x12345678)
    check(qt.readl(d.qp(sid, 0) + DATA_OFF) != 0x12345678, 'closed: the slot is no RAM any more')
    qt.writel(BAR0[0] + 0x1000 + 4 * (sid - 1), 1)
    qt.writel(BAR0[0] + 0x1000 + 4 * 1023, 1)
    check(d.r('MAGIC') == 0x4843414c and d.r('STATUS') & 1, 'doorbells of a closed and a never-open session are ignored')
    d.post(tag, sid, 0, 2)
    check(d.completions() == [(tag, -9, 0)], 'close twice -> EBADF')
    tag += 1

    # all 4 slots, the 5th open fails, a closed slot is reused with a fresh window
    sids = []
    for i in range(4):
        s, c = d.open(tag, BUF, ST, ident)
        tag += 1
        sids.append(s)
    s5, c = d.open(tag, BUF, ST, ident)
    tag += 1
    check(sorted(sids) == [1, 2, 3, 4] and s5 == -24, 'windows=4: ids %s, a 5th open -> %s' % (sids, c))
    for s in sids:
        d.qps.pop((s, 0), None)
    d.submit(sids[0], 0, 17, 1, 1, b'dirty', 64)
    d.reap(sids[0], 0)
    d.post(tag, sids[0], 0, 2)
    d.completions()
    tag += 1
    d.qps.pop((sids[0], 0), None)
    s6, c = d.open(tag, BUF, ST, ident)
    tag += 1
    fresh = s6 == sids[0] and d.ctl(s6, 0, 'sq_prod') == 0 and d.ctl(s6, 0, 'cq_prod') == 0
    d.bind(s6, 901)
    d.submit(s6, 0, 18, 1, 1, b'again', 64)
    c = d.reap(s6, 0)
    check(fresh and c == [(18, 5, 5)], 'reopen reuses slot %d with a zeroed window that works -> %s' % (s6, c))
    # a device reset ends every session and unmaps every window
    d.w('CTRL', 0)
    time.sleep(0.1)
    qt.writel(d.qp(s6, 0) + DATA_OFF, 0x12345678)
    check(qt.readl(d.qp(s6, 0) + DATA_OFF) != 0x12345678, 'CTRL_RESET unmaps the windows')

    # session churn leaves QEMU's descriptors flat (windows go after an RCU grace period)
    d.enable(RING, 8)
    nfds = lambda: len(os.listdir('/proc/%d/fd' % qt.p.pid))
    fds0 = nfds()
    bad = 0
    for i in range(40):
        s, c = d.open(700 + i, BUF, ST, ident, nap=0.001)
        d.post(800 + i, s, 0, 2)
        bad += d.completions(nap=0.001) != [(800 + i, 0, 0)] or s <= 0
    fds1 = fds0 + 1
    for _ in range(50):
        fds1 = nfds()
        if fds1 <= fds0:
            break
        time.sleep(0.05)
    check(not bad and fds1 == fds0, '40 open/close cycles: QEMU fds %d -> %d' % (fds0, fds1))

    # completion ring full: guest does not consume; device must keep them
    sid, c = d.open(1, BUF, ST, ident)
    for i in range(8):
        d.post(500 + i, sid, 1, 1)      # a call on the ring: -ENOSYS
    time.sleep(0.3)
    for i in range(8):
        d.post(510 + i, sid, 1, 1)
    time.sleep(0.3)
    check(qt.readl(RING + 8) - d.cons == 8, 'completion ring full, cpl_prod=%d' % qt.readl(RING + 8))
    c = d.completions(16)
    check([t for t, _, _ in c] == list(range(500, 508)) + list(range(510, 518)), 'pending completions posted on next kick/poll: %d' % len(c))

    # bad cpl_cons and bad req_prod
    qt.writel(RING + 12, d.cons + 100)
    d.post(600, sid, 1, 1)
    time.sleep(0.2)
    check(d.r('STATUS') & 2 and d.r('ERROR') == 2, 'bad cpl_cons -> RING_INDEX')
    d.w('CTRL', 0)
    d.enable(RING, 8)
    qt.writel(RING, 9)
    d.w('DOORBELL', 1)
    time.sleep(0.1)
    check(d.r('STATUS') & 2 and d.r('ERROR') == 2, 'req_prod too far -> RING_INDEX')
    d.w('CTRL', 0)

    # second device: no shadowd -> EHOSTDOWN, doesn't disturb the first
    e.enable(RING + 0x10000, 8)
    qt.write(BUF, ident)
    e.post(1, 0, 0, 1, segs=segs(qt, ST, [(BUF, 32)]), nin=1)
    check(e.completions() == [(1, -112, 0)], 'no shadowd -> EHOSTDOWN')
    check(e.r('ISR') == 1 and e.r('ISR') == 0, 'INTx ISR set, read clears')

    qt.quit()
    print('%d failures' % fails)
    sys.exit(1 if fails else 0)


main()
