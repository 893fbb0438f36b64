// SPDX-License-Identifier: GPL-2.0-or-later
/* src/pin.c: registering and releasing buffers, and what that pins. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "helpers.h"

#define KB(pages)	((long)(pages) * (sysconf(_SC_PAGESIZE) / 1024))

static bool memlock_allows(size_t bytes)
{
	return test_memlock_room() >= bytes;
}

START_TEST(test_alloc_pins_and_release_unpins)
{
	struct pindio_ctx *ctx = test_ctx_new(8, PINDIO_CTX_DEFAULT);
	struct pindio_buf *buf = NULL;
	long before = vmpin_kb();
	unsigned char *p;
	size_t i;

	ck_assert_int_eq(pindio_buf_alloc(ctx, 256 * 1024, 0, &buf), 0);
	ck_assert_int_ge(pindio_buf_get_index(buf), 0);
	ck_assert_uint_eq(pindio_buf_get_len(buf), 256 * 1024);
	p = pindio_buf_get_addr(buf);
	ck_assert_uint_eq((uintptr_t)p % (uintptr_t)sysconf(_SC_PAGESIZE), 0);
	for (i = 0; i < 256 * 1024; i++)
		ck_assert_uint_eq(p[i], 0);
	/* The kernel charges whole pages to VmPin. */
	ck_assert_int_eq(vmpin_kb(), before + 256);

	ck_assert_int_eq(pindio_buf_release(buf), 0);
	ck_assert_int_eq(pindio_buf_get_index(buf), -1);
	/* Released with nothing in flight: unpinned once the tag is reaped. */
	ck_assert_int_eq(pindio_ctx_reap(ctx, 0, 0), 0);
	ck_assert_int_eq(vmpin_kb(), before);
	ck_assert_int_eq(pindio_buf_release(buf), -EALREADY);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(ctx),
				     "already released"));
	ck_assert_ptr_null(pindio_buf_unref(buf));
	pindio_ctx_unref(ctx);
}
END_TEST

START_TEST(test_alloc_odd_length)
{
	struct pindio_ctx *ctx = test_ctx_new(8, 0);
	struct pindio_buf *buf = NULL;
	long before = vmpin_kb();

	ck_assert_int_eq(pindio_buf_alloc(ctx, 5000, 0, &buf), 0);
	ck_assert_uint_eq(pindio_buf_get_len(buf), 5000);
	ck_assert_int_eq(vmpin_kb(), before + KB(2));
	pindio_buf_unref(buf);
	pindio_ctx_unref(ctx);
}
END_TEST

START_TEST(test_register_caller_memory)
{
	struct pindio_ctx *ctx = test_ctx_new(8, 0);
	struct pindio_buf *buf = NULL;
	long before = vmpin_kb();
	void *mem;

	ck_assert_int_eq(posix_memalign(&mem, 4096, 64 * 1024), 0);
	memset(mem, 0xa5, 64 * 1024);
	ck_assert_int_eq(pindio_buf_register(ctx, mem, 64 * 1024, 0, &buf), 0);
	ck_assert_ptr_eq(pindio_buf_get_addr(buf), mem);
	ck_assert_int_eq(vmpin_kb(), before + 64);
	/* Unref releases: the caller's memory is untouched and unpinned. */
	ck_assert_ptr_null(pindio_buf_unref(buf));
	ck_assert_int_eq(vmpin_kb(), before);
	ck_assert_uint_eq(((unsigned char *)mem)[100], 0xa5);
	pindio_ctx_unref(ctx);
	free(mem);
}
END_TEST

START_TEST(test_bad_inputs)
{
	struct pindio_ctx *ctx = test_ctx_new(8, 0);
	struct pindio_buf *buf = (struct pindio_buf *)0x1;
	char mem[64];

	ck_assert_int_eq(pindio_buf_alloc(ctx, 0, 0, &buf), -EINVAL);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(ctx), "length is 0"));
	ck_assert_int_eq(pindio_buf_alloc(ctx, PINDIO_BUF_MAX_LEN + 1, 0, &buf),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(ctx), "1 GiB"));
	ck_assert_int_eq(pindio_buf_alloc(ctx, 4096, 0x10, &buf), -EINVAL);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(ctx), "flags"));
	ck_assert_int_eq(pindio_buf_register(ctx, NULL, 4096, 0, &buf), -EINVAL);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(ctx), "NULL"));
	ck_assert_int_eq(pindio_buf_register(ctx, mem, 0, 0, &buf), -EINVAL);
	ck_assert_int_eq(pindio_buf_register(ctx, mem, PINDIO_BUF_MAX_LEN + 1,
					     0, &buf), -EINVAL);
	ck_assert_int_eq(pindio_buf_register(ctx, (void *)(uintptr_t)-4096,
					     8192, 0, &buf), -EINVAL);
	ck_assert_int_eq(pindio_buf_alloc(NULL, 4096, 0, &buf), -EINVAL);
	ck_assert_int_eq(pindio_buf_alloc(ctx, 4096, 0, NULL), -EINVAL);
	ck_assert_int_eq(pindio_buf_release(NULL), -EINVAL);
	ck_assert_ptr_null(pindio_buf_unref(NULL));
	ck_assert_ptr_null(pindio_buf_ref(NULL));
	ck_assert_ptr_null(pindio_buf_get_addr(NULL));
	ck_assert_int_eq(pindio_buf_get_index(NULL), -1);
	ck_assert_ptr_eq(buf, (struct pindio_buf *)0x1);
	pindio_ctx_unref(ctx);
}
END_TEST

