// SPDX-License-Identifier: GPL-2.0-only
/*
 * eventfd_test.c: hostcall_test's cases for KVM_HOSTCALL_EVENTFD
 * (kvm-patch/0003): the ioctl's errors, and that a guest's session kick
 * signals the registered eventfd with no KVM_EXIT_HYPERCALL while others
 * still exit.  The guest kicks KICKS times in a loop:
 *
 *	1: mov %r8, %rax	(RAX = hypercall number)
 *	   vmcall / vmmcall	(RBX token, RCX kick, RDX session)
 *	   or %rax, %r10	(R10: every result or-ed together)
 *	   dec %rdi
 *	   jnz 1b
 *	   out %al, $0x10
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/kvm_para.h>

#include "harness.h"
#include "hostcall_abi.h"	/* HC_KICK_*: the guest's view */
#include "hostcall_kvm.h"

#define KICKS		100
#define MAX_EVENTFDS	4096	/* the patch's bound per VM */

int hc_eventfd(struct vm *v, uint32_t token, uint32_t session, int fd,
	       uint32_t flags)
{
	struct kvm_hostcall_eventfd a = {
		.token = token, .session = session, .fd = fd, .flags = flags,
	};

	return ioctl(v->fd, KVM_HOSTCALL_EVENTFD, &a) ? -errno : 0;
}

