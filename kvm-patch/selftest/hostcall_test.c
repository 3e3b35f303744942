// SPDX-License-Identifier: GPL-2.0-only
/*
 * hostcall_test: standalone test of kvm-patch's KVM_CAP_EXIT_HOSTCALL
 * (0001) and KVM_HOSTCALL_EVENTFD (0003, eventfd_test.c).
 *
 * Self-contained: talks to /dev/kvm with ioctls, no selftest library, so it
 * builds as one static binary and runs inside a nested L1 guest.  Each case
 * creates its own VM with one vCPU (harness.c) that runs a hypercall and
 * reports with an OUT.
 *
 * Output is TAP. Exit status: 0 all passed, 1 a failure, 4 (kselftest's
 * skip) when KVM does not offer KVM_CAP_EXIT_HOSTCALL (only the
 * stock-behaviour cases then ran).  Environment:
 * HOSTCALL_TEST_INSN=vmcall|vmmcall forces the instruction (KVM then
 * patches it; its quirk is on by default); HOSTCALL_TEST_TIMEOUT=seconds
 * bounds each KVM_RUN (default 20).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>
#include <linux/kvm_para.h>

#include "harness.h"
#include "hostcall_abi.h"	/* HC_HYPERCALL_NR: the guest's view */
#include "hostcall_kvm.h"	/* KVM_CAP_EXIT_HOSTCALL & co. */

void eventfd_tests(void);	/* eventfd_test.c */

/*
 * Run a guest that must NOT exit for the hypercall; the hypercall's result
 * must be `want` in RAX when the guest reaches the OUT.
 */
static void expect_no_exit(const char *what, enum mode mode, int cpl,
			   uint64_t nr, int enable, uint64_t want)
{
	uint64_t rax;
	unsigned int r;
	struct vm v;

	/*
	 * KVM emulates the other vendor's instruction after the #UD, and its
	 * emulator raises #GP for it outside CPL 0 (stock behaviour; guests
	 * use the native instruction).
	 */
	if (cpl && foreign_insn) {
		skip(what, "foreign hypercall instruction faults at CPL 3");
		return;
	}
	vm_create(&v, mode, cpl, nr);
	if (enable && enable_hostcall(&v, KVM_EXIT_HOSTCALL_ENABLE, 0, 0))
		die("KVM_ENABLE_CAP(KVM_CAP_EXIT_HOSTCALL)");
	r = vm_run(&v);
	if (r == KVM_EXIT_HYPERCALL)
		printf("# unexpected KVM_EXIT_HYPERCALL nr 0x%llx\n",
		       (unsigned long long)v.run->hypercall.nr);
	if (!check(at_done_port(&v), "%s: no exit to userspace (got %u %s)",
		   what, r, exit_name(r))) {
		vm_destroy(&v);
		return;
	}
	rax = guest_rax(&v, NULL);
	check(rax == want, "%s: guest RAX = 0x%llx (want 0x%llx)", what,
	      (unsigned long long)rax, (unsigned long long)want);
	vm_destroy(&v);
}

/*
 * Run a guest with the capability enabled that must exit with
 * KVM_EXIT_HYPERCALL; answer `ret` and check what the guest gets.
 */
static void expect_exit(const char *what, enum mode mode, int exit_hypercall)
{
	int lm = mode == LONG64;
	uint64_t mask = lm ? ~0ull : 0xffffffffull;
	uint64_t want_args[4] = { ARG0 & mask, ARG1 & mask,
				  ARG2 & mask, ARG3 & mask };
	uint64_t rax, rip, nr = HC_HYPERCALL_NR;
	struct kvm_run *run;
	int i, args_ok = 1;
	unsigned int r;
	struct vm v;

	if (!lm)	/* high garbage must be ignored outside 64-bit mode */
		nr |= 0xdead000000000000ull;
	vm_create(&v, mode, 0, nr);
	run = v.run;
	if (enable_hostcall(&v, KVM_EXIT_HOSTCALL_ENABLE, 0, 0))
		die("KVM_ENABLE_CAP(KVM_CAP_EXIT_HOSTCALL)");
	if (exit_hypercall) {
		/* Enabling the other capability must keep this one on. */
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_EXIT_HYPERCALL,
			.args = { exit_hypercall },
		};

		if (ioctl(v.fd, KVM_ENABLE_CAP, &cap))
			die("KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL)");
	}

	r = vm_run(&v);
	if (!check(r == KVM_EXIT_HYPERCALL, "%s: KVM_EXIT_HYPERCALL (got %u %s)",
		   what, r, exit_name(r))) {
		vm_destroy(&v);
		return;
	}
	check(run->hypercall.nr == KVM_HC_HOSTCALL,
	      "%s: hypercall.nr = 0x%llx", what,
	      (unsigned long long)run->hypercall.nr);
	for (i = 0; i < 4; i++) {
		if (run->hypercall.args[i] != want_args[i]) {
			printf("# args[%d] = 0x%llx, want 0x%llx\n", i,
			       (unsigned long long)run->hypercall.args[i],
			       (unsigned long long)want_args[i]);
			args_ok = 0;
		}
	}
	check(args_ok, "%s: args[0..3] = RBX, RCX, RDX, RSI%s", what,
	      lm ? "" : " (32-bit)");
	check(!run->hypercall.args[4] && !run->hypercall.args[5] &&
	      !run->hypercall.ret, "%s: args[4], args[5], ret cleared", what);
	check(run->hypercall.longmode == (unsigned int)lm,
	      "%s: longmode = %u", what, run->hypercall.longmode);

	run->hypercall.ret = RET_VAL;
	r = vm_run(&v);
	if (!check(at_done_port(&v), "%s: guest resumed after the exit (got %u %s)",
		   what, r, exit_name(r))) {
		vm_destroy(&v);
		return;
	}
	rax = guest_rax(&v, &rip);
	check(rax == (lm ? RET_VAL : (uint32_t)RET_VAL),
	      "%s: guest RAX = 0x%llx = hypercall.ret%s", what,
	      (unsigned long long)rax, lm ? "" : " (32-bit)");
	/* RIP is at the OUT (KVM advances it when the OUT completes). */
	check(rip == CODE_GPA + HC_INSN_LEN,
	      "%s: hypercall instruction skipped once (RIP 0x%llx)", what,
	      (unsigned long long)rip);
	vm_destroy(&v);
}

