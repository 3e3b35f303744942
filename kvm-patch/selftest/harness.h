/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * harness.h: the small VM harness of hostcall_test (kvm-patch/selftest):
 * raw /dev/kvm ioctls, one vCPU per VM, TAP output.  harness.c has the
 * guest layout.
 */
#ifndef HOSTCALL_TEST_HARNESS_H
#define HOSTCALL_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#define MEM_SIZE	0x200000ul
#define PML4_GPA	0x1000ul
#define PDPT_GPA	0x2000ul
#define PD_GPA		0x3000ul
#define GDT_GPA		0x4000ul
#define TSS_GPA		0x5000ul
#define CODE_GPA	0x10000ul
#define DONE_PORT	0x10
#define HC_INSN_LEN	3

#define ARG0		0x1122334455667788ull	/* RBX: device token */
#define ARG1		0x99aabbccddeeff00ull	/* RCX: kick */
#define ARG2		0x0123456789abcdefull	/* RDX */
#define ARG3		0xfedcba9876543210ull	/* RSI */
#define RET_VAL		0x8877665544332211ull	/* what "userspace" answers */

enum mode { LONG64, PROT32 };

struct vm {
	int fd;
	int vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
};

#define EXIT_TIMEOUT	0xffffu		/* pseudo exit reason of vm_run() */

extern int kvm_fd;
extern const char *hc_insn_name;
extern int foreign_insn;	/* not the host CPU's native instruction */
extern int ntests, nfailed;

/* Opens /dev/kvm and probes the CPU: 0, or -errno of the open. */
int harness_init(void);
void die(const char *what);
int check(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void skip(const char *what, const char *why);
int enable_hostcall(struct vm *v, uint64_t arg0, uint64_t arg1,
		    uint32_t flags);
void vm_create(struct vm *v, enum mode mode, int cpl, uint64_t nr);
void vm_destroy(struct vm *v);
const char *exit_name(unsigned int r);
unsigned int vm_run(struct vm *v);
int at_done_port(struct vm *v);
uint64_t guest_rax(struct vm *v, uint64_t *rip);
void guest_regs(struct vm *v, struct kvm_regs *regs);

/* eventfd_test.c: the kick loop (its comment) and the ioctl */
#define LOOP_GPA	(CODE_GPA + 0x100)
#define TOKEN		0x4b1d0c0au
#define SESSION		5u
int hc_eventfd(struct vm *v, uint32_t token, uint32_t session, int fd,
	       uint32_t flags);
void set_kicks_n(struct vm *v, uint64_t token, uint64_t kick, uint64_t session,
		 unsigned int n);
/* kick_bench.c */
void kick_bench(void);

#endif
