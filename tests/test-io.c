// SPDX-License-Identifier: GPL-2.0-or-later
/* src/io.c: requests, batching, completions, sync helpers, O_DIRECT rules. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/utsname.h>

#include "helpers.h"

/*
 * The backend the backend-neutral tests run on, set by their test case's
 * fixture: "io-uring" or "io-libaio", which Check names in every
 * failure.  Every context those tests create takes its flags through
 * io_ctx_new(); a test that depends on the backend asks on_libaio().
 */
static unsigned int backend_flags;

static void backend_uring(void)
{
	backend_flags = 0;
}

static void backend_libaio(void)
{
	backend_flags = PINDIO_CTX_LIBAIO;
}

static bool on_libaio(void)
{
	return backend_flags & PINDIO_CTX_LIBAIO;
}

static struct pindio_ctx *io_ctx_new(unsigned int depth, unsigned int flags)
{
	struct pindio_ctx *ctx = test_ctx_new(depth, flags | backend_flags);

	ck_assert_int_eq(pindio_ctx_get_backend(ctx),
			 on_libaio() ? PINDIO_BACKEND_LIBAIO :
				       PINDIO_BACKEND_IO_URING);
	return ctx;
}

/* What registering @kb of memory adds to VmPin: nothing on libaio. */
static long pinned_kb(long kb)
{
	return on_libaio() ? 0 : kb;
}

struct target {
	struct pindio_ctx *ctx;
	struct pindio_file *file;
	char *path;
	char dev[64];
};

static void target_open_file(struct target *t, uint64_t size, unsigned int depth,
			     unsigned int flags)
{
	memset(t, 0, sizeof(*t));
	/* First: it may fail the test, which then leaves no file behind. */
	t->ctx = io_ctx_new(depth, flags);
	t->path = scratch_file("io", size);
	ck_assert_msg(pindio_file_open(t->ctx, t->path, O_RDWR, 0, &t->file) == 0,
		      "%s", pindio_ctx_last_error(t->ctx));
	/* Nothing is left behind if an assertion ends the test early. */
	unlink(t->path);
}

/* A loop device over a scratch file; false when the machine has none. */
static bool target_open_loop(struct target *t, uint64_t size,
			     unsigned int depth, char *why, size_t whysize)
{
	int fd;

	memset(t, 0, sizeof(*t));
	t->path = scratch_file("loop", size);
	fd = loop_attach(t->path, t->dev, sizeof(t->dev));
	if (fd < 0) {
		snprintf(why, whysize, "no loop device: %s", strerror(-fd));
		scratch_remove(t->path);
		return false;
	}
	unlink(t->path);
	t->ctx = io_ctx_new(depth, PINDIO_CTX_DEFAULT);
	ck_assert_msg(pindio_file_adopt(t->ctx, fd, &t->file) == 0, "%s",
		      pindio_ctx_last_error(t->ctx));
	return true;
}

static void target_close(struct target *t)
{
	pindio_file_unref(t->file);
	ck_assert_ptr_null(pindio_ctx_unref(t->ctx));
	scratch_remove(t->path);
}

/*
 * Write @nblocks blocks of @bs at shuffled offsets with @depth requests in
 * flight, then read them all back the same way and compare byte for byte.
 * Buffers come from pindio_buf_alloc() when @registered, else from
 * posix_memalign() (plain I/O).
 */
static void roundtrip(struct target *t, size_t bs, unsigned int depth,
		      unsigned int nblocks, bool registered, uint64_t seed)
{
	struct pindio_buf *wbuf = NULL, *rbuf = NULL;
	unsigned char *wmem, *rmem;
	struct test_done *done;
	unsigned int *order, i, queued, completed;
	size_t total = bs * nblocks;
	int pass;

	/* Two registered buffers must fit under RLIMIT_MEMLOCK. */
	while (registered && nblocks > 1 && 2 * total > test_memlock_room()) {
		nblocks /= 2;
		total = bs * nblocks;
	}
	if (registered) {
		ck_assert_msg(pindio_buf_alloc(t->ctx, total, 0, &wbuf) == 0,
			      "%s", pindio_ctx_last_error(t->ctx));
		ck_assert_int_eq(pindio_buf_alloc(t->ctx, total, 0, &rbuf), 0);
		wmem = pindio_buf_get_addr(wbuf);
		rmem = pindio_buf_get_addr(rbuf);
	} else {
		ck_assert_int_eq(posix_memalign((void **)&wmem, 4096, total), 0);
		ck_assert_int_eq(posix_memalign((void **)&rmem, 4096, total), 0);
	}
	fill_pattern(wmem, total, seed);
	memset(rmem, 0, total);

	order = calloc(nblocks, sizeof(*order));
	done = calloc(nblocks, sizeof(*done));
	ck_assert(order && done);
	for (i = 0; i < nblocks; i++)
		order[i] = i;
	srand((unsigned int)seed);
	for (i = nblocks - 1; i > 0; i--) {
		unsigned int j = (unsigned int)rand() % (i + 1), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}

	for (pass = 0; pass < 2; pass++) {
		memset(done, 0, nblocks * sizeof(*done));
		queued = completed = 0;
		while (completed < nblocks) {
			while (queued < nblocks &&
			       pindio_ctx_get_inflight(t->ctx) < depth) {
				unsigned int b = order[queued];
				int ret;

				if (pass == 0)
					ret = pindio_file_write(t->file, wmem + (size_t)b * bs,
								bs, (uint64_t)b * bs,
								test_record_done, &done[b]);
				else
					ret = pindio_file_read(t->file, rmem + (size_t)b * bs,
							       bs, (uint64_t)b * bs,
							       test_record_done, &done[b]);
				ck_assert_msg(ret == 0, "%s", pindio_ctx_last_error(t->ctx));
				queued++;
			}
			/* One system call submits the batch and waits. */
			ck_assert_int_ge(pindio_ctx_reap(t->ctx, 1, 10000), 1);
			completed = queued - pindio_ctx_get_inflight(t->ctx);
		}
		for (i = 0; i < nblocks; i++) {
			ck_assert_int_eq(done[i].calls, 1);
			ck_assert_msg(done[i].res == (int)bs,
				      "block %u: res %d, want %zu", i, done[i].res, bs);
		}
	}
	ck_assert_msg(memcmp(wmem, rmem, total) == 0,
		      "data read back differs (bs %zu, depth %u, %s)", bs, depth,
		      registered ? "registered" : "plain");

	free(order);
	free(done);
	if (registered) {
		pindio_buf_unref(wbuf);
		pindio_buf_unref(rbuf);
	} else {
		free(wmem);
		free(rmem);
	}
}

