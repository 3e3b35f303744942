#!/usr/bin/env python3
"""Device-level test of -device hostcall without a guest: drives the device
through QEMU's qtest protocol (PCI config, MMIO, guest memory) against a
fake shadowd written here (socket mode), or a real shadowd (--private PROG).

  qtest-hostcall.py QEMU_BINARY [--private SHADOWD]
"""
import os, re, socket, struct, subprocess, sys, threading, time, array, tempfile, errno

HCP_MAGIC = 0x48435031
HDR = struct.Struct('<IHHIIQ')          # magic type flags len session tag
HELLO, HELLO_OK, OPEN, OPENED, CALL, CANCEL, REPLY = range(1, 8)
RING, CPL_BASE = 0x100000, None
REG = dict(MAGIC=0, VERSION=4, FEATURES=8, ACCEL=0xc, TOKEN=0x10, STATUS=0x14,
           ERROR=0x18, MAX_DATA=0x1c, RING_LO=0x20, RING_HI=0x24,
           RING_ENTRIES=0x28, CTRL=0x2c, DOORBELL=0x30, ISR=0x34, MAX_SEGS=0x38)
BAR0 = [0xc0000000, 0xc0010000]
fails = 0
prefix = 'qemu-device: '


def check(cond, what):
    global fails
    print(('PASS: ' if cond else 'FAIL: ') + prefix + what)
    if not cond:
        fails += 1


# ---------------------------------------------------------------- fake shadowd
class FakeShadowd:
    def __init__(self, path):
        self.path = path
        self.lsock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.lsock.bind(path)
        self.lsock.listen(4)
        self.hold = {}          # tag -> (sock, session) for op SYS_TIME (held)
        self.shadows = []
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
                c.send(HDR.pack(HCP_MAGIC, HELLO_OK, 0, 32, sess, tag) + struct.pack('<iI', 0, 1))
            elif typ == OPEN:
                a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                info = struct.pack('<IIiI32s', 1000, 1000, 4242, 0, b'tester')
                body = HDR.pack(HCP_MAGIC, OPENED, 0, 24 + 8 + 48, sess, tag) + struct.pack('<iI', 0, 0) + info
                c.sendmsg([body], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [b.fileno()]))])
                b.close()
                self.shadows.append(a)
                threading.Thread(target=self.shadow, args=(a,), daemon=True).start()

    def late(self, tag):
        if tag in self.hold:
            s, sess = self.hold.pop(tag)
            s.send(HDR.pack(HCP_MAGIC, REPLY, 0, 32, sess, tag) + struct.pack('<q', 7))

    def shadow(self, s):
        while True:
            try:
                m = s.recv(1 << 18)
            except OSError:
                return
            if not m:
                return
            magic, typ, fl, ln, sess, tag = HDR.unpack_from(m)
            if typ == CALL:
                mod, op, out_max = struct.unpack_from('<HHI', m, 24)
                args = struct.unpack_from('<4q', m, 32)
                data = m[64:]
                if (mod, op) == (1, 1):          # PING: echo
                    d = data[:out_max]
                    s.send(HDR.pack(HCP_MAGIC, REPLY, 0, 32 + len(d), sess, tag) + struct.pack('<q', len(d)) + d)
                elif (mod, op) == (1, 3):        # TIME: held until cancel
                    self.hold[tag] = (s, sess)
                    if args[0]:                  # ... or args[0] ms
                        threading.Timer(args[0] / 1000.0, self.late, (tag,)).start()
                elif (mod, op) == (1, 2):        # INFO: too much data
                    d = b'x' * (out_max + 1)
                    s.send(HDR.pack(HCP_MAGIC, REPLY, 0, 32 + len(d), sess, tag) + struct.pack('<q', 0) + d)
                elif (mod, op) == (1, 5):        # GETCWD: hang up
                    s.close()
                    return
                else:                            # -EOPNOTSUPP: not the device's -ENOSYS
                    s.send(HDR.pack(HCP_MAGIC, REPLY, 0, 32, sess, tag) + struct.pack('<q', -95))
            elif typ == CANCEL:
                if tag in self.hold:
                    del self.hold[tag]
                    s.send(HDR.pack(HCP_MAGIC, REPLY, 0, 32, sess, tag) + struct.pack('<q', -125))


