// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What backs each part of an address range.  The kernel pins anonymous,
 * shmem and hugetlb memory for the long term, refuses writable shared
 * file mappings, and has its own rules for device memory, so the register
 * path needs to know which is which before it asks.  /proc/self/maps says
 * most of it (fs/proc/task_mmu.c show_map_vma):
 *
 *   start-end perms offset MAJ:MIN inode<padding>path
 *
 * addresses and offset in lower-case hex (at least 8 digits), MAJ:MIN in
 * hex, the inode in decimal, one space, then spaces up to a fixed column
 * and the path; a line without a path ends with "inode ".  The rest comes
 * from mountinfo.c (which filesystem a device number is) and, for
 * the few mappings maps leaves ambiguous, /proc/self/smaps.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/types.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "mountinfo.h"
#include "vma.h"

/*
 * PAGEMAP_SCAN came with Linux 6.7; older <linux/fs.h> lack it.  Values
 * from include/uapi/linux/fs.h.
 */
#ifndef PAGEMAP_SCAN
struct page_region {
	__u64 start;
	__u64 end;
	__u64 categories;
};

struct pm_scan_arg {
	__u64 size;
	__u64 flags;
	__u64 start;
	__u64 end;
	__u64 walk_end;
	__u64 vec;
	__u64 vec_len;
	__u64 max_pages;
	__u64 category_inverted;
	__u64 category_mask;
	__u64 category_anyof_mask;
	__u64 return_mask;
};

#define PAGEMAP_SCAN		_IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_PRESENT		(1 << 3)
#define PAGE_IS_PFNZERO		(1 << 5)
#define PAGE_IS_HUGE		(1 << 6)
#endif

/* Used when sysfs does not say: the PMD size on x86_64. */
#define FALLBACK_PMD_SIZE	(2UL << 20)

const char *vma_kind_name(enum vma_kind kind)
{
	static const char *const names[] = {
		[VMA_HOLE] = "hole",
		[VMA_ANON] = "anonymous",
		[VMA_HUGETLB] = "hugetlb",
		[VMA_SHMEM] = "shmem",
		[VMA_FILE_PRIVATE] = "file (private)",
		[VMA_FILE_SHARED] = "file (shared)",
		[VMA_DEVICE] = "device",
		[VMA_SPECIAL] = "special",
	};

	if ((unsigned int)kind >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[kind];
}

/*
 * Digits in @base (16 or 10) up to @max_digits and a value of @max: no
 * sign, no "0x", no leading blanks, unlike strtoul().  Returns the
 * character after the number, or NULL.
 */
static const char *parse_num(const char *p, unsigned int base,
			     unsigned int max_digits, uint64_t max,
			     uint64_t *out)
{
	const char *s = p;
	uint64_t v = 0;

	for (;; p++) {
		unsigned int d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned int)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned int)(*p - 'a') + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned int)(*p - 'A') + 10;
		else
			break;
		if ((size_t)(p - s) >= max_digits || v > (max - d) / base)
			return NULL;
		v = v * base + d;
	}
	if (p == s)
		return NULL;
	*out = v;
	return p;
}

/* One character out of two allowed ones: the permission field. */
static const char *parse_flag(const char *p, char yes, char no, bool *out)
{
	if (*p != yes && *p != no)
		return NULL;
	*out = *p == yes;
	return p + 1;
}