/* What a non-blocking eventfd counted since the last read (0: nothing). */
static uint64_t drain(int efd)
{
	uint64_t n;

	if (read(efd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* Point the vCPU at the kick loop, to kick n times. */
void set_kicks_n(struct vm *v, uint64_t token, uint64_t kick, uint64_t session,
		 unsigned int n)
{
	static const uint8_t head[] = { 0x4c, 0x89, 0xc0 };	/* mov %r8, %rax */
	static const uint8_t tail[] = {
		0x49, 0x09, 0xc2,	/* or %rax, %r10 */
		0x48, 0xff, 0xcf,	/* dec %rdi */
		0x75, 0xf2,		/* jnz -14 */
		0xe6, DONE_PORT,	/* out %al, $DONE_PORT */
		0xf4,			/* hlt */
	};
	uint8_t *p = v->mem + LOOP_GPA;
	struct kvm_regs regs;

	memcpy(p, head, sizeof(head));
	p += sizeof(head);
	memcpy(p, v->mem + CODE_GPA, HC_INSN_LEN);	/* the hypercall */
	p += HC_INSN_LEN;
	memcpy(p, tail, sizeof(tail));

	guest_regs(v, &regs);
	regs.rip = LOOP_GPA;
	regs.r8 = HC_HYPERCALL_NR;
	regs.rbx = token;
	regs.rcx = kick;
	regs.rdx = session;
	regs.rdi = n;
	regs.r10 = 0;
	if (ioctl(v->vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
}

static void set_kicks(struct vm *v, uint64_t token, uint64_t kick,
		      uint64_t session)
{
	set_kicks_n(v, token, kick, session, KICKS);
}

/*
 * Run the kick loop to its OUT, answering each KVM_EXIT_HYPERCALL with 0.
 * Returns the number of those exits, -1 if the guest stopped elsewhere;
 * *results is R10, the or of what the hypercalls returned.
 */
static int run_kicks(struct vm *v, uint64_t *results)
{
	struct kvm_regs regs;
	int exits = 0;
	unsigned int r;

	for (;;) {
		r = vm_run(v);
		if (r != KVM_EXIT_HYPERCALL)
			break;
		if (v->run->hypercall.nr != KVM_HC_HOSTCALL)
			printf("# unexpected hypercall.nr 0x%llx\n",
			       (unsigned long long)v->run->hypercall.nr);
		v->run->hypercall.ret = 0;
		if (++exits > KICKS)
			break;
	}
	if (!at_done_port(v)) {
		printf("# kick loop stopped with exit %u (%s) after %d exits\n",
		       r, exit_name(r), exits);
		return -1;
	}
	guest_regs(v, &regs);
	*results = regs.r10;
	return exits;
}

/*
 * One VM, KICKS kicks with these registers: check the number of exits to
 * userspace, the eventfd's count and the or of the guest's results.
 */
static void kicks(const char *what, int cpl, int exit_cap, uint64_t token,
		  uint64_t kick, uint64_t session, int registered,
		  int want_exits, uint64_t want_count, uint64_t want_results)
{
	uint64_t results = 0, count;
	int efd, exits;
	struct vm v;

	if (cpl && foreign_insn) {
		skip(what, "foreign hypercall instruction faults at CPL 3");
		return;
	}
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		die("eventfd");
	vm_create(&v, LONG64, cpl, HC_HYPERCALL_NR);
	if (exit_cap && enable_hostcall(&v, KVM_EXIT_HOSTCALL_ENABLE, 0, 0))
		die("KVM_ENABLE_CAP(KVM_CAP_EXIT_HOSTCALL)");
	if (registered && hc_eventfd(&v, TOKEN, SESSION, efd, 0))
		die("KVM_HOSTCALL_EVENTFD");
	set_kicks(&v, token, kick, session);
	exits = run_kicks(&v, &results);
	count = drain(efd);
	check(exits == want_exits && count == want_count &&
	      results == want_results,
	      "%s: %d exits, eventfd %llu, results 0x%llx (want %d, %llu, 0x%llx)",
	      what, exits, (unsigned long long)count,
	      (unsigned long long)results, want_exits,
	      (unsigned long long)want_count,
	      (unsigned long long)want_results);
	vm_destroy(&v);
	close(efd);
}

static void test_ioctl_errors(void)
{
	int efd, efd2, nfd, i, r = 0;
	struct vm v, w;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	efd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	nfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (efd < 0 || efd2 < 0 || nfd < 0)
		die("eventfd or /dev/null");
	vm_create(&v, LONG64, 0, HC_HYPERCALL_NR);

	check(hc_eventfd(&v, TOKEN, SESSION, efd, 0) == 0,
	      "KVM_HOSTCALL_EVENTFD: assign");
	check(hc_eventfd(&v, TOKEN, SESSION, efd, 0) == -EEXIST,
	      "KVM_HOSTCALL_EVENTFD: same (token, session) again -> EEXIST");
	check(hc_eventfd(&v, TOKEN, SESSION, efd2, 0) == -EEXIST,
	      "KVM_HOSTCALL_EVENTFD: same (token, session), other fd -> EEXIST");
	check(hc_eventfd(&v, TOKEN + 1, SESSION, efd, 0) == 0 &&
	      hc_eventfd(&v, TOKEN, SESSION + 1, efd, 0) == 0,
	      "KVM_HOSTCALL_EVENTFD: other token, other session, same fd");
	check(hc_eventfd(&v, TOKEN, 9, -1, 0) == -EBADF,
	      "KVM_HOSTCALL_EVENTFD: fd -1 -> EBADF");
	check(hc_eventfd(&v, TOKEN, 9, 1000000, 0) == -EBADF,
	      "KVM_HOSTCALL_EVENTFD: fd not open -> EBADF");
	check(hc_eventfd(&v, TOKEN, 9, nfd, 0) == -EINVAL,
	      "KVM_HOSTCALL_EVENTFD: fd not an eventfd -> EINVAL");
	check(hc_eventfd(&v, TOKEN, 9, efd, 2) == -EINVAL,
	      "KVM_HOSTCALL_EVENTFD: unknown flag -> EINVAL");
	check(hc_eventfd(&v, TOKEN, 9, -1, KVM_HOSTCALL_EVENTFD_DEASSIGN) ==
	      -ENOENT,
	      "KVM_HOSTCALL_EVENTFD: deassign what was never assigned -> ENOENT");
	check(hc_eventfd(&v, TOKEN, SESSION, -1,
			 KVM_HOSTCALL_EVENTFD_DEASSIGN) == 0,
	      "KVM_HOSTCALL_EVENTFD: deassign (fd ignored)");
	check(hc_eventfd(&v, TOKEN, SESSION, -1,
			 KVM_HOSTCALL_EVENTFD_DEASSIGN) == -ENOENT,
	      "KVM_HOSTCALL_EVENTFD: deassign twice -> ENOENT");
	check(hc_eventfd(&v, TOKEN, SESSION, efd2, 0) == 0,
	      "KVM_HOSTCALL_EVENTFD: assign again after deassign");

	/* Fill the VM up: 3 registrations so far. */
	for (i = 3; i < MAX_EVENTFDS && !r; i++)
		r = hc_eventfd(&v, TOKEN + 2, i, efd, 0);
	check(!r, "KVM_HOSTCALL_EVENTFD: %d registrations in one VM",
	      MAX_EVENTFDS);
	check(hc_eventfd(&v, TOKEN + 3, 0, efd, 0) == -ENOSPC,
	      "KVM_HOSTCALL_EVENTFD: registration %d -> ENOSPC",
	      MAX_EVENTFDS + 1);
	check(hc_eventfd(&v, TOKEN + 2, 3, -1,
			 KVM_HOSTCALL_EVENTFD_DEASSIGN) == 0 &&
	      hc_eventfd(&v, TOKEN + 3, 0, efd, 0) == 0,
	      "KVM_HOSTCALL_EVENTFD: after a deassign there is room for one");
	vm_create(&w, LONG64, 0, HC_HYPERCALL_NR);
	check(hc_eventfd(&w, TOKEN + 2, 3, efd, 0) == 0,
	      "KVM_HOSTCALL_EVENTFD: the bound is per VM (a second VM assigns)");
	/* Both VMs go with their registrations (KVM drops them). */
	vm_destroy(&w);
	vm_destroy(&v);
	check(drain(efd) == 0, "no kick, no eventfd signal");
	close(efd);
	close(efd2);
	close(nfd);
}

/* Assign, kick (no exits), deassign, kick (exits again): one VM. */
static void test_deassign_exits_again(void)
{
	uint64_t results;
	int efd, a, b;
	struct vm v;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		die("eventfd");
	vm_create(&v, LONG64, 0, HC_HYPERCALL_NR);
	if (enable_hostcall(&v, KVM_EXIT_HOSTCALL_ENABLE, 0, 0) ||
	    hc_eventfd(&v, TOKEN, SESSION, efd, 0))
		die("KVM_ENABLE_CAP or KVM_HOSTCALL_EVENTFD");
	set_kicks(&v, TOKEN, HC_KICK_SESSION, SESSION);
	a = run_kicks(&v, &results);
	check(a == 0 && drain(efd) == KICKS && results == 0,
	      "registered: %d kicks, 0 exits (got %d), eventfd counts them",
	      KICKS, a);
	if (hc_eventfd(&v, TOKEN, SESSION, -1, KVM_HOSTCALL_EVENTFD_DEASSIGN))
		die("KVM_HOSTCALL_EVENTFD deassign");
	set_kicks(&v, TOKEN, HC_KICK_SESSION, SESSION);
	b = run_kicks(&v, &results);
	check(b == KICKS && drain(efd) == 0,
	      "after deassign the same VM exits again: %d exits (got %d), eventfd silent",
	      KICKS, b);
	if (hc_eventfd(&v, TOKEN, SESSION, efd, 0))
		die("KVM_HOSTCALL_EVENTFD reassign");
	set_kicks(&v, TOKEN, HC_KICK_SESSION, SESSION);
	a = run_kicks(&v, &results);
	check(a == 0 && drain(efd) == KICKS,
	      "assigned again: 0 exits (got %d), eventfd counts them", a);
	vm_destroy(&v);
	close(efd);
}

void eventfd_tests(void)
{
	int cap = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_HOSTCALL_EVENTFD);

	printf("# KVM_CHECK_EXTENSION(KVM_CAP_HOSTCALL_EVENTFD) = %d\n", cap);
	if (cap <= 0) {
		skip("KVM_HOSTCALL_EVENTFD tests",
		     "KVM_CAP_HOSTCALL_EVENTFD not offered");
		return;
	}
	check(cap == 1, "KVM_CHECK_EXTENSION(KVM_CAP_HOSTCALL_EVENTFD) = 1");
	test_ioctl_errors();

	kicks("eventfd: registered session kick", 0, 1,
	      TOKEN, HC_KICK_SESSION, SESSION, 1, 0, KICKS, 0);
	kicks("eventfd: registered, KVM_CAP_EXIT_HOSTCALL off", 0, 0,
	      TOKEN, HC_KICK_SESSION, SESSION, 1, 0, KICKS, 0);
	kicks("eventfd: unregistered session exits", 0, 1,
	      TOKEN, HC_KICK_SESSION, SESSION + 1, 1, KICKS, 0, 0);
	kicks("eventfd: other token exits", 0, 1,
	      TOKEN + 1, HC_KICK_SESSION, SESSION, 1, KICKS, 0, 0);
	kicks("eventfd: token with high bits set exits", 0, 1,
	      (1ull << 32) | TOKEN, HC_KICK_SESSION, SESSION, 1, KICKS, 0, 0);
	kicks("eventfd: other kick (HC_KICK_PROBE) exits", 0, 1,
	      TOKEN, HC_KICK_PROBE, SESSION, 1, KICKS, 0, 0);
	kicks("eventfd: no registration, capability off -> -KVM_ENOSYS", 0, 0,
	      TOKEN, HC_KICK_SESSION, SESSION, 0, 0, 0,
	      (uint64_t)-KVM_ENOSYS);
	kicks("eventfd: CPL 3 -> -KVM_EPERM, no signal", 3, 1,
	      TOKEN, HC_KICK_SESSION, SESSION, 1, 0, 0, (uint64_t)-KVM_EPERM);
	test_deassign_exits_again();
	kick_bench();
}
