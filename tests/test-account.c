// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * src/pin-account.c and the pin account in src/pin.c: buffer states,
 * counting as the kernel counts (compared with VmPin), huge pages,
 * refusals before the kernel, fork behaviour, sharing between rings,
 * teardown, short-term pins and the dump.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "helpers.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC	0x0001U
#endif

#define KiB		1024UL
#define MiB		(1024UL * 1024)
#define HUGE_SZ		(2 * MiB)
#define IO_LEN		65536UL

/*
 * The account agrees with the kernel's VmPin.  pindio_ctx_check_pins()
 * reaps @ctx's posted release signals first, and so may run callbacks.
 */
#define ASSERT_AGREE(ctx) do {						\
	int64_t d_ = INT64_MIN;						\
	int r_ = pindio_ctx_check_pins(ctx, &d_);			\
	ck_assert_msg(r_ == 0 && d_ == 0,				\
		      "pindio_ctx_check_pins: %d, diff %" PRId64 " bytes: %s", \
		      r_, d_, pindio_ctx_last_error(ctx));		\
} while (0)

/*
 * The same comparison without entering the kernel: for when a request
 * must stay in flight (pindio_ctx_check_pins() would complete it).
 */
#define ASSERT_AGREE_NOREAP() do {					\
	struct pindio_pin_stats ps_;					\
	ck_assert_int_eq(pindio_process_get_pin_stats(&ps_, sizeof(ps_)), 0); \
	ck_assert_msg((long)(ps_.pinned_bytes / 1024) == vmpin_kb(),	\
		      "process account %" PRIu64 " KiB, VmPin %ld KiB",	\
		      ps_.pinned_bytes / 1024, vmpin_kb());		\
} while (0)

static void ctx_stats(struct pindio_ctx *ctx, struct pindio_pin_stats *st)
{
	memset(st, 0, sizeof(*st));
	ck_assert_int_eq(pindio_ctx_get_pin_stats(ctx, st, sizeof(*st)), 0);
}

static void proc_stats(struct pindio_pin_stats *st)
{
	memset(st, 0, sizeof(*st));
	ck_assert_int_eq(pindio_process_get_pin_stats(st, sizeof(*st)), 0);
}

static void buf_info(struct pindio_buf *buf, struct pindio_buf_info *bi)
{
	memset(bi, 0, sizeof(*bi));
	ck_assert_int_eq(pindio_buf_get_info(buf, bi, sizeof(*bi)), 0);
}

static bool has(const char *haystack, const char *needle)
{
	return strstr(haystack, needle) != NULL;
}

#define ASSERT_ERR_HAS(ctx, needle)					\
	ck_assert_msg(has(pindio_ctx_last_error(ctx), needle),		\
		      "last error \"%s\" lacks \"%s\"",			\
		      pindio_ctx_last_error(ctx), needle)

/* ---- log capture: every line, with its priority ----------------------- */

#define CAP_LINES	128

struct logcap {
	int nr;
	int prio[CAP_LINES];
	char line[CAP_LINES][600];
};

static void cap_log(void *data, int priority, const char *file, int line,
		    const char *fn, const char *format, va_list args)
{
	struct logcap *c = data;

	(void)file;
	(void)line;
	(void)fn;
	if (c->nr >= CAP_LINES)
		return;
	vsnprintf(c->line[c->nr], sizeof(c->line[0]), format, args);
	c->prio[c->nr] = priority;
	c->nr++;
}

static void cap_attach(struct pindio_ctx *ctx, struct logcap *c)
{
	memset(c, 0, sizeof(*c));
	pindio_set_log_fn(ctx, cap_log, c);
	pindio_set_log_priority(ctx, LOG_INFO);
}

/* The first captured line containing @needle, or NULL. */
static const char *cap_find(const struct logcap *c, const char *needle)
{
	int i;

	for (i = 0; i < c->nr; i++)
		if (has(c->line[i], needle))
			return c->line[i];
	return NULL;
}

static char *cap_all(const struct logcap *c)
{
	static char all[CAP_LINES * 600];
	size_t used = 0;
	int i;

	all[0] = '\0';
	for (i = 0; i < c->nr && used < sizeof(all) - 1; i++)
		used += (size_t)snprintf(all + used, sizeof(all) - used,
					 "[%d] %s", c->prio[i], c->line[i]);
	return all;
}

/* ---- files and memory ---------------------------------------------------- */

/*
 * A scratch file of @size bytes holding fill_pattern(@seed) per 64 KiB
 * block (seed + block number), written with O_DIRECT: the data is on the
 * disk, not in the page cache, so a read of it really goes to the device
 * and is in flight until reaped.
 */
static char *data_file(const char *tag, size_t size, uint64_t seed)
{
	char *path = scratch_file(tag, size);
	void *mem;
	size_t off;
	int fd;

	ck_assert_int_eq(posix_memalign(&mem, 4096, IO_LEN), 0);
	fd = open(path, O_RDWR | O_DIRECT);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	for (off = 0; off < size; off += IO_LEN) {
		fill_pattern(mem, IO_LEN, seed + off / IO_LEN);
		ck_assert_int_eq(pwrite(fd, mem, IO_LEN, (off_t)off),
				 (ssize_t)IO_LEN);
	}
	ck_assert_int_eq(fsync(fd), 0);
	close(fd);
	free(mem);
	return path;
}

static bool block_ok(const void *p, uint64_t seed)
{
	static unsigned char want[IO_LEN];

	fill_pattern(want, IO_LEN, seed);
	return memcmp(p, want, IO_LEN) == 0;
}

static struct pindio_file *open_file(struct pindio_ctx *ctx, const char *path)
{
	struct pindio_file *f = NULL;

	ck_assert_msg(pindio_file_open(ctx, path, O_RDWR, 0, &f) == 0, "%s",
		      pindio_ctx_last_error(ctx));
	return f;
}

static char *map_anon(size_t len)
{
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(m, MAP_FAILED);
	memset(m, 0x5a, len);
	return m;
}

/* Completion of one read: what it returned and read. */
struct rd {
	int calls;
	int res;
	const void *addr;	/* where the data went */
	uint64_t seed;		/* the first 64 KiB block it should hold */
	size_t len;		/* 0: IO_LEN */
	bool data_ok;
};

static void rd_done(void *data, int res)
{
	struct rd *r = data;
	size_t len = r->len ? r->len : IO_LEN, off;

	r->calls++;
	r->res = res;
	/* In the callback: library memory may be unmapped right after. */
	r->data_ok = res == (int)len;
	for (off = 0; r->data_ok && off < len; off += IO_LEN)
		r->data_ok = block_ok((const char *)r->addr + off,
				      r->seed + off / IO_LEN);
}

static void reap_until(struct pindio_ctx *ctx, const int *calls, int want)
{
	int i;

	for (i = 0; i < 100 && *calls < want; i++)
		ck_assert_int_ge(pindio_ctx_reap(ctx, 1, 1000), 0);
	ck_assert_int_eq(*calls, want);
}

/* Reap release signals until @buf is RELEASED (they come at once). */
static void reap_released(struct pindio_ctx *ctx, struct pindio_buf *buf)
{
	struct pindio_buf_info bi;
	int i;

	for (i = 0; i < 100; i++) {
		buf_info(buf, &bi);
		if (bi.state == PINDIO_BUF_RELEASED)
			return;
		ck_assert_int_ge(pindio_ctx_reap(ctx, 0, 0), 0);
		usleep(1000);
	}
	ck_abort_msg("buffer %p never became RELEASED (state %d)", bi.addr,
		     bi.state);
}

/* Is anything mapped at @addr in this process (from /proc/self/maps)? */
static int addr_mapped(uintptr_t addr)
{
	char line[512];
	unsigned long s, e;
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && addr >= s &&
		    addr < e)
			found = 1;
	fclose(f);
	return found;
}

#define CHILD_UNMAPPED	10
#define CHILD_MAPPED	11
#define CHILD_ERROR	12

/*
 * Fork; the child looks in its own /proc/self/maps for @addr and says
 * what it found (CHILD_*) in its exit code and over a pipe.  The pipe is
 * what counts: under valgrind the child inherits the parent's error
 * count, and --error-exitcode replaces the exit code.
 */
static int fork_sees(const void *addr)
{
	unsigned char res = 0;
	int status = 0, fds[2];
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int m = addr_mapped((uintptr_t)addr);

		res = m < 0 ? CHILD_ERROR : m ? CHILD_MAPPED : CHILD_UNMAPPED;
		if (write(fds[1], &res, 1) != 1)
			res = CHILD_ERROR;
		_exit(res);
	}
	close(fds[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child status 0x%x", status);
	ck_assert_int_eq(read(fds[0], &res, 1), 1);
	close(fds[0]);
	return res;
}

/*
 * The smaps entry of the mapping holding @addr: its range and one
 * "Field:   N kB" value.  -1 when not found.
 */
static long smaps_kb(uintptr_t addr, const char *field, uintptr_t *vs,
		     uintptr_t *ve)
{
	char line[512];
	unsigned long s, e;
	size_t flen = strlen(field);
	bool in = false;
	long kb = -1;
	int n;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		n = 0;
		if (sscanf(line, "%lx-%lx %n", &s, &e, &n) == 2 && n > 0) {
			if (in)
				break;
			in = addr >= s && addr < e;
			if (in) {
				*vs = s;
				*ve = e;
			}
			continue;
		}
		if (in && strncmp(line, field, flen) == 0 && line[flen] == ':')
			sscanf(line + flen + 1, "%ld", &kb);
	}
	fclose(f);
	return kb;
}

