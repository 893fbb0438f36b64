// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * src/mountinfo.c and the DAX probe on a machine without NVDIMMs: every
 * answer must be "not DAX", with the facts filled in and a reason.  The
 * DAX answers themselves are proven on emulated NVDIMMs by the VM lab
 * (tests/vm).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "helpers.h"
#include "../src/mountinfo.h"

START_TEST(test_mountinfo_parse)
{
	struct mount_entry m;

	ck_assert_int_eq(mountinfo_parse_line("36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n", &m), 0);
	ck_assert_uint_eq(m.major, 98);
	ck_assert_uint_eq(m.minor, 0);
	ck_assert_str_eq(m.mount_point, "/mnt/parent");
	ck_assert_str_eq(m.fstype, "ext3");
	ck_assert_str_eq(m.dax, "");

	/* No optional fields; the line without its newline. */
	ck_assert_int_eq(mountinfo_parse_line("25 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw", &m), 0);
	ck_assert_uint_eq(m.major, 254);
	ck_assert_uint_eq(m.minor, 1);
	ck_assert_str_eq(m.mount_point, "/");
	ck_assert_str_eq(m.fstype, "ext4");

	/* Escaped space and backslash in the mount point. */
	ck_assert_int_eq(mountinfo_parse_line("40 25 0:45 / /mnt/a\\040b\\134c rw shared:9 - tmpfs none rw,size=1024k", &m), 0);
	ck_assert_str_eq(m.mount_point, "/mnt/a b\\c");
	ck_assert_str_eq(m.fstype, "tmpfs");
}
END_TEST

START_TEST(test_mountinfo_dax_options)
{
	static const struct {
		const char *opts, *dax;
	} cases[] = {
		{ "rw,seclabel,dax=always", "always" },
		{ "rw,dax", "always" },		/* ext2, kernels before 5.8 */
		{ "rw,attr2,inode64,dax=inode,noquota", "inode" },
		{ "dax=never,rw", "never" },
		{ "rw,relatime,daxx", "" },	/* not the option */
		{ "rw,nodax", "" },
		{ "rw", "" },
	};
	char line[256];
	struct mount_entry m;
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line),
			 "50 25 259:0 / /mnt/pmem rw,relatime shared:3 - xfs /dev/pmem0 %s\n",
			 cases[i].opts);
		ck_assert_int_eq(mountinfo_parse_line(line, &m), 0);
		ck_assert_msg(!strcmp(m.dax, cases[i].dax),
			      "options '%s': dax '%s', expected '%s'",
			      cases[i].opts, m.dax, cases[i].dax);
	}
}
END_TEST