int vma_parse_line(char *line, struct vma_line *out)
{
	uint64_t start, end, offset, major, minor, inode;
	struct vma_line l;
	const char *p;
	char *nl;

	if (!line || !out)
		return -EINVAL;
	nl = strchr(line, '\n');
	if (nl)
		*nl = '\0';

	p = parse_num(line, 16, 16, UINTPTR_MAX, &start);
	if (!p || *p++ != '-')
		return -EINVAL;
	p = parse_num(p, 16, 16, UINTPTR_MAX, &end);
	if (!p || *p++ != ' ' || start >= end)
		return -EINVAL;
	p = parse_flag(p, 'r', '-', &l.readable);
	if (p)
		p = parse_flag(p, 'w', '-', &l.writable);
	if (p)
		p = parse_flag(p, 'x', '-', &l.executable);
	if (p)
		p = parse_flag(p, 's', 'p', &l.shared);
	if (!p || *p++ != ' ')
		return -EINVAL;
	p = parse_num(p, 16, 16, UINT64_MAX, &offset);
	if (!p || *p++ != ' ')
		return -EINVAL;
	p = parse_num(p, 16, 8, UINT_MAX, &major);
	if (!p || *p++ != ':')
		return -EINVAL;
	p = parse_num(p, 16, 8, UINT_MAX, &minor);
	if (!p || *p++ != ' ')
		return -EINVAL;
	p = parse_num(p, 10, 20, UINT64_MAX, &inode);
	if (!p || (*p && *p != ' '))
		return -EINVAL;
	/* The padding; what follows it, spaces included, is the path. */
	while (*p == ' ')
		p++;

	l.start = (uintptr_t)start;
	l.end = (uintptr_t)end;
	l.offset = offset;
	l.dev_major = (unsigned int)major;
	l.dev_minor = (unsigned int)minor;
	l.inode = inode;
	l.path = p;
	*out = l;
	return 0;
}

/*
 * The whole of a /proc file, each newline replaced by a NUL so that the
 * lines can be walked with strlen().  seq_file hands out a page or so per
 * read(): loop until EOF.
 */
static int read_lines(const char *path, char **buf, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *b, *p;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	b = malloc(cap);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t r;

		if (cap - n < 4096) {
			char *nb = realloc(b, cap * 2);

			if (!nb) {
				ret = -ENOMEM;
				goto fail;
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto fail;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	close(fd);
	b[n] = '\0';
	for (p = b; (p = memchr(p, '\n', n - (size_t)(p - b))); p++)
		*p = '\0';
	*buf = b;
	*len = n;
	return 0;

fail:
	free(b);
	close(fd);
	return ret;
}

/* Copy with truncation, always terminated. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* What one vma_describe() call has read so far, each at most once. */
struct describe {
	size_t base_page;
	bool mounts_read;
	struct mount_table mounts;
	char *smaps;		/* NULL until a mapping needs it */
	size_t smaps_len;
};

/* The mount holding device @major:@minor, or NULL (see mountinfo_find()). */
static int find_mount(struct describe *d, unsigned int major,
		      unsigned int minor, const struct mount_entry **out)
{
	int ret;

	*out = NULL;
	if (!d->mounts_read) {
		ret = mountinfo_read(&d->mounts);
		if (ret < 0)
			return ret;
		d->mounts_read = true;
	}
	*out = mountinfo_find(&d->mounts, major, minor, NULL);
	return 0;
}

struct smaps_info {
	size_t page_size;	/* KernelPageSize */
	bool hugetlb;		/* VmFlags "ht" */
	bool io;		/* VmFlags "io" or "pf": device memory */
};

static void parse_vmflags(const char *p, struct smaps_info *info)
{
	while (*p) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n == 2 && !strncmp(p, "ht", 2))
			info->hugetlb = true;
		if (n == 2 && (!strncmp(p, "io", 2) || !strncmp(p, "pf", 2)))
			info->io = true;
		p += n;
	}
}

/*
 * What smaps says about the mapping of @l: the block after the header line
 * that covers @l->start with the same file.  smaps is read (once per
 * describe call) only for mappings maps leaves ambiguous, as it walks
 * every page table.  -EAGAIN when the mapping is gone by then.
 */
static int smaps_lookup(struct describe *d, const struct vma_line *l,
			struct smaps_info *info)
{
	bool in = false;
	char *p;
	int ret;

