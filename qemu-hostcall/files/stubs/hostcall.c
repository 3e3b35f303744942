/*
 * hostcall hypercall hook stub, for builds without -device hostcall
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */
#include "qemu/osdep.h"
#include "sysemu/hostcall.h"

bool hostcall_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                        int cpl, int64_t *ret)
{
    return false;
}
