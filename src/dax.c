// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which files and mappings are DAX.  Filesystem-DAX maps a file's blocks
 * into user space; a long-term pin of such a page would keep the
 * filesystem from ever moving or freeing the block, so mm/gup.c
 * check_vma_flags() answers FOLL_LONGTERM on an fsdax VMA with
 * EOPNOTSUPP.  Device-DAX (/dev/daxX.Y) has no filesystem behind it and
 * vma_is_fsdax() lets it through.  pindio asks, in order of cost:
 *
 *  1. statx(2) STATX_ATTR_DAX: the inode's effective state (S_DAX), to be
 *     trusted only when stx_attributes_mask has the bit (5.8+, and only
 *     filesystems that report it);
 *  2. the mount's dax option in /proc/self/mountinfo, and under dax=inode
 *     (ext4's and xfs's default) the inode's FS_XFLAG_DAX;
 *  3. sysfs for the device under the filesystem: a pmem disk sits below
 *     an ndbusN directory;
 *  4. only then libndctl, for the bus, region and namespace and the
 *     namespace's mode.  An fsdax namespace's disk hangs off its pfn
 *     device, a sector one's off its btt, a raw one's off the namespace.
 *
 * A device-DAX node is a character device whose sysfs subsystem is "dax";
 * libndctl names the namespace behind it, libdaxctl devices that no
 * NVDIMM namespace provides (hmem, for instance).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <daxctl/libdaxctl.h>
#include <ndctl/libndctl.h>

#include "dax.h"
#include "internal.h"
#include "mountinfo.h"

/* Copy with truncation, always terminated; NULL copies as "". */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/*
 * libndctl and libdaxctl log their own errors to stderr; a library that
 * merely probes should not, unless the user asked for it with their
 * environment variables.
 */
static int ndctl_open(struct ndctl_ctx **nd, struct pindio_dax_info *info)
{
	int ret = ndctl_new(nd);

	if (ret < 0) {
		*nd = NULL;
		snprintf(info->ndctl_error, sizeof(info->ndctl_error),
			 "libndctl could not start: %s", strerror(-ret));
		return ret;
	}
	if (!getenv("NDCTL_LOG"))
		ndctl_set_log_priority(*nd, LOG_CRIT);
	return 0;
}

static const char *mode_name(enum ndctl_namespace_mode mode)
{
	switch (mode) {
	case NDCTL_NS_MODE_FSDAX:
		return "fsdax";
	case NDCTL_NS_MODE_SECTOR:
		return "sector";
	case NDCTL_NS_MODE_RAW:
		return "raw";
	case NDCTL_NS_MODE_DEVDAX:
		return "devdax";
	default:
		return "unknown";
	}
}

static void fill_namespace(struct pindio_dax_info *info, struct ndctl_bus *bus,
			   struct ndctl_region *region,
			   struct ndctl_namespace *ns)
{
	copy_str(info->bus, sizeof(info->bus), ndctl_bus_get_provider(bus));
	copy_str(info->region, sizeof(info->region),
		 ndctl_region_get_devname(region));
	copy_str(info->ns, sizeof(info->ns), ndctl_namespace_get_devname(ns));
	copy_str(info->mode, sizeof(info->mode),
		 mode_name(ndctl_namespace_get_mode(ns)));
	info->ns_size = ndctl_namespace_get_size(ns);
}

/* Is @disk the disk of @ns, through whichever device its mode puts it on? */
static bool ns_has_disk(struct ndctl_namespace *ns, const char *disk,
			struct pindio_dax_info *info)
{
	struct ndctl_pfn *pfn = ndctl_namespace_get_pfn(ns);
	struct ndctl_btt *btt = ndctl_namespace_get_btt(ns);
	const char *name;

	if (pfn) {
		name = ndctl_pfn_get_block_device(pfn);
		if (name && !strcmp(name, disk)) {
			info->ns_align = ndctl_pfn_get_align(pfn);
			return true;
		}
	}
	if (btt) {
		name = ndctl_btt_get_block_device(btt);
		if (name && !strcmp(name, disk))
			return true;
	}
	name = ndctl_namespace_get_block_device(ns);
	return name && !strcmp(name, disk);
}

