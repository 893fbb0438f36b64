// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /proc/self/mountinfo (fs/proc_namespace.c show_mountinfo):
 *
 *   id parent MAJ:MIN root mount-point mount-options [optional...] - fstype source super-options
 *
 * MAJ:MIN in decimal; the optional fields vary in number, so the
 * filesystem type is the first field after " - ".  Paths escape space,
 * tab, newline and backslash as \ooo.  The DAX mode is a super option:
 * ext4 and xfs show "dax=always", "dax=inode" or "dax=never" (ext2 and
 * older kernels "dax"); without one, ext4 and xfs follow each inode's
 * FS_XFLAG_DAX, as dax=inode does.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"

/* Next space-separated field after @p's current one, or NULL. */
static const char *next_field(const char *p)
{
	p = strchr(p, ' ');
	return p ? p + 1 : NULL;
}

/* Copy the field at @p, undoing \ooo escapes; truncated, terminated. */
static void copy_field(char *dst, size_t size, const char *p)
{
	size_t n = 0;

	while (*p && *p != ' ' && *p != '\n' && n + 1 < size) {
		/* Not \000: the kernel never writes it, and a NUL would cut. */
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' &&
		    p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7' &&
		    (p[1] != '0' || p[2] != '0' || p[3] != '0')) {
			dst[n++] = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 +
					  (p[3] - '0'));
			p += 4;
		} else {
			dst[n++] = *p++;
		}
	}
	dst[n] = '\0';
}

static void parse_dax_option(const char *opts, char *dax, size_t size)
{
	const char *p = opts;

	dax[0] = '\0';
	while (p && *p && *p != ' ' && *p != '\n') {
		size_t n = strcspn(p, ", \n");

		if (n == 3 && !strncmp(p, "dax", 3))
			copy_field(dax, size, "always");
		else if (n > 4 && !strncmp(p, "dax=", 4)) {
			size_t m = n - 4 < size - 1 ? n - 4 : size - 1;

			memcpy(dax, p + 4, m);
			dax[m] = '\0';
		}
		p += n;
		if (*p == ',')
			p++;
	}
}

int mountinfo_parse_line(const char *line, struct mount_entry *m)
{
	unsigned long major, minor;
	const char *p = line, *mnt;
	char *end;
	int i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < 2 && p; i++)
		p = next_field(p);
	if (!p || *p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	major = strtoul(p, &end, 10);
	if (errno || *end != ':' || major > UINT_MAX || end[1] < '0' ||
	    end[1] > '9')
		return -EINVAL;
	minor = strtoul(end + 1, &end, 10);
	if (errno || *end != ' ' || minor > UINT_MAX)
		return -EINVAL;
	mnt = next_field(end + 1);		/* past the root: the mount point */
	if (!mnt || *mnt != '/')
		return -EINVAL;
	p = strstr(mnt, " - ");
	if (!p)
		return -EINVAL;
	p += 3;
	/* An empty filesystem type ("... - \n") is malformed too. */
	if (!*p || *p == ' ' || *p == '\n')
		return -EINVAL;
	m->major = (unsigned int)major;
	m->minor = (unsigned int)minor;
	copy_field(m->mount_point, sizeof(m->mount_point), mnt);
	copy_field(m->fstype, sizeof(m->fstype), p);
	p = next_field(p);			/* source */
	p = p ? next_field(p) : NULL;		/* super options */
	if (p)
		parse_dax_option(p, m->dax, sizeof(m->dax));
	return 0;
}

int mountinfo_read(struct mount_table *t)
{
	unsigned int cap = 0;
	char *line = NULL;
	size_t len = 0;
	FILE *f;
	int ret = 0;

	t->v = NULL;
	t->nr = 0;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (getline(&line, &len, f) > 0) {
		struct mount_entry m;

		if (mountinfo_parse_line(line, &m) < 0)
			continue;
		if (t->nr == cap) {
			struct mount_entry *nv;

			cap = cap ? cap * 2 : 32;
			nv = realloc(t->v, cap * sizeof(*nv));
			if (!nv) {
				ret = -ENOMEM;
				break;
			}
			t->v = nv;
		}
		t->v[t->nr++] = m;
	}
	if (!ret && ferror(f))
		ret = -EIO;
	free(line);
	fclose(f);
	if (ret < 0)
		mountinfo_free(t);
	return ret;
}

/* @dir is @path or one of its parent directories. */
static size_t prefix_len(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return 1;
	if (strncmp(dir, path, n) || (path[n] && path[n] != '/'))
		return 0;
	return n;
}

const struct mount_entry *mountinfo_find(const struct mount_table *t,
					 unsigned int major,
					 unsigned int minor,
					 const char *path)
{
	const struct mount_entry *best = NULL;
	size_t best_len = 0;
	unsigned int i;

	for (i = 0; i < t->nr; i++) {
		const struct mount_entry *m = &t->v[i];
		size_t n;

		if (m->major != major || m->minor != minor)
			continue;
		if (!path)
			return m;
		n = prefix_len(m->mount_point, path);
		/* Of equal prefixes the later mount, which covers the other. */
		if (!best || n > best_len || (n && n == best_len)) {
			best = m;
			best_len = n;
		}
	}
	return best;
}

void mountinfo_free(struct mount_table *t)
{
	free(t->v);
	t->v = NULL;
	t->nr = 0;
}
