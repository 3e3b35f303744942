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
