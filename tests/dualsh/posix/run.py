#!/usr/bin/env python3
"""The POSIX conformance oracle.

Every script in tests/dualsh/posix/*.cases ("### name" starts one) runs
under dualsh and under dash, both at once, each in a fresh directory, with
the arguments a1 'b 2' and stdin from /dev/null. stdout, stderr (with the
shell's name at the start of a line made "SH") and the exit status must be
equal.   run.py DUALSH [DASH]   prints PASS/FAIL per script.
"""
import glob, os, re, shutil, subprocess, sys, tempfile

def cases(path):
    name, lines = None, []
    for line in open(path, encoding="utf-8"):
        if line.startswith("### "):
            if name:
                yield name, "".join(lines)
            name, lines = line[4:].rstrip("\n"), []
        elif name:
            lines.append(line)
    if name:
        yield name, "".join(lines)

def norm(err):
    return re.sub(r"(?m)^(dash: \d+: |dualsh: )", "SH: ", err)

def main():
    ds = sys.argv[1]
    dash = sys.argv[2] if len(sys.argv) > 2 else "/usr/bin/dash"
    if not os.access(dash, os.X_OK):
        print("SKIP: posix: no dash at %s to compare with" % dash)
        return 0
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0", LC_ALL="C",
               HOSTCALL_DEVICE="/nonexistent/hostcall")
    tmp = tempfile.mkdtemp(prefix="dualsh-posix.")
    n = fail = 0
    try:
        for f in sorted(glob.glob(os.path.join(here, "*.cases"))):
            group = os.path.basename(f)[:-6]
            for name, text in cases(f):
                n += 1
                script = os.path.join(tmp, "%04d.sh" % n)
                with open(script, "w") as s:
                    s.write(text)
                procs = {}
                for sh, binary in (("dualsh", ds), ("dash", dash)):
                    wd = os.path.join(tmp, "w-" + sh)
                    shutil.rmtree(wd, ignore_errors=True)
                    os.mkdir(wd)
                    procs[sh] = subprocess.Popen([binary, script, "a1", "b 2"], cwd=wd, env=env,
                                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                                 stderr=subprocess.PIPE)
                res = {}
                for sh, p in procs.items():
                    try:
                        out, err = p.communicate(timeout=30)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        out, err = p.communicate()
                    res[sh] = (out, norm(err.decode(errors="replace")), p.returncode)
                a, b = res["dualsh"], res["dash"]
                if a == b:
                    print("PASS: posix: %s: %s" % (group, name))
                else:
                    fail += 1
                    print("FAIL: posix: %s: %s: status %s vs dash %s; out %r vs %r; err %r vs %r"
                          % (group, name, a[2], b[2], a[0][:300], b[0][:300], a[1][:200], b[1][:200]))
                sys.stdout.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("posix: %d scripts, %d differ from dash" % (n, fail))
    return 1 if fail else 0

sys.exit(main())
