// SPDX-License-Identifier: GPL-2.0-only
/*
 * harness.c: VMs for hostcall_test.  Each VM has one vCPU and 2 MiB of
 * memory, with registers and segments set from userspace: 64-bit long mode
 * at CPL 0 or CPL 3 (identity-mapped 2 MiB page, user accessible, IOPL 3 so
 * that OUT works at CPL 3), or 32-bit protected mode without paging at
 * CPL 0.  The guest at CODE_GPA is
 *
 *	vmcall / vmmcall	(the host CPU's native hypercall instruction)
 *	out %al, $0x10		(reports the result: KVM_EXIT_IO)
 *
 * and the tests may put other code elsewhere in the page.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "hostcall_kvm.h"

int kvm_fd;
static int run_size;
static uint8_t hc_insn[HC_INSN_LEN];
const char *hc_insn_name;
int foreign_insn;
static struct kvm_cpuid2 *cpuid;
int ntests, nfailed;
static unsigned int run_timeout = 20;	/* seconds per KVM_RUN */
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

int check(int cond, const char *fmt, ...)
{
	va_list ap;

	ntests++;
	if (!cond)
		nfailed++;
	printf("%sok %d - ", cond ? "" : "not ", ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

void skip(const char *what, const char *why)
{
	ntests++;
	printf("ok %d - %s # SKIP %s\n", ntests, what, why);
}

static void pick_insn(void)
{
	static const uint8_t vmcall[] = { 0x0f, 0x01, 0xc1 };
	static const uint8_t vmmcall[] = { 0x0f, 0x01, 0xd9 };
	const char *env = getenv("HOSTCALL_TEST_INSN");
	unsigned int a, b, c, d;
	char vendor[13];
	int amd;

	__cpuid(0, a, b, c, d);
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	vendor[12] = 0;
	amd = !strcmp(vendor, "AuthenticAMD") || !strcmp(vendor, "HygonGenuine");
	if (env && *env) {
		foreign_insn = amd != !strcmp(env, "vmmcall");
		amd = !strcmp(env, "vmmcall");
	}
	memcpy(hc_insn, amd ? vmmcall : vmcall, HC_INSN_LEN);
	hc_insn_name = amd ? "vmmcall" : "vmcall";
	printf("# host CPU %s: guest uses %s\n", vendor, hc_insn_name);
}

static void get_cpuid(void)
{
	int n = 100;

	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
		if (!cpuid)
			die("calloc");
		cpuid->nent = n;
		if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid))
			return;
		if (errno != E2BIG)
			die("KVM_GET_SUPPORTED_CPUID");
		free(cpuid);
		n *= 2;
	}
}

int enable_hostcall(struct vm *v, uint64_t arg0, uint64_t arg1,
			   uint32_t flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_EXIT_HOSTCALL,
		.flags = flags,
		.args = { arg0, arg1 },
	};

	return ioctl(v->fd, KVM_ENABLE_CAP, &cap) ? -errno : 0;
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type,
		int dpl, int l, int db)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = dpl;
	s->db = db;
	s->s = 1;
	s->l = l;
	s->g = 1;
}