/* ==== 1. the state machine ============================================= */

/*
 * The kernel may finish a read inside io_uring_enter() when the device
 * is quick (the bio completes before iomap_dio_rw() returns): then it is
 * not in flight.  1 MiB makes that rare; it is detected (VmPin drops at
 * release) and the scenario run again.
 */
#define SM_LEN		(1 * MiB)
#define SM_TRIES	8

START_TEST(test_state_machine_retiring_released)
{
	struct pindio_ctx *ctx, *other;
	struct pindio_file *file;
	struct pindio_buf *buf = NULL, *foreign = NULL, *small = NULL;
	struct pindio_pin_stats st0, st;
	struct pindio_buf_info bi;
	struct rd r;
	long v0 = vmpin_kb(), vbuf = v0 + (long)(SM_LEN / KiB);
	char *path, *addr = NULL;
	int ret, tries;

	REQUIRE_ODIRECT();
	path = data_file("acct-sm", 2 * SM_LEN, 100);
	ctx = test_ctx_new(4, PINDIO_CTX_DEFAULT);
	file = open_file(ctx, path);
	unlink(path);

	for (tries = 0; tries < SM_TRIES; tries++) {
		ck_assert_int_eq(pindio_buf_alloc(ctx, SM_LEN, 0, &buf), 0);
		ck_assert_int_eq(vmpin_kb(), vbuf);
		ASSERT_AGREE(ctx);
		ctx_stats(ctx, &st0);
		buf_info(buf, &bi);
		ck_assert_int_eq(bi.state, PINDIO_BUF_REGISTERED);
		ck_assert_int_ge(bi.index, 0);
		addr = pindio_buf_get_addr(buf);
		memset(addr, 0, SM_LEN);

		/* A read into it, submitted and not reaped. */
		memset(&r, 0, sizeof(r));
		r.addr = addr;
		r.seed = 101;
		r.len = SM_LEN;
		ck_assert_int_eq(pindio_file_read_fixed(file, buf, 0, SM_LEN,
							IO_LEN, rd_done, &r), 0);
		ck_assert_int_eq(pindio_ctx_submit(ctx), 1);
		buf_info(buf, &bi);
		ck_assert_uint_eq(bi.inflight, 1);

		/* Released while in flight: RETIRING, still pinned. */
		ck_assert_int_eq(pindio_buf_release(buf), 0);
		ck_assert_int_eq(r.calls, 0);
		if (vmpin_kb() == vbuf)
			break;
		/* The kernel was done with it already: again. */
		reap_until(ctx, &r.calls, 1);
		reap_released(ctx, buf);
		ASSERT_AGREE(ctx);
		ck_assert_ptr_null(pindio_buf_unref(buf));
		buf = NULL;
	}
	if (!buf) {
		pindio_file_unref(file);
		pindio_ctx_unref(ctx);
		free(path);
		SKIP_TEST("in %d tries, the device completed every 1 MiB read before io_uring_enter() returned: no read stays in flight",
			  SM_TRIES);
	}
	buf_info(buf, &bi);
	ck_assert_int_eq(bi.state, PINDIO_BUF_RETIRING);
	ck_assert_int_eq(bi.index, -1);
	ck_assert_uint_eq(bi.inflight, 1);
	ck_assert_int_eq(vmpin_kb(), vbuf);
	ctx_stats(ctx, &st);
	ck_assert_uint_eq(st.nr_retiring, 1);
	ck_assert_uint_eq(st.nr_registered, 0);
	ck_assert_uint_eq(st.pinned_bytes, SM_LEN);
	ck_assert_uint_eq(st.releases, st0.releases);
	ASSERT_AGREE_NOREAP();

	/* No new I/O on it: fixed, or plain into its (library) memory. */
	ck_assert_int_eq(pindio_file_read_fixed(file, buf, 0, 4096, 0, NULL,
						NULL), -ESTALE);
	ASSERT_ERR_HAS(ctx, "released");
	ck_assert_int_eq(pindio_file_read(file, addr, 4096, 0, NULL, NULL),
			 -ESTALE);
	ASSERT_ERR_HAS(ctx, "released");
	ck_assert_int_eq(pindio_ctx_get_inflight(ctx), 1);

	/* Reaped: the callback ran, with the count and the data. */
	reap_until(ctx, &r.calls, 1);
	ck_assert_int_eq(r.res, (int)SM_LEN);
	ck_assert_msg(r.data_ok, "the read did not bring blocks 1-16's data");

	/* The tag CQE: RELEASED, unpinned, one more release. */
	reap_released(ctx, buf);
	buf_info(buf, &bi);
	ck_assert_int_eq(bi.state, PINDIO_BUF_RELEASED);
	ck_assert_uint_eq(bi.inflight, 0);
	ck_assert_uint_eq(bi.charged_pages, 0);
	ck_assert_int_eq(vmpin_kb(), v0);
	ctx_stats(ctx, &st);
	ck_assert_uint_eq(st.releases, st0.releases + 1);
	ck_assert_uint_eq(st.nr_retiring, 0);
	ck_assert_uint_eq(st.nr_released, 1);
	ck_assert_uint_eq(st.pinned_bytes, 0);
	ck_assert_ptr_null(pindio_buf_get_addr(buf));
	ASSERT_AGREE(ctx);

	ck_assert_int_eq(pindio_buf_release(buf), -EALREADY);
	ASSERT_ERR_HAS(ctx, "already released");
	ck_assert_int_eq(pindio_file_read_fixed(file, buf, 0, 4096, 0, NULL,
						NULL), -ESTALE);
	ASSERT_ERR_HAS(ctx, "released");
	ck_assert_uint_ne(strlen(pindio_ctx_last_error(ctx)), 0);

	/* A buffer of another context. */
	other = test_ctx_new(4, PINDIO_CTX_DEFAULT);
	ck_assert_int_eq(pindio_buf_alloc(other, IO_LEN, 0, &foreign), 0);
	ASSERT_AGREE(other);
	ck_assert_int_eq(pindio_file_read_fixed(file, foreign, 0, 4096, 0, NULL,
						NULL), -EXDEV);
	ASSERT_ERR_HAS(ctx, "belongs to context");

	/* Past the end of the buffer. */
	ck_assert_int_eq(pindio_buf_alloc(ctx, 8192, 0, &small), 0);
	ASSERT_AGREE(ctx);
	ck_assert_int_eq(pindio_file_read_fixed(file, small, 4096, 8192, 0,
						NULL, NULL), -ERANGE);
	ASSERT_ERR_HAS(ctx, "does not fit");
	ck_assert_int_eq(pindio_file_read_fixed(file, small, 12288, 4096, 0,
						NULL, NULL), -ERANGE);
	/* No buffer, or no file. */
	ck_assert_int_eq(pindio_file_write_fixed(file, NULL, 0, 4096, 0, NULL,
						 NULL), -EINVAL);
	ASSERT_ERR_HAS(ctx, "registered buffer is NULL");
	ck_assert_int_eq(pindio_file_read_fixed(NULL, small, 0, 4096, 0, NULL,
						NULL), -EINVAL);
	ret = pindio_file_read_fixed(file, small, 4096, 4096, 0, NULL, NULL);
	ck_assert_msg(ret == 0, "the last page of the buffer: %d %s", ret,
		      pindio_ctx_last_error(ctx));
	ck_assert_int_eq(pindio_ctx_get_inflight(ctx), 1);
	ck_assert_int_ge(pindio_ctx_reap(ctx, 1, 5000), 1);

	ck_assert_ptr_null(pindio_buf_unref(foreign));
	ASSERT_AGREE(other);
	ck_assert_ptr_null(pindio_buf_unref(small));
	ASSERT_AGREE(ctx);
	ck_assert_ptr_null(pindio_buf_unref(buf));
	ctx_stats(ctx, &st);
	ck_assert_uint_eq(st.nr_released, 0);
	pindio_file_unref(file);
	ck_assert_ptr_null(pindio_ctx_unref(other));
	ck_assert_ptr_null(pindio_ctx_unref(ctx));
	ck_assert_int_eq(vmpin_kb(), v0);
	free(path);
}
END_TEST

/* ==== 2. counting as the kernel does ==================================== */

/*
 * More release signals than the CQ ring holds (a queue depth of 1 gives a
 * ring of 2): the kernel keeps the rest aside (CQ overflow) and hands
 * them over only when asked, so a reap must ask once the ring looks
 * empty.  Every buffer ends RELEASED and unpinned after one reap.
 */
#define TAGS_N		16