START_TEST(test_mountinfo_malformed)
{
	static const char *const bad[] = {
		"",
		"36 35",
		"36 35 98:0",
		"36 35 x:0 / / rw - ext4 /dev/x rw",
		"36 35 98: / / rw - ext4 /dev/x rw",
		"36 35 98:0 / / rw no-separator ext4",
		"36 35 98:0 / relative rw - ext4 /dev/x rw",
		"36 35 98:0 / / rw - ",
		"36 35 99999999999:0 / / rw - ext4 /dev/x rw",
	};
	struct mount_entry m;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(mountinfo_parse_line(bad[i], &m) == -EINVAL,
			      "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(test_mountinfo_find)
{
	struct mount_entry v[3];
	struct mount_table t = { v, 3 };

	ck_assert_int_eq(mountinfo_parse_line("1 0 8:1 / / rw - ext4 /dev/sda1 rw", &v[0]), 0);
	ck_assert_int_eq(mountinfo_parse_line("2 1 8:2 / /data rw - xfs /dev/sda2 rw", &v[1]), 0);
	/* A bind mount of a directory of the same filesystem. */
	ck_assert_int_eq(mountinfo_parse_line("3 1 8:2 /sub /srv/sub rw - xfs /dev/sda2 rw", &v[2]), 0);

	ck_assert_ptr_eq(mountinfo_find(&t, 8, 1, NULL), &v[0]);
	ck_assert_ptr_eq(mountinfo_find(&t, 8, 2, NULL), &v[1]);
	ck_assert_ptr_eq(mountinfo_find(&t, 8, 2, "/srv/sub/file"), &v[2]);
	ck_assert_ptr_eq(mountinfo_find(&t, 8, 2, "/data/sub/file"), &v[1]);
	/* "/database" is not under "/data". */
	ck_assert_ptr_eq(mountinfo_find(&t, 8, 2, "/database"), &v[1]);
	ck_assert_ptr_null(mountinfo_find(&t, 0, 45, NULL));
}
END_TEST

START_TEST(test_mountinfo_read_self)
{
	struct mount_table t;
	const struct mount_entry *m;
	struct stat st;

	ck_assert_int_eq(mountinfo_read(&t), 0);
	ck_assert_uint_gt(t.nr, 0);
	ck_assert_int_eq(stat("/", &st), 0);
	m = mountinfo_find(&t, major(st.st_dev), minor(st.st_dev), "/");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->mount_point, "/");
	ck_assert_str_ne(m->fstype, "");
	mountinfo_free(&t);
	ck_assert_ptr_null(t.v);
}
END_TEST

/* The answer for anything on a machine without NVDIMMs. */
static void assert_not_dax(const struct pindio_dax_info *i)
{
	ck_assert_int_eq(i->kind, PINDIO_DAX_NONE);
	ck_assert_int_eq(i->longterm_ok, 1);
	ck_assert_str_ne(i->reason, "");
	ck_assert_str_eq(i->ns, "");
	ck_assert_str_eq(i->daxdev, "");
}

START_TEST(test_probe_regular_file)
{
	struct pindio_dax_info i;
	char *path = scratch_file("dax", 4096);
	struct stat st;

	ck_assert_int_eq(pindio_dax_probe(path, &i, sizeof(i)), 0);
	assert_not_dax(&i);
	/* STATX_ATTR_DAX is reported by ext4, xfs and others since 5.8. */
	ck_assert(i.statx_dax == 0 || i.statx_dax == -1);
	ck_assert_str_ne(i.fstype, "");
	ck_assert_int_eq(i.mount_point[0], '/');
	ck_assert_str_eq(i.mount_dax, "");
	ck_assert_msg(strstr(i.reason, "not DAX"), "reason: %s", i.reason);
	ck_assert_int_eq(stat(path, &st), 0);
	scratch_remove(path);
}
END_TEST

START_TEST(test_probe_fd_matches_path)
{
	struct pindio_dax_info a, b;
	char *path = scratch_file("dax-fd", 4096);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pindio_dax_probe(path, &a, sizeof(a)), 0);
	ck_assert_int_eq(pindio_dax_probe_fd(fd, &b, sizeof(b)), 0);
	ck_assert_int_eq(a.kind, b.kind);
	ck_assert_int_eq(a.statx_dax, b.statx_dax);
	ck_assert_int_eq(a.inode_dax_flag, b.inode_dax_flag);
	ck_assert_str_eq(a.fstype, b.fstype);
	ck_assert_str_eq(a.mount_point, b.mount_point);
	ck_assert_str_eq(a.blockdev, b.blockdev);
	close(fd);
	scratch_remove(path);
}
END_TEST

START_TEST(test_probe_directory_and_tmpfs)
{
	struct pindio_dax_info i;

	ck_assert_int_eq(pindio_dax_probe(test_dir(), &i, sizeof(i)), 0);
	assert_not_dax(&i);
	ck_assert_msg(strstr(i.reason, "new files in it"), "reason: %s", i.reason);

	if (access("/dev/shm", W_OK) == 0) {
		ck_assert_int_eq(pindio_dax_probe("/dev/shm", &i, sizeof(i)), 0);
		assert_not_dax(&i);
		ck_assert_str_eq(i.fstype, "tmpfs");
		ck_assert_str_eq(i.blockdev, "");
	}
}
END_TEST

