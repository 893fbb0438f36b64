/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dio-bench --probe: what storage backs a path, as pindio sees it. */
#ifndef DIO_PROBE_H
#define DIO_PROBE_H

/*
 * Print pindio's DAX probe of @path and the O_DIRECT alignment pindio
 * found for it.  Returns 0, or 1 when @path cannot be examined.
 */
int dio_probe(const char *path);

#endif