/* Exactly 1 GiB is the kernel's limit, and allowed. */
START_TEST(test_max_len_buffer)
{
	struct pindio_ctx *ctx;
	struct pindio_buf *buf = NULL;
	long before = vmpin_kb();

	if (!memlock_allows(PINDIO_BUF_MAX_LEN))
		SKIP_TEST("RLIMIT_MEMLOCK is below 1 GiB and no CAP_IPC_LOCK");
	ctx = test_ctx_new(8, 0);
	ck_assert_int_eq(pindio_buf_alloc(ctx, PINDIO_BUF_MAX_LEN, 0, &buf), 0);
	ck_assert_int_eq(vmpin_kb(), before + 1024 * 1024);
	pindio_buf_unref(buf);
	ck_assert_int_eq(vmpin_kb(), before);
	pindio_ctx_unref(ctx);
}
END_TEST

START_TEST(test_overlap_refused)
{
	struct pindio_ctx *ctx = test_ctx_new(8, 0);
	struct pindio_buf *a = NULL, *b = NULL, *c = NULL;
	char *mem;

	ck_assert_int_eq(posix_memalign((void **)&mem, 4096, 4 * 4096), 0);
	ck_assert_int_eq(pindio_buf_register(ctx, mem + 4096, 8192, 0, &a), 0);
	ck_assert_int_eq(pindio_buf_register(ctx, mem, 8192, 0, &b), -EEXIST);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(ctx), "overlaps"));
	ck_assert_int_eq(pindio_buf_register(ctx, mem + 8192, 8192, 0, &b),
			 -EEXIST);
	ck_assert_int_eq(pindio_buf_register(ctx, mem + 4096, 8192, 0, &b),
			 -EEXIST);
	/* Adjacent ranges do not overlap. */
	ck_assert_int_eq(pindio_buf_register(ctx, mem, 4096, 0, &b), 0);
	ck_assert_int_eq(pindio_buf_register(ctx, mem + 3 * 4096, 4096, 0, &c),
			 0);
	/* Once released, the range can be registered again. */
	pindio_buf_release(a);
	pindio_buf_unref(a);
	ck_assert_int_eq(pindio_buf_register(ctx, mem + 4096, 8192, 0, &a), 0);
	pindio_buf_unref(a);
	pindio_buf_unref(b);
	pindio_buf_unref(c);
	pindio_ctx_unref(ctx);
	free(mem);
}
END_TEST

START_TEST(test_unmapped_memory_efault)
{
	struct pindio_ctx *ctx = test_ctx_new(8, 0);
	struct pindio_buf *buf = NULL;
	void *mem;

	mem = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
	munmap(mem, 8192);
	/* Refused by pindio, before the kernel is asked, naming the hole. */
	ck_assert_int_eq(pindio_buf_register(ctx, mem, 8192, 0, &buf), -EFAULT);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(ctx),
				     "nothing is mapped"));
	ck_assert_ptr_null(buf);
	/* The failed slot is free again. */
	ck_assert_int_eq(pindio_buf_alloc(ctx, 4096, 0, &buf), 0);
	ck_assert_int_eq(pindio_buf_get_index(buf), 0);
	pindio_buf_unref(buf);
	pindio_ctx_unref(ctx);
}
END_TEST

/* DESIGN.md: a MAP_SHARED mapping of an ext4 file fails with -EFAULT. */
START_TEST(test_shared_file_mapping_refused)
{
	struct pindio_ctx *ctx;
	struct pindio_buf *buf = NULL;
	char *path;
	void *mem;
	int fd, ret;

	REQUIRE_ODIRECT();
	path = scratch_file("shared", 65536);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	mem = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
	ctx = test_ctx_new(8, 0);
	ret = pindio_buf_register(ctx, mem, 65536, 0, &buf);
	ck_assert_msg(ret == -EFAULT || ret == -EOPNOTSUPP,
		      "registering a shared file mapping gave %d", ret);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(ctx), "pin"));
	pindio_ctx_unref(ctx);
	munmap(mem, 65536);
	close(fd);
	scratch_remove(path);
}
END_TEST