START_TEST(test_release_signals_past_the_cq_ring)
{
	struct pindio_ctx *ctx;
	struct pindio_buf *bufs[TAGS_N];
	struct pindio_pin_stats st0, st;
	struct pindio_buf_info bi;
	long v0 = vmpin_kb();
	int i;

	ctx = test_ctx_new(1, PINDIO_CTX_DEFAULT);
	if (pindio_ctx_get_backend(ctx) != PINDIO_BACKEND_IO_URING) {
		pindio_ctx_unref(ctx);
		SKIP_TEST("no io_uring here: libaio has no release signals");
	}
	ctx_stats(ctx, &st0);
	for (i = 0; i < TAGS_N; i++)
		ck_assert_int_eq(pindio_buf_alloc(ctx, 4096, 0, &bufs[i]), 0);
	ck_assert_int_eq(vmpin_kb(), v0 + TAGS_N * 4);
	for (i = 0; i < TAGS_N; i++)
		ck_assert_int_eq(pindio_buf_release(bufs[i]), 0);

	ck_assert_int_ge(pindio_ctx_reap(ctx, 0, 0), 0);
	ctx_stats(ctx, &st);
	ck_assert_uint_eq(st.releases, st0.releases + TAGS_N);
	ck_assert_uint_eq(st.nr_retiring, 0);
	ck_assert_uint_eq(st.pinned_bytes, 0);
	for (i = 0; i < TAGS_N; i++) {
		buf_info(bufs[i], &bi);
		ck_assert_int_eq(bi.state, PINDIO_BUF_RELEASED);
		ck_assert_ptr_null(pindio_buf_unref(bufs[i]));
	}
	ck_assert_int_eq(vmpin_kb(), v0);
	ASSERT_AGREE(ctx);
	pindio_ctx_unref(ctx);
	ck_assert_int_eq(vmpin_kb(), v0);
}
END_TEST

START_TEST(test_account_counts_pages_as_kernel)
{
	struct pindio_ctx *a, *b;
	struct pindio_buf *ba = NULL, *bb = NULL;
	struct pindio_pin_stats p0, p, sa, sb;
	struct pindio_buf_info bi;
	long v0 = vmpin_kb();
	char *mem, *addr;

	proc_stats(&p0);
	a = test_ctx_new(4, PINDIO_CTX_DEFAULT);
	b = test_ctx_new(4, PINDIO_CTX_DEFAULT);
	proc_stats(&p);
	ck_assert_uint_eq(p.nr_contexts, p0.nr_contexts + 2);
	ck_assert_uint_eq(p.pinned_bytes, p0.pinned_bytes);

	/* 5000 bytes from 100 bytes before a page end: 3 pages. */
	mem = map_anon(4 * 4096);
	addr = mem + 4096 - 100;
	ck_assert_int_eq(pindio_buf_register(a, addr, 5000, 0, &ba), 0);
	ck_assert_int_eq(vmpin_kb(), v0 + 12);
	ASSERT_AGREE(a);
	buf_info(ba, &bi);
	ck_assert_ptr_eq(bi.addr, addr);
	ck_assert_uint_eq(bi.len, 5000);
	ck_assert_uint_eq(bi.pinned_len, 5000);
	ck_assert_uint_eq(bi.charged_pages, 3);
	ck_assert_uint_eq(bi.pages, 3);
	ck_assert_uint_eq(bi.page_size, 4096);
	ck_assert_uint_eq(bi.backing, PINDIO_BACKING_ANON);
	ck_assert_int_eq(bi.lib_owned, 0);
	ck_assert_int_eq(bi.shared, 0);

	/* The same memory in another ring: charged again. */
	ck_assert_int_eq(pindio_buf_register(b, addr, 5000, 0, &bb), 0);
	ck_assert_int_eq(vmpin_kb(), v0 + 24);
	ASSERT_AGREE(b);
	buf_info(bb, &bi);
	ck_assert_uint_eq(bi.charged_pages, 3);

	ctx_stats(a, &sa);
	ctx_stats(b, &sb);
	ck_assert_uint_eq(sa.pinned_bytes, 3 * 4096);
	ck_assert_uint_eq(sa.pinned_pages, 3);
	ck_assert_uint_eq(sa.peak_bytes, 3 * 4096);
	ck_assert_uint_eq(sa.shared_bytes, 0);
	ck_assert_uint_eq(sa.registrations, 1);
	ck_assert_uint_eq(sa.releases, 0);
	ck_assert_uint_eq(sa.nr_registered, 1);
	ck_assert_uint_eq(sa.nr_retiring, 0);
	ck_assert_uint_eq(sa.nr_released, 0);
	ck_assert_uint_eq(sa.nr_contexts, 1);
	ck_assert_uint_eq(sa.dma_bytes, 0);
	ck_assert_uint_eq(sb.pinned_bytes, 3 * 4096);
	ck_assert_uint_eq(sb.registrations, 1);
	ck_assert_uint_eq(sb.nr_registered, 1);

	/* The process: the sums. */
	proc_stats(&p);
	ck_assert_uint_eq(p.pinned_bytes, p0.pinned_bytes + 6 * 4096);
	ck_assert_uint_eq(p.pinned_pages, p0.pinned_pages + 6);
	ck_assert_uint_ge(p.peak_bytes, p.pinned_bytes);
	ck_assert_uint_eq(p.registrations, p0.registrations + 2);
	ck_assert_uint_eq(p.releases, p0.releases);
	ck_assert_uint_eq(p.nr_registered, p0.nr_registered + 2);
	ck_assert_uint_eq(p.nr_contexts, p0.nr_contexts + 2);

	/* Released in A: RETIRING until its tag is reaped, then RELEASED. */
	ck_assert_int_eq(pindio_buf_release(ba), 0);
	ctx_stats(a, &sa);
	ck_assert_uint_eq(sa.nr_registered, 0);
	ck_assert_uint_eq(sa.nr_retiring, 1);
	ASSERT_AGREE(a);
	ck_assert_int_eq(vmpin_kb(), v0 + 12);
	ctx_stats(a, &sa);
	ck_assert_uint_eq(sa.pinned_bytes, 0);
	ck_assert_uint_eq(sa.peak_bytes, 3 * 4096);
	ck_assert_uint_eq(sa.registrations, 1);
	ck_assert_uint_eq(sa.releases, 1);
	ck_assert_uint_eq(sa.nr_retiring, 0);
	ck_assert_uint_eq(sa.nr_released, 1);	/* still referenced */
	proc_stats(&p);
	ck_assert_uint_eq(p.pinned_bytes, p0.pinned_bytes + 3 * 4096);
	ck_assert_uint_eq(p.releases, p0.releases + 1);
	ck_assert_uint_eq(p.nr_released, p0.nr_released + 1);
	ck_assert_ptr_null(pindio_buf_unref(ba));
	ctx_stats(a, &sa);
	ck_assert_uint_eq(sa.nr_released, 0);

	/* Dropping the last reference releases in B. */
	ck_assert_ptr_null(pindio_buf_unref(bb));
	ASSERT_AGREE(b);
	ck_assert_int_eq(vmpin_kb(), v0);
	ctx_stats(b, &sb);
	ck_assert_uint_eq(sb.pinned_bytes, 0);
	ck_assert_uint_eq(sb.releases, 1);
	ck_assert_uint_eq(sb.nr_registered + sb.nr_retiring + sb.nr_released,
			  0);
	proc_stats(&p);
	ck_assert_uint_eq(p.pinned_bytes, p0.pinned_bytes);
	ck_assert_uint_eq(p.releases, p0.releases + 2);
	ck_assert_uint_ge(p.peak_bytes, p0.pinned_bytes + 6 * 4096);

	ck_assert_ptr_null(pindio_ctx_unref(b));
	ck_assert_ptr_null(pindio_ctx_unref(a));
	proc_stats(&p);
	ck_assert_uint_eq(p.nr_contexts, p0.nr_contexts);
	munmap(mem, 4 * 4096);
}
END_TEST

