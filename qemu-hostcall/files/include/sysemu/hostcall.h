/*
 * hostcall: the host-call hypercall hook between the CPU and -device hostcall
 *
 * Copyright (c) 2025 The hostcall authors
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */
#ifndef SYSEMU_HOSTCALL_H
#define SYSEMU_HOSTCALL_H

/*
 * hostcall_hypercall:
 * @nr: hypercall number (RAX, truncated to 32 bits outside 64-bit mode)
 * @a0: first argument (RBX): the device token
 * @a1: second argument (RCX): the kick (HC_KICK_*)
 * @a2: third argument (RDX): the session id for HC_KICK_SESSION
 * @cpl: current privilege level of the caller
 * @ret: where to store the result for RAX
 *
 * Called from a vCPU thread by the accelerator when the guest executes a
 * hypercall instruction. Takes the BQL itself when it is not held.
 *
 * Returns: true if @nr is the host-call number and at least one hostcall
 * device exists; *@ret then holds the value for RAX (0 or a negative KVM
 * error code). false otherwise: the caller behaves as if hostcall did not
 * exist. A stub returning false is used when the device is not built.
 */
bool hostcall_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                        int cpl, int64_t *ret);

/*
 * hostcall_kvm_enable:
 *
 * Called under the BQL by -device hostcall when it is realized under KVM.
 * Asks KVM to forward the host-call hypercall to QEMU (KVM_CAP_EXIT_HOSTCALL,
 * added by the hostcall KVM patch), which then calls hostcall_hypercall()
 * from its KVM_EXIT_HYPERCALL handler. Enables the capability once per VM;
 * later calls return the first answer. A stub returns false where KVM or
 * its x86 support is not built.
 *
 * Returns: true if KVM forwards the hypercall, false if the kernel does not
 * offer the capability (stock KVM) or refused to enable it.
 */
bool hostcall_kvm_enable(void);

/*
 * hostcall_kvm_session_eventfd:
 * @token: the device's hypercall token
 * @session: session id (RDX of an HC_KICK_SESSION hypercall)
 * @fd: eventfd to signal, or -1 to remove the registration
 *
 * Under KVM with the hypercall-eventfd patch (KVM_CAP_HOSTCALL_EVENTFD),
 * lets the kernel signal @fd for that session's kicks with no exit to
 * QEMU. Returns 0, or -ENOSYS where KVM does not offer it (the stub, stock
 * KVM, TCG): QEMU then writes the eventfd itself from
 * hostcall_hypercall(), as under TCG.
 */
int hostcall_kvm_session_eventfd(uint32_t token, uint32_t session, int fd);

#endif
