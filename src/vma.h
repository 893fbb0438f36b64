/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What backs each part of an address range, from /proc/self/maps: the
 * register path asks this before it pins, because the kernel treats
 * anonymous, shmem, hugetlb, file and device memory differently.
 * Private to the library (no exports); the tests compile vma.c in.
 */
#ifndef PINDIO_VMA_H
#define PINDIO_VMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum vma_kind {
	VMA_HOLE,		/* nothing mapped there */
	VMA_ANON,		/* private anonymous: heap, stack, MAP_PRIVATE|MAP_ANONYMOUS,
				   [anon:name], MAP_PRIVATE of /dev/zero */
	VMA_HUGETLB,		/* hugetlbfs file, MAP_HUGETLB, memfd MFD_HUGETLB, SysV SHM_HUGETLB */
	VMA_SHMEM,		/* shared anonymous (/dev/zero), memfd, SysV shm, files on tmpfs/shmem */
	VMA_FILE_PRIVATE,	/* MAP_PRIVATE mapping of a regular file on a real filesystem */
	VMA_FILE_SHARED,	/* MAP_SHARED mapping of a regular file on a real filesystem */
	VMA_DEVICE,		/* a mapping of a character/block device node, e.g. /dev/dax0.0, /dev/mem */
	VMA_SPECIAL,		/* [vdso], [vvar], [vvar_vclock], [vsyscall], [uprobes],
				   driver files such as anon_inode:[io_uring] */
};

/* "hole", "anonymous", "hugetlb", "shmem", "file (private)", ... */
const char *vma_kind_name(enum vma_kind kind);

/*
 * A mapping of a file or device node the kernel treats as such (not
 * shmem, not hugetlbfs): the kind the DAX probe examines.
 */
static inline bool vma_is_file(enum vma_kind kind)
{
	return kind == VMA_FILE_PRIVATE || kind == VMA_FILE_SHARED ||
	       kind == VMA_DEVICE;
}

struct vma_part {
	uintptr_t start, end;		/* the part of the asked range inside this mapping (or hole) */
	uintptr_t map_start, map_end;	/* the whole mapping; for a hole the gap between its
					   neighbours, up to the range's end if none follows */
	enum vma_kind kind;
	bool readable, writable, shared;	/* the rwxp/s permission field */
	uint64_t offset;		/* file offset of map_start */
	unsigned int dev_major, dev_minor;
	uint64_t inode;
	size_t page_size;		/* KernelPageSize for hugetlb, else the base page size */
	char fstype[32];		/* from /proc/self/mountinfo for file mappings, "" when unknown */
	char path[256];			/* path field of the maps line, truncated; "" for anonymous */
};

/* A parsed /proc/<pid>/maps line. */
struct vma_line {
	uintptr_t start, end;
	bool readable, writable, executable, shared;
	uint64_t offset;
	unsigned int dev_major, dev_minor;
	uint64_t inode;
	const char *path;	/* points into the line, "" if none; no trailing newline */
};

/*
 * Parse one maps line.  Pure, no I/O: the fuzz target.  @line is
 * terminated at its first newline.  Returns 0, or -EINVAL for a
 * malformed line (start must be below end).
 */
int vma_parse_line(char *line, struct vma_line *out);

/*
 * Describe [start, start + len): one vma_part per mapping or hole it
 * touches, in address order, covering the range exactly.  *parts is
 * malloc'ed: free() it.  Returns 0 or a negative errno: -EINVAL for len
 * 0 or a range that wraps, -ENOMEM, -EIO for a maps line that does not
 * parse, -EAGAIN when a mapping vanished between reading maps and smaps,
 * or the errno of opening/reading the /proc files.
 */
int vma_describe(uintptr_t start, size_t len, struct vma_part **parts,
		 unsigned int *nr);

/*
 * Call @fn once for each PMD-mapped transparent huge page overlapping
 * [start, start + len), in address order: @head is aligned to @size.
 * Meant for VMA_ANON and VMA_SHMEM parts (hugetlb pages would be
 * reported too).  Returns the number of huge pages reported, -EINVAL for
 * a bad range or a NULL @fn, -EOPNOTSUPP when the kernel lacks the
 * PAGEMAP_SCAN ioctl (before 6.7), or another negative errno.
 */
int vma_for_each_thp(uintptr_t start, size_t len,
		     void (*fn)(void *data, uintptr_t head, size_t size),
		     void *data);

#endif /* PINDIO_VMA_H */