/* All 16384 slots in use: the next registration is refused by pindio. */
START_TEST(test_table_full)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const size_t n = PINDIO_BUF_MAX_COUNT;
	struct pindio_buf **bufs, *extra = NULL;
	struct pindio_ctx *ctx;
	long before = vmpin_kb();
	char *mem;
	size_t i;

	if (!memlock_allows((n + 1) * page))
		SKIP_TEST("RLIMIT_MEMLOCK too small for %zu pages and no CAP_IPC_LOCK",
			  n + 1);
	mem = mmap(NULL, (n + 1) * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
	bufs = calloc(n, sizeof(*bufs));
	ck_assert_ptr_nonnull(bufs);
	ctx = test_ctx_new(8, 0);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(pindio_buf_register(ctx, mem + i * page, page,
						     0, &bufs[i]), 0);
	ck_assert_int_eq(pindio_buf_register(ctx, mem + n * page, page, 0,
					     &extra), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(ctx), "16384"));
	/* Releasing one frees its slot for the next. */
	pindio_buf_unref(bufs[77]);
	ck_assert_int_eq(pindio_buf_register(ctx, mem + n * page, page, 0,
					     &bufs[77]), 0);
	ck_assert_int_eq(vmpin_kb(), before + KB(n));
	for (i = 0; i < n; i++)
		pindio_buf_unref(bufs[i]);
	pindio_ctx_unref(ctx);
	free(bufs);
	munmap(mem, (n + 1) * page);
}
END_TEST

/* A buffer holds the context; the context outlives the caller's ref. */
START_TEST(test_buf_keeps_ctx)
{
	struct pindio_ctx *ctx = test_ctx_new(8, 0);
	struct pindio_buf *buf = NULL;
	long before = vmpin_kb();

	ck_assert_int_eq(pindio_buf_alloc(ctx, 8192, 0, &buf), 0);
	ck_assert_ptr_eq(pindio_ctx_unref(ctx), ctx);
	ck_assert_ptr_eq(pindio_buf_ref(buf), buf);
	ck_assert_ptr_eq(pindio_buf_unref(buf), buf);
	ck_assert_int_eq(vmpin_kb(), before + 8);
	/* Last buffer reference: released, and the context goes with it. */
	ck_assert_ptr_null(pindio_buf_unref(buf));
	ck_assert_int_eq(vmpin_kb(), before);
}
END_TEST

static void count_done(void *data, int res)
{
	int *calls = data;

	(*calls)++;
	ck_assert_int_eq(res, 65536);
}

/*
 * Releasing a buffer while a read into it is in flight is legal: the
 * kernel keeps the pages pinned until the read completes.
 */
START_TEST(test_release_with_io_in_flight)
{
	struct pindio_ctx *ctx;
	struct pindio_file *file = NULL;
	struct pindio_buf *buf = NULL;
	long before = vmpin_kb();
	int calls = 0;
	char *path;

	REQUIRE_ODIRECT();
	path = scratch_file("inflight", 1 << 20);
	ctx = test_ctx_new(8, PINDIO_CTX_DEFAULT);
	ck_assert_int_eq(pindio_file_open(ctx, path, O_RDONLY, 0, &file), 0);
	ck_assert_int_eq(pindio_buf_alloc(ctx, 4 * 65536, 0, &buf), 0);
	ck_assert_int_eq(pindio_file_read(file, pindio_buf_get_addr(buf), 65536,
					  0, count_done, &calls), 0);
	ck_assert_int_eq(pindio_file_read(file,
					  (char *)pindio_buf_get_addr(buf) + 65536,
					  65536, 65536, count_done, &calls), 0);
	ck_assert_int_eq(pindio_ctx_submit(ctx), 2);
	ck_assert_int_eq(pindio_buf_release(buf), 0);
	ck_assert_ptr_null(pindio_buf_unref(buf));
	while (calls < 2)
		ck_assert_int_ge(pindio_ctx_reap(ctx, 1, 5000), 0);
	ck_assert_int_eq(pindio_ctx_reap(ctx, 0, 0), 0);
	ck_assert_int_eq(vmpin_kb(), before);
	pindio_file_unref(file);
	pindio_ctx_unref(ctx);
	scratch_remove(path);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("pin");
	TCase *tc = tcase_vmpin("pin");

	tcase_add_test(tc, test_alloc_pins_and_release_unpins);
	tcase_add_test(tc, test_alloc_odd_length);
	tcase_add_test(tc, test_register_caller_memory);
	tcase_add_test(tc, test_bad_inputs);
	tcase_add_test(tc, test_max_len_buffer);
	tcase_add_test(tc, test_overlap_refused);
	tcase_add_test(tc, test_unmapped_memory_efault);
	tcase_add_test(tc, test_shared_file_mapping_refused);
	tcase_add_test(tc, test_table_full);
	tcase_add_test(tc, test_buf_keeps_ctx);
	tcase_add_test(tc, test_release_with_io_in_flight);
	suite_add_tcase(s, tc);
	return s;
}