START_TEST(test_probe_char_device)
{
	struct pindio_dax_info i;

	ck_assert_int_eq(pindio_dax_probe("/dev/null", &i, sizeof(i)), 0);
	assert_not_dax(&i);
	ck_assert_str_eq(i.fstype, "devtmpfs");
	ck_assert_msg(strstr(i.reason, "not device-DAX"), "reason: %s", i.reason);
}
END_TEST

START_TEST(test_probe_block_device)
{
	struct pindio_dax_info i;
	char *path = scratch_file("dax-loop", 1 << 20);
	char dev[64];
	int fd;

	REQUIRE_ROOT();
	fd = loop_attach(path, dev, sizeof(dev));
	if (fd < 0) {
		scratch_remove(path);
		SKIP_TEST("no loop device: %s", strerror(-fd));
	}
	ck_assert_int_eq(pindio_dax_probe(dev, &i, sizeof(i)), 0);
	assert_not_dax(&i);
	/* The disk the node is, not the filesystem /dev lives on. */
	ck_assert_str_eq(i.blockdev, strrchr(dev, '/') + 1);
	ck_assert_msg(strstr(i.reason, "is a block device"), "reason: %s",
		      i.reason);
	close(fd);
	scratch_remove(path);
}
END_TEST

START_TEST(test_probe_errors)
{
	struct pindio_dax_info i;
	int fd;

	ck_assert_int_eq(pindio_dax_probe(NULL, &i, sizeof(i)), -EINVAL);
	ck_assert_int_eq(pindio_dax_probe("", &i, sizeof(i)), -EINVAL);
	ck_assert_int_eq(pindio_dax_probe("/", NULL, sizeof(i)), -EINVAL);
	ck_assert_int_eq(pindio_dax_probe("/", &i, sizeof(int)), -EINVAL);
	ck_assert_int_eq(pindio_dax_probe("/nonexistent/pindio", &i, sizeof(i)),
			 -ENOENT);
	ck_assert_int_eq(pindio_dax_probe_fd(-1, &i, sizeof(i)), -EBADF);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(pindio_dax_probe_fd(fd, &i, sizeof(i)), -EBADF);
	ck_assert_int_eq(pindio_dax_probe_range(&i, 0, &i, sizeof(i)), -EINVAL);
	ck_assert_int_eq(pindio_dax_probe_range(&i, 16, NULL, sizeof(i)), -EINVAL);
}
END_TEST

/* An older caller's smaller struct gets a prefix; a newer one zeroes. */
START_TEST(test_probe_size_argument)
{
	size_t small = offsetof(struct pindio_dax_info, statx_dax);
	unsigned char buf[sizeof(struct pindio_dax_info) + 64];
	size_t k;

	memset(buf, 0xa5, sizeof(buf));
	ck_assert_int_eq(pindio_dax_probe("/", (struct pindio_dax_info *)buf,
					  small), 0);
	ck_assert_str_ne(((struct pindio_dax_info *)buf)->reason, "");
	for (k = small; k < sizeof(buf); k++)
		ck_assert_uint_eq(buf[k], 0xa5);

	memset(buf, 0xa5, sizeof(buf));
	ck_assert_int_eq(pindio_dax_probe("/", (struct pindio_dax_info *)buf,
					  sizeof(buf)), 0);
	for (k = sizeof(struct pindio_dax_info); k < sizeof(buf); k++)
		ck_assert_uint_eq(buf[k], 0);
}
END_TEST

