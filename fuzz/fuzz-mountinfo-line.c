// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: mountinfo_parse_line().  Beyond "no crash": every
 * field of a parsed entry is terminated inside its array, the mount point
 * is exactly the \ooo-unescaped field truncated to fit (checked against
 * an independent decoder), and mountinfo_find() over the entry agrees
 * with it.  The entry is on the heap with nothing after it, so a write
 * past its end is an ASan report rather than silent damage.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_odigit(char c, char hi)
{
	return c >= '0' && c <= hi;
}

/*
 * The field at @p with \ooo (first digit 0-3, not \000) undone,
 * truncated.
 */
static size_t ref_unescape(char *dst, size_t size, const char *p)
{
	size_t n = 0;

	for (; *p && *p != ' ' && *p != '\n' && n + 1 < size; n++) {
		if (p[0] == '\\' && is_odigit(p[1], '3') &&
		    is_odigit(p[2], '7') && is_odigit(p[3], '7') &&
		    strncmp(p + 1, "000", 3) != 0) {
			dst[n] = (char)(((p[1] - '0') << 6) |
					((p[2] - '0') << 3) | (p[3] - '0'));
			p += 4;
		} else {
			dst[n] = *p++;
		}
	}
	dst[n] = '\0';
	return n;
}

/* The field after the @n'th space of @line, or NULL. */
static const char *field(const char *line, int n)
{
	while (n-- > 0) {
		line = strchr(line, ' ');
		if (!line)
			return NULL;
		line++;
	}
	return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mount_entry *m;
	struct mount_table t;
	char *line, want[sizeof(m->mount_point)];
	const char *mnt, *fstype;
	size_t n;

	line = malloc(size + 1);
	m = malloc(sizeof(*m));
	if (!line || !m)
		abort();
	memcpy(line, data, size);
	line[size] = '\0';

	if (mountinfo_parse_line(line, m) != 0)
		goto out;

	if (strnlen(m->fstype, sizeof(m->fstype)) == sizeof(m->fstype) ||
	    strnlen(m->mount_point, sizeof(m->mount_point)) ==
		    sizeof(m->mount_point) ||
	    strnlen(m->dax, sizeof(m->dax)) == sizeof(m->dax))
		abort();
	/* Neither is empty, and neither holds an unescaped NUL. */
	if (m->mount_point[0] != '/' || !m->fstype[0])
		abort();
	/* Field 4 (from 0) is the mount point. */
	mnt = field(line, 4);
	if (!mnt)
		abort();
	n = ref_unescape(want, sizeof(want), mnt);
	if (strlen(m->mount_point) != n || memcmp(want, m->mount_point, n))
		abort();
	/* The filesystem type follows the first " - " after it. */
	fstype = strstr(mnt, " - ");
	if (!fstype)
		abort();
	n = ref_unescape(want, sizeof(m->fstype), fstype + 3);
	if (strlen(m->fstype) != n || memcmp(want, m->fstype, n))
		abort();

	t.v = m;
	t.nr = 1;
	if (mountinfo_find(&t, m->major, m->minor, NULL) != m ||
	    mountinfo_find(&t, m->major, m->minor, m->mount_point) != m ||
	    mountinfo_find(&t, m->major + 1, m->minor, "/") != NULL)
		abort();
	/* A path from the input: any answer, but no stray read. */
	mountinfo_find(&t, m->major, m->minor, line);
out:
	free(m);
	free(line);
	return 0;
}