/* A VM whose vCPU is about to run the hypercall with RAX = nr. */
void vm_create(struct vm *v, enum mode mode, int cpl, uint64_t nr)
{
	struct kvm_userspace_memory_region region = { 0 };
	uint64_t *pml4, *pdpt, *pd, *gdt;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int rpl = cpl & 3;

	v->fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (v->fd < 0)
		die("KVM_CREATE_VM");
	/* Needed on VMX hosts without unrestricted guest; harmless elsewhere. */
	ioctl(v->fd, KVM_SET_TSS_ADDR, 0xfffbd000ul);

	v->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (v->mem == MAP_FAILED)
		die("mmap guest memory");
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = MEM_SIZE;
	region.userspace_addr = (uintptr_t)v->mem;
	if (ioctl(v->fd, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION");

	v->vcpu = ioctl(v->fd, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0)
		die("KVM_CREATE_VCPU");
	v->run_size = run_size;
	v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->vcpu, 0);
	if (v->run == MAP_FAILED)
		die("mmap kvm_run");
	if (ioctl(v->vcpu, KVM_SET_CPUID2, cpuid))
		die("KVM_SET_CPUID2");

	/* Page tables: one 2 MiB page at 0, present, writable, user. */
	pml4 = (uint64_t *)(v->mem + PML4_GPA);
	pdpt = (uint64_t *)(v->mem + PDPT_GPA);
	pd = (uint64_t *)(v->mem + PD_GPA);
	pml4[0] = PDPT_GPA | 7;
	pdpt[0] = PD_GPA | 7;
	pd[0] = 0 | 0x87;

	/* A GDT matching the segment caches below (never loaded by the guest). */
	gdt = (uint64_t *)(v->mem + GDT_GPA);
	gdt[1] = 0x00af9b000000ffffull;	/* 0x08: 64-bit code, DPL 0 */
	gdt[2] = 0x00cf93000000ffffull;	/* 0x10: data, DPL 0 */
	gdt[3] = 0x00affb000000ffffull;	/* 0x18: 64-bit code, DPL 3 */
	gdt[4] = 0x00cff3000000ffffull;	/* 0x20: data, DPL 3 */
	gdt[5] = 0x00cf9b000000ffffull;	/* 0x28: 32-bit code, DPL 0 */

	/* The guest: hypercall; out %al, $DONE_PORT; hlt. */
	memcpy(v->mem + CODE_GPA, hc_insn, HC_INSN_LEN);
	v->mem[CODE_GPA + 3] = 0xe6;
	v->mem[CODE_GPA + 4] = DONE_PORT;
	v->mem[CODE_GPA + 5] = 0xf4;

	if (ioctl(v->vcpu, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	if (mode == LONG64) {
		seg(&sregs.cs, (cpl ? 0x18 : 0x08) | rpl, 11, cpl, 1, 0);
		seg(&sregs.ss, (cpl ? 0x20 : 0x10) | rpl, 3, cpl, 0, 1);
		sregs.cr0 = 0x80050033;	/* PG WP NE ET MP PE */
		sregs.cr3 = PML4_GPA;
		sregs.cr4 = 0x20;		/* PAE */
		sregs.efer = 0x500;		/* LMA LME */
	} else {
		seg(&sregs.cs, 0x28, 11, 0, 0, 1);
		seg(&sregs.ss, 0x10, 3, 0, 0, 1);
		sregs.cr0 = 0x11;		/* ET PE */
		sregs.cr3 = 0;
		sregs.cr4 = 0;
		sregs.efer = 0;
	}
	sregs.ds = sregs.ss;
	sregs.es = sregs.ss;
	sregs.fs = sregs.ss;
	sregs.gs = sregs.ss;
	memset(&sregs.tr, 0, sizeof(sregs.tr));
	sregs.tr.base = TSS_GPA;
	sregs.tr.limit = 0x67;
	sregs.tr.selector = 0x30;
	sregs.tr.type = 11;		/* busy TSS */
	sregs.tr.present = 1;
	memset(&sregs.ldt, 0, sizeof(sregs.ldt));
	sregs.ldt.type = 2;
	sregs.ldt.present = 1;
	sregs.ldt.unusable = 1;
	sregs.gdt.base = GDT_GPA;
	sregs.gdt.limit = 8 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	if (ioctl(v->vcpu, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");

	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 0x2 | (cpl ? 0x3000 : 0);	/* IOPL 3 for user OUT */
	regs.rsp = 0x8000;
	regs.rax = nr;
	regs.rbx = ARG0;
	regs.rcx = ARG1;
	regs.rdx = ARG2;
	regs.rsi = ARG3;
	if (ioctl(v->vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
}

void vm_destroy(struct vm *v)
{
	munmap(v->run, v->run_size);
	munmap(v->mem, MEM_SIZE);
	close(v->vcpu);
	close(v->fd);
}

const char *exit_name(unsigned int r)
{
	switch (r) {
	case KVM_EXIT_IO: return "KVM_EXIT_IO";
	case KVM_EXIT_HYPERCALL: return "KVM_EXIT_HYPERCALL";
	case KVM_EXIT_HLT: return "KVM_EXIT_HLT";
	case KVM_EXIT_SHUTDOWN: return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
	case KVM_EXIT_MMIO: return "KVM_EXIT_MMIO";
	case EXIT_TIMEOUT: return "timeout";
	default: return "other";
	}
}

/* KVM_RUN once; returns the exit reason, printing diagnostics for odd ones. */
unsigned int vm_run(struct vm *v)
{
	struct kvm_run *run = v->run;
	int r;

	timed_out = 0;
	alarm(run_timeout);
	do {
		r = ioctl(v->vcpu, KVM_RUN, 0);
	} while (r && errno == EINTR && !timed_out);
	alarm(0);
	if (r && timed_out) {
		printf("# KVM_RUN did not return within %u s\n", run_timeout);
		run->exit_reason = EXIT_TIMEOUT;
		return EXIT_TIMEOUT;
	}
	if (r)
		die("KVM_RUN");
	switch (run->exit_reason) {
	case KVM_EXIT_FAIL_ENTRY:
		printf("# entry failed: hardware reason 0x%llx\n",
		       (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		printf("# internal error: suberror %u\n", run->internal.suberror);
		break;
	case KVM_EXIT_IO:
	case KVM_EXIT_HYPERCALL:
		break;
	default:
		printf("# unexpected exit %u (%s)\n", run->exit_reason,
		       exit_name(run->exit_reason));
	}
	return run->exit_reason;
}

int at_done_port(struct vm *v)
{
	return v->run->exit_reason == KVM_EXIT_IO &&
	       v->run->io.direction == KVM_EXIT_IO_OUT &&
	       v->run->io.port == DONE_PORT;
}

void guest_regs(struct vm *v, struct kvm_regs *regs)
{
	if (ioctl(v->vcpu, KVM_GET_REGS, regs))
		die("KVM_GET_REGS");
}

uint64_t guest_rax(struct vm *v, uint64_t *rip)
{
	struct kvm_regs regs;

	guest_regs(v, &regs);
	if (rip)
		*rip = regs.rip;
	return regs.rax;
}

int harness_init(void)
{
	struct sigaction sa = { 0 };

	if (getenv("HOSTCALL_TEST_TIMEOUT"))
		run_timeout = atoi(getenv("HOSTCALL_TEST_TIMEOUT"));
	if (!run_timeout)
		run_timeout = 20;
	sa.sa_handler = on_alarm;	/* no SA_RESTART: KVM_RUN returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		return -errno;
	if (ioctl(kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		printf("Bail out! unexpected KVM API version\n");
		exit(1);
	}
	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(struct kvm_run))
		die("KVM_GET_VCPU_MMAP_SIZE");
	pick_insn();
	get_cpuid();
	return 0;
}