	if (!d->smaps) {
		ret = read_lines("/proc/self/smaps", &d->smaps, &d->smaps_len);
		if (ret < 0)
			return ret;
	}
	memset(info, 0, sizeof(*info));
	for (p = d->smaps; p < d->smaps + d->smaps_len; p += strlen(p) + 1) {
		/* Headers start with a hex address, the fields with a name. */
		if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')) {
			struct vma_line h;

			if (in)
				break;
			in = vma_parse_line(p, &h) == 0 &&
			     h.start <= l->start && l->start < h.end &&
			     h.dev_major == l->dev_major &&
			     h.dev_minor == l->dev_minor && h.inode == l->inode;
		} else if (in && has_prefix(p, "KernelPageSize:")) {
			uint64_t kb;
			const char *q = p + strlen("KernelPageSize:");

			q += strspn(q, " ");
			if (parse_num(q, 10, 20, SIZE_MAX / 1024, &kb))
				info->page_size = (size_t)kb * 1024;
		} else if (in && has_prefix(p, "VmFlags:")) {
			parse_vmflags(p + strlen("VmFlags:"), info);
		}
	}
	if (!in)
		return -EAGAIN;
	if (!info->page_size)
		info->page_size = d->base_page;
	return 0;
}

static int set_hugetlb(struct describe *d, const struct vma_line *l,
		       struct vma_part *part)
{
	struct smaps_info info;
	int ret;

	ret = smaps_lookup(d, l, &info);
	if (ret < 0)
		return ret;
	part->kind = VMA_HUGETLB;
	part->page_size = info.page_size;
	return 0;
}

/* @st is the file maps names, not another one now at that path. */
static bool same_file(const struct stat *st, const struct vma_line *l)
{
	return (uint64_t)st->st_ino == l->inode &&
	       major(st->st_dev) == l->dev_major &&
	       minor(st->st_dev) == l->dev_minor;
}

static int classify_file(struct describe *d, const struct vma_line *l,
			 struct vma_part *part)
{
	const struct mount_entry *m;
	struct smaps_info info;
	struct stat st;
	int ret;

	part->kind = l->shared ? VMA_FILE_SHARED : VMA_FILE_PRIVATE;
	/* MAP_HUGETLB and SHM_HUGETLB memory without a name of its own. */
	if (!strcmp(l->path, "/anon_hugepage (deleted)"))
		return set_hugetlb(d, l, part);

	ret = find_mount(d, l->dev_major, l->dev_minor, &m);
	if (ret < 0)
		return ret;
	if (m)
		copy_str(part->fstype, sizeof(part->fstype), m->fstype);

	/* A deleted name may since have been reused: trust only a live one. */
	if (!has_suffix(l->path, " (deleted)") && stat(l->path, &st) == 0 &&
	    same_file(&st, l) && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
		/*
		 * drivers/char/mem.c mmap_zero(): a private mapping of
		 * /dev/zero is plain anonymous memory (smaps counts it as
		 * Anonymous); only a shared one becomes shmem.
		 */
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 5) &&
		    !l->shared)
			part->kind = VMA_ANON;
		else
			part->kind = VMA_DEVICE;
		return 0;
	}
	/* Device DAX, even where the node cannot be stat()ed. */
	if (has_prefix(l->path, "/dev/dax")) {
		part->kind = VMA_DEVICE;
		return 0;
	}

	if (m) {
		if (!strcmp(m->fstype, "hugetlbfs"))
			return set_hugetlb(d, l, part);
		/* devtmpfs is a tmpfs; its device nodes were handled above. */
		if (!strcmp(m->fstype, "tmpfs") ||
		    !strcmp(m->fstype, "devtmpfs"))
			part->kind = VMA_SHMEM;
		return 0;
	}
	if (l->dev_major)
		return 0;

	/*
	 * An internal mount: memfd ("/memfd:name (deleted)"), SysV shm
	 * ("/SYSV%08x (deleted)") and shared anonymous memory ("/dev/zero
	 * (deleted)") are shmem, or hugetlbfs for MFD_HUGETLB and
	 * SHM_HUGETLB; only smaps tells which.
	 */
	ret = smaps_lookup(d, l, &info);
	if (ret < 0)
		return ret;
	part->page_size = info.page_size;
	if (info.hugetlb)
		part->kind = VMA_HUGETLB;
	else if (info.io)
		part->kind = VMA_DEVICE;
	else
		part->kind = VMA_SHMEM;
	return 0;
}

