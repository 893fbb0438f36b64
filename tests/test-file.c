// SPDX-License-Identifier: GPL-2.0-or-later
/* src/file.c: opening for O_DIRECT, alignment discovery, fixed files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

START_TEST(test_open_regular)
{
	struct pindio_ctx *ctx;
	struct pindio_file *file = NULL;
	uint64_t size = 0;
	char *path;

	REQUIRE_ODIRECT();
	path = scratch_file("open", 1 << 20);
	ctx = test_ctx_new(8, PINDIO_CTX_DEFAULT);
	ck_assert_int_eq(pindio_file_open(ctx, path, O_RDWR, 0, &file), 0);
	ck_assert(is_pow2(pindio_file_get_mem_align(file)));
	ck_assert(is_pow2(pindio_file_get_offset_align(file)));
	ck_assert_int_ge(pindio_file_get_fixed_index(file), 0);
	ck_assert_int_ge(pindio_file_get_fd(file), 0);
	ck_assert(fcntl(pindio_file_get_fd(file), F_GETFL) & O_DIRECT);
	ck_assert_int_eq(pindio_file_get_size(file, &size), 0);
	ck_assert_uint_eq(size, 1 << 20);
	ck_assert_int_eq(pindio_file_get_size(file, NULL), -EINVAL);
	ck_assert_ptr_eq(pindio_file_ref(file), file);
	ck_assert_ptr_eq(pindio_file_unref(file), file);
	ck_assert_ptr_null(pindio_file_unref(file));
	pindio_ctx_unref(ctx);
	scratch_remove(path);
}
END_TEST

START_TEST(test_open_create)
{
	struct pindio_ctx *ctx;
	struct pindio_file *file = NULL;
	char *path;

	REQUIRE_ODIRECT();
	ck_assert(asprintf(&path, "%s/pindio-create.%d", test_dir(),
			   (int)getpid()) > 0);
	ctx = test_ctx_new(8, 0);
	ck_assert_int_eq(pindio_file_open(ctx, path, O_RDWR | O_CREAT | O_EXCL,
					  0600, &file), 0);
	ck_assert_int_eq(access(path, F_OK), 0);
	pindio_file_unref(file);
	pindio_ctx_unref(ctx);
	scratch_remove(path);
}
END_TEST

START_TEST(test_open_errors)
{
	struct pindio_ctx *ctx = test_ctx_new(8, 0);
	struct pindio_file *file = (struct pindio_file *)0x1;
	const char *msg;
	char *path;

	ck_assert_int_eq(pindio_file_open(ctx, "/nonexistent/dir/file", O_RDONLY,
					  0, &file), -ENOENT);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(ctx),
				     "/nonexistent/dir/file"));
	ck_assert_int_eq(pindio_file_open(ctx, NULL, O_RDONLY, 0, &file),
			 -EINVAL);
	ck_assert_int_eq(pindio_file_open(ctx, "/", O_PATH, 0, &file), -EINVAL);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(ctx), "O_PATH"));
	/* EINVAL from open(2) that is not about O_DIRECT is not blamed on it. */
	ck_assert(asprintf(&path, "%s/pindio-nodir.%d", test_dir(),
			   (int)getpid()) > 0);
	ck_assert_int_eq(pindio_file_open(ctx, path, O_RDONLY | O_CREAT |
					  O_DIRECTORY, 0600, &file), -EINVAL);
	msg = pindio_ctx_last_error(ctx);
	ck_assert_msg(strstr(msg, "cannot open") && !strstr(msg, "O_DIRECT"),
		      "message: %s", msg);
	unlink(path);
	free(path);
	ck_assert_int_eq(pindio_file_open(NULL, "/dev/null", O_RDONLY, 0,
					  &file), -EINVAL);
	ck_assert_int_eq(pindio_file_open(ctx, "/dev/null", O_RDONLY, 0, NULL),
			 -EINVAL);
	ck_assert_ptr_eq(file, (struct pindio_file *)0x1);
	pindio_ctx_unref(ctx);
}
END_TEST

