/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /proc/self/mountinfo: which filesystem a device number is, where it is
 * mounted, and its DAX option.  Private to the library; vma.c asks it for
 * the filesystem of file mappings, dax.c for the DAX mode of a mount.
 */
#ifndef PINDIO_MOUNTINFO_H
#define PINDIO_MOUNTINFO_H

struct mount_entry {
	unsigned int major, minor;	/* st_dev of files on it */
	char fstype[32];
	char mount_point[128];		/* unescaped, truncated */
	char dax[16];			/* super option: "always" ("dax" too),
					   "inode", "never", or "" */
};

struct mount_table {
	struct mount_entry *v;
	unsigned int nr;
};

/*
 * Parse one mountinfo line ("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 -
 * ext3 /dev/root rw,errors=continue").  Pure: no I/O.  Returns 0, or
 * -EINVAL for a malformed line.
 */
int mountinfo_parse_line(const char *line, struct mount_entry *m);

/* Read /proc/self/mountinfo.  Returns 0 or a negative errno. */
int mountinfo_read(struct mount_table *t);

/*
 * The entry for device @major:@minor, or NULL: internal mounts (the shmem
 * one behind memfd, the hugetlbfs one behind MAP_HUGETLB) are in no mount
 * table.  With @path (absolute, symlinks resolved), the mount of that
 * device whose mount point is the longest prefix of @path, so that a
 * bind mount names the tree the path was reached through.
 */
const struct mount_entry *mountinfo_find(const struct mount_table *t,
					 unsigned int major,
					 unsigned int minor,
					 const char *path);

void mountinfo_free(struct mount_table *t);

#endif /* PINDIO_MOUNTINFO_H */