static int classify(struct describe *d, const struct vma_line *l,
		    struct vma_part *part)
{
	const char *path = l->path;

	part->page_size = d->base_page;
	if (!*path) {
		part->kind = l->shared ? VMA_SHMEM : VMA_ANON;
		return 0;
	}
	if (path[0] == '/')
		return classify_file(d, l, part);
	if (has_prefix(path, "[anon_shmem:"))
		part->kind = VMA_SHMEM;
	else if (has_prefix(path, "[anon:") || !strcmp(path, "[heap]") ||
		 has_prefix(path, "[stack"))
		part->kind = VMA_ANON;
	else
		/*
		 * [vdso], [vvar], [vsyscall], [uprobes], and driver memory
		 * named by its file: anon_inode:[io_uring], socket:[...].
		 */
		part->kind = VMA_SPECIAL;
	return 0;
}

static struct vma_part *add_part(struct vma_part **parts, unsigned int *nr,
				 unsigned int *cap)
{
	struct vma_part *p;

	if (*nr == *cap) {
		unsigned int ncap = *cap ? *cap * 2 : 8;

		p = realloc(*parts, ncap * sizeof(*p));
		if (!p)
			return NULL;
		*parts = p;
		*cap = ncap;
	}
	p = &(*parts)[(*nr)++];
	memset(p, 0, sizeof(*p));
	return p;
}

static int add_hole(struct describe *d, struct vma_part **parts,
		    unsigned int *nr, unsigned int *cap, uintptr_t start,
		    uintptr_t end, uintptr_t gap_start, uintptr_t gap_end)
{
	struct vma_part *p = add_part(parts, nr, cap);

	if (!p)
		return -ENOMEM;
	p->start = start;
	p->end = end;
	p->map_start = gap_start;
	p->map_end = gap_end;
	p->kind = VMA_HOLE;
	p->page_size = d->base_page;
	return 0;
}

int vma_describe(uintptr_t start, size_t len, struct vma_part **parts,
		 unsigned int *nr)
{
	struct describe d = { .base_page = (size_t)sysconf(_SC_PAGESIZE) };
	uintptr_t end = start + len, cursor = start, prev_end = 0;
	struct vma_part *v = NULL, *part;
	unsigned int n = 0, cap = 0;
	char *maps = NULL, *p;
	size_t maps_len = 0;
	int ret;

	if (!parts || !nr || !len || end <= start)
		return -EINVAL;
	ret = read_lines("/proc/self/maps", &maps, &maps_len);
	if (ret < 0)
		return ret;

	for (p = maps; p < maps + maps_len && cursor < end;
	     p += strlen(p) + 1) {
		struct vma_line l;

		ret = vma_parse_line(p, &l);
		if (ret < 0) {
			ret = -EIO;
			goto out;
		}
		/*
		 * maps is not read atomically: a mapping that changed
		 * between two reads may repeat or overlap what was seen.
		 */
		if (l.end <= cursor) {
			if (l.end > prev_end)
				prev_end = l.end;
			continue;
		}
		if (l.start > cursor) {
			uintptr_t hole_end = l.start < end ? l.start : end;

			ret = add_hole(&d, &v, &n, &cap, cursor, hole_end,
				       prev_end, l.start);
			if (ret < 0)
				goto out;
			cursor = hole_end;
			if (cursor == end)
				break;
		}
		part = add_part(&v, &n, &cap);
		if (!part) {
			ret = -ENOMEM;
			goto out;
		}
		part->start = cursor;
		part->end = l.end < end ? l.end : end;
		part->map_start = l.start;
		part->map_end = l.end;
		part->readable = l.readable;
		part->writable = l.writable;
		part->shared = l.shared;
		part->offset = l.offset;
		part->dev_major = l.dev_major;
		part->dev_minor = l.dev_minor;
		part->inode = l.inode;
		copy_str(part->path, sizeof(part->path), l.path);
		ret = classify(&d, &l, part);
		if (ret < 0)
			goto out;
		cursor = part->end;
		prev_end = l.end;
	}
	if (cursor < end) {
		ret = add_hole(&d, &v, &n, &cap, cursor, end, prev_end, end);
		if (ret < 0)
			goto out;
	}
	*parts = v;
	*nr = n;
	v = NULL;
	ret = 0;
out:
	free(v);
	free(d.smaps);
	mountinfo_free(&d.mounts);
	free(maps);
	return ret;
}

