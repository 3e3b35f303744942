// SPDX-License-Identifier: MIT
/*
 * hc-hostile: a hostile guest program. Run as root in a guest with two
 * hostcall devices: it takes the second device away from the driver,
 * drives it raw and abuses both of its planes:
 *  - the control ring (its own ring in its own locked pages): malformed
 *    descriptors, bad addresses, bad lengths, corrupted ring indices;
 *  - a session's window (BAR2, through sysfs resource2): malformed
 *    entries, offsets outside the data area, broken queue pair indices.
 * Each must fail alone (an error completion) or stop only what it broke
 * (a device error status, a BROKEN queue pair); afterwards the first
 * device, still owned by the driver, must keep serving (checked by
 * running `hostcall ping`).
 * Prints PASS:/FAIL: lines.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "hostcall_abi.h"

static int failures;
static volatile uint32_t *regs;		/* BAR0, with the session doorbells */
static char *win;			/* BAR2: the raw session's window */
static char *ring;		/* one locked page: header, 8 req, 8 cpl */
static uint64_t ring_pa;
static char *buf;		/* locked data pages */
static uint64_t buf_pa[8];
static uint32_t token;
#define ENTRIES 8
#define HDR ((volatile struct hc_ring_hdr *)ring)
#define REQ(i) ((struct hc_req *)(ring + sizeof(struct hc_ring_hdr)) + ((i) & (ENTRIES - 1)))
#define CPL(i) ((volatile struct hc_cpl *)(ring + sizeof(struct hc_ring_hdr) + \
		ENTRIES * sizeof(struct hc_req)) + ((i) & (ENTRIES - 1)))

static void check(int ok, const char *name, const char *fmt, long v)
{
	if (ok) {
		printf("PASS: hostile: %s\n", name);
	} else {
		printf("FAIL: hostile: %s: ", name);
		printf(fmt, v);
		printf("\n");
		failures++;
	}
	fflush(stdout);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -1 : 0;
}

static int read_hex(const char *dir, const char *file, unsigned *v)
{
	char path[512], line[32];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	int ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	*v = (unsigned)strtoul(line, NULL, 16);
	return ok ? 0 : -1;
}

/* The last hostcall PCI device in sysfs order; count in *n. */
static int find_victim(char *out, size_t sz, int *n)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	char dir[512], best[256] = "";
	unsigned ven, dev;

	*n = 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", e->d_name);
		if (read_hex(dir, "vendor", &ven) || read_hex(dir, "device", &dev))
			continue;
		if (ven == HC_PCI_VENDOR_ID && dev == HC_PCI_DEVICE_ID) {
			(*n)++;
			if (strcmp(e->d_name, best) > 0)
				snprintf(best, sizeof(best), "%s", e->d_name);
		}
	}
	if (d)
		closedir(d);
	snprintf(out, sz, "/sys/bus/pci/devices/%s", best);
	return best[0] ? 0 : -1;
}

static uint64_t phys(void *va)
{
	uint64_t ent;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	off_t off = (off_t)((uintptr_t)va / 4096) * 8;

	if (fd < 0 || pread(fd, &ent, 8, off) != 8) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	if (!(ent & (1ull << 63)) || !(ent & ((1ull << 55) - 1)))
		return 0;
	return (ent & ((1ull << 55) - 1)) * 4096;
}

static void kick(void)
{
	__sync_synchronize();
	regs[HC_REG_DOORBELL / 4] = 1;
}

static uint32_t req_prod;

/* Submit one request and wait (bounded) for its completion. */
static int submit(struct hc_req *r, struct hc_cpl *out)
{
	static uint64_t tag = 100;
	uint32_t before = HDR->cpl_prod;

	r->tag = ++tag;
	*REQ(req_prod) = *r;
	__sync_synchronize();
	HDR->req_prod = ++req_prod;
	kick();
	for (int i = 0; i < 5000; i++) {	/* up to ~5 s */
		__sync_synchronize();
		if (HDR->cpl_prod != before) {
			volatile struct hc_cpl *c = CPL(HDR->cpl_cons);
			out->tag = c->tag;
			out->result = c->result;
			out->out_len = c->out_len;
			HDR->cpl_cons++;
			return out->tag == r->tag ? 0 : -2;
		}
		usleep(1000);
	}
	return -1;
}