static const size_t block_sizes[] = { 4096, 16384, 131072, 1 << 20 };
static const unsigned int depths[] = { 1, 8, 32 };

START_TEST(test_roundtrip_file)
{
	struct target t;
	size_t b;
	unsigned int d;
	uint64_t seed = 1;

	REQUIRE_ODIRECT();
	for (d = 0; d < sizeof(depths) / sizeof(depths[0]); d++) {
		target_open_file(&t, 16 << 20, depths[d], PINDIO_CTX_DEFAULT);
		for (b = 0; b < sizeof(block_sizes) / sizeof(block_sizes[0]); b++) {
			unsigned int n = (unsigned int)((8 << 20) / block_sizes[b]);

			if (n > 256)
				n = 256;
			roundtrip(&t, block_sizes[b], depths[d], n, _i, seed++);
		}
		target_close(&t);
	}
}
END_TEST

START_TEST(test_roundtrip_blockdev)
{
	struct target t;
	char why[128];
	size_t b;
	uint64_t seed = 100;

	REQUIRE_ROOT();
	REQUIRE_ODIRECT();
	if (!target_open_loop(&t, 16 << 20, 32, why, sizeof(why)))
		SKIP_TEST("%s", why);
	for (b = 0; b < sizeof(block_sizes) / sizeof(block_sizes[0]); b++)
		roundtrip(&t, block_sizes[b], 32,
			  (unsigned int)((16 << 20) / block_sizes[b] / 2), _i,
			  seed++);
	/* The device's own alignment, when it is below 4 KiB. */
	if (pindio_file_get_offset_align(t.file) < 4096 &&
	    pindio_file_get_mem_align(t.file) <= 4096)
		roundtrip(&t, pindio_file_get_offset_align(t.file), 32, 64, _i,
			  seed++);
	target_close(&t);
}
END_TEST

START_TEST(test_roundtrip_sqpoll)
{
	struct pindio_ctx *probe = NULL;
	struct target t;
	int ret;

	REQUIRE_ODIRECT();
	ret = pindio_ctx_new(8, PINDIO_CTX_SQPOLL, &probe);
	if (ret < 0)
		SKIP_TEST("SQPOLL unavailable: %s", strerror(-ret));
	pindio_ctx_unref(probe);
	target_open_file(&t, 4 << 20, 16, PINDIO_CTX_SQPOLL);
	roundtrip(&t, 65536, 16, 32, true, 7);
	roundtrip(&t, 4096, 16, 64, false, 8);
	target_close(&t);
}
END_TEST

/* Registered-buffer I/O on part of a buffer, and on memory just outside. */
START_TEST(test_subrange_of_registered_buffer)
{
	struct pindio_buf *buf = NULL;
	struct target t;
	unsigned char *mem, *want;

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 8, 0);
	ck_assert_int_eq(posix_memalign((void **)&mem, 4096, 5 * 4096), 0);
	want = malloc(4 * 4096);
	fill_pattern(want, 4 * 4096, 42);
	/* Register the middle three pages only. */
	ck_assert_int_eq(pindio_buf_register(t.ctx, mem + 4096, 3 * 4096, 0,
					     &buf), 0);
	memcpy(mem + 2 * 4096, want, 4096);
	ck_assert_int_eq(pindio_file_pwrite(t.file, mem + 2 * 4096, 4096, 0),
			 4096);
	/* Straddles the end of the buffer: done as plain I/O, still correct. */
	memcpy(mem + 3 * 4096, want + 4096, 2 * 4096);
	ck_assert_int_eq(pindio_file_pwrite(t.file, mem + 3 * 4096, 2 * 4096,
					    4096), 2 * 4096);
	memset(mem, 0, 5 * 4096);
	ck_assert_int_eq(pindio_file_pread(t.file, mem + 4096, 3 * 4096, 0),
			 3 * 4096);
	ck_assert_int_eq(memcmp(mem + 4096, want, 3 * 4096), 0);
	pindio_buf_unref(buf);
	free(mem);
	free(want);
	target_close(&t);
}
END_TEST

/*
 * Proof that a range inside a registered buffer goes through the fixed
 * op: once the mapping is gone, only the kernel's pinned pages remain, so
 * a plain read would fail with EFAULT while READ_FIXED still lands.
 */
START_TEST(test_registered_range_uses_fixed_op)
{
	struct pindio_buf *buf = NULL;
	struct target t;
	char *mem;

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 8, 0);
	mem = mmap(NULL, 4 * 65536, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
	ck_assert_int_eq(pindio_buf_register(t.ctx, mem, 2 * 65536, 0, &buf), 0);
	ck_assert_int_eq(munmap(mem, 4 * 65536), 0);
	ck_assert_int_eq(pindio_file_pread(t.file, mem + 65536, 65536, 0), 65536);
	ck_assert_int_eq(pindio_file_pread(t.file, mem + 2 * 65536, 65536, 0),
			 -EFAULT);
	pindio_buf_unref(buf);
	target_close(&t);
}
END_TEST