START_TEST(test_open_directory)
{
	struct pindio_ctx *ctx = test_ctx_new(8, 0);
	struct pindio_file *file = NULL;
	char dir[256];
	int ret;

	REQUIRE_ODIRECT();
	snprintf(dir, sizeof(dir), "%s", test_dir());
	ret = pindio_file_open(ctx, dir, O_RDONLY, 0, &file);
	ck_assert_int_eq(ret, -EINVAL);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(ctx),
				     "not a regular file or block device"));
	ck_assert_ptr_null(file);
	pindio_ctx_unref(ctx);
}
END_TEST

/* procfs cannot do O_DIRECT: the message must say so and name it. */
START_TEST(test_open_no_odirect_fs)
{
	struct pindio_ctx *ctx = test_ctx_new(8, 0);
	struct pindio_file *file = NULL;
	const char *msg;

	ck_assert_int_eq(pindio_file_open(ctx, "/proc/self/status", O_RDONLY, 0,
					  &file), -EINVAL);
	msg = pindio_ctx_last_error(ctx);
	ck_assert_msg(strstr(msg, "does not support O_DIRECT") &&
		      strstr(msg, "proc"), "message: %s", msg);
	ck_assert_ptr_null(file);
	pindio_ctx_unref(ctx);
}
END_TEST

START_TEST(test_adopt)
{
	struct pindio_ctx *ctx;
	struct pindio_file *file = NULL;
	char *path;
	int fd;

	REQUIRE_ODIRECT();
	path = scratch_file("adopt", 65536);
	ctx = test_ctx_new(8, 0);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_DIRECT, 0);
	ck_assert_int_eq(pindio_file_adopt(ctx, fd, &file), 0);
	ck_assert_int_eq(pindio_file_get_fd(file), fd);
	/* Adopting sets O_DIRECT on the descriptor. */
	ck_assert(fcntl(fd, F_GETFL) & O_DIRECT);
	pindio_file_unref(file);
	/* ... and the file owns it: closed with the file. */
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
	pindio_ctx_unref(ctx);
	scratch_remove(path);
}
END_TEST

START_TEST(test_adopt_bad_fds)
{
	struct pindio_ctx *ctx = test_ctx_new(8, 0);
	struct pindio_file *file = NULL;
	int fds[2], fd, fl;

	ck_assert_int_eq(pindio_file_adopt(ctx, -1, &file), -EBADF);
	fd = open("/dev/null", O_RDONLY);
	close(fd);
	ck_assert_int_eq(pindio_file_adopt(ctx, fd, &file), -EBADF);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(ctx),
				     "not an open descriptor"));

	fd = open("/", O_PATH);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pindio_file_adopt(ctx, fd, &file), -EBADF);
	close(fd);

	/* A pipe accepts O_DIRECT but is no file: refused, flags restored. */
	ck_assert_int_eq(pipe(fds), 0);
	fl = fcntl(fds[0], F_GETFL);
	ck_assert_int_eq(pindio_file_adopt(ctx, fds[0], &file), -EINVAL);
	ck_assert_int_eq(fcntl(fds[0], F_GETFL), fl);
	ck_assert_int_ge(fcntl(fds[0], F_GETFD), 0);	/* still open */
	close(fds[0]);
	close(fds[1]);
	ck_assert_ptr_null(file);
	pindio_ctx_unref(ctx);
}
END_TEST

START_TEST(test_fixed_slots_reused)
{
	struct pindio_ctx *ctx;
	struct pindio_file *a = NULL, *b = NULL, *c = NULL;
	char *path;

	REQUIRE_ODIRECT();
	path = scratch_file("slots", 4096);
	ctx = test_ctx_new(8, 0);
	ck_assert_int_eq(pindio_file_open(ctx, path, O_RDONLY, 0, &a), 0);
	ck_assert_int_eq(pindio_file_open(ctx, path, O_RDONLY, 0, &b), 0);
	ck_assert_int_ne(pindio_file_get_fixed_index(a),
			 pindio_file_get_fixed_index(b));
	pindio_file_unref(a);
	ck_assert_int_eq(pindio_file_open(ctx, path, O_RDONLY, 0, &c), 0);
	ck_assert_int_ge(pindio_file_get_fixed_index(c), 0);
	ck_assert_int_ne(pindio_file_get_fixed_index(c),
			 pindio_file_get_fixed_index(b));
	pindio_file_unref(b);
	pindio_file_unref(c);
	pindio_ctx_unref(ctx);
	scratch_remove(path);
}
END_TEST

