/*
 * hostcall KVM hook stub, for builds without KVM on x86
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */
#include "qemu/osdep.h"
#include "sysemu/hostcall.h"

bool hostcall_kvm_enable(void)
{
    return false;
}

int hostcall_kvm_session_eventfd(uint32_t token, uint32_t session, int fd)
{
    return -ENOSYS;
}