START_TEST(test_alignment_rules)
{
	struct pindio_buf *buf = NULL;
	struct target t;
	uint32_t ma, oa;
	char *mem;
	const char *msg;
	char want[32];

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 8, 0);
	ma = pindio_file_get_mem_align(t.file);
	oa = pindio_file_get_offset_align(t.file);
	ck_assert_int_eq(pindio_buf_alloc(t.ctx, 65536, 0, &buf), 0);
	mem = pindio_buf_get_addr(buf);
	snprintf(want, sizeof(want), "%u bytes", oa);

	if (ma > 1) {
		ck_assert_int_eq(pindio_file_read(t.file, mem + ma / 2, oa, 0,
						  NULL, NULL), -EINVAL);
		msg = pindio_ctx_last_error(t.ctx);
		ck_assert_msg(strstr(msg, "address"), "%s", msg);
		ck_assert_ptr_nonnull(strstr(msg, "aligned"));
	}
	ck_assert_int_eq(pindio_file_read(t.file, mem, oa + oa / 2, 0, NULL,
					  NULL), -EINVAL);
	msg = pindio_ctx_last_error(t.ctx);
	ck_assert_msg(strstr(msg, "length") && strstr(msg, want), "%s", msg);
	ck_assert_int_eq(pindio_file_write(t.file, mem, oa, oa / 2, NULL, NULL),
			 -EINVAL);
	msg = pindio_ctx_last_error(t.ctx);
	ck_assert_msg(strstr(msg, "offset") && strstr(msg, want), "%s", msg);
	ck_assert_int_eq(pindio_file_pread(t.file, mem, oa, 1), -EINVAL);
	ck_assert_int_eq(pindio_file_pwrite(t.file, mem + 1, oa, 0), -EINVAL);
	/* Nothing reached the ring. */
	ck_assert_uint_eq(pindio_ctx_get_inflight(t.ctx), 0);
	ck_assert_int_eq(pindio_ctx_submit(t.ctx), 0);
	pindio_buf_unref(buf);
	target_close(&t);
}
END_TEST

START_TEST(test_bad_requests)
{
	struct target t;
	char *mem;

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 8, 0);
	ck_assert_int_eq(posix_memalign((void **)&mem, 4096, 8192), 0);
	ck_assert_int_eq(pindio_file_read(t.file, NULL, 4096, 0, NULL, NULL),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(t.ctx), "NULL"));
	ck_assert_int_eq(pindio_file_read(t.file, mem, 0, 0, NULL, NULL),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(t.ctx), "length is 0"));
	ck_assert_int_eq(pindio_file_write(t.file, mem, PINDIO_IO_MAX_LEN + 4096,
					   0, NULL, NULL), -EINVAL);
	ck_assert_int_eq(pindio_file_read(NULL, mem, 4096, 0, NULL, NULL),
			 -EINVAL);
	ck_assert_int_eq(pindio_file_pread(NULL, mem, 4096, 0), -EINVAL);
	ck_assert_uint_eq(pindio_ctx_get_inflight(t.ctx), 0);
	free(mem);
	target_close(&t);
}
END_TEST

/* A file opened read-only: the kernel's -EBADF comes back as the result. */
START_TEST(test_write_to_readonly_file)
{
	struct pindio_file *ro = NULL;
	struct test_done d = { 0, 0 };
	struct target t;
	char path[64], *mem;

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 8, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d",
		 pindio_file_get_fd(t.file));
	ck_assert_int_eq(pindio_file_open(t.ctx, path, O_RDONLY, 0, &ro), 0);
	ck_assert_int_eq(posix_memalign((void **)&mem, 4096, 4096), 0);
	memset(mem, 0, 4096);
	ck_assert_int_eq(pindio_file_pwrite(ro, mem, 4096, 0), -EBADF);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(t.ctx), "write"));
	ck_assert_int_eq(pindio_file_write(ro, mem, 4096, 0, test_record_done, &d), 0);
	ck_assert_int_eq(pindio_ctx_reap(t.ctx, 1, 5000), 1);
	ck_assert_int_eq(d.calls, 1);
	ck_assert_int_eq(d.res, -EBADF);
	pindio_file_unref(ro);
	free(mem);
	target_close(&t);
}
END_TEST

START_TEST(test_queue_full)
{
	struct test_done d[5] = { { 0, 0 } };
	struct target t;
	char *mem;
	int i;

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 4, 0);
	ck_assert_int_eq(posix_memalign((void **)&mem, 4096, 5 * 4096), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pindio_file_read(t.file, mem + i * 4096, 4096,
						  (uint64_t)i * 4096, test_record_done,
						  &d[i]), 0);
	test_log_clear();
	ck_assert_int_eq(pindio_file_read(t.file, mem + 4 * 4096, 4096, 0,
					  test_record_done, &d[4]), -EBUSY);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(t.ctx), "reap"));
	/* Flow control, not a fault: not logged at the default priority. */
	ck_assert_str_eq(test_last_log(), "");
	ck_assert_uint_eq(pindio_ctx_get_inflight(t.ctx), 4);
	ck_assert_int_eq(pindio_ctx_submit(t.ctx), 4);
	/* Asking for more than is in flight waits only for what is. */
	ck_assert_int_eq(pindio_ctx_reap(t.ctx, 10, 5000), 4);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(d[i].calls, 1);
		ck_assert_int_eq(d[i].res, 4096);
	}
	ck_assert_int_eq(pindio_file_read(t.file, mem + 4 * 4096, 4096, 0,
					  test_record_done, &d[4]), 0);
	ck_assert_int_eq(pindio_ctx_reap(t.ctx, 1, 5000), 1);
	ck_assert_int_eq(d[4].calls, 1);
	free(mem);
	target_close(&t);
}
END_TEST

START_TEST(test_short_read_at_eof)
{
	struct pindio_buf *buf = NULL;
	struct test_done d = { 0, 0 };
	struct target t;
	char *mem;

	REQUIRE_ODIRECT();
	target_open_file(&t, 10000, 8, 0);
	ck_assert_int_eq(pindio_buf_alloc(t.ctx, 65536, 0, &buf), 0);
	mem = pindio_buf_get_addr(buf);
	/* 10000 bytes: a read at 8192 finds 1808 of them. */
	ck_assert_int_eq(pindio_file_pread(t.file, mem, 16384, 8192), 1808);
	ck_assert_int_eq(pindio_file_pread(t.file, mem, 16384, 0), 10000);
	ck_assert_int_eq(pindio_file_pread(t.file, mem, 4096, 65536), 0);
	ck_assert_int_eq(pindio_file_read(t.file, mem, 16384, 4096, test_record_done,
					  &d), 0);
	ck_assert_int_eq(pindio_ctx_reap(t.ctx, 1, 5000), 1);
	ck_assert_int_eq(d.res, 10000 - 4096);
	pindio_buf_unref(buf);
	target_close(&t);
}
END_TEST