/*
 * PINDIO_CTX_NO_FIXED_FILES: no slot, and I/O through the descriptor
 * still moves the data.
 */
START_TEST(test_no_fixed_files)
{
	struct pindio_ctx *ctx;
	struct pindio_file *file = NULL;
	char *path, *buf;

	REQUIRE_ODIRECT();
	path = scratch_file("nofixed", 1 << 16);
	ctx = test_ctx_new(8, PINDIO_CTX_DEFAULT | PINDIO_CTX_NO_FIXED_FILES);
	ck_assert_uint_eq(pindio_ctx_get_flags(ctx) & PINDIO_CTX_NO_FIXED_FILES,
			  PINDIO_CTX_NO_FIXED_FILES);
	ck_assert_int_eq(pindio_file_open(ctx, path, O_RDWR, 0, &file), 0);
	ck_assert_int_eq(pindio_file_get_fixed_index(file), -1);
	ck_assert_int_eq(posix_memalign((void **)&buf, 4096, 8192), 0);
	memset(buf, 0x5a, 8192);
	ck_assert_int_eq(pindio_file_pwrite(file, buf, 8192, 4096), 8192);
	memset(buf, 0, 8192);
	ck_assert_int_eq(pindio_file_pread(file, buf, 8192, 4096), 8192);
	ck_assert_int_eq(buf[0], 0x5a);
	ck_assert_int_eq(buf[8191], 0x5a);
	free(buf);
	pindio_file_unref(file);
	pindio_ctx_unref(ctx);
	scratch_remove(path);
}
END_TEST

/* Files hold the context: it lives until the last file is gone. */
START_TEST(test_file_keeps_ctx)
{
	struct pindio_ctx *ctx;
	struct pindio_file *file = NULL;
	char *path;

	REQUIRE_ODIRECT();
	path = scratch_file("keep", 4096);
	ctx = test_ctx_new(8, 0);
	ck_assert_int_eq(pindio_file_open(ctx, path, O_RDONLY, 0, &file), 0);
	ck_assert_ptr_eq(pindio_ctx_unref(ctx), ctx);
	ck_assert_uint_eq(pindio_ctx_get_queue_depth(ctx), 8);
	ck_assert_ptr_null(pindio_file_unref(file));
	scratch_remove(path);
}
END_TEST

START_TEST(test_blockdev_align)
{
	struct pindio_ctx *ctx;
	struct pindio_file *file = NULL;
	uint64_t size = 0;
	char dev[64], *path;
	int fd;

	REQUIRE_ROOT();
	REQUIRE_ODIRECT();
	path = scratch_file("loop", 8 << 20);
	fd = loop_attach(path, dev, sizeof(dev));
	if (fd < 0) {
		scratch_remove(path);
		SKIP_TEST("no loop device: %s", strerror(-fd));
	}
	ctx = test_ctx_new(8, 0);
	ck_assert_int_eq(pindio_file_adopt(ctx, fd, &file), 0);
	ck_assert(is_pow2(pindio_file_get_offset_align(file)));
	ck_assert_uint_ge(pindio_file_get_offset_align(file), 512);
	ck_assert(is_pow2(pindio_file_get_mem_align(file)));
	ck_assert_int_eq(pindio_file_get_size(file, &size), 0);
	ck_assert_uint_eq(size, 8 << 20);
	pindio_file_unref(file);
	pindio_ctx_unref(ctx);
	scratch_remove(path);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("file");
	TCase *tc = tcase_vmpin("file");

	tcase_add_test(tc, test_open_regular);
	tcase_add_test(tc, test_open_create);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_open_directory);
	tcase_add_test(tc, test_open_no_odirect_fs);
	tcase_add_test(tc, test_adopt);
	tcase_add_test(tc, test_adopt_bad_fds);
	tcase_add_test(tc, test_fixed_slots_reused);
	tcase_add_test(tc, test_no_fixed_files);
	tcase_add_test(tc, test_file_keeps_ctx);
	tcase_add_test(tc, test_blockdev_align);
	suite_add_tcase(s, tc);
	return s;
}