/* Bus, region and namespace of pmem disk @disk ("pmem0"). */
static void ndctl_find_disk(const char *disk, struct pindio_dax_info *info)
{
	struct ndctl_ctx *nd;
	struct ndctl_bus *bus;
	struct ndctl_region *region;
	struct ndctl_namespace *ns;

	if (ndctl_open(&nd, info) < 0)
		return;
	ndctl_bus_foreach(nd, bus)
		ndctl_region_foreach(bus, region)
			ndctl_namespace_foreach(region, ns)
				if (ns_has_disk(ns, disk, info)) {
					fill_namespace(info, bus, region, ns);
					goto out;
				}
	snprintf(info->ndctl_error, sizeof(info->ndctl_error),
		 "libndctl knows no namespace with disk %s", disk);
out:
	ndctl_unref(nd);
}

/* As ndctl_find_disk(), with mode "unknown" when libndctl cannot tell. */
static void ndctl_describe_disk(const char *disk, struct pindio_dax_info *info)
{
	ndctl_find_disk(disk, info);
	if (!info->mode[0])
		copy_str(info->mode, sizeof(info->mode), "unknown");
}

/* The namespace behind device-DAX device @name ("dax0.0"), via libndctl. */
static bool ndctl_find_daxdev(const char *name, struct pindio_dax_info *info)
{
	struct ndctl_ctx *nd;
	struct ndctl_bus *bus;
	struct ndctl_region *region;
	struct ndctl_dax *dax;
	bool found = false;

	if (ndctl_open(&nd, info) < 0)
		return false;
	ndctl_bus_foreach(nd, bus)
		ndctl_region_foreach(bus, region)
			ndctl_dax_foreach(region, dax) {
				struct daxctl_region *dr =
					ndctl_dax_get_daxctl_region(dax);
				struct ndctl_namespace *ns =
					ndctl_dax_get_namespace(dax);
				struct daxctl_dev *dev;

				if (!dr || !ns)
					continue;
				daxctl_dev_foreach(dr, dev) {
					const char *n = daxctl_dev_get_devname(dev);

					if (!n || strcmp(n, name))
						continue;
					fill_namespace(info, bus, region, ns);
					info->ns_align = daxctl_dev_get_align(dev);
					found = true;
					goto out;
				}
			}
out:
	ndctl_unref(nd);
	return found;
}

/* A device-DAX device no NVDIMM namespace provides: libdaxctl alone. */
static void daxctl_find_daxdev(const char *name, struct pindio_dax_info *info)
{
	struct daxctl_ctx *dc;
	struct daxctl_region *region;
	struct daxctl_dev *dev;
	int ret = daxctl_new(&dc);

	if (ret < 0) {
		snprintf(info->ndctl_error, sizeof(info->ndctl_error),
			 "libdaxctl could not start: %s", strerror(-ret));
		return;
	}
	if (!getenv("DAXCTL_LOG"))
		daxctl_set_log_priority(dc, LOG_CRIT);
	daxctl_region_foreach(dc, region)
		daxctl_dev_foreach(region, dev) {
			const char *n = daxctl_dev_get_devname(dev);

			if (!n || strcmp(n, name))
				continue;
			copy_str(info->region, sizeof(info->region),
				 daxctl_region_get_devname(region));
			info->ns_size = daxctl_dev_get_size(dev);
			info->ns_align = daxctl_dev_get_align(dev);
			info->ndctl_error[0] = '\0';
			goto out;
		}
	snprintf(info->ndctl_error, sizeof(info->ndctl_error),
		 "neither libndctl nor libdaxctl knows %s", name);
out:
	daxctl_unref(dc);
}

/*
 * The disk under a filesystem on device @major:@minor, from sysfs:
 * /sys/dev/block/M:m resolves to .../ndbus0/region0/pfn0.1/block/pmem0
 * (a partition one level deeper, .../block/pmem0/pmem0p1).  Returns true
 * for a pmem disk, with @disk set to the whole disk's name.
 */
static bool sysfs_block(unsigned int major, unsigned int minor,
			struct pindio_dax_info *info, char *disk,
			size_t disk_size)
{
	char link[64], real[PATH_MAX], *slash;
	bool nvdimm;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major, minor);
	if (!realpath(link, real))
		return false;	/* no block device: tmpfs, nfs, btrfs subvolume */
	copy_str(info->blockdev, sizeof(info->blockdev), base_name(real));
	nvdimm = strstr(real, "/ndbus") != NULL;
	slash = strrchr(real, '/');
	*slash = '\0';
	if (strcmp(base_name(real), "block"))	/* a partition */
		copy_str(disk, disk_size, base_name(real));
	else
		copy_str(disk, disk_size, info->blockdev);
	return nvdimm;
}