/* The last unref waits for requests still in flight; their callbacks run. */
START_TEST(test_teardown_with_io_in_flight)
{
	struct pindio_buf *buf = NULL;
	struct test_done d[8] = { { 0, 0 } };
	long before = vmpin_kb();
	struct target t;
	char *mem;
	int i;

	REQUIRE_ODIRECT();
	target_open_file(&t, 4 << 20, 8, PINDIO_CTX_DEFAULT);
	ck_assert_int_eq(pindio_buf_alloc(t.ctx, 8 * 131072, 0, &buf), 0);
	ck_assert_int_eq(vmpin_kb(), before + pinned_kb(1024));
	mem = pindio_buf_get_addr(buf);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(pindio_file_read(t.file, mem + i * 131072,
						  131072, (uint64_t)i * 131072,
						  test_record_done, &d[i]), 0);
	ck_assert_int_eq(pindio_ctx_submit(t.ctx), 8);
	pindio_buf_unref(buf);
	target_close(&t);
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(d[i].calls, 1);
		ck_assert_int_eq(d[i].res, 131072);
	}
}
END_TEST

/* Queued but never submitted: teardown submits and completes them too. */
START_TEST(test_teardown_with_io_queued)
{
	struct test_done d = { 0, 0 };
	struct target t;
	char *mem;

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 8, PINDIO_CTX_DEFAULT);
	ck_assert_int_eq(posix_memalign((void **)&mem, 4096, 4096), 0);
	ck_assert_int_eq(pindio_file_read(t.file, mem, 4096, 0, test_record_done,
					  &d), 0);
	target_close(&t);
	ck_assert_int_eq(d.calls, 1);
	ck_assert_int_eq(d.res, 4096);
	free(mem);
}
END_TEST

/*
 * Polling with min_complete 0 must see completions by itself: with
 * COOP_TASKRUN or DEFER_TASKRUN they are posted only when the task enters
 * the kernel, so reap has to notice pending work and enter.
 */
START_TEST(test_poll_completes)
{
	static const unsigned int flags[] = {
		0, PINDIO_CTX_COOP_TASKRUN | PINDIO_CTX_SINGLE_ISSUER,
		PINDIO_CTX_DEFAULT,
	};
	struct test_done d = { 0, 0 };
	struct timespec t0, t1;
	struct target t;
	char *mem;

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 8, flags[_i]);
	if (pindio_ctx_get_flags(t.ctx) != (flags[_i] | backend_flags)) {
		target_close(&t);
		SKIP_TEST("the kernel refused context flags 0x%x",
			  flags[_i] & ~pindio_ctx_get_flags(t.ctx));
	}
	ck_assert_int_eq(posix_memalign((void **)&mem, 4096, 4096), 0);
	/* Real blocks: a read of a hole would complete inside the submit. */
	memset(mem, 0x5a, 4096);
	ck_assert_int_eq(pindio_file_pwrite(t.file, mem, 4096, 0), 4096);
	ck_assert_int_eq(fdatasync(pindio_file_get_fd(t.file)), 0);
	ck_assert_int_eq(pindio_file_read(t.file, mem, 4096, 0, test_record_done,
					  &d), 0);
	ck_assert_int_eq(pindio_ctx_submit(t.ctx), 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		ck_assert_int_ge(pindio_ctx_reap(t.ctx, 0, 0), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (!d.calls && t1.tv_sec - t0.tv_sec < 5);
	ck_assert_msg(d.calls == 1, "flags 0x%x: no completion after 5 s of polling",
		      flags[_i]);
	ck_assert_int_eq(d.res, 4096);
	free(mem);
	target_close(&t);
}
END_TEST

struct last_refs {
	struct pindio_file *file;
	struct pindio_buf *buf;
	int res;
	int calls;
};

static void drop_last_refs(void *data, int res)
{
	struct last_refs *l = data;

	l->res = res;
	l->calls++;
	pindio_buf_unref(l->buf);
	pindio_file_unref(l->file);
}

/*
 * A callback drops the last references to the file and the buffer, and so
 * to the context: it is freed when the reap returns, not under it.
 */
START_TEST(test_callback_drops_last_refs)
{
	struct last_refs l = { NULL, NULL, 0, 0 };
	struct pindio_ctx *ctx;
	long before = vmpin_kb();
	char *path;

	REQUIRE_ODIRECT();
	ctx = io_ctx_new(8, PINDIO_CTX_DEFAULT);
	path = scratch_file("lastref", 1 << 20);
	ck_assert_int_eq(pindio_file_open(ctx, path, O_RDONLY, 0, &l.file), 0);
	unlink(path);
	ck_assert_int_eq(pindio_buf_alloc(ctx, 65536, 0, &l.buf), 0);
	if (on_libaio())
		ck_assert_int_eq(vmpin_kb(), before);
	else
		ck_assert_int_gt(vmpin_kb(), before);
	ck_assert_int_eq(pindio_file_read(l.file, pindio_buf_get_addr(l.buf),
					  65536, 0, drop_last_refs, &l), 0);
	/* Only the file and the buffer hold the context now. */
	ck_assert_ptr_eq(pindio_ctx_unref(ctx), ctx);
	ck_assert_int_eq(pindio_ctx_reap(ctx, 1, 5000), 1);
	ck_assert_int_eq(l.calls, 1);
	ck_assert_int_eq(l.res, 65536);
	/* The context is gone and with it every pin. */
	ck_assert_int_eq(vmpin_kb(), before);
	free(path);
}
END_TEST

struct nested {
	struct pindio_ctx *ctx;
	int calls;
	int nested_ret;
};

static void reap_from_callback(void *data, int res)
{
	struct nested *n = data;

	ck_assert_int_eq(res, 4096);
	/* The first callback waits for another request to complete. */
	if (n->calls++ == 0)
		n->nested_ret = pindio_ctx_reap(n->ctx, 1, -1);
}

/* A callback that reaps, waiting, must not wait for what its caller holds. */
START_TEST(test_callback_reaps)
{
	struct nested n = { NULL, 0, 0 };
	struct target t;
	char *mem;
	int i, got = 0, ret;

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 8, PINDIO_CTX_DEFAULT);
	n.ctx = t.ctx;
	ck_assert_int_eq(posix_memalign((void **)&mem, 4096, 4 * 4096), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pindio_file_read(t.file, mem + i * 4096, 4096,
						  (uint64_t)i * 4096,
						  reap_from_callback, &n), 0);
	while (n.calls < 4) {
		ret = pindio_ctx_reap(t.ctx, 4, 5000);
		ck_assert_int_ge(ret, 1);
		got += ret;
	}
	ck_assert_int_eq(n.calls, 4);
	/* The nested reap ran at least the one it waited for. */
	ck_assert_int_ge(n.nested_ret, 1);
	ck_assert_int_eq(got + n.nested_ret, 4);
	ck_assert_uint_eq(pindio_ctx_get_inflight(t.ctx), 0);
	free(mem);
	target_close(&t);
}
END_TEST

