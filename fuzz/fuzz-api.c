// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the public API's argument checks.  Each input is a
 * program of register / release / pread / pwrite / read_fixed /
 * write_fixed calls with arbitrary lengths, offsets and alignments on a
 * small O_DIRECT file (made, then unlinked, in $FUZZ_API_DIR or the
 * current directory) through one context that lives for the whole run.
 * Checked: each call fails only with an errno its man page lists, never
 * refuses well-aligned in-range I/O, moves no more than asked, and once
 * every buffer is released and reaped the account is back to nothing.
 * Where io_uring or O_DIRECT is missing it runs nothing (said once).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pindio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_SIZE	(64 * 1024)
#define POOL_SIZE	(256 * 1024)
#define NR_BUFS		4
#define MAX_OPS		64

static struct pindio_ctx *ctx;
static struct pindio_file *file;
static char *pool;
static uint32_t mem_align, off_align;
static int unusable;

static void fail(const char *what, long ret)
{
	fprintf(stderr, "fuzz-api: %s returned %ld (%s)\n", what, ret,
		ctx ? pindio_ctx_last_error(ctx) : "");
	abort();
}

static int setup(void)
{
	const char *dir = getenv("FUZZ_API_DIR");
	char path[4096];
	int fd, ret;

	if (ctx || unusable)
		return !unusable;
	unusable = 1;
	ret = pindio_ctx_new(8, 0, &ctx);
	if (ret < 0) {
		fprintf(stderr, "fuzz-api: no context (%s): nothing to fuzz\n",
			strerror(-ret));
		return 0;
	}
	pindio_set_log_priority(ctx, 0);	/* quiet: errors are expected */
	snprintf(path, sizeof(path), "%s/fuzz-api.XXXXXX", dir ? dir : ".");
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, FILE_SIZE) < 0) {
		perror("fuzz-api: scratch file");
		return 0;
	}
	close(fd);
	ret = pindio_file_open(ctx, path, O_RDWR, 0, &file);
	unlink(path);
	if (ret < 0) {
		fprintf(stderr, "fuzz-api: %s: %s: nothing to fuzz\n", path,
			pindio_ctx_last_error(ctx));
		return 0;
	}
	mem_align = pindio_file_get_mem_align(file);
	off_align = pindio_file_get_offset_align(file);
	if (posix_memalign((void **)&pool, 4096, POOL_SIZE))
		abort();
	memset(pool, 0x5a, POOL_SIZE);
	unusable = 0;
	return 1;
}

struct reader {
	const uint8_t *p, *end;
};

static uint32_t get(struct reader *r, unsigned int bytes)
{
	uint32_t v = 0;

	while (bytes--)
		v = v << 8 | (r->p < r->end ? *r->p++ : 0);
	return v;
}

static int is_one_of(int ret, const int *ok, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ret == ok[i])
			return 1;
	return 0;
}

#define CHECK(what, ret, ...) do {					\
		static const int ok_[] = { __VA_ARGS__ };		\
		if ((ret) < 0 && !is_one_of((int)(ret), ok_,		\
				sizeof(ok_) / sizeof(ok_[0])))		\
			fail(what, (long)(ret));			\
	} while (0)

static int aligned(uint64_t addr, uint64_t len, uint64_t off)
{
	return len && addr % mem_align == 0 && len % off_align == 0 &&
	       off % off_align == 0;
}

static void completed(void *data, int res)
{
	int *done = data;

	*done = res;
}