def abi_ops():
    """{module number: one past its last op}, read from the one ABI header."""
    hdr = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       '../../guest-lib/include/hostcall_abi.h')
    text = open(hdr).read()
    mods = {m.group(1).lower(): int(m.group(2))
            for m in re.finditer(r'HC_MOD_(\w+)\s*=\s*(\d+)', text)}
    ends = {}
    for m in re.finditer(r'enum hc_(\w+)_op \{(.*?)\};', text, re.S):
        vals = [int(v) for v in re.findall(r'=\s*(\d+)', re.sub(r'/\*.*?\*/', '', m.group(2), flags=re.S))]
        ends[mods[m.group(1)]] = max(vals) + 1
    return ends


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
    def __init__(self, qt, slot, bar):
        self.qt, self.bar = qt, bar
        qt.cfg(slot, 0x10, bar)
        qt.cfg(slot, 0x14, bar + 0x1000)
        qt.cfg(slot, 0x04, 0x6)           # memory + bus master
        self.entries = 0
        self.prod = 0
        self.cons = 0

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

    def completions(self, want=1, timeout=5):
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
            if len(out) < want:
                self.qt.cmd('clock_step 5000000')    # qtest: virtual time is ours
                time.sleep(0.02)
        return out


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
        dev0 = ['-device', 'hostcall,addr=4,shadowd=%s,vm=qtest' % private]
    else:
        FakeShadowd(sock)
        dev0 = ['-device', 'hostcall,addr=4,socket=%s,vm=qtest' % sock]
    qt = QTest(qemu, dev0 + ['-device', 'hostcall,addr=5,shadowd=/nonexistent/shadowd'])
    d = Dev(qt, 4, BAR0[0])
    e = Dev(qt, 5, BAR0[1])   # the second device, no shadowd

    check(d.r('MAGIC') == 0x4843414c, 'magic')
    check(d.r('VERSION') == 1, 'version')
    check(d.r('TOKEN') == 1 and e.r('TOKEN') == 2, 'tokens 1 and 2')
    check(d.r('FEATURES') & 2, 'HC_F_MSIX')
    check(d.r('MAX_DATA') == 128 * 1024 and d.r('MAX_SEGS') == 80, 'max data/segs')
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
    qt.write(BUF, ident)
    d.post(1, 0, 0, 1, segs=segs(qt, ST, [(BUF, 32), (BUF + 0x1000, 48)]), nin=1, nout=1)
    c = d.completions()
    check(len(c) == 1 and c[0][0] == 1 and c[0][1] > 0 and c[0][2] == 48, 'SESSION_OPEN -> %s' % c)
    sid = c[0][1] if c else 0
    info = qt.read(BUF + 0x1000, 48)
    uid, gid, pid, sess, user = struct.unpack('<IIiI32s', info)
    if not private:
        check(pid == 4242 and sess == sid and user.rstrip(b'\0') == b'tester', 'session info %r' % (info[:20],))
    else:
        print('     session info: uid %d gid %d shadow pid %d session %d user %s' % (uid, gid, pid, sess, user.rstrip(b'\0')))

    # ping
    qt.write(BUF + 0x2000, b'hello world')
    d.post(2, sid, 1, 1, segs=segs(qt, ST, [(BUF + 0x2000, 11), (BUF + 0x3000, 100)]), nin=1, nout=1)
    c = d.completions()
    check(c == [(2, 11, 11)] and qt.read(BUF + 0x3000, 11) == b'hello world', 'PING -> %s' % c)

    # ping with output split over 3 segments, input over 2
    qt.write(BUF + 0x2000, b'abc')
    qt.write(BUF + 0x2ffe, b'de')
    d.post(3, sid, 1, 1, segs=segs(qt, ST, [(BUF + 0x2000, 3), (BUF + 0x2ffe, 2),
                                            (BUF + 0x3ffe, 2), (BUF + 0x4000, 1), (BUF + 0x5000, 8)]), nin=2, nout=3)
    c = d.completions()
    got = qt.read(BUF + 0x3ffe, 2) + qt.read(BUF + 0x4000, 1) + qt.read(BUF + 0x5000, 2)
    check(c == [(3, 5, 5)] and got == b'abcde', 'PING scatter/gather -> %s %r' % (c, got))

    # invalid requests
    bad = [
        ('unknown module', dict(module=9, op=1), -38),
        ('unknown op', dict(module=1, op=99), -38),
        ('flags', dict(module=1, op=1, flags=1), -22),
        ('bad session', dict(module=1, op=1, session=999), -9),
        ('session 0', dict(module=1, op=1, session=0), -9),
        ('open with session', dict(module=0, op=1, session=5), -22),
        ('81 segs', dict(module=1, op=1, nin=41, nout=40), -7),
        ('segs table in MMIO', dict(module=1, op=1, nin=1, segs=0xc0000000), -14),
        ('seg crosses page', dict(module=1, op=1, nin=1, seglist=[(BUF + 0xff0, 32)]), -22),
        ('seg len 0', dict(module=1, op=1, nin=1, seglist=[(BUF, 0)]), -22),
        ('seg in MMIO', dict(module=1, op=1, nin=1, seglist=[(0xc0000000, 4)]), -14),
        ('seg past RAM', dict(module=1, op=1, nin=1, seglist=[(0x40000000, 4)]), -14),
        ('out seg in BIOS ROM', dict(module=1, op=1, nout=1, seglist=[(0xfffff000, 4)]), -14),
        ('in > MAX_DATA', dict(module=1, op=1, nin=33, seglist=[(BUF + 0x1000 * i, 4096) for i in range(33)]), -7),
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

    # every op the ABI header defines reaches the shadow; one past the last
    # is the device's -ENOSYS (the fake shadow answers -EOPNOTSUPP, the real
    # one anything but -ENOSYS). The fake holds SYS TIME and hangs up on
    # SYS GETCWD, so those two are left out with it.
    ends = abi_ops()
    held = set() if private else {(1, 3), (1, 5)}
    wrong = []
    for mod in (1, 2, 3):
        for op in range(1, ends.get(mod, 1) + 1):
            if (mod, op) in held:
                continue
            d.post(tag, sid, mod, op)
            c = d.completions()
            want_enosys = op == ends[mod]
            if not c or (c[0][1] == -38) != want_enosys:
                wrong.append((mod, op, c))
            tag += 1
    check(len(ends) == 4 and not wrong,
          'ops 1..OP_END-1 of every module reach the shadow, OP_END is -ENOSYS (%s; wrong: %s)' % (ends, wrong))

    if not private:
        # cancel a held call
        d.post(200, sid, 1, 3, segs=segs(qt, ST, [(BUF + 0x3000, 16)]), nout=1)
        time.sleep(0.2)
        check(d.completions(timeout=0.3) == [], 'held call not completed')
        d.post(201, sid, 0, 3, args=(200, 0, 0, 0))
        c = d.completions(2)
        check(sorted(c) == [(200, -125, 0), (201, 0, 0)], 'cancel -> %s' % c)
        # reply bigger than out_max
        d.post(202, sid, 1, 2, segs=segs(qt, ST, [(BUF + 0x3000, 16)]), nout=1)
        check(d.completions() == [(202, -71, 0)], 'oversized reply -> -EPROTO')
        # more requests than the ring, kept in flight; then close fails them
        base = d.prod
        for i in range(8):              # 307 is answered after 600 ms
            d.post(300 + i, sid, 1, 3, args=(600 if i == 7 else 0, 0, 0, 0),
                   segs=segs(qt, ST, [(BUF + 0x3000, 16)]), nout=1)
        d.post(398, sid, 1, 1)          # ring is full: 8 in flight
        time.sleep(0.2)
        check(qt.readl(RING + 4) - base == 8, 'device took only 8 (req_cons %d)' % (qt.readl(RING + 4) - base))
        c = d.completions(2)
        check(c == [(307, 7, 0), (398, 0, 0)], 'a completion frees a slot, the waiting request is taken -> %s' % c)
        d.post(396, sid, 0, 3, args=(300, 0, 0, 0))               # cancel one
        c = d.completions(2)
        check(sorted(c) == [(300, -125, 0), (396, 0, 0)], 'cancel -> %s' % c)
        d.post(399, sid, 0, 2)          # close
        c = d.completions(7)
        check(sorted(c) == [(300 + i, -104, 0) for i in range(1, 7)] + [(399, 0, 0)],
              'close fails pending -> %s' % c)
        d.post(400, sid, 1, 1)
        check(d.completions() == [(400, -9, 0)], 'call on closed session -> EBADF')

        # second session, shadow hangs up
        d.post(401, 0, 0, 1, segs=segs(qt, ST, [(BUF, 32)]), nin=1)
        c = d.completions()
        sid2 = c[0][1] if c else 0
        check(sid2 > 0, 'second session %d' % sid2)
        d.post(402, sid2, 1, 5, segs=segs(qt, ST, [(BUF + 0x3000, 16)]), nout=1)
        check(d.completions() == [(402, -104, 0)], 'shadow hangup -> ECONNRESET')
        d.post(403, sid2, 1, 1)
        check(d.completions() == [(403, -104, 0)], 'later call on dead session -> ECONNRESET')
        d.post(404, sid2, 0, 2)
        check(d.completions() == [(404, 0, 0)], 'close dead session')

    # completion ring full: guest does not consume; device must keep them
    d.w('CTRL', 0)
    d.enable(RING, 8)
    d.post(1, 0, 0, 1, segs=segs(qt, ST, [(BUF, 32)]), nin=1)
    c = d.completions()
    sid = c[0][1] if c else 0
    for i in range(8):
        d.post(500 + i, sid, 1, 1)      # no segs: result 0
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