/* Releasing a buffer whose request is queued but not yet submitted. */
START_TEST(test_release_with_io_queued)
{
	struct pindio_buf *buf = NULL;
	struct test_done d = { 0, 0 };
	struct target t;

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 8, PINDIO_CTX_DEFAULT);
	ck_assert_int_eq(pindio_buf_alloc(t.ctx, 65536, 0, &buf), 0);
	ck_assert_int_eq(pindio_file_read(t.file, pindio_buf_get_addr(buf),
					  65536, 0, test_record_done, &d), 0);
	ck_assert_int_eq(pindio_buf_release(buf), 0);
	ck_assert_ptr_null(pindio_buf_unref(buf));
	ck_assert_int_eq(pindio_ctx_reap(t.ctx, 1, 5000), 1);
	ck_assert_int_eq(d.calls, 1);
	ck_assert_int_eq(d.res, 65536);
	target_close(&t);
}
END_TEST

/*
 * SQPOLL: submitting only publishes the SQ tail.  Closing a file or
 * releasing a buffer right after must still let every request run on it.
 */
START_TEST(test_sqpoll_release_and_close_race)
{
	struct pindio_ctx *probe = NULL;
	struct test_done d[16];
	struct pindio_buf *buf;
	struct pindio_file *f2;
	struct target t;
	char path[64];
	int round, i, ret;

	REQUIRE_ODIRECT();
	ret = pindio_ctx_new(8, PINDIO_CTX_SQPOLL, &probe);
	if (ret < 0)
		SKIP_TEST("SQPOLL unavailable: %s", strerror(-ret));
	pindio_ctx_unref(probe);
	target_open_file(&t, 1 << 20, 16, PINDIO_CTX_SQPOLL);
	snprintf(path, sizeof(path), "/proc/self/fd/%d",
		 pindio_file_get_fd(t.file));
	for (round = 0; round < 50; round++) {
		buf = NULL;
		f2 = NULL;
		memset(d, 0, sizeof(d));
		ck_assert_int_eq(pindio_file_open(t.ctx, path, O_RDONLY, 0, &f2), 0);
		ck_assert_int_eq(pindio_buf_alloc(t.ctx, 16 * 4096, 0, &buf), 0);
		for (i = 0; i < 16; i++)
			ck_assert_int_eq(pindio_file_read(f2,
					 (char *)pindio_buf_get_addr(buf) + i * 4096,
					 4096, (uint64_t)i * 4096, test_record_done,
					 &d[i]), 0);
		if (round & 1)
			ck_assert_int_eq(pindio_ctx_submit(t.ctx), 16);
		pindio_file_unref(f2);
		pindio_buf_unref(buf);
		while (pindio_ctx_get_inflight(t.ctx))
			ck_assert_int_ge(pindio_ctx_reap(t.ctx, 16, 5000), 0);
		for (i = 0; i < 16; i++)
			ck_assert_msg(d[i].calls == 1 && d[i].res == 4096,
				      "round %d request %d: res %d", round, i,
				      d[i].res);
	}
	target_close(&t);
}
END_TEST

/*
 * IOPOLL: completions are found by polling the device.  A device without
 * poll queues answers -EOPNOTSUPP; either way the request completes and
 * reaping, waiting or not, finds it.
 */
START_TEST(test_iopoll_request_completes)
{
	struct test_done d = { 0, 0 };
	struct target t;
	char *mem;
	int spins = 0;

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 8, PINDIO_CTX_IOPOLL);
	ck_assert_int_eq(posix_memalign((void **)&mem, 4096, 8192), 0);
	ck_assert_int_eq(pindio_file_read(t.file, mem, 4096, 0, test_record_done,
					  &d), 0);
	ck_assert_int_eq(pindio_ctx_reap(t.ctx, 1, 5000), 1);
	ck_assert_msg(d.res == 4096 || d.res == -EOPNOTSUPP, "res %d", d.res);
	ck_assert_int_eq(pindio_file_read(t.file, mem + 4096, 4096, 4096,
					  test_record_done, &d), 0);
	while (d.calls < 2 && spins++ < 100000)
		ck_assert_int_ge(pindio_ctx_reap(t.ctx, 0, 0), 0);
	ck_assert_int_eq(d.calls, 2);
	free(mem);
	target_close(&t);
}
END_TEST

START_TEST(test_reap_timeout)
{
	struct target t;

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 8, 0);
	/* Nothing in flight: no wait at all. */
	ck_assert_int_eq(pindio_ctx_reap(t.ctx, 1, 100), 0);
	ck_assert_int_eq(pindio_ctx_reap(t.ctx, 0, -1), 0);
	target_close(&t);
}
END_TEST

