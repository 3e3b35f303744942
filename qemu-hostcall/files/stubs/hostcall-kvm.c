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