static long call(uint16_t mod, uint16_t op, uint32_t session, uint64_t segs,
		 uint16_t nin, uint16_t nout, uint32_t flags)
{
	struct hc_req r = { .session = session, .module = mod, .op = op,
			    .segs = segs, .nsegs_in = nin, .nsegs_out = nout,
			    .flags = flags };
	struct hc_cpl c;
	int rc = submit(&r, &c);
	if (rc == -1)
		return -100000;	/* no completion */
	if (rc == -2)
		return -100001;	/* wrong tag */
	return c.result;
}

/* Segment table lives in buf page 0; data in pages 1..7. */
static struct hc_seg *segs(void)
{
	return (struct hc_seg *)buf;
}

/* ---- the window: queue pair q of the raw session ---- */

#define QP(q) (win + (q) * HC_QP_SIZE)
#define CTL(q) ((volatile struct hc_qp_ctl *)(QP(q) + HC_QP_CTL_OFF))
#define SQ(q, i) ((struct hc_sqe *)(QP(q) + HC_QP_SQ_OFF) + (i) % HC_QP_ENTRIES)
#define CQ(q, i) ((volatile struct hc_cqe *)(QP(q) + HC_QP_CQ_OFF) + (i) % HC_QP_ENTRIES)
#define DATA_IN	HC_QP_DATA_OFF			/* input here ... */
#define DATA_OUT (HC_QP_DATA_OFF + 0x10000)	/* ... output here */

static uint32_t wsess;

/* Publish as window.md says and kick the session's doorbell every time. */
static void wpublish(int q, const struct hc_sqe *e)
{
	uint32_t prod = CTL(q)->sq_prod;

	*SQ(q, prod) = *e;
	__sync_synchronize();
	CTL(q)->sq_prod = prod + 1;
	__sync_synchronize();
	regs[HC_REG_SESSION_DOORBELL(wsess) / 4] = 1;
}

/* One entry, waited for (bounded); its result, or -100000 without one. */
static long wcall(int q, uint16_t mod, uint16_t op, uint32_t flags,
		  uint32_t in_off, uint32_t in_len, uint32_t out_off, uint32_t out_len)
{
	static uint64_t tag = 500;
	struct hc_sqe e = { .tag = ++tag, .module = mod, .op = op, .flags = flags,
			    .in_off = in_off, .in_len = in_len,
			    .out_off = out_off, .out_len = out_len };
	uint32_t cons = CTL(q)->cq_cons;

	wpublish(q, &e);
	for (int i = 0; i < 5000; i++) {	/* up to ~5 s */
		__sync_synchronize();
		if (CTL(q)->cq_prod != cons) {
			long r = CQ(q, cons)->result;
			uint64_t t = CQ(q, cons)->tag;

			CTL(q)->cq_cons = cons + 1;
			return t == e.tag ? r : -100001;
		}
		usleep(1000);
	}
	return -100000;
}

static uint16_t wsys;	/* "sys" bound in the raw session */

/* HC_SESSION_BIND of name 1.0 as an entry of queue pair q: its result. */
static long wbind(int q, const char *name)
{
	static uint64_t tag = 100;
	size_t n = strlen(name);
	struct hc_sqe e = { .tag = ++tag, .module = HC_MOD_SESSION,
			    .op = HC_SESSION_BIND, .args = { 1, 0, 0, 0 },
			    .in_off = DATA_IN, .in_len = (uint32_t)n };
	uint32_t cons = CTL(q)->cq_cons;

	memcpy(QP(q) + DATA_IN, name, n);
	wpublish(q, &e);
	for (int i = 0; i < 5000; i++) {
		__sync_synchronize();
		if (CTL(q)->cq_prod != cons) {
			long r = CQ(q, cons)->result;

			CTL(q)->cq_cons = cons + 1;
			return r;
		}
		usleep(1000);
	}
	return -100000;
}

/* Wait (bounded) until queue pair q is BROKEN; its error, or -1. */
static long wbroken(int q)
{
	for (int i = 0; i < 2000; i++) {
		__sync_synchronize();
		if (CTL(q)->state & HC_QP_BROKEN)
			return CTL(q)->error;
		usleep(1000);
	}
	return -1;
}