/* ---- vectored I/O -------------------------------------------------------- */

/* Linux 6.15 added IORING_OP_READV_FIXED and WRITEV_FIXED. */
static bool kernel_has_rwv_fixed(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 15);
}

static uint64_t dma_requests(struct pindio_ctx *ctx)
{
	struct pindio_pin_stats st;

	ck_assert_int_eq(pindio_ctx_get_pin_stats(ctx, &st, sizeof(st)), 0);
	return st.dma_requests;
}

/*
 * Segments of different sizes written in one request read back through a
 * different split: the data lands in order from the offset.
 */
START_TEST(test_vectored_roundtrip_plain)
{
	unsigned char *mem, *back, *want;
	struct test_done d = { 0, 0 };
	struct iovec w[3], r[2];
	struct target t;

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 8, 0);
	ck_assert_int_eq(posix_memalign((void **)&mem, 4096, 16 * 4096), 0);
	ck_assert_int_eq(posix_memalign((void **)&back, 4096, 16 * 4096), 0);
	want = malloc(7 * 4096);
	fill_pattern(want, 7 * 4096, 7);
	/* 1 + 4 + 2 pages, scattered over the allocation. */
	memcpy(mem + 10 * 4096, want, 4096);
	memcpy(mem, want + 4096, 4 * 4096);
	memcpy(mem + 5 * 4096, want + 5 * 4096, 2 * 4096);
	w[0] = (struct iovec){ mem + 10 * 4096, 4096 };
	w[1] = (struct iovec){ mem, 4 * 4096 };
	w[2] = (struct iovec){ mem + 5 * 4096, 2 * 4096 };
	ck_assert_int_eq(pindio_file_writev(t.file, w, 3, 8192, test_record_done,
					    &d), 0);
	ck_assert_uint_eq(pindio_ctx_get_inflight(t.ctx), 1);
	/* Plain: the kernel pins the pages for the request's duration. */
	ck_assert_uint_eq(dma_requests(t.ctx), 1);
	ck_assert_int_eq(pindio_ctx_reap(t.ctx, 1, 10000), 1);
	ck_assert_int_eq(d.calls, 1);
	ck_assert_int_eq(d.res, 7 * 4096);
	ck_assert_uint_eq(dma_requests(t.ctx), 0);

	memset(back, 0, 16 * 4096);
	r[0] = (struct iovec){ back + 8 * 4096, 3 * 4096 };
	r[1] = (struct iovec){ back, 4 * 4096 };
	ck_assert_int_eq(pindio_file_preadv(t.file, r, 2, 8192), 7 * 4096);
	ck_assert_int_eq(memcmp(back + 8 * 4096, want, 3 * 4096), 0);
	ck_assert_int_eq(memcmp(back, want + 3 * 4096, 4 * 4096), 0);
	/* The same bytes through the single-buffer path. */
	ck_assert_int_eq(pindio_file_pread(t.file, back, 7 * 4096, 8192),
			 7 * 4096);
	ck_assert_int_eq(memcmp(back, want, 7 * 4096), 0);
	free(mem);
	free(back);
	free(want);
	target_close(&t);
}
END_TEST

/*
 * Every segment inside one registered buffer: the request holds the
 * buffer and, where the kernel has READV_FIXED, uses its pin.  Proof as in
 * test_registered_range_uses_fixed_op: with the mapping gone, only the
 * pinned pages remain, so only the fixed op can land.
 */
START_TEST(test_vectored_registered_buffer_uses_fixed_op)
{
	struct pindio_buf *buf = NULL;
	struct pindio_buf_info info;
	struct test_done d = { 0, 0 };
	struct iovec v[2];
	struct target t;
	char *mem;

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 8, 0);
	mem = mmap(NULL, 4 * 65536, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
	ck_assert_int_eq(pindio_buf_register(t.ctx, mem, 2 * 65536, 0, &buf), 0);
	v[0] = (struct iovec){ mem + 65536, 4096 };
	v[1] = (struct iovec){ mem + 4096, 8192 };
	ck_assert_int_eq(pindio_file_readv(t.file, v, 2, 0, test_record_done, &d), 0);
	ck_assert_int_eq(pindio_buf_get_info(buf, &info, sizeof(info)), 0);
	ck_assert_uint_eq(info.inflight, 1);
	ck_assert_uint_eq(dma_requests(t.ctx), kernel_has_rwv_fixed() ? 0 : 1);
	ck_assert_int_eq(pindio_ctx_reap(t.ctx, 1, 10000), 1);
	ck_assert_int_eq(d.res, 3 * 4096);

	ck_assert_int_eq(munmap(mem, 4 * 65536), 0);
	ck_assert_int_eq(pindio_file_preadv(t.file, v, 2, 0),
			 kernel_has_rwv_fixed() ? 3 * 4096 : -EFAULT);
	ck_assert_int_eq(pindio_file_pwritev(t.file, v, 2, 65536),
			 kernel_has_rwv_fixed() ? 3 * 4096 : -EFAULT);
	pindio_buf_unref(buf);
	target_close(&t);
}
END_TEST

/* One registered segment and one plain one: a plain request, correct. */
START_TEST(test_vectored_mixed_is_plain)
{
	struct pindio_buf *buf = NULL;
	unsigned char *plain, *reg, *want;
	struct test_done d = { 0, 0 };
	struct pindio_buf_info info;
	struct iovec v[2];
	struct target t;

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 8, 0);
	ck_assert_int_eq(pindio_buf_alloc(t.ctx, 65536, 0, &buf), 0);
	reg = pindio_buf_get_addr(buf);
	ck_assert_int_eq(posix_memalign((void **)&plain, 4096, 8192), 0);
	want = malloc(3 * 4096);
	fill_pattern(want, 3 * 4096, 3);
	memcpy(reg, want, 4096);
	memcpy(plain, want + 4096, 8192);
	v[0] = (struct iovec){ reg, 4096 };
	v[1] = (struct iovec){ plain, 8192 };
	ck_assert_int_eq(pindio_file_writev(t.file, v, 2, 0, test_record_done, &d), 0);
	ck_assert_uint_eq(dma_requests(t.ctx), 1);
	/* It still holds the buffer whose memory it uses. */
	ck_assert_int_eq(pindio_buf_get_info(buf, &info, sizeof(info)), 0);
	ck_assert_uint_eq(info.inflight, 1);
	ck_assert_int_eq(pindio_ctx_reap(t.ctx, 1, 10000), 1);
	ck_assert_int_eq(d.res, 3 * 4096);
	memset(reg, 0, 3 * 4096);
	ck_assert_int_eq(pindio_file_pread(t.file, reg, 3 * 4096, 0), 3 * 4096);
	ck_assert_int_eq(memcmp(reg, want, 3 * 4096), 0);
	pindio_buf_unref(buf);
	free(plain);
	free(want);
	target_close(&t);
}
END_TEST