/* Queue one fixed request, wait for it, check its result. */
static void fixed_io(int write, struct pindio_buf *b, size_t boff,
		     size_t len, uint64_t off)
{
	int done = 1, ret;	/* 1: not completed */

	if (write && off + len > FILE_SIZE)
		return;		/* keep the file its size */
	ret = write ? pindio_file_write_fixed(file, b, boff, len, off,
					      completed, &done) :
		      pindio_file_read_fixed(file, b, boff, len, off,
					     completed, &done);
	CHECK(write ? "write_fixed" : "read_fixed", ret, -EINVAL, -ESTALE,
	      -ERANGE, -EBUSY);
	if (ret < 0)
		return;
	while (done == 1) {
		ret = pindio_ctx_reap(ctx, 1, -1);
		if (ret < 0 && ret != -EINTR)
			fail("reap", ret);
	}
	if (done < 0 || (size_t)done > len)
		fail(write ? "write_fixed completion" : "read_fixed completion",
		     done);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, data + size };
	struct pindio_buf *bufs[NR_BUFS] = { NULL };
	struct pindio_pin_stats st;
	unsigned int ops = 0, i;
	ssize_t n;
	int ret;

	if (!setup())
		return 0;
	while (r.p < r.end && ops++ < MAX_OPS) {
		uint32_t op = get(&r, 1), slot = get(&r, 1) % NR_BUFS;
		uint32_t start = get(&r, 3) % POOL_SIZE;
		uint32_t len = get(&r, 3);
		uint64_t off = get(&r, 3);
		struct pindio_buf *b = bufs[slot];

		switch (op % 6) {
		case 0:		/* register caller memory */
			if (b)
				break;
			len %= POOL_SIZE - start + 1;
			ret = pindio_buf_register(ctx, pool + start, len, 0,
						  &bufs[slot]);
			CHECK("register", ret, -EINVAL, -EEXIST, -ENOSPC,
			      -ENOMEM);
			if (!ret && (uintptr_t)pool % 4096 == 0 &&
			    start % 4096 == 0 && len == 0)
				fail("register of length 0", ret);
			break;
		case 1:		/* release, maybe twice */
			if (!b)
				break;
			ret = pindio_buf_release(b);
			CHECK("release", ret, -EALREADY);
			if (op & 0x80) {
				pindio_buf_unref(b);
				bufs[slot] = NULL;
			}
			break;
		case 2:		/* plain or fixed sync read */
		case 3:		/* sync write, inside the file */
			len %= POOL_SIZE - start + 1;
			/* Writes stay inside the file: it keeps its size. */
			if (op % 6 == 3 && len <= FILE_SIZE)
				off %= FILE_SIZE - len + 1;
			if (op % 6 == 3 && off + len > FILE_SIZE)
				break;
			n = op % 6 == 2 ?
			    pindio_file_pread(file, pool + start, len, off) :
			    pindio_file_pwrite(file, pool + start, len, off);
			CHECK(op % 6 == 2 ? "pread" : "pwrite", n, -EINVAL,
			      -ESTALE, -EBUSY);
			if (n > (ssize_t)len)
				fail("pread/pwrite moved more", n);
			if (n == -EINVAL &&
			    aligned((uintptr_t)pool + start, len, off))
				fail("aligned pread/pwrite refused", n);
			if (op % 6 == 2 && n >= 0 && off < FILE_SIZE &&
			    aligned((uintptr_t)pool + start, len, off) &&
			    (uint64_t)n != (len < FILE_SIZE - off ?
					    len : FILE_SIZE - off))
				fail("short pread", n);
			break;
		case 4:		/* fixed read at an offset in the buffer */
		case 5:
			if (!b)
				break;
			fixed_io(op % 6 == 5, b, get(&r, 3), len % (POOL_SIZE + 1),
				 off);
			break;
		}
	}

	/*
	 * Everything back.  The kernel posts a released buffer's tag once
	 * the last request that used it is freed, which may be a moment
	 * after that request's own completion (task work, run when this
	 * thread next returns to user space): poll every 100 µs, for a
	 * second at most.
	 * pindio_ctx_reap() with min_complete 0 does not wait.
	 */
	for (i = 0; i < NR_BUFS; i++) {
		if (!bufs[i])
			continue;
		ret = pindio_buf_release(bufs[i]);
		CHECK("release", ret, -EALREADY);
		pindio_buf_unref(bufs[i]);
	}
	for (i = 0; i < 10000; i++) {
		if (pindio_ctx_get_pin_stats(ctx, &st, sizeof(st)) < 0)
			fail("get_pin_stats", -1);
		if (!st.nr_registered && !st.nr_retiring && !st.nr_released)
			break;
		ret = pindio_ctx_reap(ctx, 0, 0);
		if (ret < 0 && ret != -EINTR)
			fail("reap", ret);
		usleep(100);
	}
	if (st.nr_registered || st.nr_retiring || st.nr_released ||
	    st.pinned_bytes || st.dma_bytes) {
		/*
		 * Which figure is left tells a release the kernel has not
		 * signalled yet (a buffer still counted) from an account
		 * that lost track (no buffer, bytes still pinned).
		 */
		fprintf(stderr, "fuzz-api: after %u reaps: %" PRIu64 " registered, %" PRIu64 " retiring, %" PRIu64 " released, %" PRIu64 " bytes pinned, %" PRIu64 " bytes in DMA, %" PRIu64 " registrations, %" PRIu64 " releases\n",
			i, (uint64_t)st.nr_registered,
			(uint64_t)st.nr_retiring, (uint64_t)st.nr_released,
			(uint64_t)st.pinned_bytes, (uint64_t)st.dma_bytes,
			(uint64_t)st.registrations, (uint64_t)st.releases);
		fail("account not empty after releasing everything",
		     (long)st.pinned_bytes);
	}
	return 0;
}