static long wping(int q, const char *msg)
{
	size_t n = strlen(msg);

	memcpy(QP(q) + DATA_IN, msg, n);
	memset(QP(q) + DATA_OUT, 0, n);
	long r = wcall(q, wsys, HC_SYS_PING, 0, DATA_IN, n, DATA_OUT, n);
	return r == (long)n && !memcmp(QP(q) + DATA_OUT, msg, n) ? r : (r >= 0 ? -100002 : r);
}

/* The raw session's window: malformed entries, then broken indices. */
static void window_part(const char *dev, long sess)
{
	char path[600];
	long r;

	snprintf(path, sizeof(path), "%s/resource2", dev);
	int fd = open(path, O_RDWR | O_SYNC);
	win = fd < 0 ? MAP_FAILED : mmap(NULL, HC_WIN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
					 fd, (off_t)(sess - 1) * HC_WIN_SIZE);
	if (win == MAP_FAILED) {
		check(0, "window: map the raw session's window", "errno %ld", (long)errno);
		return;
	}
	wsess = (uint32_t)sess;
	check(CTL(0)->state == 0 && CTL(1)->state == 0, "window: both queue pairs alive",
	      "state %lx", (long)(CTL(0)->state | CTL(1)->state << 8));
	r = wbind(0, "sys");
	check(r > 0 && r < HC_MAX_BINDINGS, "window: raw bind of sys 1.0", "result %ld", r);
	wsys = r > 0 ? (uint16_t)r : 1;
	r = wbind(1, "sys");
	check(r == wsys, "window: a bind in the other queue pair gets the same handle",
	      "result %ld", r);
	r = wping(0, "window-ping");
	check(r == 11, "window: raw ping echoes", "result %ld", r);

	/* Each malformed entry fails alone. */
	r = wcall(0, 77, 1, 0, 0, 0, 0, 0);
	check(r == -EBADF, "window: a handle never bound gets EBADF", "result %ld", r);
	r = wcall(0, wsys, 999, 0, 0, 0, 0, 0);
	check(r == -ENOSYS, "window: unknown op gets ENOSYS", "result %ld", r);
	r = wcall(0, HC_MOD_SESSION, HC_SESSION_OPEN, 0, 0, 0, 0, 0);
	check(r == -ENOSYS, "window: session open as an entry gets ENOSYS", "result %ld", r);
	r = wcall(0, wsys, HC_SYS_PING, 5, 0, 0, 0, 0);
	check(r == -EINVAL, "window: nonzero flags get EINVAL", "result %ld", r);
	r = wcall(0, wsys, HC_SYS_PING, 0, DATA_IN, HC_MAX_DATA + 1, 0, 0);
	check(r == -EINVAL, "window: input over HC_MAX_DATA gets EINVAL", "result %ld", r);
	r = wcall(0, wsys, HC_SYS_PING, 0, HC_QP_SQ_OFF, 64, 0, 0);
	check(r == -EFAULT, "window: input in the ring area gets EFAULT", "result %ld", r);
	r = wcall(0, wsys, HC_SYS_PING, 0, DATA_IN, 16, HC_QP_CTL_OFF, 16);
	check(r == -EFAULT, "window: output over the indices gets EFAULT", "result %ld", r);
	r = wcall(0, wsys, HC_SYS_PING, 0, HC_QP_SIZE - 8, 16, 0, 0);
	check(r == -EFAULT, "window: input past the queue pair gets EFAULT", "result %ld", r);
	r = wcall(0, wsys, HC_SYS_PING, 0, 0xfffffff0u, 0x20, 0, 0);
	check(r == -EFAULT, "window: offset wrapping around gets EFAULT", "result %ld", r);
	r = wcall(0, HC_MOD_SESSION, HC_SESSION_CANCEL, 0, 0, 0, 0, 0);
	check(r == 0, "window: cancel of an unknown tag completes with 0", "result %ld", r);
	r = wping(0, "still-here");
	check(r == 10, "window: queue pair still serves after malformed entries", "result %ld", r);

	/* Broken indices stop that queue pair only. */
	CTL(0)->sq_prod = CTL(0)->sq_cons + 1000;
	__sync_synchronize();
	regs[HC_REG_SESSION_DOORBELL(wsess) / 4] = 1;
	r = wbroken(0);
	check(r == HC_QPERR_SQ_INDEX, "window: corrupted sq_prod breaks qp 0 with SQ_INDEX",
	      "error %ld", r);
	r = wping(1, "other-qp");
	check(r == 8, "window: the other queue pair lives on", "result %ld", r);
	CTL(1)->cq_cons = CTL(1)->cq_prod + 1000;
	struct hc_sqe e = { .tag = 9, .module = wsys, .op = HC_SYS_TIME };
	wpublish(1, &e);
	r = wbroken(1);
	check(r == HC_QPERR_CQ_INDEX, "window: corrupted cq_cons breaks qp 1 with CQ_INDEX",
	      "error %ld", r);
	/* Garbage in a broken queue pair's ring: nothing happens. */
	for (int i = 0; i < 4096; i++)
		QP(0)[HC_QP_SQ_OFF + i] = (char)(rand() & 0xff);
	regs[HC_REG_SESSION_DOORBELL(wsess) / 4] = 1;
	/* A doorbell of a session that has no window is ignored. */
	regs[HC_REG_SESSION_DOORBELL(wsess + 7) / 4] = 1;
	munmap(win, HC_WIN_SIZE);
	close(fd);
}