/*
 * An empty segment in a registered buffer: the kernel's fixed vectored
 * ops refuse it (-EFAULT), so the request goes plain, and works.
 */
START_TEST(test_vectored_empty_segment_goes_plain)
{
	struct pindio_buf *buf = NULL;
	struct iovec v[3];
	struct target t;
	char *mem;

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 8, 0);
	ck_assert_int_eq(pindio_buf_alloc(t.ctx, 65536, 0, &buf), 0);
	mem = pindio_buf_get_addr(buf);
	v[0] = (struct iovec){ mem, 4096 };
	v[1] = (struct iovec){ NULL, 0 };
	v[2] = (struct iovec){ mem + 8192, 4096 };
	ck_assert_int_eq(pindio_file_readv(t.file, v, 3, 0, NULL, NULL), 0);
	ck_assert_uint_eq(dma_requests(t.ctx), 1);
	ck_assert_int_eq(pindio_ctx_reap(t.ctx, 1, 10000), 1);
	v[1] = (struct iovec){ mem + 4096, 0 };
	ck_assert_int_eq(pindio_file_preadv(t.file, v, 3, 0), 2 * 4096);
	ck_assert_uint_eq(dma_requests(t.ctx), 0);
	pindio_buf_unref(buf);
	target_close(&t);
}
END_TEST

/*
 * A synchronous call whose wait runs a callback that drops the file's
 * and the caller's references to the context: the call keeps the context
 * until it has its result (valgrind or ASan see the difference).
 */
struct dropper {
	struct pindio_file *file;
	struct pindio_ctx *ctx;
	int calls;
};

static void drop_file_and_ctx(void *data, int res)
{
	struct dropper *d = data;

	d->calls++;
	pindio_file_unref(d->file);
	pindio_ctx_unref(d->ctx);
}

START_TEST(test_sync_call_outlives_dropped_refs)
{
	struct dropper d = { NULL, NULL, 0 };
	struct iovec v;
	char *path, *mem;

	REQUIRE_ODIRECT();
	d.ctx = io_ctx_new(8, PINDIO_CTX_DEFAULT);
	path = scratch_file("syncref", 1 << 20);
	ck_assert_int_eq(pindio_file_open(d.ctx, path, O_RDONLY, 0, &d.file), 0);
	unlink(path);
	ck_assert_int_eq(posix_memalign((void **)&mem, 4096, 3 * 4096), 0);
	/* Two references each to the file and the context. */
	pindio_file_ref(d.file);
	pindio_ctx_ref(d.ctx);
	ck_assert_int_eq(pindio_file_read(d.file, mem, 4096, 0,
					  drop_file_and_ctx, &d), 0);
	ck_assert_int_eq(pindio_file_pread(d.file, mem + 4096, 4096, 4096),
			 4096);
	ck_assert_int_eq(d.calls, 1);
	/* Again, vectored: the callback takes the last references. */
	v = (struct iovec){ mem + 4096, 4096 };
	ck_assert_int_eq(pindio_file_read(d.file, mem, 4096, 0,
					  drop_file_and_ctx, &d), 0);
	ck_assert_int_eq(pindio_file_preadv(d.file, &v, 1, 8192), 4096);
	ck_assert_int_eq(d.calls, 2);
	free(mem);
	scratch_remove(path);
}
END_TEST

/* Two registered buffers in one request: the kernel takes one index. */
START_TEST(test_vectored_two_buffers_refused)
{
	struct pindio_buf *a = NULL, *b = NULL;
	struct iovec v[3];
	struct target t;
	const char *msg;

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 8, 0);
	ck_assert_int_eq(pindio_buf_alloc(t.ctx, 65536, 0, &a), 0);
	ck_assert_int_eq(pindio_buf_alloc(t.ctx, 65536, 0, &b), 0);
	v[0] = (struct iovec){ pindio_buf_get_addr(a), 4096 };
	v[1] = (struct iovec){ (char *)pindio_buf_get_addr(a) + 8192, 4096 };
	v[2] = (struct iovec){ pindio_buf_get_addr(b), 4096 };
	ck_assert_int_eq(pindio_file_readv(t.file, v, 3, 0, NULL, NULL), -EXDEV);
	msg = pindio_ctx_last_error(t.ctx);
	ck_assert_msg(strstr(msg, "segment 2") && strstr(msg, "one registered buffer"),
		      "%s", msg);
	ck_assert_uint_eq(pindio_ctx_get_inflight(t.ctx), 0);
	pindio_buf_unref(a);
	pindio_buf_unref(b);
	target_close(&t);
}
END_TEST