START_TEST(test_probe_range_anon_and_file)
{
	struct pindio_dax_info i;
	size_t len = 4 * 4096;
	char *path = scratch_file("dax-map", len);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	char *anon, *file;

	ck_assert_int_ge(fd, 0);
	anon = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	file = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne(anon, MAP_FAILED);
	ck_assert_ptr_ne(file, MAP_FAILED);

	ck_assert_int_eq(pindio_dax_probe_range(anon, len, &i, sizeof(i)), 0);
	assert_not_dax(&i);
	ck_assert_int_eq(pindio_dax_probe_range(file + 4096, 4096, &i,
						sizeof(i)), 0);
	assert_not_dax(&i);
	/* The file itself was examined: its filesystem is known. */
	ck_assert_str_ne(i.fstype, "");
	ck_assert_msg(strstr(i.reason, strrchr(path, '/') ? strrchr(path, '/') + 1 : path),
		      "reason: %s", i.reason);

	/* Unmapped memory inside the range. */
	ck_assert_int_eq(munmap(anon + 4096, 4096), 0);
	ck_assert_int_eq(pindio_dax_probe_range(anon, len, &i, sizeof(i)),
			 -EFAULT);
	munmap(anon, len);
	munmap(file, len);
	close(fd);
	scratch_remove(path);
}
END_TEST

START_TEST(test_kind_names)
{
	ck_assert_str_eq(pindio_dax_kind_name(PINDIO_DAX_NONE), "none");
	ck_assert_str_eq(pindio_dax_kind_name(PINDIO_DAX_FSDAX), "fsdax");
	ck_assert_str_eq(pindio_dax_kind_name(PINDIO_DAX_DEVDAX), "devdax");
	ck_assert_str_eq(pindio_dax_kind_name((enum pindio_dax_kind)42),
			 "unknown");
}
END_TEST

/*
 * The register path asks the detector about file mappings: a private
 * file mapping, which is not DAX here, still registers, and VmPin comes
 * back (the fixture checks).
 */
START_TEST(test_register_file_private_not_dax)
{
	struct pindio_ctx *ctx = test_ctx_new(4, PINDIO_CTX_DEFAULT);
	size_t len = 16 * 4096;
	char *path = scratch_file("dax-reg", len);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	struct pindio_buf *buf;
	char *p;
	int ret;

	ck_assert_int_ge(fd, 0);
	if ((size_t)len > test_memlock_room())
		SKIP_TEST("RLIMIT_MEMLOCK leaves less than %zu bytes", len);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	memset(p, 1, len);
	ret = pindio_buf_register(ctx, p, len, 0, &buf);
	ck_assert_msg(ret == 0, "register: %d: %s", ret,
		      pindio_ctx_last_error(ctx));
	ck_assert_int_eq(pindio_ctx_check_pins(ctx, NULL), 0);
	ck_assert_int_eq(pindio_buf_release(buf), 0);
	pindio_buf_unref(buf);
	pindio_ctx_unref(ctx);
	munmap(p, len);
	close(fd);
	scratch_remove(path);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("dax");
	TCase *mi = tcase_create("mountinfo");
	TCase *probe = tcase_create("probe");
	TCase *reg = tcase_vmpin("register");

	tcase_add_test(mi, test_mountinfo_parse);
	tcase_add_test(mi, test_mountinfo_dax_options);
	tcase_add_test(mi, test_mountinfo_malformed);
	tcase_add_test(mi, test_mountinfo_find);
	tcase_add_test(mi, test_mountinfo_read_self);
	suite_add_tcase(s, mi);

	tcase_add_test(probe, test_probe_regular_file);
	tcase_add_test(probe, test_probe_fd_matches_path);
	tcase_add_test(probe, test_probe_directory_and_tmpfs);
	tcase_add_test(probe, test_probe_char_device);
	tcase_add_test(probe, test_probe_block_device);
	tcase_add_test(probe, test_probe_errors);
	tcase_add_test(probe, test_probe_size_argument);
	tcase_add_test(probe, test_probe_range_anon_and_file);
	tcase_add_test(probe, test_kind_names);
	suite_add_tcase(s, probe);

	tcase_add_test(reg, test_register_file_private_not_dax);
	suite_add_tcase(s, reg);
	return s;
}