static int enable_ring(uint64_t pa, uint32_t entries)
{
	regs[HC_REG_CTRL / 4] = HC_CTRL_RESET;
	regs[HC_REG_RING_LO / 4] = (uint32_t)pa;
	regs[HC_REG_RING_HI / 4] = (uint32_t)(pa >> 32);
	regs[HC_REG_RING_ENTRIES / 4] = entries;
	regs[HC_REG_CTRL / 4] = HC_CTRL_ENABLE;
	return (int)regs[HC_REG_STATUS / 4];
}

static sigjmp_buf ill_jmp;
static void on_ill(int sig)
{
	(void)sig;
	siglongjmp(ill_jmp, 1);
}

/* The hypercall instruction from user mode must be refused, not served. */
static long user_hypercall(int vmcall)
{
	long ret = HC_HYPERCALL_NR;
	struct sigaction sa = { .sa_handler = on_ill }, old;

	sigaction(SIGILL, &sa, &old);
	if (sigsetjmp(ill_jmp, 1)) {
		sigaction(SIGILL, &old, NULL);
		return -99999;	/* #UD */
	}
	if (vmcall)
		asm volatile("vmcall" : "+a"(ret) : "b"((long)token), "c"(0L) : "memory");
	else
		asm volatile("vmmcall" : "+a"(ret) : "b"((long)token), "c"(0L) : "memory");
	sigaction(SIGILL, &old, NULL);
	return ret;
}

