// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dio-bench --probe PATH: tells users what their storage is before they
 * benchmark it: filesystem-DAX memory cannot be registered, device-DAX
 * can, and O_DIRECT needs the alignment printed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <pindio.h>

#include "dio-probe.h"

static const char *tristate(int v, const char *yes, const char *no,
			    const char *unknown)
{
	return v > 0 ? yes : v == 0 ? no : unknown;
}

/* Bytes as "512 MiB", "2 MiB", "4096 bytes". */
static const char *bytes(uint64_t v, char *buf, size_t len)
{
	if (v >= (1ULL << 30) && v % (1ULL << 30) == 0)
		snprintf(buf, len, "%" PRIu64 " GiB", v >> 30);
	else if (v >= (1ULL << 20) && v % (1ULL << 20) == 0)
		snprintf(buf, len, "%" PRIu64 " MiB", v >> 20);
	else if (v >= 1024 && v % 1024 == 0)
		snprintf(buf, len, "%" PRIu64 " KiB", v >> 10);
	else
		snprintf(buf, len, "%" PRIu64 " bytes", v);
	return buf;
}

static void print_dax(const struct pindio_dax_info *i)
{
	char a[32], b[32];

	printf("  dax:            %s\n", pindio_dax_kind_name(i->kind));
	printf("  registration:   %s\n", i->longterm_ok ? "allowed" : "refused");
	printf("  why:            %s\n", i->reason);
	printf("  statx DAX:      %s\n",
	       tristate(i->statx_dax, "set", "clear", "not reported"));
	printf("  FS_XFLAG_DAX:   %s\n",
	       tristate(i->inode_dax_flag, "set", "clear", "unknown"));
	if (i->fstype[0])
		printf("  filesystem:     %s%s%s%s%s\n", i->fstype,
		       i->mount_point[0] ? " at " : "", i->mount_point,
		       i->mount_dax[0] ? ", dax=" : "", i->mount_dax);
	if (i->blockdev[0])
		printf("  block device:   %s\n", i->blockdev);
	if (i->ns[0] || i->region[0])
		printf("  namespace:      %s (mode %s, %s, align %s) of %s%s%s\n",
		       i->ns[0] ? i->ns : "none", i->mode[0] ? i->mode : "?",
		       i->ns_size ? bytes(i->ns_size, a, sizeof(a)) : "size unknown",
		       i->ns_align ? bytes(i->ns_align, b, sizeof(b)) : "unknown",
		       i->region[0] ? i->region : "an unknown region",
		       i->bus[0] ? " on " : "", i->bus);
	if (i->daxdev[0])
		printf("  dax device:     %s\n", i->daxdev);
	if (i->ndctl_error[0])
		printf("  ndctl:          %s\n", i->ndctl_error);
}

/* O_DIRECT alignment through the library, as the benchmark would open it. */
static void print_alignment(const char *path,
			    const struct pindio_dax_info *info)
{
	struct pindio_ctx *ctx;
	struct pindio_file *file;
	struct stat st;
	int ret;

	/* Only files and disks are opened: a FIFO would block the open. */
	if (stat(path, &st) < 0) {
		printf("  O_DIRECT:       unknown: %s\n", strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		printf("  O_DIRECT:       none for a directory; probe a file in it\n");
		return;
	}
	if (info->kind == PINDIO_DAX_DEVDAX) {
		printf("  O_DIRECT:       none for device-DAX, which is memory: map it with mmap(2)\n");
		return;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		printf("  O_DIRECT:       none: not a regular file or block device\n");
		return;
	}
	ret = pindio_ctx_new(1, PINDIO_CTX_DEFAULT, &ctx);
	if (ret < 0) {
		printf("  O_DIRECT:       unknown: no pindio context (%s)\n",
		       strerror(-ret));
		return;
	}
	pindio_set_log_priority(ctx, 0);	/* the error is printed here */
	ret = pindio_file_open(ctx, path, O_RDONLY, 0, &file);
	if (ret < 0) {
		printf("  O_DIRECT:       unavailable: %s\n",
		       pindio_ctx_last_error(ctx));
	} else {
		printf("  O_DIRECT:       memory alignment %u bytes, offset alignment %u bytes\n",
		       pindio_file_get_mem_align(file),
		       pindio_file_get_offset_align(file));
		pindio_file_unref(file);
	}
	pindio_ctx_unref(ctx);
}

int dio_probe(const char *path)
{
	struct pindio_dax_info info;
	int ret = pindio_dax_probe(path, &info, sizeof(info));

	if (ret < 0) {
		fprintf(stderr, "dio-bench: --probe=%s: %s\n", path,
			strerror(-ret));
		return 1;
	}
	printf("probe %s\n", path);
	print_dax(&info);
	print_alignment(path, &info);
	return 0;
}
