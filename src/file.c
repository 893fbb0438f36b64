// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Files for direct I/O: open with O_DIRECT, find the alignment O_DIRECT
 * needs, and place the descriptor in the ring's fixed-file table.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/stat.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "internal.h"

/* Used when nothing better is known: every device supports it. */
#define FALLBACK_ALIGN 4096U

const char *fs_name(long f_type)
{
	static const struct {
		long magic;
		const char *name;
	} names[] = {
		{ EXT4_SUPER_MAGIC, "ext2/ext3/ext4" },
		{ XFS_SUPER_MAGIC, "xfs" },
		{ BTRFS_SUPER_MAGIC, "btrfs" },
		{ TMPFS_MAGIC, "tmpfs" },
		{ RAMFS_MAGIC, "ramfs" },
		{ OVERLAYFS_SUPER_MAGIC, "overlayfs" },
		{ NFS_SUPER_MAGIC, "nfs" },
		{ F2FS_SUPER_MAGIC, "f2fs" },
		{ MSDOS_SUPER_MAGIC, "vfat" },
		{ SQUASHFS_MAGIC, "squashfs" },
		{ PROC_SUPER_MAGIC, "proc" },
		{ SYSFS_MAGIC, "sysfs" },
		{ 0x2fc12fc1, "zfs" },
		{ 0xff534d42, "cifs" },
		{ 0x65735546, "fuse" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].magic == f_type)
			return names[i].name;
	return NULL;
}

/* "filesystem xfs" or "filesystem with magic 0x1234", for messages. */
static void describe_fs(long f_type, char *out, size_t size)
{
	const char *name = fs_name(f_type);

	if (name)
		snprintf(out, size, "filesystem %s", name);
	else
		snprintf(out, size, "filesystem with magic 0x%lx", f_type);
}

static int no_odirect(struct pindio_ctx *ctx, const char *what,
		      struct statfs *sfs)
{
	char fs[64] = "its filesystem";

	if (sfs)
		describe_fs(sfs->f_type, fs, sizeof(fs));
	return fail(ctx, -EINVAL, "%s: the %s does not support O_DIRECT; put the file on a filesystem that does (ext4, xfs, btrfs, a block device)",
		    what, fs);
}

/* The logical block size of the device holding @st's file, or 0. */
static uint32_t dev_logical_block_size(const struct stat *st)
{
	char path[PATH_MAX];
	unsigned int lbs = 0;
	FILE *f;

	/* A whole disk has queue/ itself, a partition has it one level up. */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/logical_block_size",
		 major(st->st_dev), minor(st->st_dev));
	f = fopen(path, "re");
	if (!f) {
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../queue/logical_block_size",
			 major(st->st_dev), minor(st->st_dev));
		f = fopen(path, "re");
	}
	if (!f)
		return 0;
	if (fscanf(f, "%u", &lbs) != 1)
		lbs = 0;
	fclose(f);
	return lbs;
}