static void test_enable_cap_args(void)
{
	struct vm v;

	vm_create(&v, LONG64, 0, HC_HYPERCALL_NR);
	check(enable_hostcall(&v, 2, 0, 0) == -EINVAL,
	      "KVM_ENABLE_CAP: unknown args[0] bit -> EINVAL");
	check(enable_hostcall(&v, KVM_EXIT_HOSTCALL_ENABLE, 1, 0) == -EINVAL,
	      "KVM_ENABLE_CAP: args[1] != 0 -> EINVAL");
	check(enable_hostcall(&v, KVM_EXIT_HOSTCALL_ENABLE, 0, 1) == -EINVAL,
	      "KVM_ENABLE_CAP: flags != 0 -> EINVAL");
	check(enable_hostcall(&v, 0, 0, 0) == 0,
	      "KVM_ENABLE_CAP: args[0] = 0 (disable) accepted");
	vm_destroy(&v);
}

static void test_disable(void)
{
	uint64_t rax;
	struct vm v;

	vm_create(&v, LONG64, 0, HC_HYPERCALL_NR);
	if (enable_hostcall(&v, KVM_EXIT_HOSTCALL_ENABLE, 0, 0) ||
	    enable_hostcall(&v, 0, 0, 0))
		die("KVM_ENABLE_CAP(KVM_CAP_EXIT_HOSTCALL)");
	vm_run(&v);
	if (check(at_done_port(&v), "enabled then disabled: no exit")) {
		rax = guest_rax(&v, NULL);
		check(rax == (uint64_t)-KVM_ENOSYS,
		      "enabled then disabled: guest RAX = -KVM_ENOSYS (0x%llx)",
		      (unsigned long long)rax);
	}
	vm_destroy(&v);
}

int main(void)
{
	int mask, exit_hypercall, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	r = harness_init();
	if (r) {
		printf("1..0 # SKIP /dev/kvm: %s\n", strerror(-r));
		return 4;
	}
	/* Stock behaviour, whether or not KVM is patched. */
	expect_no_exit("not enabled, CPL 0", LONG64, 0, HC_HYPERCALL_NR, 0,
		       (uint64_t)-KVM_ENOSYS);
	expect_no_exit("not enabled, CPL 3", LONG64, 3, HC_HYPERCALL_NR, 0,
		       (uint64_t)-KVM_EPERM);

	mask = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_EXIT_HOSTCALL);
	printf("# KVM_CHECK_EXTENSION(KVM_CAP_EXIT_HOSTCALL) = %d\n", mask);
	if (mask <= 0) {
		skip("KVM_CHECK_EXTENSION(KVM_CAP_EXIT_HOSTCALL)",
		     "KVM_CAP_EXIT_HOSTCALL not offered");
		skip("host-call exit tests", "KVM_CAP_EXIT_HOSTCALL not offered");
		printf("1..%d\n", ntests);
		return nfailed ? 1 : 4;
	}
	check(mask == KVM_EXIT_HOSTCALL_ENABLE,
	      "KVM_CHECK_EXTENSION(KVM_CAP_EXIT_HOSTCALL) = KVM_EXIT_HOSTCALL_ENABLE");

	test_enable_cap_args();
	expect_exit("64-bit", LONG64, 0);
	expect_exit("32-bit", PROT32, 0);
	expect_no_exit("enabled, CPL 3", LONG64, 3, HC_HYPERCALL_NR, 1,
		       (uint64_t)-KVM_EPERM);
	expect_no_exit("enabled, other number 0x48430002", LONG64, 0,
		       HC_HYPERCALL_NR + 1, 1, (uint64_t)-KVM_ENOSYS);
	test_disable();

	exit_hypercall = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_EXIT_HYPERCALL);
	if (exit_hypercall > 0)
		expect_exit("with KVM_CAP_EXIT_HYPERCALL too", LONG64,
			    exit_hypercall);
	else
		printf("# KVM_CAP_EXIT_HYPERCALL not offered: interplay not tested\n");

	eventfd_tests();

	printf("1..%d\n", ntests);
	printf("# %s: %d of %d failed\n", nfailed ? "FAIL" : "PASS", nfailed,
	       ntests);
	return nfailed ? 1 : 0;
}