/* The size of a PMD-mapped huge page. */
static size_t pmd_size(void)
{
	char buf[32];
	uint64_t v;
	ssize_t r;
	int fd;

	fd = open("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size",
		  O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return FALLBACK_PMD_SIZE;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return FALLBACK_PMD_SIZE;
	buf[r] = '\0';
	/* A power of two, or the arithmetic below breaks. */
	if (!parse_num(buf, 10, 20, SIZE_MAX, &v) || !v || (v & (v - 1)))
		return FALLBACK_PMD_SIZE;
	return (size_t)v;
}

int vma_for_each_thp(uintptr_t start, size_t len,
		     void (*fn)(void *data, uintptr_t head, size_t size),
		     void *data)
{
	uintptr_t end = start + len, next = 0, h;
	struct page_region vec[64];
	struct pm_scan_arg arg;
	size_t huge = pmd_size();
	int fd, ret, count = 0, i;

	if (!fn || !len || end <= start)
		return -EINVAL;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	/* Whole huge pages, so that one straddling an edge is seen whole. */
	arg.start = start & ~(uintptr_t)(huge - 1);
	arg.end = end;
	if (end + huge - 1 > end)
		arg.end = (end + huge - 1) & ~(uintptr_t)(huge - 1);
	arg.vec = (uintptr_t)vec;
	arg.vec_len = sizeof(vec) / sizeof(vec[0]);
	/*
	 * PAGE_IS_HUGE is set for PMD entries only (and hugetlb); a
	 * non-present one is a THP being swapped or migrated, and the huge
	 * zero page backs nothing that could be pinned.
	 */
	arg.category_mask = PAGE_IS_HUGE | PAGE_IS_PRESENT | PAGE_IS_PFNZERO;
	arg.category_inverted = PAGE_IS_PFNZERO;
	arg.return_mask = PAGE_IS_HUGE;

	while (arg.start < arg.end) {
		/*
		 * The kernel fills vec[] through a pointer inside the
		 * argument, which memcheck cannot know: cleared first, its
		 * results are never "uninitialised".
		 */
		memset(vec, 0, sizeof(vec));
		ret = ioctl(fd, PAGEMAP_SCAN, &arg);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			/* No ioctl on pagemap before 6.7. */
			ret = errno == ENOTTY || errno == EINVAL ? -EOPNOTSUPP :
								   -errno;
			goto out;
		}
		/*
		 * Adjacent huge pages come back as one region; a region cut
		 * where vec filled up may continue in the next call.
		 */
		for (i = 0; i < ret; i++) {
			for (h = vec[i].start & ~(uintptr_t)(huge - 1);
			     h < vec[i].end; h += huge) {
				if (h + huge <= start || h >= end || h < next)
					continue;
				fn(data, h, huge);
				count++;
				next = h + huge;
			}
		}
		/* walk_end is where the scan stopped: the end when done. */
		if (arg.walk_end <= arg.start)
			break;
		arg.start = arg.walk_end;
	}
	ret = count;
out:
	close(fd);
	return ret;
}
