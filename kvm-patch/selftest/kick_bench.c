// SPDX-License-Identifier: GPL-2.0-only
/*
 * kick_bench.c: what one kick costs the guest, from the hypercall or the
 * doorbell write until the guest runs on with the eventfd signalled, for
 * the three ways a hostcall guest kicks its shadow under KVM:
 *
 *   hypercall-eventfd (kvm)   KVM_HOSTCALL_EVENTFD: KVM signals it (0003)
 *   doorbell-ioeventfd (kvm)  a 32-bit MMIO write to a KVM_IOEVENTFD
 *   hypercall (kvm)           KVM_EXIT_HYPERCALL; this process writes the
 *                             eventfd and enters again, as QEMU does (0001)
 *
 * Each runs BENCH_KICKS kicks in a guest loop; best of BENCH_ROUNDS, the
 * modes interleaved so that the machine's noise hits all of them alike.
 * The figures are comment lines; the checks are that every kick signalled.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "harness.h"
#include "hostcall_abi.h"
#include "hostcall_kvm.h"

#define BENCH_KICKS	1000
#define BENCH_ROUNDS	3
#define DOORBELL_GPA	0x200000ul	/* first byte past the memory slot */

enum { HC_EVENTFD, DOORBELL, HC_EXIT, NMODES };

static const char *const mode_name[NMODES] = {
	"hypercall-eventfd (kvm)",
	"doorbell-ioeventfd (kvm)",
	"hypercall (kvm)",
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/*
 * The doorbell loop, at LOOP_GPA:
 *	1: mov %eax, (%r9)	(R9 = DOORBELL_GPA, mapped by a second 2 MiB
 *	   dec %rdi		 page that no memory slot backs: MMIO)
 *	   jnz 1b
 *	   out %al, $0x10
 */
static void set_doorbell_loop(struct vm *v, int efd)
{
	static const uint8_t loop[] = {
		0x41, 0x89, 0x01,	/* mov %eax, (%r9) */
		0x48, 0xff, 0xcf,	/* dec %rdi */
		0x75, 0xf8,		/* jnz -8 */
		0xe6, DONE_PORT,	/* out %al, $DONE_PORT */
		0xf4,			/* hlt */
	};
	struct kvm_ioeventfd io = {
		.addr = DOORBELL_GPA, .len = 4, .fd = efd,
	};
	uint64_t *pd = (uint64_t *)(v->mem + PD_GPA);
	struct kvm_regs regs;

	pd[1] = DOORBELL_GPA | 0x87;
	memcpy(v->mem + LOOP_GPA, loop, sizeof(loop));
	if (ioctl(v->fd, KVM_IOEVENTFD, &io))
		die("KVM_IOEVENTFD");
	guest_regs(v, &regs);
	regs.rip = LOOP_GPA;
	regs.r9 = DOORBELL_GPA;
	regs.rdi = BENCH_KICKS;
	if (ioctl(v->vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
}

/* One round of one mode: microseconds per kick, or -1 if it went wrong. */
static double bench_once(int mode)
{
	uint64_t count = 0;
	unsigned int r;
	double t0, dt;
	int efd, ok;
	struct vm v;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		die("eventfd");
	vm_create(&v, LONG64, 0, HC_HYPERCALL_NR);
	if (mode == DOORBELL) {
		set_doorbell_loop(&v, efd);
	} else {
		if (enable_hostcall(&v, KVM_EXIT_HOSTCALL_ENABLE, 0, 0))
			die("KVM_ENABLE_CAP(KVM_CAP_EXIT_HOSTCALL)");
		if (mode == HC_EVENTFD &&
		    hc_eventfd(&v, TOKEN, SESSION, efd, 0))
			die("KVM_HOSTCALL_EVENTFD");
		set_kicks_n(&v, TOKEN, HC_KICK_SESSION, SESSION, BENCH_KICKS);
	}

	t0 = now_us();
	for (;;) {
		r = vm_run(&v);
		if (r != KVM_EXIT_HYPERCALL)
			break;
		/* what QEMU does for the kick: signal, answer 0 */
		if (eventfd_write(efd, 1))
			die("eventfd_write");
		v.run->hypercall.ret = 0;
	}
	dt = now_us() - t0;

	ok = at_done_port(&v);
	if (read(efd, &count, sizeof(count)) != sizeof(count))
		count = 0;
	if (!ok || count != BENCH_KICKS)
		printf("# %s: stopped with exit %u (%s), eventfd %llu of %d\n",
		       mode_name[mode], r, exit_name(r),
		       (unsigned long long)count, BENCH_KICKS);
	vm_destroy(&v);
	close(efd);
	return ok && count == BENCH_KICKS ? dt / BENCH_KICKS : -1;
}

void kick_bench(void)
{
	double best[NMODES], t;
	int m, i, bad[NMODES] = { 0 };

	for (m = 0; m < NMODES; m++)
		best[m] = -1;
	for (i = 0; i < BENCH_ROUNDS; i++) {
		for (m = 0; m < NMODES; m++) {
			t = bench_once(m);
			if (t < 0)
				bad[m] = 1;
			else if (best[m] < 0 || t < best[m])
				best[m] = t;
		}
	}
	for (m = 0; m < NMODES; m++) {
		check(!bad[m], "kick bench: %s: %d x %d kicks, each signalled the eventfd",
		      mode_name[m], BENCH_ROUNDS, BENCH_KICKS);
		if (!bad[m])
			printf("# kick: %s: %.2f us per kick (best of %d x %d)\n",
			       mode_name[m], best[m], BENCH_ROUNDS, BENCH_KICKS);
	}
	if (!bad[HC_EVENTFD] && !bad[HC_EXIT] && !bad[DOORBELL])
		printf("# kick: hypercall-eventfd is %.2fx the cost of doorbell-ioeventfd and %.2fx that of hypercall exits\n",
		       best[HC_EVENTFD] / best[DOORBELL],
		       best[HC_EVENTFD] / best[HC_EXIT]);
}