START_TEST(test_stats_and_info_size_argument)
{
	struct pindio_ctx *ctx = test_ctx_new(4, 0);
	struct pindio_buf *buf = NULL;
	struct pindio_pin_stats st;
	struct pindio_buf_info bi;
	struct {
		struct pindio_pin_stats st;
		unsigned char tail[16];
	} big;
	struct {
		struct pindio_buf_info bi;
		unsigned char tail[16];
	} bigi;
	const size_t min = offsetof(struct pindio_pin_stats, memlock_used) +
			   sizeof(uint64_t);
	unsigned char ff[sizeof(bi)];
	size_t i;

	ck_assert_int_eq(pindio_buf_alloc(ctx, 8192, 0, &buf), 0);
	ASSERT_AGREE(ctx);

	/* Stats: below the 0.2 minimum is refused; the minimum works. */
	ck_assert_int_eq(pindio_ctx_get_pin_stats(ctx, &st, min - 1), -EINVAL);
	ck_assert_int_eq(pindio_ctx_get_pin_stats(ctx, &st, 8), -EINVAL);
	ck_assert_int_eq(pindio_ctx_get_pin_stats(ctx, &st, 0), -EINVAL);
	ck_assert_int_eq(pindio_ctx_get_pin_stats(ctx, NULL, sizeof(st)),
			 -EINVAL);
	ck_assert_int_eq(pindio_ctx_get_pin_stats(NULL, &st, sizeof(st)),
			 -EINVAL);
	ck_assert_int_eq(pindio_process_get_pin_stats(&st, min - 1), -EINVAL);
	ck_assert_int_eq(pindio_process_get_pin_stats(NULL, sizeof(st)),
			 -EINVAL);
	memset(&st, 0xff, sizeof(st));
	ck_assert_int_eq(pindio_ctx_get_pin_stats(ctx, &st, min), 0);
	ck_assert_uint_eq(st.pinned_bytes, 8192);
	ck_assert_uint_eq(st.memlock_used, st.memlock_applies ?
			  st.memlock_used : 0);
	/* A larger struct from a newer caller: the rest is zeroed. */
	memset(&big, 0xaa, sizeof(big));
	ck_assert_int_eq(pindio_ctx_get_pin_stats(ctx, &big.st, sizeof(big)),
			 0);
	ck_assert_uint_eq(big.st.pinned_bytes, 8192);
	for (i = 0; i < sizeof(big.tail); i++)
		ck_assert_uint_eq(big.tail[i], 0);
	memset(&big, 0xaa, sizeof(big));
	ck_assert_int_eq(pindio_process_get_pin_stats(&big.st, sizeof(big)), 0);
	for (i = 0; i < sizeof(big.tail); i++)
		ck_assert_uint_eq(big.tail[i], 0);

	/* Buffer info: a smaller size gets the prefix, nothing more. */
	memset(&bi, 0xff, sizeof(bi));
	memset(ff, 0xff, sizeof(ff));
	ck_assert_int_eq(pindio_buf_get_info(buf, &bi,
					     offsetof(struct pindio_buf_info,
						      pinned_len)), 0);
	ck_assert_ptr_eq(bi.addr, pindio_buf_get_addr(buf));
	ck_assert_uint_eq(bi.len, 8192);
	ck_assert_int_eq(memcmp(&bi.pinned_len, ff, sizeof(bi.pinned_len)), 0);
	ck_assert_int_eq(memcmp((char *)&bi +
				offsetof(struct pindio_buf_info, pinned_len),
				ff, sizeof(bi) -
				offsetof(struct pindio_buf_info, pinned_len)),
			 0);
	ck_assert_int_eq(pindio_buf_get_info(buf, &bi, 0), -EINVAL);
	ck_assert_int_eq(pindio_buf_get_info(buf, NULL, sizeof(bi)), -EINVAL);
	ck_assert_int_eq(pindio_buf_get_info(NULL, &bi, sizeof(bi)), -EINVAL);
	/* A larger one: the fields, and the tail left alone. */
	memset(&bigi, 0xaa, sizeof(bigi));
	ck_assert_int_eq(pindio_buf_get_info(buf, &bigi.bi, sizeof(bigi)), 0);
	ck_assert_uint_eq(bigi.bi.len, 8192);
	ck_assert_uint_eq(bigi.bi.charged_pages, 2);

	ck_assert_ptr_null(pindio_buf_unref(buf));
	ASSERT_AGREE(ctx);
	ck_assert_ptr_null(pindio_ctx_unref(ctx));
}
END_TEST

/* ==== 3. huge pages ===================================================== */

START_TEST(test_huge_alloc_charged_as_huge_pages)
{
	struct pindio_ctx *ctx = test_ctx_new(4, 0);
	struct pindio_buf *buf = NULL;
	struct pindio_buf_info bi;
	struct pindio_pin_stats st;
	uintptr_t vs = 0, ve = 0;
	long v0 = vmpin_kb(), ahp;
	int ret;

	ret = pindio_buf_alloc(ctx, 3 * MiB, PINDIO_BUF_HUGE, &buf);
	ck_assert_msg(ret == 0, "%s", pindio_ctx_last_error(ctx));
	buf_info(buf, &bi);
	ck_assert_uint_eq(bi.len, 3 * MiB);
	ck_assert_uint_eq(bi.pinned_len, 4 * MiB);
	ck_assert_uint_eq((uintptr_t)bi.addr % HUGE_SZ, 0);
	ck_assert_int_eq(bi.lib_owned, 1);
	/* Huge pages or not, the whole 4 MiB is charged. */
	ck_assert_int_eq(vmpin_kb(), v0 + 4096);
	ck_assert_uint_eq(bi.charged_pages, 1024);
	ctx_stats(ctx, &st);
	ck_assert_uint_eq(st.pinned_bytes, 4 * MiB);
	ASSERT_AGREE(ctx);

	ahp = smaps_kb((uintptr_t)bi.addr, "AnonHugePages", &vs, &ve);
	if (bi.backing & PINDIO_BACKING_HUGETLB) {
		ck_assert_uint_eq(bi.page_size, HUGE_SZ);
		ck_assert_uint_eq(bi.pages, 2);
	} else if (ahp > 0) {
		/* THP "madvise" mode: the library asked for them. */
		ck_assert_msg(bi.backing & PINDIO_BACKING_THP,
			      "%ld kB of THP back the buffer, backing 0x%x",
			      ahp, bi.backing);
		ck_assert_uint_eq(bi.page_size, HUGE_SZ);
		ck_assert_uint_eq(bi.pages, 1024 - (uint64_t)ahp / 4 +
				  (uint64_t)ahp / 2048);
	} else {
		/* The kernel gave small pages: charged the same. */
		ck_assert_uint_eq(bi.page_size, 4096);
		ck_assert_uint_eq(bi.pages, 1024);
	}
	ck_assert_ptr_null(pindio_buf_unref(buf));
	ASSERT_AGREE(ctx);
	ck_assert_int_eq(vmpin_kb(), v0);
	ck_assert_ptr_null(pindio_ctx_unref(ctx));
}
END_TEST