int main(void)
{
	char dev[512], path[600];
	int ndev;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (find_victim(dev, sizeof(dev), &ndev) || ndev < 2) {
		printf("FAIL: hostile: setup: need two hostcall devices, found %d\n", ndev);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/driver/unbind", dev);
	if (access(path, F_OK) == 0)
		write_file(path, strrchr(dev, '/') + 1);
	snprintf(path, sizeof(path), "%s/enable", dev);
	write_file(path, "1");
	/* memory decoding and bus mastering, as a driver would set */
	snprintf(path, sizeof(path), "%s/config", dev);
	int cfd = open(path, O_RDWR);
	uint16_t cmd = 0;
	if (cfd < 0 || pread(cfd, &cmd, 2, 4) != 2) {
		printf("FAIL: hostile: setup: config space: %s\n", strerror(errno));
		return 1;
	}
	cmd |= 0x6;
	if (pwrite(cfd, &cmd, 2, 4) != 2)
		printf("FAIL: hostile: setup: enable bus master: %s\n", strerror(errno));
	close(cfd);
	snprintf(path, sizeof(path), "%s/resource0", dev);
	int rfd = open(path, O_RDWR | O_SYNC);
	regs = rfd < 0 ? MAP_FAILED : mmap(NULL, HC_BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0);
	if (regs == MAP_FAILED) {
		printf("FAIL: hostile: setup: map BAR0: %s\n", strerror(errno));
		return 1;
	}
	check(regs[HC_REG_MAGIC / 4] == HC_MAGIC, "raw device answers with its magic", "magic %lx",
	      (long)regs[HC_REG_MAGIC / 4]);
	token = regs[HC_REG_TOKEN / 4];

	ring = mmap(NULL, 4096 * 9, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	if (ring == MAP_FAILED || mlock(ring, 4096 * 9)) {
		printf("FAIL: hostile: setup: lock pages: %s\n", strerror(errno));
		return 1;
	}
	memset(ring, 0, 4096 * 9);
	buf = ring + 4096;
	ring_pa = phys(ring);
	for (int i = 0; i < 8; i++)
		buf_pa[i] = phys(buf + i * 4096);
	if (!ring_pa || !buf_pa[0]) {
		printf("FAIL: hostile: setup: no physical addresses from pagemap\n");
		return 1;
	}

	/* Ring configuration errors */
	int st = enable_ring(0xfffff000000ull, ENTRIES);
	check((st & HC_STATUS_ERROR) && regs[HC_REG_ERROR / 4] == HC_DEVERR_RING_ADDR,
	      "ring outside guest RAM is refused", "status %lx", st);
	st = enable_ring(ring_pa, 7);
	check((st & HC_STATUS_ERROR) && !(st & HC_STATUS_READY), "ring size not a power of 2 is refused",
	      "status %lx", st);
	st = enable_ring(ring_pa, 1u << 20);
	check((st & HC_STATUS_ERROR) && !(st & HC_STATUS_READY), "ring size too large is refused",
	      "status %lx", st);
	st = enable_ring(ring_pa + 12, ENTRIES);
	check((st & HC_STATUS_ERROR) && !(st & HC_STATUS_READY), "unaligned ring is refused",
	      "status %lx", st);
	st = enable_ring(ring_pa, ENTRIES);
	check((st & HC_STATUS_READY) && !(st & HC_STATUS_ERROR), "valid raw ring is accepted",
	      "status %lx", st);

	/* Open a session the raw way: identity in one input segment. */
	struct hc_identity *id = (struct hc_identity *)(buf + 4096);
	memset(id, 0, sizeof(*id));
	strcpy(id->comm, "hc-hostile");
	struct hc_seg *s = segs();
	s[0] = (struct hc_seg){ buf_pa[1], sizeof(*id) - 4, 0 };
	long r = call(HC_MOD_SESSION, HC_SESSION_OPEN, 0, buf_pa[0], 1, 0, 0);
	check(r == -EINVAL, "session open with a short identity gets EINVAL", "result %ld", r);
	s[0] = (struct hc_seg){ buf_pa[1], sizeof(*id), 0 };
	s[1] = (struct hc_seg){ buf_pa[2], sizeof(struct hc_session_info), 0 };
	long sess = call(HC_MOD_SESSION, HC_SESSION_OPEN, 0, buf_pa[0], 1, 1, 0);
	check(sess > 0, "raw session open works", "result %ld", sess);

	/* The control ring carries session open and close only. */
	memcpy(buf + 3 * 4096, "hostile-ping", 12);
	s[0] = (struct hc_seg){ buf_pa[3], 12, 0 };
	s[1] = (struct hc_seg){ buf_pa[4], 12, 0 };
	r = call(1, HC_SYS_PING, (uint32_t)sess, buf_pa[0], 1, 1, 0);
	check(r == -ENOSYS, "ping on the control ring gets ENOSYS", "result %ld", r);

	/* Malformed descriptors: each gets its error, the ring keeps going.
	 * Opens with bad segments fail before any session exists. */
	r = call(77, 1, (uint32_t)sess, 0, 0, 0, 0);
	check(r == -ENOSYS, "unknown module gets ENOSYS", "result %ld", r);
	r = call(HC_MOD_SESSION, HC_SESSION_CLOSE, 4242, 0, 0, 0, 0);
	check(r == -EBADF, "unknown session gets EBADF", "result %ld", r);
	r = call(HC_MOD_SESSION, HC_SESSION_OPEN, 7, 0, 0, 0, 0);
	check(r == -EINVAL, "open naming a session gets EINVAL", "result %ld", r);
	r = call(HC_MOD_SESSION, HC_SESSION_OPEN, 0, 0, 0, 0, 5);
	check(r == -EINVAL, "nonzero flags get EINVAL", "result %ld", r);
	r = call(HC_MOD_SESSION, HC_SESSION_OPEN, 0, 0xfffffff0000ull, 1, 0, 0);
	check(r == -EFAULT, "segment table past guest RAM gets EFAULT", "result %ld", r);
	s[0] = (struct hc_seg){ 0xfffffff0000ull, 16, 0 };
	r = call(HC_MOD_SESSION, HC_SESSION_OPEN, 0, buf_pa[0], 1, 0, 0);
	check(r == -EFAULT, "input segment past guest RAM gets EFAULT", "result %ld", r);
	s[0] = (struct hc_seg){ buf_pa[1], sizeof(*id), 0 };
	s[1] = (struct hc_seg){ 0xfffffff0000ull, 12, 0 };
	r = call(HC_MOD_SESSION, HC_SESSION_OPEN, 0, buf_pa[0], 1, 1, 0);
	check(r == -EFAULT, "output segment past guest RAM gets EFAULT", "result %ld", r);
	s[0] = (struct hc_seg){ buf_pa[3] + 4000, 200, 0 };
	r = call(HC_MOD_SESSION, HC_SESSION_OPEN, 0, buf_pa[0], 1, 0, 0);
	check(r == -EINVAL, "segment crossing a page gets EINVAL", "result %ld", r);
	s[0] = (struct hc_seg){ buf_pa[3], 0, 0 };
	r = call(HC_MOD_SESSION, HC_SESSION_OPEN, 0, buf_pa[0], 1, 0, 0);
	check(r == -EINVAL, "empty segment gets EINVAL", "result %ld", r);
	r = call(HC_MOD_SESSION, HC_SESSION_OPEN, 0, buf_pa[0], HC_MAX_SEGS, 1, 0);
	check(r == -E2BIG, "too many segments get E2BIG", "result %ld", r);
	for (int i = 0; i < 40; i++)	/* 40 pages of input > HC_MAX_DATA */
		s[i] = (struct hc_seg){ buf_pa[3 + i % 4], 4096, 0 };
	r = call(HC_MOD_SESSION, HC_SESSION_OPEN, 0, buf_pa[0], 40, 0, 0);
	check(r == -E2BIG, "input over HC_MAX_DATA gets E2BIG", "result %ld", r);
	r = call(HC_MOD_SESSION, 42, (uint32_t)sess, 0, 0, 0, 0);
	check(r == -ENOSYS, "unknown session op gets ENOSYS", "result %ld", r);
	s[0] = (struct hc_seg){ buf_pa[1], sizeof(*id), 0 };
	s[1] = (struct hc_seg){ buf_pa[2], sizeof(struct hc_session_info), 0 };
	long sess2 = call(HC_MOD_SESSION, HC_SESSION_OPEN, 0, buf_pa[0], 1, 1, 0);
	r = sess2 > 0 ? call(HC_MOD_SESSION, HC_SESSION_CLOSE, (uint32_t)sess2, 0, 0, 0, 0) : sess2;
	check(sess2 > 0 && r == 0, "device still opens and closes after malformed requests",
	      "result %ld", r);

	/* The session's window, abused. */
	window_part(dev, sess);

	/* The hypercall from user mode: refused with -KVM_EPERM, never served. */
	r = user_hypercall(0);
	check(r == -1, "vmmcall from user mode gets KVM_EPERM", "rax %ld", r);
	r = user_hypercall(1);
	check(r == -1, "vmcall from user mode gets KVM_EPERM", "rax %ld", r);

	/* Corrupted ring index: the device stops this ring and says why. */
	HDR->req_prod = HDR->req_cons + 1000;
	kick();
	usleep(100000);
	st = (int)regs[HC_REG_STATUS / 4];
	check((st & HC_STATUS_ERROR) && regs[HC_REG_ERROR / 4] == HC_DEVERR_RING_INDEX,
	      "corrupted req_prod stops the ring with RING_INDEX", "status %lx", st);
	/* Garbage everywhere, then reset: the device must survive it. */
	for (int i = 0; i < 4096; i++)
		ring[i] = (char)(rand() & 0xff);
	kick();
	regs[HC_REG_CTRL / 4] = HC_CTRL_RESET;
	st = enable_ring(ring_pa, ENTRIES);
	memset(ring, 0, 4096);
	regs[HC_REG_CTRL / 4] = HC_CTRL_RESET;
	req_prod = 0;
	st = enable_ring(ring_pa, ENTRIES);
	r = call(HC_MOD_SESSION, HC_SESSION_CLOSE, (uint32_t)sess, 0, 0, 0, 0);
	check(r == -EBADF, "reset ends the raw session", "result %ld", r);
	regs[HC_REG_CTRL / 4] = HC_CTRL_RESET;

	/* The driver's device must not have noticed any of it. */
	int rc = system("hostcall ping -c 3 >/dev/null");
	check(rc == 0, "the other device keeps serving (hostcall ping)", "status %ld", rc);
	printf("hostile: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