/* Align of a device-DAX device from sysfs (5.10+), 0 when unknown. */
static uint64_t sysfs_dax_align(const char *sysdir)
{
	char path[PATH_MAX + 8];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/align", sysdir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* A character device: device-DAX or nothing DAX. */
static void probe_chardev(const char *what, dev_t rdev,
			  struct pindio_dax_info *info)
{
	char link[64], real[PATH_MAX], subsys[PATH_MAX + 16];
	char target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/dev/char/%u:%u", major(rdev),
		 minor(rdev));
	if (!realpath(link, real))
		goto not_dax;
	snprintf(subsys, sizeof(subsys), "%s/subsystem", real);
	n = readlink(subsys, target, sizeof(target) - 1);
	if (n < 0)
		goto not_dax;
	target[n] = '\0';
	if (strcmp(base_name(target), "dax"))
		goto not_dax;

	info->kind = PINDIO_DAX_DEVDAX;
	info->longterm_ok = 1;
	copy_str(info->daxdev, sizeof(info->daxdev), base_name(real));
	copy_str(info->mode, sizeof(info->mode), "devdax");
	if (!ndctl_find_daxdev(info->daxdev, info))
		daxctl_find_daxdev(info->daxdev, info);
	if (!info->ns_align)
		info->ns_align = sysfs_dax_align(real);
	snprintf(info->reason, sizeof(info->reason),
		 "%.200s is device-DAX (%s): no filesystem is behind it, so its memory may be registered and pinned long-term",
		 what, info->daxdev);
	return;

not_dax:
	snprintf(info->reason, sizeof(info->reason),
		 "%.200s is a character device that is not device-DAX", what);
}

/*
 * A device mapping whose node cannot be examined (gone, or another mount
 * namespace's /dev): a /dev/daxX.Y name still finds the device in sysfs,
 * and its alignment, which the charge needs.
 */
static void probe_daxdev_name(const char *what, const char *path,
			      struct pindio_dax_info *info)
{
	char sysdir[128];
	const char *name = base_name(path);

	snprintf(sysdir, sizeof(sysdir), "/sys/bus/dax/devices/%.64s", name);
	if (strncmp(path, "/dev/dax", 8) || access(sysdir, F_OK) < 0) {
		snprintf(info->reason, sizeof(info->reason),
			 "%.200s: a device mapping whose node cannot be examined",
			 what);
		return;
	}
	info->kind = PINDIO_DAX_DEVDAX;
	info->longterm_ok = 1;
	copy_str(info->daxdev, sizeof(info->daxdev), name);
	copy_str(info->mode, sizeof(info->mode), "devdax");
	info->ns_align = sysfs_dax_align(sysdir);
	snprintf(info->reason, sizeof(info->reason),
		 "%.200s is device-DAX (%s, by its name; the node itself could not be examined): no filesystem is behind it, so its memory may be registered and pinned long-term",
		 what, info->daxdev);
}

/* The file's FS_XFLAG_DAX: 1, 0, or -1 when it cannot be read. */
static int inode_dax_flag(int fd)
{
	struct fsxattr fsx;

	if (fd < 0 || ioctl(fd, FS_IOC_FSGETXATTR, &fsx) < 0)
		return -1;
	return (fsx.fsx_xflags & FS_XFLAG_DAX) ? 1 : 0;
}

/* The filesystem, mount point and dax option of device @major:@minor. */
static int mountinfo_lookup(unsigned int major, unsigned int minor,
			    const char *path, struct pindio_dax_info *info)
{
	struct mount_table t;
	const struct mount_entry *m;
	int ret;

	ret = mountinfo_read(&t);
	if (ret < 0)
		return ret;
	m = mountinfo_find(&t, major, minor, path && *path ? path : NULL);
	if (m) {
		copy_str(info->fstype, sizeof(info->fstype), m->fstype);
		copy_str(info->mount_point, sizeof(info->mount_point),
			 m->mount_point);
		copy_str(info->mount_dax, sizeof(info->mount_dax), m->dax);
	}
	mountinfo_free(&t);
	return 0;
}

/* Mount and device facts for a filesystem on @major:@minor. */
static int probe_mount(unsigned int major, unsigned int minor,
		       const char *path, struct pindio_dax_info *info)
{
	char disk[32];
	int ret;

	ret = mountinfo_lookup(major, minor, path, info);
	if (ret < 0)
		return ret;
	if (sysfs_block(major, minor, info, disk, sizeof(disk)))
		ndctl_describe_disk(disk, info);
	return 0;
}