/* 4 MiB of caller memory, 2 MiB aligned, backed by two THPs; or NULL. */
static char *map_thp(char *why, size_t whysize)
{
	uintptr_t vs = 0, ve = 0, s;
	char *raw, *mem;
	long ahp;
	int tries;

	raw = mmap(NULL, 6 * MiB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(raw, MAP_FAILED);
	s = ((uintptr_t)raw + HUGE_SZ - 1) & ~(HUGE_SZ - 1);
	mem = (char *)s;
	if (mem > raw)
		munmap(raw, (size_t)(mem - raw));
	munmap(mem + 4 * MiB, (size_t)(raw + 6 * MiB - (mem + 4 * MiB)));
	if (madvise(mem, 4 * MiB, MADV_HUGEPAGE) < 0) {
		snprintf(why, whysize, "MADV_HUGEPAGE refused: %s",
			 strerror(errno));
		munmap(mem, 4 * MiB);
		return NULL;
	}
	memset(mem, 0x3c, 4 * MiB);
	for (tries = 0; tries < 2; tries++) {
		ahp = smaps_kb((uintptr_t)mem, "AnonHugePages", &vs, &ve);
		if (ahp == 4096 && vs == s && ve == s + 4 * MiB)
			return mem;
		/* Not at fault time (fragmented memory): ask for a collapse. */
		madvise(mem, 4 * MiB, MADV_COLLAPSE);
	}
	snprintf(why, whysize, "no transparent huge pages: AnonHugePages %ld kB of the 4096 kB mapping (mapping %#lx-%#lx)",
		 ahp, (unsigned long)vs, (unsigned long)ve);
	munmap(mem, 4 * MiB);
	return NULL;
}

/*
 * What the account got wrong, gathered so that one run shows every step
 * (the kernel's own figures are asserted at once).
 */
struct soft {
	char msg[2048];
	size_t used;
};

static void soft_fail(struct soft *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void soft_fail(struct soft *s, const char *fmt, ...)
{
	va_list ap;

	if (s->used >= sizeof(s->msg) - 1)
		return;
	va_start(ap, fmt);
	s->used += (size_t)vsnprintf(s->msg + s->used, sizeof(s->msg) - s->used,
				     fmt, ap);
	va_end(ap);
}

static void soft_charged(struct soft *s, const char *what,
			 struct pindio_buf *buf, uint64_t want)
{
	struct pindio_buf_info bi;

	buf_info(buf, &bi);
	if (bi.charged_pages != want)
		soft_fail(s, "\n  %s: the kernel charged %" PRIu64 " pages, the account %" PRIu64 " (page_size %zu, backing 0x%x);",
			  what, want, bi.charged_pages, bi.page_size,
			  bi.backing);
}

static void soft_agree(struct soft *s, struct pindio_ctx *ctx)
{
	int64_t d = 0;

	if (pindio_ctx_check_pins(ctx, &d) != 0 || d != 0)
		soft_fail(s, "\n  pindio_ctx_check_pins: %s;",
			  pindio_ctx_last_error(ctx));
}

START_TEST(test_thp_caller_memory_charged_per_huge_page)
{
	struct pindio_ctx *a, *b;
	struct pindio_buf *b1 = NULL, *b2 = NULL, *b3 = NULL;
	struct soft soft = { .used = 0 };
	long v0 = vmpin_kb();
	char why[256];
	char *mem;

	mem = map_thp(why, sizeof(why));
	if (!mem)
		SKIP_TEST("%s", why);
	a = test_ctx_new(4, 0);
	b = test_ctx_new(4, 0);

	/* 8 KiB in the middle of the first THP: the kernel charges all of it. */
	ck_assert_int_eq(pindio_buf_register(a, mem + MiB, 8192, 0, &b1), 0);
	ck_assert_int_eq(vmpin_kb(), v0 + 2048);
	soft_charged(&soft, "8 KiB inside a THP", b1, 512);
	soft_agree(&soft, a);

	/* Elsewhere in the same THP, same ring: already charged. */
	ck_assert_int_eq(pindio_buf_register(a, mem + MiB + 64 * KiB, 8192, 0,
					     &b2), 0);
	ck_assert_int_eq(vmpin_kb(), v0 + 2048);
	soft_charged(&soft, "8 KiB more in the same THP, same ring", b2, 0);
	soft_agree(&soft, a);

	/* The same THP in another ring: charged again. */
	ck_assert_int_eq(pindio_buf_register(b, mem + MiB + 128 * KiB, 8192, 0,
					     &b3), 0);
	ck_assert_int_eq(vmpin_kb(), v0 + 4096);
	soft_charged(&soft, "8 KiB of the same THP in another ring", b3, 512);
	soft_agree(&soft, b);

	ck_assert_ptr_null(pindio_buf_unref(b3));
	soft_agree(&soft, b);
	ck_assert_ptr_null(pindio_buf_unref(b2));
	soft_agree(&soft, a);
	ck_assert_ptr_null(pindio_buf_unref(b1));
	soft_agree(&soft, a);
	ck_assert_int_eq(vmpin_kb(), v0);
	ck_assert_ptr_null(pindio_ctx_unref(b));
	ck_assert_ptr_null(pindio_ctx_unref(a));
	munmap(mem, 4 * MiB);
	ck_assert_msg(soft.used == 0, "THP-backed caller memory (%s):%s",
		      "2 THPs verified in smaps before registering", soft.msg);
}
END_TEST

#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

static long read_long(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "we");
	int ret = 0;

	if (!f)
		return -errno;
	if (fprintf(f, "%ld\n", v) < 0)
		ret = -EIO;
	if (fclose(f) != 0 && !ret)
		ret = -errno;
	return ret;
}

/*
 * Set by the runner (the parent) around the hugetlb test case, so that
 * nr_hugepages is restored even when an assertion ends the test in its
 * forked process before its own restore.
 */
static long saved_nr_hugepages = -1;

static void hugetlb_save(void)
{
	saved_nr_hugepages = read_long(NR_HUGEPAGES);
}

static void hugetlb_restore(void)
{
	if (saved_nr_hugepages >= 0 &&
	    read_long(NR_HUGEPAGES) != saved_nr_hugepages)
		write_long(NR_HUGEPAGES, saved_nr_hugepages);
}

START_TEST(test_hugetlb_caller_memory_charged_per_huge_page)
{
	struct pindio_ctx *ctx;
	struct pindio_buf *buf = NULL;
	struct pindio_buf_info bi;
	long v0 = vmpin_kb(), old, now;
	char *mem;
	int ret;

	REQUIRE_ROOT();
	old = read_long(NR_HUGEPAGES);
	if (old < 0)
		SKIP_TEST("cannot read %s", NR_HUGEPAGES);
	if (old < 4) {
		ret = write_long(NR_HUGEPAGES, 4);
		now = read_long(NR_HUGEPAGES);
		if (ret < 0 || now < 1) {
			write_long(NR_HUGEPAGES, old);
			SKIP_TEST("no hugetlb pages: writing 4 to %s gave %ld pages (%s)",
				  NR_HUGEPAGES, now, ret < 0 ? strerror(-ret) : "memory too fragmented");
		}
	}
	mem = mmap(NULL, HUGE_SZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (mem == MAP_FAILED) {
		ret = errno;
		write_long(NR_HUGEPAGES, old);
		SKIP_TEST("mmap(MAP_HUGETLB, 2 MiB) failed with %ld hugetlb pages: %s",
			  read_long(NR_HUGEPAGES), strerror(ret));
	}
	memset(mem, 0x77, HUGE_SZ);

	ctx = test_ctx_new(4, 0);
	ret = pindio_buf_register(ctx, mem + 64 * KiB, 4096, 0, &buf);
	ck_assert_msg(ret == 0, "%s", pindio_ctx_last_error(ctx));
	ck_assert_int_eq(vmpin_kb(), v0 + 2048);
	buf_info(buf, &bi);
	ck_assert_uint_eq(bi.charged_pages, 512);
	ck_assert_uint_eq(bi.backing, PINDIO_BACKING_HUGETLB);
	ck_assert_uint_eq(bi.page_size, HUGE_SZ);
	ck_assert_uint_eq(bi.pages, 1);
	ASSERT_AGREE(ctx);

	ck_assert_ptr_null(pindio_buf_unref(buf));
	ASSERT_AGREE(ctx);
	ck_assert_int_eq(vmpin_kb(), v0);
	ck_assert_ptr_null(pindio_ctx_unref(ctx));
	munmap(mem, HUGE_SZ);
	ck_assert_int_eq(write_long(NR_HUGEPAGES, old), 0);
	ck_assert_int_eq(read_long(NR_HUGEPAGES), old);
}
END_TEST

/* ==== 4. refusals before the kernel ===================================== */

START_TEST(test_refusals_name_the_mapping)
{
	struct pindio_ctx *ctx;
	struct pindio_buf *buf = NULL;
	struct pindio_buf_info bi;
	char *path, real[PATH_MAX], *shared, *priv, *ro, *holed, *mfdmem;
	long v0 = vmpin_kb();
	int fd, mfd, ret;

	REQUIRE_ODIRECT();
	path = scratch_file("acct-refuse", 65536);
	ck_assert_ptr_nonnull(realpath(path, real));
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ctx = test_ctx_new(4, 0);

	/* A writable shared mapping of an ext4 file. */
	shared = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(shared, MAP_FAILED);
	shared[0] = 1;
	ck_assert_int_eq(pindio_buf_register(ctx, shared, 65536, 0, &buf),
			 -EFAULT);
	ck_assert_ptr_null(buf);
	ASSERT_ERR_HAS(ctx, real);
	ASSERT_ERR_HAS(ctx, "MAP_SHARED");
	ck_assert_int_eq(vmpin_kb(), v0);
	ASSERT_AGREE(ctx);

	/* Read-only anonymous memory. */
	ro = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(ro, MAP_FAILED);
	ck_assert_int_eq(pindio_buf_register(ctx, ro, 8192, 0, &buf), -EFAULT);
	ASSERT_ERR_HAS(ctx, "read-only");
	ck_assert_int_eq(vmpin_kb(), v0);
	ASSERT_AGREE(ctx);

	/* A hole in the middle. */
	holed = map_anon(3 * 4096);
	ck_assert_int_eq(munmap(holed + 4096, 4096), 0);
	ck_assert_int_eq(pindio_buf_register(ctx, holed, 3 * 4096, 0, &buf),
			 -EFAULT);
	ASSERT_ERR_HAS(ctx, "nothing is mapped");
	ck_assert_int_eq(vmpin_kb(), v0);
	ASSERT_AGREE(ctx);
	ck_assert_ptr_null(buf);

	/* A private mapping of the same file: allowed. */
	priv = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne(priv, MAP_FAILED);
	ret = pindio_buf_register(ctx, priv, 65536, 0, &buf);
	ck_assert_msg(ret == 0, "MAP_PRIVATE file: %d %s", ret,
		      pindio_ctx_last_error(ctx));
	ck_assert_int_eq(vmpin_kb(), v0 + 64);
	buf_info(buf, &bi);
	ck_assert_uint_ne(bi.backing & PINDIO_BACKING_FILE, 0);
	ck_assert_uint_eq(bi.charged_pages, 16);
	ASSERT_AGREE(ctx);
	ck_assert_ptr_null(pindio_buf_unref(buf));
	ASSERT_AGREE(ctx);
	ck_assert_int_eq(vmpin_kb(), v0);

	/* memfd, shared: allowed, shmem. */
	mfd = memfd_create("pindio-acct", MFD_CLOEXEC);
	ck_assert_int_ge(mfd, 0);
	ck_assert_int_eq(ftruncate(mfd, 65536), 0);
	mfdmem = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ck_assert_ptr_ne(mfdmem, MAP_FAILED);
	buf = NULL;
	ret = pindio_buf_register(ctx, mfdmem, 65536, 0, &buf);
	ck_assert_msg(ret == 0, "memfd: %d %s", ret, pindio_ctx_last_error(ctx));
	ck_assert_int_eq(vmpin_kb(), v0 + 64);
	buf_info(buf, &bi);
	ck_assert_uint_eq(bi.backing, PINDIO_BACKING_SHMEM);
	ck_assert_uint_eq(bi.charged_pages, 16);
	ASSERT_AGREE(ctx);
	ck_assert_ptr_null(pindio_buf_unref(buf));
	ASSERT_AGREE(ctx);
	ck_assert_int_eq(vmpin_kb(), v0);

	ck_assert_ptr_null(pindio_ctx_unref(ctx));
	munmap(mfdmem, 65536);
	close(mfd);
	munmap(priv, 65536);
	munmap(holed, 4096);
	munmap(holed + 2 * 4096, 4096);
	munmap(ro, 8192);
	munmap(shared, 65536);
	close(fd);
	scratch_remove(path);
}
END_TEST

/* ==== 5. MADV_DONTFORK ================================================== */

START_TEST(test_registered_memory_not_forked)
{
	struct pindio_ctx *ctx = test_ctx_new(4, 0);
	struct pindio_buf *buf = NULL, *lib = NULL;
	char *mem, *libmem;
	long v0 = vmpin_kb();

	mem = map_anon(4 * 4096);
	ck_assert_int_eq(fork_sees(mem), CHILD_MAPPED);
	ck_assert_int_eq(pindio_buf_register(ctx, mem, 4 * 4096, 0, &buf), 0);
	ck_assert_int_eq(vmpin_kb(), v0 + 16);
	ASSERT_AGREE(ctx);
	ck_assert_int_eq(fork_sees(mem), CHILD_UNMAPPED);
	ck_assert_int_eq(fork_sees(mem + 3 * 4096), CHILD_UNMAPPED);

	/* Library memory: never in a child. */
	ck_assert_int_eq(pindio_buf_alloc(ctx, 8192, 0, &lib), 0);
	ASSERT_AGREE(ctx);
	libmem = pindio_buf_get_addr(lib);
	ck_assert_int_eq(fork_sees(libmem), CHILD_UNMAPPED);

	/* Released and its tag reaped: the caller's fork behaviour is back. */
	ck_assert_int_eq(pindio_buf_release(buf), 0);
	reap_released(ctx, buf);
	ASSERT_AGREE(ctx);
	ck_assert_int_eq(vmpin_kb(), v0 + 8);
	ck_assert_int_eq(fork_sees(mem), CHILD_MAPPED);
	ck_assert_int_eq(fork_sees(mem + 3 * 4096), CHILD_MAPPED);
	/* The library buffer, still registered, still is not. */
	ck_assert_int_eq(fork_sees(libmem), CHILD_UNMAPPED);

	ck_assert_ptr_null(pindio_buf_unref(buf));
	ck_assert_ptr_null(pindio_buf_unref(lib));
	ASSERT_AGREE(ctx);
	ck_assert_ptr_null(pindio_ctx_unref(ctx));
	munmap(mem, 4 * 4096);
}
END_TEST

/*
 * The same pages registered in two contexts: releasing one must not give
 * them back to fork() while the other still pins them (a child writing
 * to a pinned page gets a copy; the device keeps the old one).
 */
START_TEST(test_dontfork_kept_while_another_context_pins)
{
	struct pindio_ctx *a = test_ctx_new(4, 0), *b = test_ctx_new(4, 0);
	struct pindio_buf *ba = NULL, *bb = NULL;
	long v0 = vmpin_kb();
	char *mem;
	int seen;

	mem = map_anon(4 * 4096);
	ck_assert_int_eq(pindio_buf_register(a, mem, 4 * 4096, 0, &ba), 0);
	ck_assert_int_eq(pindio_buf_register(b, mem, 4 * 4096, 0, &bb), 0);
	ck_assert_int_eq(vmpin_kb(), v0 + 32);
	ASSERT_AGREE(b);
	ck_assert_int_eq(fork_sees(mem), CHILD_UNMAPPED);

	ck_assert_int_eq(pindio_buf_release(ba), 0);
	reap_released(a, ba);
	ASSERT_AGREE(a);
	ck_assert_int_eq(vmpin_kb(), v0 + 16);
	seen = fork_sees(mem);

	ck_assert_ptr_null(pindio_buf_unref(ba));
	ck_assert_ptr_null(pindio_buf_unref(bb));
	ASSERT_AGREE(b);
	ck_assert_int_eq(vmpin_kb(), v0);
	ck_assert_int_eq(fork_sees(mem), CHILD_MAPPED);
	ck_assert_ptr_null(pindio_ctx_unref(b));
	ck_assert_ptr_null(pindio_ctx_unref(a));
	munmap(mem, 4 * 4096);
	/* Asserted last, so that a failure leaves nothing behind. */
	ck_assert_msg(seen == CHILD_UNMAPPED,
		      "context B still pins %p, but a child of fork() maps it again after A released its registration (region_put() gave it MADV_DOFORK)",
		      (void *)mem);
}
END_TEST

/* ==== 6. sharing between rings ========================================== */

struct pair {
	struct pindio_ctx *a, *b;
	struct pindio_file *fa, *fb;
	struct pindio_buf *lib, *caller;
	char *mem;		/* the caller's 64 KiB */
	char *path;
	struct logcap log;
};

/* A with two buffers whose file blocks 0 and 1 hold seeds 600 and 601. */
static void pair_setup(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	p->path = data_file("acct-share", 4 * IO_LEN, 600);
	p->a = test_ctx_new(4, PINDIO_CTX_DEFAULT);
	p->b = test_ctx_new(4, PINDIO_CTX_DEFAULT);
	cap_attach(p->b, &p->log);
	p->fa = open_file(p->a, p->path);
	p->fb = open_file(p->b, p->path);
	unlink(p->path);
	ck_assert_int_eq(pindio_buf_alloc(p->a, IO_LEN, 0, &p->lib), 0);
	p->mem = map_anon(IO_LEN);
	ck_assert_int_eq(pindio_buf_register(p->a, p->mem, IO_LEN, 0,
					     &p->caller), 0);
	ASSERT_AGREE(p->a);
}

/* Was the clone done by the kernel, or registered again per ring? */
static bool pair_kernel_shares(struct pair *p)
{
	return !cap_find(&p->log, "registering") &&
	       cap_find(&p->log, "by the kernel");
}

static void pair_teardown(struct pair *p)
{
	pindio_file_unref(p->fa);
	pindio_file_unref(p->fb);
	ck_assert_ptr_null(pindio_buf_unref(p->lib));
	ck_assert_ptr_null(pindio_buf_unref(p->caller));
	ck_assert_ptr_null(pindio_ctx_unref(p->b));
	ck_assert_ptr_null(pindio_ctx_unref(p->a));
	munmap(p->mem, IO_LEN);
	free(p->path);
}

START_TEST(test_clone_shares_pins_between_rings)
{
	struct pair p;
	struct pindio_buf *bufs[4], *bb;
	struct pindio_pin_stats p0, ps, sa, sb;
	struct pindio_buf_info bi, ai;
	struct rd r[2];
	long v0 = vmpin_kb(), vpinned;
	unsigned int n = 0, i;
	bool shares;
	int ret;

	REQUIRE_ODIRECT();
	pair_setup(&p);
	vpinned = vmpin_kb();
	ck_assert_int_eq(vpinned, v0 + 128);
	proc_stats(&p0);

	/* A writes the pattern from its two buffers: blocks 2 and 3. */
	fill_pattern(pindio_buf_get_addr(p.lib), IO_LEN, 602);
	fill_pattern(p.mem, IO_LEN, 603);
	ck_assert_int_eq(pindio_file_write_fixed(p.fa, p.lib, 0, IO_LEN,
						 2 * IO_LEN, NULL, NULL), 0);
	ck_assert_int_eq(pindio_file_write_fixed(p.fa, p.caller, 0, IO_LEN,
						 3 * IO_LEN, NULL, NULL), 0);
	ck_assert_int_eq(pindio_ctx_reap(p.a, 2, 5000), 2);

	ret = pindio_ctx_clone_bufs(p.b, p.a);
	ck_assert_msg(ret == 2, "clone: %d %s", ret, pindio_ctx_last_error(p.b));
	shares = pair_kernel_shares(&p);
	if (!shares) {
		/* Registered again in B: charged per ring. */
		ck_assert_msg(cap_find(&p.log, "registering"), "%s",
			      cap_all(&p.log));
		ck_assert_int_eq(vmpin_kb(), vpinned + 128);
		ASSERT_AGREE(p.b);
		pindio_buf_foreach(p.b, bb) {
			buf_info(bb, &bi);
			ck_assert_int_eq(bi.shared, 0);
			ck_assert_uint_eq(bi.charged_pages, 16);
		}
		ctx_stats(p.b, &sb);
		ck_assert_uint_eq(sb.pinned_bytes, 2 * IO_LEN);
		pair_teardown(&p);
		ck_assert_int_eq(vmpin_kb(), v0);
		return;
	}
	ck_assert_int_eq(vmpin_kb(), vpinned);
	ASSERT_AGREE(p.b);
	ctx_stats(p.a, &sa);
	ctx_stats(p.b, &sb);
	ck_assert_uint_eq(sa.pinned_bytes, 2 * IO_LEN);
	ck_assert_uint_eq(sb.pinned_bytes, 0);
	ck_assert_uint_eq(sb.shared_bytes, 2 * IO_LEN);
	ck_assert_uint_eq(sb.nr_registered, 2);
	proc_stats(&ps);
	ck_assert_uint_eq(ps.pinned_bytes, p0.pinned_bytes);
	ck_assert_uint_eq(ps.nr_contexts, p0.nr_contexts);

	/* Refusals. */
	ck_assert_int_eq(pindio_ctx_clone_bufs(p.b, p.a), -EBUSY);
	ck_assert_int_eq(pindio_ctx_clone_bufs(p.a, p.b), -EBUSY);
	ASSERT_ERR_HAS(p.a, "already has");
	ck_assert_int_eq(pindio_ctx_clone_bufs(p.a, p.a), -EINVAL);
	ASSERT_ERR_HAS(p.a, "own buffers");
	ck_assert_int_eq(pindio_ctx_clone_bufs(NULL, p.a), -EINVAL);
	ck_assert_int_eq(vmpin_kb(), vpinned);

	/* B's buffers: the same memory, charged to A. */
	pindio_buf_foreach(p.b, bb) {
		ck_assert_uint_lt(n, 4);
		bufs[n++] = bb;
	}
	ck_assert_uint_eq(n, 2);
	memset(r, 0, sizeof(r));
	for (i = 0; i < n; i++) {
		struct pindio_buf *orig;

		buf_info(bufs[i], &bi);
		orig = bi.addr == pindio_buf_get_addr(p.lib) ? p.lib : p.caller;
		buf_info(orig, &ai);
		ck_assert_ptr_eq(bi.addr, ai.addr);
		ck_assert_uint_eq(bi.len, IO_LEN);
		ck_assert_int_eq(bi.state, PINDIO_BUF_REGISTERED);
		ck_assert_int_eq(bi.shared, 1);
		ck_assert_uint_eq(bi.charged_pages, 0);
		ck_assert_int_eq(bi.lib_owned, orig == p.lib);
		ck_assert_int_eq(bi.index, ai.index);
		ck_assert_uint_eq(ai.charged_pages, 16);

		/* Read on B, into B's buffer: block 2 or 3. */
		memset(bi.addr, 0, IO_LEN);
		r[i].addr = bi.addr;
		r[i].seed = orig == p.lib ? 602 : 603;
		ret = pindio_file_read_fixed(p.fb, bufs[i], 0, IO_LEN,
					     (orig == p.lib ? 2 : 3) * IO_LEN,
					     rd_done, &r[i]);
		ck_assert_msg(ret == 0, "%s", pindio_ctx_last_error(p.b));
	}
	ck_assert_int_eq(pindio_ctx_reap(p.b, 2, 5000), 2);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(r[i].calls, 1);
		ck_assert_int_eq(r[i].res, (int)IO_LEN);
		ck_assert_msg(r[i].data_ok, "read %u on B: wrong data", i);
	}

	/* A lets go: B still pins them. */
	ck_assert_int_eq(pindio_buf_release(p.lib), 0);
	ck_assert_int_eq(pindio_buf_release(p.caller), 0);
	reap_released(p.a, p.lib);
	reap_released(p.a, p.caller);
	ck_assert_int_eq(vmpin_kb(), vpinned);
	ASSERT_AGREE(p.a);
	ctx_stats(p.a, &sa);
	ck_assert_uint_eq(sa.pinned_bytes, 0);
	ck_assert_uint_eq(sa.releases, 2);
	proc_stats(&ps);
	ck_assert_uint_eq(ps.pinned_bytes, p0.pinned_bytes);

	/* The library memory stays mapped for B and usable through it. */
	for (i = 0; i < n; i++) {
		buf_info(bufs[i], &bi);
		ck_assert_int_eq(bi.state, PINDIO_BUF_REGISTERED);
		ck_assert_ptr_eq(pindio_buf_get_addr(bufs[i]), bi.addr);
		ck_assert_msg(block_ok(bi.addr, r[i].seed),
			      "buffer %u of B lost its data", i);
		memset(bi.addr, 0, IO_LEN);
		r[i].calls = 0;
		ck_assert_int_eq(pindio_file_read_fixed(p.fb, bufs[i], 0,
							IO_LEN,
							(r[i].seed - 600) * IO_LEN,
							rd_done, &r[i]), 0);
	}
	ck_assert_int_eq(pindio_ctx_reap(p.b, 2, 5000), 2);
	for (i = 0; i < n; i++)
		ck_assert_msg(r[i].data_ok, "read %u on B after A's release", i);
	ASSERT_AGREE(p.b);

	/* B lets go: nothing is pinned any more. */
	for (i = 0; i < n; i++)
		ck_assert_int_eq(pindio_buf_release(bufs[i]), 0);
	ck_assert_int_eq(pindio_ctx_reap(p.b, 0, 0), 0);
	ck_assert_int_eq(vmpin_kb(), v0);
	ASSERT_AGREE(p.b);
	proc_stats(&ps);
	ck_assert_uint_eq(ps.pinned_bytes, p0.pinned_bytes - 2 * IO_LEN);
	ck_assert_uint_eq(ps.shared_bytes, p0.shared_bytes);
	ctx_stats(p.b, &sb);
	ck_assert_uint_eq(sb.shared_bytes, 0);
	ck_assert_uint_eq(sb.nr_registered + sb.nr_retiring + sb.nr_released, 0);
	ck_assert_ptr_null(pindio_buf_get_first(p.b));
	pair_teardown(&p);
}
END_TEST

/* ==== 7. teardown with pins outstanding ================================= */

START_TEST(test_teardown_reports_outstanding_pins)
{
	struct pair p;
	struct pindio_pin_stats p0, ps;
	struct pindio_buf *bb;
	struct rd r = { 0 };
	long v0 = vmpin_kb(), vpinned;
	const char *l;
	bool shares;
	int ret;

	REQUIRE_ODIRECT();
	pair_setup(&p);
	vpinned = vmpin_kb();
	ck_assert_int_eq(vpinned, v0 + 128);
	proc_stats(&p0);

	ret = pindio_ctx_clone_bufs(p.b, p.a);
	ck_assert_msg(ret == 2, "clone: %d %s", ret, pindio_ctx_last_error(p.b));
	shares = pair_kernel_shares(&p);
	ASSERT_AGREE(p.b);

	/* One read on B in flight into the library buffer's clone. */
	bb = pindio_buf_get_first(p.b);
	while (bb && pindio_buf_get_addr(bb) != pindio_buf_get_addr(p.lib))
		bb = pindio_buf_get_next(bb);
	ck_assert_ptr_nonnull(bb);
	memset(pindio_buf_get_addr(bb), 0, IO_LEN);
	r.addr = pindio_buf_get_addr(bb);
	r.seed = 601;
	ck_assert_int_eq(pindio_file_read_fixed(p.fb, bb, 0, IO_LEN, IO_LEN,
						rd_done, &r), 0);
	ck_assert_int_eq(pindio_ctx_submit(p.b), 1);
	ck_assert_int_eq(r.calls, 0);

	/* B goes with its buffers registered and the read in flight. */
	pindio_file_unref(p.fb);
	p.log.nr = 0;
	ck_assert_ptr_null(pindio_ctx_unref(p.b));
	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(r.res, (int)IO_LEN);
	ck_assert_msg(r.data_ok, "the read in flight at teardown: wrong data");
	l = cap_find(&p.log, "teardown");
	ck_assert_msg(l && has(l, "2 buffers still registered"),
		      "teardown log: %s", cap_all(&p.log));
	ck_assert_msg(cap_find(&p.log, "  buffer") &&
		      (!shares || cap_find(&p.log, ", shared")),
		      "no dump of the outstanding buffers: %s", cap_all(&p.log));

	/* Back to what A alone pins. */
	ck_assert_int_eq(vmpin_kb(), vpinned);
	ASSERT_AGREE(p.a);
	proc_stats(&ps);
	ck_assert_uint_eq(ps.pinned_bytes, p0.pinned_bytes);
	ck_assert_uint_eq(ps.nr_contexts, p0.nr_contexts - 1);
	ck_assert_uint_eq(ps.shared_bytes, p0.shared_bytes);
	ck_assert_uint_eq(ps.nr_registered, p0.nr_registered);
	ck_assert_uint_eq(ps.nr_retiring, p0.nr_retiring);
	ck_assert_uint_eq(ps.nr_released, p0.nr_released);

	ck_assert_ptr_null(pindio_buf_unref(p.lib));
	ck_assert_ptr_null(pindio_buf_unref(p.caller));
	ASSERT_AGREE(p.a);
	ck_assert_int_eq(vmpin_kb(), v0);
	proc_stats(&ps);
	ck_assert_uint_eq(ps.pinned_bytes, p0.pinned_bytes - 2 * IO_LEN);
	pindio_file_unref(p.fa);
	ck_assert_ptr_null(pindio_ctx_unref(p.a));
	munmap(p.mem, IO_LEN);
	free(p.path);
}
END_TEST

/* ==== 8. short-term pins ================================================ */

START_TEST(test_plain_io_counted_as_short_term_pins)
{
	struct pindio_ctx *ctx;
	struct pindio_file *file;
	struct pindio_buf *buf = NULL;
	struct pindio_pin_stats st, ps;
	struct rd r = { 0 }, rf = { 0 };
	long v0 = vmpin_kb(), vb;
	char *path;
	void *mem;

	REQUIRE_ODIRECT();
	path = data_file("acct-dma", 2 * IO_LEN, 800);
	ctx = test_ctx_new(4, PINDIO_CTX_DEFAULT);
	file = open_file(ctx, path);
	unlink(path);
	ck_assert_int_eq(posix_memalign(&mem, 4096, IO_LEN), 0);
	memset(mem, 0, IO_LEN);

	r.addr = mem;
	r.seed = 800;
	ck_assert_int_eq(pindio_file_read(file, mem, IO_LEN, 0, rd_done, &r), 0);
	ck_assert_int_eq(pindio_ctx_submit(ctx), 1);
	ctx_stats(ctx, &st);
	ck_assert_uint_eq(st.dma_bytes, IO_LEN);
	ck_assert_uint_eq(st.dma_requests, 1);
	ck_assert_uint_eq(st.dma_peak_bytes, IO_LEN);
	ck_assert_uint_eq(st.pinned_bytes, 0);
	proc_stats(&ps);
	ck_assert_uint_ge(ps.dma_bytes, IO_LEN);
	ck_assert_uint_ge(ps.dma_requests, 1);
	/* Short-term pins do not show in VmPin. */
	ck_assert_int_eq(vmpin_kb(), v0);
	ASSERT_AGREE_NOREAP();

	reap_until(ctx, &r.calls, 1);
	ck_assert_msg(r.data_ok, "plain read: wrong data");
	ctx_stats(ctx, &st);
	ck_assert_uint_eq(st.dma_bytes, 0);
	ck_assert_uint_eq(st.dma_requests, 0);
	ck_assert_uint_ge(st.dma_peak_bytes, IO_LEN);
	proc_stats(&ps);
	ck_assert_uint_eq(ps.dma_bytes, 0);
	ck_assert_uint_eq(ps.dma_requests, 0);
	ck_assert_uint_ge(ps.dma_peak_bytes, IO_LEN);
	ASSERT_AGREE(ctx);

	/* Into registered memory: a long-term pin, no DMA counted. */
	ck_assert_int_eq(pindio_buf_alloc(ctx, IO_LEN, 0, &buf), 0);
	vb = vmpin_kb();
	ck_assert_int_eq(vb, v0 + 64);
	ASSERT_AGREE(ctx);
	rf.addr = pindio_buf_get_addr(buf);
	rf.seed = 801;
	ck_assert_int_eq(pindio_file_read(file, pindio_buf_get_addr(buf), IO_LEN,
					  IO_LEN, rd_done, &rf), 0);
	ck_assert_int_eq(pindio_ctx_submit(ctx), 1);
	ctx_stats(ctx, &st);
	ck_assert_uint_eq(st.dma_bytes, 0);
	ck_assert_uint_eq(st.dma_requests, 0);
	proc_stats(&ps);
	ck_assert_uint_eq(ps.dma_bytes, 0);
	reap_until(ctx, &rf.calls, 1);
	ck_assert_msg(rf.data_ok, "registered read: wrong data");
	ctx_stats(ctx, &st);
	ck_assert_uint_eq(st.dma_bytes, 0);
	ck_assert_uint_eq(st.dma_peak_bytes, IO_LEN);
	ck_assert_int_eq(vmpin_kb(), vb);

	ck_assert_ptr_null(pindio_buf_unref(buf));
	ASSERT_AGREE(ctx);
	pindio_file_unref(file);
	ck_assert_ptr_null(pindio_ctx_unref(ctx));
	free(mem);
	free(path);
}
END_TEST

/* ==== 9. the dump ======================================================= */

/* The dump line of the buffer at @addr, in @text (lines), or NULL. */
static const char *dump_line(char *text, const void *addr, size_t len,
			     char *out, size_t size)
{
	char needle[64];
	char *l, *save = NULL;
	char copy[8192];

	/* Addresses may repeat: a released buffer's memory is reused. */
	snprintf(needle, sizeof(needle), " %p +%-10zu ", addr, len);
	snprintf(copy, sizeof(copy), "%s", text);
	for (l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (strncmp(l, "  buffer", 8) == 0 && has(l, needle)) {
			snprintf(out, size, "%s", l);
			return out;
		}
	return NULL;
}

static void check_dump(char *text, int nlines, struct pindio_ctx *ctx,
		       struct pindio_buf *bufs[3], void *addrs[3])
{
	static const char *const state[] = { "registered", "retiring",
					     "released" };
	char who[64], line[600], idx[32];
	struct pindio_buf_info bi;
	int i;

	ck_assert_msg(nlines == 5, "%d lines, want 2 summaries and 3 buffers:\n%s",
		      nlines, text);
	snprintf(who, sizeof(who), "pins context %p:", (void *)ctx);
	ck_assert_msg(has(text, who), "no context line:\n%s", text);
	ck_assert_msg(has(text, "pins process:"), "no process line:\n%s", text);
	for (i = 0; i < 3; i++) {
		buf_info(bufs[i], &bi);
		ck_assert_int_eq(bi.state, i == 0 ? PINDIO_BUF_REGISTERED :
				 i == 1 ? PINDIO_BUF_RETIRING :
					  PINDIO_BUF_RELEASED);
		ck_assert_msg(dump_line(text, addrs[i], bi.len, line,
					sizeof(line)),
			      "no line for buffer %d at %p:\n%s", i, addrs[i],
			      text);
		ck_assert_msg(has(line, state[bi.state]), "state of %d: %s", i,
			      line);
		snprintf(idx, sizeof(idx), "buffer %5d ", bi.index);
		ck_assert_msg(has(line, idx), "index %d: %s", bi.index, line);
	}
}

START_TEST(test_dump_lists_every_buffer_and_summaries)
{
	struct pindio_ctx *ctx = test_ctx_new(4, 0);
	struct pindio_buf *bufs[3] = { NULL, NULL, NULL };
	void *addrs[3];
	struct logcap cap;
	char text[8192];
	size_t n;
	int i, lines = 0;
	FILE *f;

	/* RELEASED (still referenced), RETIRING (tag not reaped), REGISTERED. */
	ck_assert_int_eq(pindio_buf_alloc(ctx, 8192, 0, &bufs[2]), 0);
	addrs[2] = pindio_buf_get_addr(bufs[2]);
	ck_assert_int_eq(pindio_buf_release(bufs[2]), 0);
	reap_released(ctx, bufs[2]);
	ASSERT_AGREE(ctx);
	ck_assert_int_eq(pindio_buf_alloc(ctx, 16384, 0, &bufs[1]), 0);
	addrs[1] = pindio_buf_get_addr(bufs[1]);
	ck_assert_int_eq(pindio_buf_release(bufs[1]), 0);
	ck_assert_int_eq(pindio_buf_alloc(ctx, 4096, 0, &bufs[0]), 0);
	addrs[0] = pindio_buf_get_addr(bufs[0]);

	f = tmpfile();
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(pindio_ctx_dump_pins(ctx, f), 0);
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	for (i = 0; text[i]; i++)
		lines += text[i] == '\n';
	check_dump(text, lines, ctx, bufs, addrs);

	/* To the log, at LOG_INFO. */
	cap_attach(ctx, &cap);
	ck_assert_int_eq(pindio_ctx_dump_pins(ctx, NULL), 0);
	text[0] = '\0';
	for (i = 0, n = 0; i < cap.nr; i++) {
		ck_assert_int_eq(cap.prio[i], LOG_INFO);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s",
				      cap.line[i]);
	}
	check_dump(text, cap.nr, ctx, bufs, addrs);
	ck_assert_int_eq(pindio_ctx_dump_pins(NULL, NULL), -EINVAL);

	/* The retiring one's tag was posted at release. */
	ASSERT_AGREE(ctx);
	for (i = 0; i < 3; i++)
		ck_assert_ptr_null(pindio_buf_unref(bufs[i]));
	ASSERT_AGREE(ctx);
	pindio_set_log_priority(ctx, LOG_ERR);
	ck_assert_ptr_null(pindio_ctx_unref(ctx));
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("account");
	TCase *tc = tcase_vmpin("account");
	TCase *huge = tcase_vmpin("hugetlb");

	tcase_add_test(tc, test_state_machine_retiring_released);
	tcase_add_test(tc, test_release_signals_past_the_cq_ring);
	tcase_add_test(tc, test_account_counts_pages_as_kernel);
	tcase_add_test(tc, test_stats_and_info_size_argument);
	tcase_add_test(tc, test_huge_alloc_charged_as_huge_pages);
	tcase_add_test(tc, test_thp_caller_memory_charged_per_huge_page);
	tcase_add_test(tc, test_refusals_name_the_mapping);
	tcase_add_test(tc, test_registered_memory_not_forked);
	tcase_add_test(tc, test_dontfork_kept_while_another_context_pins);
	tcase_add_test(tc, test_clone_shares_pins_between_rings);
	tcase_add_test(tc, test_teardown_reports_outstanding_pins);
	tcase_add_test(tc, test_plain_io_counted_as_short_term_pins);
	tcase_add_test(tc, test_dump_lists_every_buffer_and_summaries);
	suite_add_tcase(s, tc);

	/* nr_hugepages is restored by the runner even if the test dies. */
	tcase_add_unchecked_fixture(huge, hugetlb_save, hugetlb_restore);
	tcase_add_test(huge, test_hugetlb_caller_memory_charged_per_huge_page);
	suite_add_tcase(s, huge);
	return s;
}