static int discover_align(struct pindio_ctx *ctx, struct pindio_file *file,
			  const char *what, const struct stat *st)
{
	struct statx stx;
	struct statfs sfs;
	int lbs;

	memset(&stx, 0, sizeof(stx));
	if (statx(file->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
	    (stx.stx_mask & STATX_DIOALIGN)) {
		if (!stx.stx_dio_mem_align || !stx.stx_dio_offset_align)
			return no_odirect(ctx, what,
					  fstatfs(file->fd, &sfs) ? NULL : &sfs);
		file->mem_align = stx.stx_dio_mem_align;
		file->offset_align = stx.stx_dio_offset_align;
		return 0;
	}

	/* Kernels before 6.1, or filesystems that do not report it. */
	if (file->is_blockdev) {
		if (ioctl(file->fd, BLKSSZGET, &lbs) < 0)
			return fail(ctx, -errno, "%s: BLKSSZGET failed: %s",
				    what, strerror(errno));
		if (lbs <= 0)
			return fail(ctx, -EINVAL, "%s: BLKSSZGET gave block size %d",
				    what, lbs);
		file->mem_align = file->offset_align = (uint32_t)lbs;
		return 0;
	}
	file->offset_align = dev_logical_block_size(st);
	if (!file->offset_align) {
		info(ctx, "%s: alignment unknown (no STATX_DIOALIGN, no block device); assuming %u\n",
		     what, FALLBACK_ALIGN);
		file->offset_align = FALLBACK_ALIGN;
	}
	/* Without STATX_DIOALIGN, memory must be aligned like offsets. */
	file->mem_align = file->offset_align;
	return 0;
}

static int file_slot_get(struct pindio_ctx *ctx, int fd)
{
	unsigned int i;

	if (!ctx->files_registered)
		return -1;
	for (i = 0; i < ctx->file_slots; i++) {
		if (ctx->file_slot_used[i])
			continue;
		if (ctx->backend->file_set(ctx, i, fd) < 0)
			return -1;
		ctx->file_slot_used[i] = 1;
		return (int)i;
	}
	info(ctx, "all %u fixed-file slots in use; fd %d is used by descriptor\n",
	     ctx->file_slots, fd);
	return -1;
}

static void file_slot_put(struct pindio_ctx *ctx, int slot)
{
	if (slot < 0)
		return;
	ctx->backend->file_set(ctx, (unsigned int)slot, -1);
	ctx->file_slot_used[slot] = 0;
}

static int not_a_file(struct pindio_ctx *ctx, const char *what)
{
	return fail(ctx, -EINVAL, "%s is not a regular file or block device; O_DIRECT I/O needs one",
		    what);
}

/* Common to open and adopt: @fd is already O_DIRECT. */
static int file_new(struct pindio_ctx *ctx, int fd, const char *what,
		    struct pindio_file **out)
{
	struct pindio_file *file;
	struct stat st;
	int ret;

	if (fstat(fd, &st) < 0)
		return fail(ctx, -errno, "%s: fstat failed: %s", what,
			    strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return not_a_file(ctx, what);

	file = calloc(1, sizeof(*file));
	if (!file)
		return fail(ctx, -ENOMEM, "out of memory for a file");
	file->ctx = ctx;
	file->refcount = 1;
	file->fd = fd;
	file->is_blockdev = S_ISBLK(st.st_mode);
	ret = discover_align(ctx, file, what, &st);
	if (ret < 0) {
		free(file);
		return ret;
	}
	file->fixed_index = file_slot_get(ctx, fd);
	pindio_ctx_ref(ctx);
	dbg(ctx, "%s: fd %d, fixed slot %d, O_DIRECT alignment mem %u offset %u\n",
	    what, fd, file->fixed_index, file->mem_align, file->offset_align);
	*out = file;
	return 0;
}

PINDIO_EXPORT
int pindio_file_open(struct pindio_ctx *ctx, const char *path, int flags,
		     mode_t mode, struct pindio_file **out)
{
	struct statfs sfs;
	int fd, ret;

	if (!ctx || !out)
		return -EINVAL;
	if (!path)
		return fail(ctx, -EINVAL, "path is NULL");
	if ((flags & O_PATH) == O_PATH)
		return fail(ctx, -EINVAL, "%s: O_PATH descriptors cannot do I/O; open without it",
			    path);

	fd = open(path, flags | O_DIRECT | O_CLOEXEC, mode);
	if (fd < 0 && errno == EINVAL) {
		struct stat st;

		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) &&
		    !S_ISBLK(st.st_mode))
			return not_a_file(ctx, path);
		/*
		 * Blame O_DIRECT only if the same open without it works
		 * (without creating or truncating anything).
		 */
		fd = open(path, (flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_CLOEXEC);
		if (fd >= 0) {
			ret = no_odirect(ctx, path, fstatfs(fd, &sfs) ? NULL : &sfs);
			close(fd);
			return ret;
		}
		return fail(ctx, -EINVAL, "cannot open %s with flags 0x%x: %s",
			    path, (unsigned int)flags, strerror(EINVAL));
	}
	if (fd < 0)
		return fail(ctx, -errno, "cannot open %s: %s", path,
			    strerror(errno));
	ret = file_new(ctx, fd, path, out);
	if (ret < 0)
		close(fd);
	return ret;
}

PINDIO_EXPORT
int pindio_file_adopt(struct pindio_ctx *ctx, int fd, struct pindio_file **out)
{
	struct statfs sfs;
	char what[32];
	int fl, ret;

	if (!ctx || !out)
		return -EINVAL;
	snprintf(what, sizeof(what), "fd %d", fd);
	fl = fd < 0 ? -1 : fcntl(fd, F_GETFL);
	if (fl < 0)
		return fail(ctx, -EBADF, "%s is not an open descriptor", what);
	if (fl & O_PATH)
		return fail(ctx, -EBADF, "%s was opened with O_PATH and cannot do I/O",
			    what);
	if (!(fl & O_DIRECT) && fcntl(fd, F_SETFL, fl | O_DIRECT) < 0) {
		if (errno == EINVAL)
			return no_odirect(ctx, what,
					  fstatfs(fd, &sfs) ? NULL : &sfs);
		return fail(ctx, -errno, "%s: cannot set O_DIRECT: %s", what,
			    strerror(errno));
	}
	ret = file_new(ctx, fd, what, out);
	if (ret < 0 && !(fl & O_DIRECT))
		fcntl(fd, F_SETFL, fl);
	return ret;
}

PINDIO_EXPORT
struct pindio_file *pindio_file_ref(struct pindio_file *file)
{
	if (!file)
		return NULL;
	file->refcount++;
	return file;
}

PINDIO_EXPORT
struct pindio_file *pindio_file_unref(struct pindio_file *file)
{
	struct pindio_ctx *ctx;

	if (!file)
		return NULL;
	if (--file->refcount > 0)
		return file;
	ctx = file->ctx;
	/*
	 * Submitted requests hold their own kernel reference to the file;
	 * queued ones must reach the kernel before the slot is emptied.
	 */
	if (ctx->inflight)
		ctx->backend->flush(ctx);	/* a failure is logged */
	file_slot_put(ctx, file->fixed_index);
	close(file->fd);
	free(file);
	pindio_ctx_unref(ctx);
	return NULL;
}

PINDIO_EXPORT
int pindio_file_get_fd(struct pindio_file *file)
{
	return file ? file->fd : -EINVAL;
}

PINDIO_EXPORT
uint32_t pindio_file_get_mem_align(struct pindio_file *file)
{
	return file ? file->mem_align : 0;
}

PINDIO_EXPORT
uint32_t pindio_file_get_offset_align(struct pindio_file *file)
{
	return file ? file->offset_align : 0;
}

PINDIO_EXPORT
int pindio_file_get_fixed_index(struct pindio_file *file)
{
	return file ? file->fixed_index : -1;
}

PINDIO_EXPORT
int pindio_file_get_size(struct pindio_file *file, uint64_t *size)
{
	struct stat st;
	uint64_t bytes;

	if (!file || !size)
		return -EINVAL;
	if (file->is_blockdev) {
		if (ioctl(file->fd, BLKGETSIZE64, &bytes) < 0)
			return fail(file->ctx, -errno, "BLKGETSIZE64 failed: %s",
				    strerror(errno));
		*size = bytes;
		return 0;
	}
	if (fstat(file->fd, &st) < 0)
		return fail(file->ctx, -errno, "fstat failed: %s",
			    strerror(errno));
	*size = (uint64_t)st.st_size;
	return 0;
}
