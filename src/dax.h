/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DAX detection for the register path: is a mapping filesystem-DAX (the
 * kernel refuses long-term pins of it) or device-DAX (allowed, with
 * compound pages of the device's alignment)?  Private to the library;
 * the public probe calls are in include/pindio.h.
 */
#ifndef PINDIO_DAX_H
#define PINDIO_DAX_H

#include "pindio.h"
#include "vma.h"

/*
 * What backs one part of an address range as vma_describe() gave it.
 * File and device mappings are probed as pindio_dax_probe() probes a
 * file; anything else is PINDIO_DAX_NONE.  Returns 0 with @info filled,
 * or -ENOMEM.
 */
int dax_probe_part(const struct vma_part *part, struct pindio_dax_info *info);

/*
 * "pmem0: namespace0.0 (mode fsdax) of region0 on ACPI.NFIT" for messages, as
 * much of it as is known; "" when there is no block device.
 */
void dax_where(const struct pindio_dax_info *info, char *buf, size_t size);

#endif /* PINDIO_DAX_H */