/* Decide for a regular file or a directory once the facts are in. */
static void decide(const char *what, bool dir, struct pindio_dax_info *info)
{
	bool never = !strcmp(info->mount_dax, "never");
	const char *because;

	if (!dir && info->statx_dax >= 0) {
		info->kind = info->statx_dax ? PINDIO_DAX_FSDAX : PINDIO_DAX_NONE;
		because = info->statx_dax ? "statx reports STATX_ATTR_DAX set" :
					    "statx reports STATX_ATTR_DAX clear";
	} else if (!strcmp(info->mount_dax, "always")) {
		info->kind = PINDIO_DAX_FSDAX;
		because = "the filesystem is mounted dax=always";
	} else if (never || (strcmp(info->mode, "fsdax") &&
			     strcmp(info->mode, "unknown"))) {
		info->kind = PINDIO_DAX_NONE;
		because = never ? "the filesystem is mounted dax=never" :
				  "no fsdax namespace is under the filesystem";
	} else if (info->inode_dax_flag < 0) {
		/*
		 * dax=inode on a disk that may do DAX, and the inode's flag
		 * unreadable (the file could not be opened): the kernel
		 * decides, and its EOPNOTSUPP is explained then.
		 */
		info->kind = PINDIO_DAX_NONE;
		because = "its FS_XFLAG_DAX could not be read (the kernel will decide)";
	} else {
		/* dax=inode, spelled out or the default: the inode's flag. */
		info->kind = info->inode_dax_flag == 1 ? PINDIO_DAX_FSDAX :
							 PINDIO_DAX_NONE;
		because = info->inode_dax_flag == 1 ?
			  "under dax=inode, FS_XFLAG_DAX is set" :
			  "under dax=inode, FS_XFLAG_DAX is not set";
	}
	info->longterm_ok = info->kind != PINDIO_DAX_FSDAX;

	if (info->kind == PINDIO_DAX_FSDAX)
		snprintf(info->reason, sizeof(info->reason),
			 "%.160s: %s filesystem-DAX (%s on %s), as %s: the pages are the storage itself, and a long-term pin would stop the filesystem from ever moving or freeing those blocks, so the kernel refuses to register them",
			 what, dir ? "new files in it are" : "it is",
			 info->fstype[0] ? info->fstype : "unknown filesystem",
			 info->blockdev[0] ? info->blockdev : "an unknown device",
			 because);
	else if (!dir && info->statx_dax == 0 && info->inode_dax_flag == 1 &&
		 !never && (!strcmp(info->mode, "fsdax") ||
			    !strcmp(info->mode, "unknown")))
		snprintf(info->reason, sizeof(info->reason),
			 "%.160s: not DAX yet although FS_XFLAG_DAX is set: the flag takes effect when the inode is next loaded (after it leaves the inode cache); memory mapped from it may be registered until then",
			 what);
	else
		snprintf(info->reason, sizeof(info->reason),
			 "%.160s: %s not DAX (%s on %s), as %s: the pages come from the page cache and may be registered",
			 what, dir ? "new files in it are" : "it is",
			 info->fstype[0] ? info->fstype : "unknown filesystem",
			 info->blockdev[0] ? info->blockdev : "no block device",
			 because);
}

/* Resolve @fd's path for the mount lookup; "" when it cannot be read. */
static void fd_path(int fd, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	buf[n < 0 ? 0 : n] = '\0';
}