START_TEST(test_vectored_bad_segments)
{
	static struct iovec many[PINDIO_IOV_MAX + 1];
	struct iovec v[3];
	struct target t;
	const char *msg;
	uint32_t ma, oa;
	char *mem;

	REQUIRE_ODIRECT();
	target_open_file(&t, 1 << 20, 8, 0);
	ma = pindio_file_get_mem_align(t.file);
	oa = pindio_file_get_offset_align(t.file);
	ck_assert_int_eq(posix_memalign((void **)&mem, 4096, 4 * 4096), 0);
	memset(mem, 0, 4 * 4096);	/* written to the file below */
	v[0] = (struct iovec){ mem, 4096 };
	v[1] = (struct iovec){ mem + 4096, 4096 };
	v[2] = (struct iovec){ mem + 2 * 4096, 4096 };

	ck_assert_int_eq(pindio_file_readv(t.file, NULL, 1, 0, NULL, NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(t.ctx), "NULL"));
	ck_assert_int_eq(pindio_file_readv(t.file, v, 0, 0, NULL, NULL), -EINVAL);
	ck_assert_int_eq(pindio_file_readv(t.file, many, PINDIO_IOV_MAX + 1, 0,
					   NULL, NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(t.ctx), "PINDIO_IOV_MAX"));
	ck_assert_int_eq(pindio_file_readv(NULL, v, 3, 0, NULL, NULL), -EINVAL);
	ck_assert_int_eq(pindio_file_preadv(NULL, v, 3, 0), -EINVAL);
	/* Misaligned segment 2: the message names it. */
	if (ma > 1) {
		v[2].iov_base = mem + 2 * 4096 + ma / 2;
		ck_assert_int_eq(pindio_file_writev(t.file, v, 3, 0, NULL, NULL),
				 -EINVAL);
		msg = pindio_ctx_last_error(t.ctx);
		ck_assert_msg(strstr(msg, "segment 2") && strstr(msg, "aligned"),
			      "%s", msg);
		v[2].iov_base = mem + 2 * 4096;
	}
	v[1].iov_len = oa + oa / 2;
	ck_assert_int_eq(pindio_file_preadv(t.file, v, 3, 0), -EINVAL);
	msg = pindio_ctx_last_error(t.ctx);
	ck_assert_msg(strstr(msg, "segment 1") && strstr(msg, "length"), "%s", msg);
	v[1].iov_len = 4096;
	ck_assert_int_eq(pindio_file_pwritev(t.file, v, 3, oa / 2), -EINVAL);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(t.ctx), "offset"));
	/* Zero-length segments are skipped, but some bytes must remain. */
	v[0].iov_len = v[1].iov_len = v[2].iov_len = 0;
	ck_assert_int_eq(pindio_file_preadv(t.file, v, 3, 0), -EINVAL);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(t.ctx), "no bytes"));
	v[1].iov_len = 4096;
	ck_assert_int_eq(pindio_file_pwritev(t.file, v, 3, 0), 4096);
	ck_assert_uint_eq(pindio_ctx_get_inflight(t.ctx), 0);
	free(mem);
	target_close(&t);
}
END_TEST

/* Segments past the end of the file: a short count, then 0. */
START_TEST(test_vectored_short_read_at_eof)
{
	struct iovec v[2];
	struct target t;
	char *mem;

	REQUIRE_ODIRECT();
	target_open_file(&t, 3 * 4096, 8, 0);
	ck_assert_int_eq(posix_memalign((void **)&mem, 4096, 4 * 4096), 0);
	v[0] = (struct iovec){ mem, 2 * 4096 };
	v[1] = (struct iovec){ mem + 2 * 4096, 2 * 4096 };
	ck_assert_int_eq(pindio_file_preadv(t.file, v, 2, 0), 3 * 4096);
	ck_assert_int_eq(pindio_file_preadv(t.file, v, 2, 3 * 4096), 0);
	free(mem);
	target_close(&t);
}
END_TEST

/*
 * Tests that hold on any backend: run once per backend, each time in a
 * test case of its own.  @libaio: the case is libaio's.
 */
static void add_backend_tests(TCase *tc, bool libaio)
{
	/* _i = 0: plain buffers, 1: registered buffers */
	tcase_add_loop_test(tc, test_roundtrip_file, 0, 2);
	tcase_add_loop_test(tc, test_roundtrip_blockdev, 0, 2);
	tcase_add_test(tc, test_subrange_of_registered_buffer);
	tcase_add_test(tc, test_alignment_rules);
	tcase_add_test(tc, test_bad_requests);
	tcase_add_test(tc, test_write_to_readonly_file);
	tcase_add_test(tc, test_queue_full);
	tcase_add_test(tc, test_short_read_at_eof);
	tcase_add_test(tc, test_teardown_with_io_in_flight);
	tcase_add_test(tc, test_teardown_with_io_queued);
	/* Only flags 0 on libaio: the others are io_uring's. */
	tcase_add_loop_test(tc, test_poll_completes, 0, libaio ? 1 : 3);
	tcase_add_test(tc, test_callback_drops_last_refs);
	tcase_add_test(tc, test_callback_reaps);
	tcase_add_test(tc, test_release_with_io_queued);
	tcase_add_test(tc, test_reap_timeout);
	tcase_add_test(tc, test_vectored_roundtrip_plain);
	tcase_add_test(tc, test_vectored_mixed_is_plain);
	tcase_add_test(tc, test_vectored_two_buffers_refused);
	tcase_add_test(tc, test_vectored_bad_segments);
	tcase_add_test(tc, test_vectored_short_read_at_eof);
	tcase_add_test(tc, test_vectored_empty_segment_goes_plain);
	tcase_add_test(tc, test_sync_call_outlives_dropped_refs);
}

Suite *test_suite(void)
{
	Suite *s = suite_create("io");
	TCase *tc = tcase_vmpin("io-uring");

	tcase_add_checked_fixture(tc, backend_uring, NULL);
	add_backend_tests(tc, false);
	/* io_uring only: SQPOLL, IOPOLL, the fixed opcodes. */
	tcase_add_test(tc, test_roundtrip_sqpoll);
	tcase_add_test(tc, test_registered_range_uses_fixed_op);
	tcase_add_test(tc, test_vectored_registered_buffer_uses_fixed_op);
	tcase_add_test(tc, test_sqpoll_release_and_close_race);
	tcase_add_test(tc, test_iopoll_request_completes);
	suite_add_tcase(s, tc);

	tc = tcase_vmpin("io-libaio");
	tcase_add_checked_fixture(tc, backend_libaio, NULL);
	add_backend_tests(tc, true);
	suite_add_tcase(s, tc);
	return s;
}
