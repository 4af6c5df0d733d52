/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipipe: the few places where Debian's 6.1 kernel API differs from newer
 * kernels.  Nothing else in the driver depends on the kernel's API version.
 */
#ifndef _IPIPE_COMPAT_H
#define _IPIPE_COMPAT_H

#include <linux/mm.h>

/*
 * vm_flags became read-only behind vm_flags_set() in 6.3.  Kbuild tests
 * the headers for it (IPIPE_HAVE_VM_FLAGS_SET) instead of the version.
 */
static inline void ipipe_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
#ifdef IPIPE_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

#endif /* _IPIPE_COMPAT_H */