/* @fd: the file, opened O_RDONLY or O_PATH; @what names it in reasons. */
static int probe_fd(int fd, const char *what, struct pindio_dax_info *info)
{
	struct statx stx;
	char path[PATH_MAX];
	mode_t mode;
	int ret;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_INO, &stx) < 0)
		return -errno;
	mode = stx.stx_mode & S_IFMT;
	if (mode == S_IFCHR) {
		fd_path(fd, path, sizeof(path));
		ret = mountinfo_lookup(stx.stx_dev_major, stx.stx_dev_minor,
				       path, info);
		if (ret < 0)
			return ret;
		probe_chardev(what, makedev(stx.stx_rdev_major,
					    stx.stx_rdev_minor), info);
		return 0;
	}
	info->statx_dax = (stx.stx_attributes_mask & STATX_ATTR_DAX) ?
			  !!(stx.stx_attributes & STATX_ATTR_DAX) : -1;
	fd_path(fd, path, sizeof(path));
	if (mode == S_IFBLK) {
		char disk[32];

		/* Where the node lives, then the disk it is. */
		ret = mountinfo_lookup(stx.stx_dev_major, stx.stx_dev_minor,
				       path, info);
		if (ret < 0)
			return ret;
		if (sysfs_block(stx.stx_rdev_major, stx.stx_rdev_minor, info,
				disk, sizeof(disk)))
			ndctl_describe_disk(disk, info);
		snprintf(info->reason, sizeof(info->reason),
			 "%.200s is a block device: a mapping of it goes through the page cache, never DAX (filesystem-DAX needs a filesystem mounted with dax on it)",
			 what);
		return 0;
	}
	/* Only a filesystem's own inodes: a device's driver would get it. */
	if (mode == S_IFREG || mode == S_IFDIR)
		info->inode_dax_flag = inode_dax_flag(fd);
	ret = probe_mount(stx.stx_dev_major, stx.stx_dev_minor, path, info);
	if (ret < 0)
		return ret;
	if (mode != S_IFREG && mode != S_IFDIR) {
		snprintf(info->reason, sizeof(info->reason),
			 "%.200s is not a regular file, a directory or a device-DAX node, so nothing is mapped from it DAX",
			 what);
		return 0;
	}
	decide(what, mode == S_IFDIR, info);
	return 0;
}

static void info_init(struct pindio_dax_info *info)
{
	memset(info, 0, sizeof(*info));
	info->kind = PINDIO_DAX_NONE;
	info->longterm_ok = 1;
	info->statx_dax = -1;
	info->inode_dax_flag = -1;
}

static int copy_info(const struct pindio_dax_info *src,
		     struct pindio_dax_info *dst, size_t size)
{
	if (size > sizeof(*src)) {
		memset((char *)dst + sizeof(*src), 0, size - sizeof(*src));
		size = sizeof(*src);
	}
	memcpy(dst, src, size);
	return 0;
}

static bool size_ok(const void *info, size_t size)
{
	return info && size >= offsetof(struct pindio_dax_info, statx_dax);
}

/*
 * An O_PATH fd, swapped for one opened for reading on the same inode (for
 * FS_IOC_FSGETXATTR) when that can be had; else @pfd itself, on which
 * statx still answers.  Call it only for a regular file or a directory.
 */
