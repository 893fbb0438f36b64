// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: vma_parse_line(), the /proc/self/maps line parser.
 * Beyond "no crash": a parsed line keeps the promises vma.h makes
 * (start below end, the path inside the line, no newline, no leading
 * blank), and printing the fields back the way the kernel does and
 * parsing that again gives the same fields.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vma.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vma_line l, again;
	char *line, *copy;
	size_t len;
	int n;

	line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	len = strlen(line);

	if (vma_parse_line(line, &l) != 0) {
		free(line);
		return 0;
	}
	if (l.start >= l.end)
		abort();
	/* The path is a suffix of the (newline-cut) line. */
	if (l.path < line || l.path > line + len ||
	    l.path + strlen(l.path) > line + len)
		abort();
	if (strchr(l.path, '\n') || l.path[0] == ' ')
		abort();
	if (strchr(line, '\n'))		/* cut at the first newline */
		abort();

	/* Round trip, in show_map_vma()'s format. */
	n = snprintf(NULL, 0, "%08" PRIxPTR "-%08" PRIxPTR " %c%c%c%c %08" PRIx64
		     " %02x:%02x %" PRIu64 " %s", l.start, l.end,
		     l.readable ? 'r' : '-', l.writable ? 'w' : '-',
		     l.executable ? 'x' : '-', l.shared ? 's' : 'p', l.offset,
		     l.dev_major, l.dev_minor, l.inode, l.path);
	copy = malloc((size_t)n + 1);
	if (!copy)
		abort();
	snprintf(copy, (size_t)n + 1, "%08" PRIxPTR "-%08" PRIxPTR
		 " %c%c%c%c %08" PRIx64 " %02x:%02x %" PRIu64 " %s", l.start,
		 l.end, l.readable ? 'r' : '-', l.writable ? 'w' : '-',
		 l.executable ? 'x' : '-', l.shared ? 's' : 'p', l.offset,
		 l.dev_major, l.dev_minor, l.inode, l.path);
	if (vma_parse_line(copy, &again) != 0)
		abort();
	if (again.start != l.start || again.end != l.end ||
	    again.readable != l.readable || again.writable != l.writable ||
	    again.executable != l.executable || again.shared != l.shared ||
	    again.offset != l.offset || again.dev_major != l.dev_major ||
	    again.dev_minor != l.dev_minor || again.inode != l.inode ||
	    strcmp(again.path, l.path) != 0)
		abort();
	free(copy);
	free(line);
	return 0;
}
