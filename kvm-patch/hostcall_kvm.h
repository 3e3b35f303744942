/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * hostcall_kvm.h: the KVM userspace API added by kvm-patch/, for VMMs and
 * tests built against headers that predate it (a stock <linux/kvm.h>).
 *
 * The values are those of kvm-patch/0001-*.patch (include/uapi/linux/kvm.h and
 * include/uapi/linux/kvm_para.h); kvm-patch/build.sh checks that they agree.
 * Documentation/kvm.md and the patch's api.rst hunk describe the API:
 *
 *   KVM_CHECK_EXTENSION(KVM_CAP_EXIT_HOSTCALL)  -> mask of valid args[0]
 *                                                  flags (0: stock KVM)
 *   KVM_ENABLE_CAP(vm, KVM_CAP_EXIT_HOSTCALL,
 *                  args[0] = KVM_EXIT_HOSTCALL_ENABLE or 0)
 *   guest: RAX = KVM_HC_HOSTCALL at CPL 0 ->
 *     exit KVM_EXIT_HYPERCALL: run->hypercall.nr = KVM_HC_HOSTCALL,
 *     args[0..3] = RBX, RCX, RDX, RSI, longmode; the VMM sets
 *     run->hypercall.ret, the next KVM_RUN puts it in the guest's RAX.
 */
#ifndef HOSTCALL_KVM_H
#define HOSTCALL_KVM_H

#ifndef KVM_CAP_EXIT_HOSTCALL
#define KVM_CAP_EXIT_HOSTCALL		0x4843
#endif
#ifndef KVM_EXIT_HOSTCALL_ENABLE
#define KVM_EXIT_HOSTCALL_ENABLE	(1 << 0)
#endif
#ifndef KVM_HC_HOSTCALL
#define KVM_HC_HOSTCALL			0x48430001
#endif

/*
 * "hypercall eventfd" (kvm-patch/0003-*.patch): the VMM registers an
 * eventfd for (token, session); a guest hypercall RAX = KVM_HC_HOSTCALL,
 * RBX = token, RCX = HC_KICK_SESSION (2), RDX = session then signals it in
 * the kernel and returns 0 in RAX with no exit to userspace. Hypercalls
 * without a registration still exit as KVM_CAP_EXIT_HOSTCALL says.
 *   KVM_CHECK_EXTENSION(KVM_CAP_HOSTCALL_EVENTFD) -> 1 where offered
 *     (0 on stock KVM and with kvm.hostcall_eventfd=0)
 *   vm ioctl KVM_HOSTCALL_EVENTFD(struct kvm_hostcall_eventfd):
 *     assign (flags 0): -EEXIST if (token, session) has one, -EBADF,
 *       -EINVAL (not an eventfd), -ENOSPC (4096 per VM); KVM keeps its
 *       own reference to the eventfd until deassign or VM destruction;
 *     deassign (KVM_HOSTCALL_EVENTFD_DEASSIGN, fd ignored): -ENOENT if none.
 * The ioctl number is the patch's (an unused one in 6.1's KVMIO space).
 */
#ifndef KVM_CAP_HOSTCALL_EVENTFD
#define KVM_CAP_HOSTCALL_EVENTFD	0x4844
#define KVM_HOSTCALL_EVENTFD_DEASSIGN	(1 << 0)
struct kvm_hostcall_eventfd {
	__u32 token;
	__u32 session;
	__s32 fd;
	__u32 flags;
};
#define KVM_HOSTCALL_EVENTFD	_IOW(KVMIO, 0xe8, struct kvm_hostcall_eventfd)
#endif

/* Results a guest sees in RAX (as in <linux/kvm_para.h>). */
#ifndef KVM_ENOSYS
#define KVM_ENOSYS			1000
#endif
#ifndef KVM_EPERM
#define KVM_EPERM			1
#endif

/* The guest ABI names the same number HC_HYPERCALL_NR (hostcall_abi.h). */
#if defined(HC_HYPERCALL_NR) && !defined(__cplusplus)
_Static_assert(HC_HYPERCALL_NR == KVM_HC_HOSTCALL,
	       "hostcall_abi.h and hostcall_kvm.h disagree on the hypercall number");
#endif

#endif /* HOSTCALL_KVM_H */