static int reopen_readable(int pfd)
{
	char link[64];
	int fd;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", pfd);
	fd = open(link, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return pfd;
	close(pfd);
	return fd;
}

/*
 * Examine what @path names without side effects: it is opened O_PATH
 * (which opens no device), and only a regular file or a directory is
 * then reopened for reading, through that same inode.
 */
static int probe_path(const char *path, struct pindio_dax_info *info)
{
	struct stat st;
	int fd, ret;

	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
		fd = reopen_readable(fd);
	ret = probe_fd(fd, path, info);
	close(fd);
	return ret;
}

PINDIO_EXPORT
const char *pindio_dax_kind_name(enum pindio_dax_kind kind)
{
	switch (kind) {
	case PINDIO_DAX_NONE:
		return "none";
	case PINDIO_DAX_FSDAX:
		return "fsdax";
	case PINDIO_DAX_DEVDAX:
		return "devdax";
	}
	return "unknown";
}

PINDIO_EXPORT
int pindio_dax_probe(const char *path, struct pindio_dax_info *info,
		     size_t size)
{
	struct pindio_dax_info i;
	int ret;

	if (!path || !*path || !size_ok(info, size))
		return -EINVAL;
	info_init(&i);
	ret = probe_path(path, &i);
	if (ret < 0)
		return ret;
	return copy_info(&i, info, size);
}

PINDIO_EXPORT
int pindio_dax_probe_fd(int fd, struct pindio_dax_info *info, size_t size)
{
	struct pindio_dax_info i;
	char what[32];
	int ret;

	if (fd < 0 || !size_ok(info, size))
		return fd < 0 ? -EBADF : -EINVAL;
	info_init(&i);
	snprintf(what, sizeof(what), "fd %d", fd);
	ret = probe_fd(fd, what, &i);
	if (ret < 0)
		return ret;
	return copy_info(&i, info, size);
}

/*
 * The file behind a file mapping: /proc/self/map_files (root, or
 * CAP_CHECKPOINT_RESTORE) reaches it even when deleted or renamed; else
 * the path maps printed, if it still names the same inode.
 */
static int open_mapped_file(const struct vma_part *p)
{
	char link[64];
	struct stat st;
	int pfd;

	/*
	 * O_PATH first, so that nothing is opened before it is known to be
	 * the regular file maps named (not a device node, not a mapping
	 * another thread put there since).
	 */
	snprintf(link, sizeof(link), "/proc/self/map_files/%" PRIxPTR "-%" PRIxPTR,
		 p->map_start, p->map_end);
	pfd = open(link, O_PATH | O_CLOEXEC);
	if (pfd < 0 && (p->path[0] != '/' || strstr(p->path, " (deleted)")))
		return -ENOENT;
	if (pfd < 0)
		pfd = open(p->path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (fstat(pfd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_ino != p->inode ||
	    major(st.st_dev) != p->dev_major ||
	    minor(st.st_dev) != p->dev_minor) {
		close(pfd);
		return -ENOENT;
	}
	return reopen_readable(pfd);
}

int dax_probe_part(const struct vma_part *p, struct pindio_dax_info *info)
{
	char what[300];
	struct stat st;
	int fd, ret;

	info_init(info);
	snprintf(what, sizeof(what), "%s", p->path[0] ? p->path : "the mapping");
	switch (p->kind) {
	case VMA_DEVICE:
		ret = mountinfo_lookup(p->dev_major, p->dev_minor, p->path,
				       info);
		if (ret == -ENOMEM)
			return ret;
		if (stat(p->path, &st) == 0 && S_ISCHR(st.st_mode) &&
		    (uint64_t)st.st_ino == p->inode &&
		    major(st.st_dev) == p->dev_major &&
		    minor(st.st_dev) == p->dev_minor)
			probe_chardev(what, st.st_rdev, info);
		else
			probe_daxdev_name(what, p->path, info);
		return 0;
	case VMA_FILE_PRIVATE:
	case VMA_FILE_SHARED:
		break;
	default:
		snprintf(info->reason, sizeof(info->reason),
			 "%s memory is not DAX", vma_kind_name(p->kind));
		return 0;
	}

	fd = open_mapped_file(p);
	if (fd >= 0) {
		ret = probe_fd(fd, what, info);
		close(fd);
		if (ret == 0 || ret == -ENOMEM)
			return ret;
		info_init(info);
	}
	/* Unreachable file: the mount and the device still tell a lot. */
	ret = probe_mount(p->dev_major, p->dev_minor, NULL, info);
	if (ret == -ENOMEM)
		return ret;
	decide(what, false, info);
	return 0;
}

void dax_where(const struct pindio_dax_info *info, char *buf, size_t size)
{
	int n;

	buf[0] = '\0';
	if (!info->blockdev[0] && !info->daxdev[0])
		return;
	n = snprintf(buf, size, "%s", info->daxdev[0] ? info->daxdev :
							  info->blockdev);
	if (info->ns[0] && n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, ": %s (mode %s)",
			      info->ns, info->mode);
	if (info->region[0] && n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, " of %s", info->region);
	if (info->bus[0] && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, " on %s", info->bus);
}

PINDIO_EXPORT
int pindio_dax_probe_range(const void *addr, size_t len,
			   struct pindio_dax_info *info, size_t size)
{
	struct pindio_dax_info best, cur;
	struct vma_part *parts;
	unsigned int nr, i;
	bool file_seen = false;
	int ret;

	if (!size_ok(info, size))
		return -EINVAL;
	ret = vma_describe((uintptr_t)addr, len, &parts, &nr);
	if (ret < 0)
		return ret;
	info_init(&best);
	snprintf(best.reason, sizeof(best.reason),
		 "no memory in [%p, +%zu) is DAX", addr, len);
	for (i = 0; i < nr; i++) {
		if (parts[i].kind == VMA_HOLE) {
			ret = -EFAULT;
			goto out;
		}
		ret = dax_probe_part(&parts[i], &cur);
		if (ret < 0)
			goto out;
		if (best.kind == PINDIO_DAX_FSDAX)
			continue;	/* the answer; only holes matter now */
		if (cur.kind == PINDIO_DAX_FSDAX) {
			best = cur;
			continue;
		}
		if (best.kind != PINDIO_DAX_NONE)
			continue;
		/* Else the first file mapping's facts, for the user. */
		if (cur.kind == PINDIO_DAX_DEVDAX ||
		    (!file_seen && vma_is_file(parts[i].kind))) {
			best = cur;
			file_seen = true;
		}
	}
	ret = copy_info(&best, info, size);
out:
	free(parts);
	return ret;
}
