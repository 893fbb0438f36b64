// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * src/backend-aio.c and the backend choice in src/ctx.c: libaio asked for
 * or fallen back to, its accounting-only registration, its refusals.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "helpers.h"

#define URING_ONLY_FLAGS (PINDIO_CTX_SQPOLL | PINDIO_CTX_IOPOLL | \
			  PINDIO_CTX_DEFAULT)

START_TEST(test_explicit_libaio)
{
	struct pindio_ctx *ctx = NULL;
	unsigned int flags;

	ck_assert_int_eq(pindio_ctx_new(8, PINDIO_CTX_LIBAIO |
					   PINDIO_CTX_DEFAULT, &ctx), 0);
	ck_assert_int_eq(pindio_ctx_get_backend(ctx), PINDIO_BACKEND_LIBAIO);
	ck_assert_str_eq(pindio_backend_name(pindio_ctx_get_backend(ctx)),
			 "libaio");
	flags = pindio_ctx_get_flags(ctx);
	ck_assert_msg(flags == PINDIO_CTX_LIBAIO,
		      "flags 0x%x: the io_uring-only ones 0x%x should be gone",
		      flags, flags & URING_ONLY_FLAGS);
	/* Asked for, not fallen back to. */
	ck_assert_ptr_null(pindio_ctx_get_fallback_reason(ctx));
	ck_assert_uint_eq(pindio_ctx_get_queue_depth(ctx), 8);
	ck_assert_ptr_null(pindio_ctx_unref(ctx));
}
END_TEST

START_TEST(test_default_is_uring)
{
	struct pindio_ctx *ctx = NULL;

	ck_assert_int_eq(pindio_ctx_new(8, PINDIO_CTX_DEFAULT, &ctx), 0);
	ck_assert_int_eq(pindio_ctx_get_backend(ctx), PINDIO_BACKEND_IO_URING);
	ck_assert_str_eq(pindio_backend_name(pindio_ctx_get_backend(ctx)),
			 "io_uring");
	ck_assert_ptr_null(pindio_ctx_get_fallback_reason(ctx));
	ck_assert_ptr_null(pindio_ctx_unref(ctx));
	ck_assert_ptr_null(pindio_backend_name((enum pindio_backend)42));
}
END_TEST

START_TEST(test_libaio_bad_depth)
{
	struct pindio_ctx *ctx = (struct pindio_ctx *)0x1;

	ck_assert_int_eq(pindio_ctx_new(0, PINDIO_CTX_LIBAIO, &ctx), -EINVAL);
	ck_assert_int_eq(pindio_ctx_new(PINDIO_QUEUE_DEPTH_MAX + 1,
					PINDIO_CTX_LIBAIO, &ctx), -EINVAL);
	/* *out is written only on success. */
	ck_assert_ptr_eq(ctx, (struct pindio_ctx *)0x1);
	ck_assert_int_eq(pindio_ctx_new(1, PINDIO_CTX_LIBAIO, NULL), -EINVAL);
}
END_TEST

/* ---- io_uring forbidden by seccomp: the fallback ------------------------ */

/*
 * The forked child cannot use Check's assertions: it reports the first
 * failed check on a pipe and exits 1 (77: skip), and the test asserts on
 * that in the parent.
 */
static int report_fd = -1;

static void __attribute__((noreturn, format(printf, 3, 4)))
child_exit(int status, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	n = line ? snprintf(msg, sizeof(msg), "line %d: ", line) : 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (write(report_fd, msg, strlen(msg)) < 0)
		status = 2;
	_exit(status);
}

#define CHILD_CHECK(cond, ...) do {					\
	if (!(cond))							\
		child_exit(1, __LINE__, "(" #cond ") " __VA_ARGS__);	\
} while (0)
#define CHILD_SKIP(...)	child_exit(77, 0, __VA_ARGS__)

#if defined(__x86_64__)
#define SECCOMP_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH	AUDIT_ARCH_AARCH64
#endif

/* io_uring_setup() fails with EPERM, as under a container's profile. */
static void forbid_io_uring(void)
{
#ifdef SECCOMP_ARCH
	struct sock_filter insns[] = {
		/* Another ABI's numbers mean other calls: leave them. */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(insns) / sizeof(insns[0]),
		.filter = insns,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		CHILD_SKIP("prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		CHILD_SKIP("cannot install a seccomp filter (kernel without CONFIG_SECCOMP_FILTER, or a profile forbids it): %s",
			   strerror(errno));
#else
	CHILD_SKIP("the seccomp filter of this test knows x86_64 and aarch64 only");
#endif
}

/* stderr goes to a file; each call returns what was written since. */
static int log_fd = -1;
static off_t log_seen;

static const char *new_log(void)
{
	static char text[8192];
	ssize_t n;

	n = pread(log_fd, text, sizeof(text) - 1, log_seen);
	if (n < 0)
		n = 0;
	text[n] = '\0';
	log_seen += n;
	return text;
}

static unsigned int count_lines(const char *text, const char *needle)
{
	unsigned int n = 0;
	const char *p = text;

	while ((p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static void child_roundtrip(struct pindio_ctx *ctx, const char *path)
{
	struct pindio_buf *wb = NULL, *rb = NULL;
	struct pindio_buf_info bi;
	struct pindio_pin_stats st;
	struct test_done d = { 0, 0 };
	struct pindio_file *f = NULL;
	const size_t len = 128 * 1024;
	unsigned char *wmem, *rmem;
	int64_t diff = -1;
	long vm0;
	int ret;

	ret = pindio_file_open(ctx, path, O_RDWR, 0, &f);
	CHILD_CHECK(ret == 0, "%s", pindio_ctx_last_error(ctx));

	/* Plain buffers. */
	CHILD_CHECK(posix_memalign((void **)&wmem, 4096, len) == 0);
	CHILD_CHECK(posix_memalign((void **)&rmem, 4096, len) == 0);
	fill_pattern(wmem, len, 11);
	memset(rmem, 0, len);
	CHILD_CHECK(pindio_file_pwrite(f, wmem, len, 0) == (ssize_t)len, "%s",
		    pindio_ctx_last_error(ctx));
	CHILD_CHECK(pindio_file_pread(f, rmem, len, 0) == (ssize_t)len, "%s",
		    pindio_ctx_last_error(ctx));
	CHILD_CHECK(memcmp(wmem, rmem, len) == 0, "plain data differs");
	free(wmem);
	free(rmem);

	/* Registered buffers: accounting only, nothing pinned. */
	vm0 = vmpin_kb();
	CHILD_CHECK(pindio_buf_alloc(ctx, len, 0, &wb) == 0, "%s",
		    pindio_ctx_last_error(ctx));
	CHILD_CHECK(pindio_buf_alloc(ctx, len, 0, &rb) == 0, "%s",
		    pindio_ctx_last_error(ctx));
	CHILD_CHECK(vmpin_kb() == vm0, "VmPin %ld kB, was %ld", vmpin_kb(),
		    vm0);
	CHILD_CHECK(pindio_buf_get_info(wb, &bi, sizeof(bi)) == 0);
	CHILD_CHECK(bi.longterm == 0 && bi.charged_pages == 0,
		    "longterm %d, %llu pages charged", bi.longterm,
		    (unsigned long long)bi.charged_pages);
	CHILD_CHECK(bi.state == PINDIO_BUF_REGISTERED);
	CHILD_CHECK(pindio_ctx_get_pin_stats(ctx, &st, sizeof(st)) == 0);
	CHILD_CHECK(st.pinned_bytes == 0 && st.nr_registered == 2,
		    "%llu bytes pinned, %u registered",
		    (unsigned long long)st.pinned_bytes, st.nr_registered);
	ret = pindio_ctx_check_pins(ctx, &diff);
	CHILD_CHECK(ret == 0 && diff == 0, "check_pins %d, diff %lld: %s",
		    ret, (long long)diff, pindio_ctx_last_error(ctx));

	wmem = pindio_buf_get_addr(wb);
	rmem = pindio_buf_get_addr(rb);
	fill_pattern(wmem, len, 12);
	memset(rmem, 0, len);
	CHILD_CHECK(pindio_file_write_fixed(f, wb, 0, len, len, test_record_done,
					    &d) == 0, "%s",
		    pindio_ctx_last_error(ctx));
	CHILD_CHECK(pindio_ctx_reap(ctx, 1, 5000) == 1);
	CHILD_CHECK(d.calls == 1 && d.res == (int)len, "write_fixed: %d", d.res);
	CHILD_CHECK(pindio_file_read_fixed(f, rb, 0, len, len, test_record_done,
					   &d) == 0, "%s",
		    pindio_ctx_last_error(ctx));
	CHILD_CHECK(pindio_ctx_reap(ctx, 1, 5000) == 1);
	CHILD_CHECK(d.calls == 2 && d.res == (int)len, "read_fixed: %d", d.res);
	CHILD_CHECK(memcmp(wmem, rmem, len) == 0, "registered data differs");
	CHILD_CHECK(vmpin_kb() == vm0, "VmPin %ld kB, was %ld", vmpin_kb(),
		    vm0);
	ret = pindio_ctx_check_pins(ctx, &diff);
	CHILD_CHECK(ret == 0 && diff == 0, "check_pins %d, diff %lld", ret,
		    (long long)diff);

	CHILD_CHECK(pindio_buf_unref(wb) == NULL);
	CHILD_CHECK(pindio_buf_unref(rb) == NULL);
	pindio_file_unref(f);
	CHILD_CHECK(vmpin_kb() == vm0);
}

static void fallback_child(const char *path)
{
	struct pindio_ctx *ctx = NULL, *ctx2 = NULL, *ctx3 = NULL;
	const char *reason, *log;
	FILE *tf;
	int ret;

	/* pindio_ctx_new() logs before a log function can be set. */
	tf = tmpfile();
	CHILD_CHECK(tf != NULL, "tmpfile: %s", strerror(errno));
	log_fd = fileno(tf);
	CHILD_CHECK(dup2(log_fd, 2) == 2, "dup2: %s", strerror(errno));
	forbid_io_uring();

	/* Not allowed to fall back: io_uring_setup's EPERM, logged. */
	unsetenv("PINDIO_LOG");
	ret = pindio_ctx_new(8, PINDIO_CTX_DEFAULT | PINDIO_CTX_NO_FALLBACK,
			     &ctx);
	CHILD_CHECK(ret == -EPERM, "NO_FALLBACK gave %d (%s)", ret,
		    strerror(-ret));
	CHILD_CHECK(ctx == NULL);
	log = new_log();
	CHILD_CHECK(strstr(log, "seccomp") && strstr(log, "NO_FALLBACK"),
		    "log: \"%s\"", log);

	/* The first fallback of the process: one warning, nothing else. */
	setenv("PINDIO_LOG", "warning", 1);
	ret = pindio_ctx_new(8, PINDIO_CTX_DEFAULT, &ctx);
	CHILD_CHECK(ret == 0, "pindio_ctx_new: %s", strerror(-ret));
	log = new_log();
	CHILD_CHECK(count_lines(log, "\n") == 1 &&
		    count_lines(log, "using libaio instead:") == 1,
		    "want one warning; log: \"%s\"", log);
	CHILD_CHECK(pindio_ctx_get_backend(ctx) == PINDIO_BACKEND_LIBAIO);
	reason = pindio_ctx_get_fallback_reason(ctx);
	CHILD_CHECK(reason && strstr(reason, "seccomp"), "reason \"%s\"",
		    reason ? reason : "(null)");
	CHILD_CHECK(strstr(log, reason), "the warning does not give the reason \"%s\": \"%s\"",
		    reason, log);
	CHILD_CHECK(pindio_ctx_get_flags(ctx) == PINDIO_CTX_LIBAIO,
		    "flags 0x%x", pindio_ctx_get_flags(ctx));

	/* The second: below LOG_WARNING, so not shown at "warning"... */
	ret = pindio_ctx_new(8, PINDIO_CTX_DEFAULT, &ctx2);
	CHILD_CHECK(ret == 0, "second pindio_ctx_new: %s", strerror(-ret));
	log = new_log();
	CHILD_CHECK(!*log, "second fallback logged at LOG_WARNING or above: \"%s\"",
		    log);
	CHILD_CHECK(pindio_ctx_get_backend(ctx2) == PINDIO_BACKEND_LIBAIO);
	CHILD_CHECK(pindio_ctx_get_fallback_reason(ctx2) != NULL);
	/* ...but at "info". */
	setenv("PINDIO_LOG", "info", 1);
	ret = pindio_ctx_new(8, PINDIO_CTX_DEFAULT, &ctx3);
	CHILD_CHECK(ret == 0, "third pindio_ctx_new: %s", strerror(-ret));
	log = new_log();
	CHILD_CHECK(count_lines(log, "using libaio instead\n") == 1,
		    "want the fallback at LOG_INFO: \"%s\"", log);
	CHILD_CHECK(!strstr(log, "using libaio instead:"),
		    "the warning again: \"%s\"", log);
	unsetenv("PINDIO_LOG");
	pindio_ctx_unref(ctx3);
	pindio_ctx_unref(ctx2);

	child_roundtrip(ctx, path);
	CHILD_CHECK(pindio_ctx_unref(ctx) == NULL);
	_exit(0);
}

/*
 * io_uring_setup() forbidden by a seccomp filter, as container runtimes'
 * default profiles do: contexts fall back to libaio, say why, warn once,
 * and move data byte-exactly, registered buffers included.
 */
START_TEST(test_seccomp_fallback)
{
	char msg[2048];
	int pfd[2], status;
	ssize_t n, got = 0;
	char *path;
	pid_t pid;

	REQUIRE_ODIRECT();
	path = scratch_file("fallback", 1 << 20);
	ck_assert_int_eq(pipe(pfd), 0);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(pfd[0]);
		report_fd = pfd[1];
		fallback_child(path);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], msg + got, sizeof(msg) - 1 - (size_t)got)) > 0)
		got += n;
	msg[got] = '\0';
	close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	scratch_remove(path);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		SKIP_TEST("%s", msg);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child (status 0x%x): %s", status, msg);
}
END_TEST

/* ---- registration on libaio is accounting only -------------------------- */

struct acct_check {
	struct pindio_buf *buf;
	const unsigned char *want;
	size_t len;
	int res;
	int calls;
	int state;		/* the buffer's, as the callback saw it */
	bool mapped;
	bool same;
};

/* Whether [addr, +len) is mapped: mincore() says ENOMEM where it is not. */
static bool is_mapped(const void *addr, size_t len)
{
	unsigned char vec[256];

	ck_assert_uint_le(len / 4096, sizeof(vec));
	return mincore((void *)addr, len, vec) == 0;
}

static void acct_done(void *data, int res)
{
	struct acct_check *c = data;
	struct pindio_buf_info bi;
	const void *mem = pindio_buf_get_addr(c->buf);

	c->res = res;
	c->calls++;
	pindio_buf_get_info(c->buf, &bi, sizeof(bi));
	c->state = bi.state;
	c->mapped = is_mapped(mem, c->len);
	c->same = c->mapped && memcmp(mem, c->want, c->len) == 0;
}

static void pin_stats(struct pindio_ctx *ctx, struct pindio_pin_stats *st)
{
	ck_assert_int_eq(pindio_ctx_get_pin_stats(ctx, st, sizeof(*st)), 0);
}

START_TEST(test_libaio_accounting)
{
	struct acct_check c = { 0 };
	struct pindio_pin_stats st;
	struct pindio_buf_info bi;
	struct pindio_buf *buf = NULL;
	struct pindio_file *f = NULL;
	struct pindio_ctx *ctx;
	const size_t len = 65536;
	unsigned char *mem, *want;
	int64_t diff = -1;
	long before;
	char *path;

	REQUIRE_ODIRECT();
	path = scratch_file("aio-acct", 1 << 20);
	ctx = test_ctx_new(8, PINDIO_CTX_LIBAIO);
	ck_assert_int_eq(pindio_file_open(ctx, path, O_RDWR, 0, &f), 0);
	unlink(path);

	before = vmpin_kb();
	ck_assert_int_eq(pindio_buf_alloc(ctx, 4 * len, 0, &buf), 0);
	ck_assert_int_eq(vmpin_kb(), before);
	pin_stats(ctx, &st);
	ck_assert_uint_eq(st.pinned_bytes, 0);
	ck_assert_uint_eq(st.pinned_pages, 0);
	ck_assert_uint_eq(st.nr_registered, 1);
	ck_assert_uint_eq(st.dma_requests, 0);
	/* Nor is the AIO ring charged to RLIMIT_MEMLOCK. */
	ck_assert_uint_eq(st.memlock_used, 0);
	ck_assert_int_eq(pindio_buf_get_info(buf, &bi, sizeof(bi)), 0);
	ck_assert_int_eq(bi.longterm, 0);
	ck_assert_uint_eq(bi.charged_pages, 0);
	ck_assert_int_eq(bi.state, PINDIO_BUF_REGISTERED);
	ck_assert_int_eq(bi.lib_owned, 1);
	ck_assert_int_eq(pindio_ctx_check_pins(ctx, &diff), 0);
	ck_assert_int_eq(diff, 0);

	mem = pindio_buf_get_addr(buf);
	want = malloc(len);
	fill_pattern(want, len, 21);
	memcpy(mem, want, len);
	ck_assert_int_eq(pindio_file_pwrite(f, mem, len, 0), (ssize_t)len);
	memset(mem, 0, len);

	/* A request on the registered buffer is a short-term pin. */
	c.buf = buf;
	c.want = want;
	c.len = len;
	ck_assert_int_eq(pindio_file_read_fixed(f, buf, 0, len, 0, acct_done,
						&c), 0);
	pin_stats(ctx, &st);
	ck_assert_uint_eq(st.dma_bytes, len);
	ck_assert_uint_eq(st.dma_requests, 1);
	ck_assert_int_eq(pindio_ctx_submit(ctx), 1);
	pin_stats(ctx, &st);
	ck_assert_uint_eq(st.dma_bytes, len);
	ck_assert_uint_eq(st.pinned_bytes, 0);

	/* Released with the request in flight: retiring until it is done. */
	ck_assert_int_eq(pindio_buf_release(buf), 0);
	ck_assert_int_eq(pindio_buf_get_info(buf, &bi, sizeof(bi)), 0);
	ck_assert_int_eq(bi.state, PINDIO_BUF_RETIRING);
	ck_assert_uint_eq(bi.inflight, 1);
	ck_assert(is_mapped(mem, 4 * len));
	ck_assert_int_eq(pindio_ctx_reap(ctx, 1, 5000), 1);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_int_eq(c.res, (int)len);
	/* The callback ran with the memory mapped and the data in it. */
	ck_assert_int_eq(c.state, PINDIO_BUF_RETIRING);
	ck_assert(c.mapped);
	ck_assert_msg(c.same, "data read into the released buffer differs");
	/* Then the buffer was gone, and its memory with it. */
	ck_assert_int_eq(pindio_buf_get_info(buf, &bi, sizeof(bi)), 0);
	ck_assert_int_eq(bi.state, PINDIO_BUF_RELEASED);
	ck_assert_uint_eq(bi.inflight, 0);
	ck_assert(!is_mapped(mem, 4 * len));
	pin_stats(ctx, &st);
	ck_assert_uint_eq(st.dma_bytes, 0);
	ck_assert_uint_eq(st.dma_requests, 0);
	ck_assert_uint_eq(st.dma_peak_bytes, len);
	ck_assert_uint_eq(st.nr_released, 1);
	ck_assert_uint_eq(st.releases, 1);
	ck_assert_ptr_null(pindio_buf_unref(buf));
	ck_assert_int_eq(pindio_ctx_check_pins(ctx, &diff), 0);
	ck_assert_int_eq(diff, 0);
	ck_assert_int_eq(vmpin_kb(), before);

	free(want);
	pindio_file_unref(f);
	ck_assert_ptr_null(pindio_ctx_unref(ctx));
	free(path);
}
END_TEST

/* ---- splice ------------------------------------------------------------- */

/*
 * libaio has no splice.  NOTE: in a tree where src/splice.c is still the
 * placeholder (it returns -ENOSYS for everything), this test fails; it
 * passes once the splice implementation checks queue_splice == NULL.
 */
START_TEST(test_splice_on_libaio)
{
	struct pindio_file *f = NULL;
	struct test_done d = { 0, 0 };
	struct pindio_ctx *ctx;
	char *path;
	int p[2];

	REQUIRE_ODIRECT();
	path = scratch_file("aio-splice", 1 << 20);
	ctx = test_ctx_new(8, PINDIO_CTX_LIBAIO);
	ck_assert_int_eq(pindio_file_open(ctx, path, O_RDONLY, 0, &f), 0);
	unlink(path);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(pindio_file_splice(f, 0, p[1], PINDIO_SPLICE_NO_OFFSET,
					    4096, test_record_done, &d),
			 -EOPNOTSUPP);
	ck_assert_int_eq(pindio_file_splice_sync(f, 0, p[1],
						 PINDIO_SPLICE_NO_OFFSET, 4096),
			 -EOPNOTSUPP);
	ck_assert_uint_eq(pindio_ctx_get_inflight(ctx), 0);
	ck_assert_int_eq(pindio_ctx_reap(ctx, 1, 0), 0);
	ck_assert_int_eq(d.calls, 0);
	close(p[0]);
	close(p[1]);
	pindio_file_unref(f);
	ck_assert_ptr_null(pindio_ctx_unref(ctx));
	free(path);
}
END_TEST

/* ---- io_submit() refusals ----------------------------------------------- */

/*
 * io_submit() refuses a request whose descriptor cannot do it: it takes
 * the requests before it and returns -EBADF for it.  That request
 * completes with -EBADF through its callback, at the next reap as
 * io_uring's would, and the rest of the batch still runs.  Two ways to
 * be refused: a write on a file open read-only, and a descriptor that is
 * an O_PATH one (fget() does not give it to AIO).
 */
START_TEST(test_submit_refusal)
{
	struct pindio_file *rw = NULL, *ro = NULL, *opath = NULL;
	struct test_done d[6];
	struct pindio_ctx *ctx;
	char *path;
	unsigned char *mem;
	int fd, i;

	REQUIRE_ODIRECT();
	path = scratch_file("aio-refuse", 1 << 20);
	ctx = test_ctx_new(8, PINDIO_CTX_LIBAIO);
	ck_assert_int_eq(pindio_file_open(ctx, path, O_RDWR, 0, &rw), 0);
	ck_assert_int_eq(pindio_file_open(ctx, path, O_RDONLY, 0, &ro), 0);
	ck_assert_int_eq(pindio_file_open(ctx, path, O_RDONLY, 0, &opath), 0);
	/* The library's descriptor becomes an O_PATH one behind its back. */
	fd = open(path, O_PATH | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup3(fd, pindio_file_get_fd(opath), O_CLOEXEC),
			 pindio_file_get_fd(opath));
	close(fd);
	unlink(path);

	ck_assert_int_eq(posix_memalign((void **)&mem, 4096, 6 * 4096), 0);
	fill_pattern(mem, 6 * 4096, 3);
	memset(d, 0, sizeof(d));
	/* Refused ones first, in the middle and last in one batch. */
	ck_assert_int_eq(pindio_file_write(ro, mem, 4096, 0, test_record_done,
					   &d[0]), 0);
	ck_assert_int_eq(pindio_file_write(rw, mem + 4096, 4096, 4096,
					   test_record_done, &d[1]), 0);
	ck_assert_int_eq(pindio_file_read(opath, mem + 2 * 4096, 4096, 0,
					  test_record_done, &d[2]), 0);
	ck_assert_int_eq(pindio_file_write(rw, mem + 3 * 4096, 4096, 8192,
					   test_record_done, &d[3]), 0);
	ck_assert_int_eq(pindio_file_read(ro, mem + 4 * 4096, 4096, 4096,
					  test_record_done, &d[4]), 0);
	ck_assert_int_eq(pindio_file_write(ro, mem + 5 * 4096, 4096, 0,
					   test_record_done, &d[5]), 0);
	/* Every request left the queue; no callback runs inside submit. */
	ck_assert_int_eq(pindio_ctx_submit(ctx), 6);
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(d[i].calls, 0);
	ck_assert_uint_eq(pindio_ctx_get_inflight(ctx), 6);
	ck_assert_int_eq(pindio_ctx_reap(ctx, 6, 5000), 6);
	ck_assert_uint_eq(pindio_ctx_get_inflight(ctx), 0);
	for (i = 0; i < 6; i++)
		ck_assert_msg(d[i].calls == 1, "request %d: %d calls", i,
			      d[i].calls);
	ck_assert_int_eq(d[0].res, -EBADF);
	ck_assert_int_eq(d[1].res, 4096);
	ck_assert_int_eq(d[2].res, -EBADF);
	ck_assert_int_eq(d[3].res, 4096);
	ck_assert_int_eq(d[4].res, 4096);
	ck_assert_int_eq(d[5].res, -EBADF);
	/* The writes that ran did land. */
	ck_assert_int_eq(pindio_file_pread(rw, mem, 4096, 4096), 4096);
	ck_assert_int_eq(memcmp(mem, mem + 4096, 4096), 0);

	/* Reaping submits too, and the synchronous helpers see the errno. */
	memset(d, 0, sizeof(d));
	ck_assert_int_eq(pindio_file_write(ro, mem, 4096, 0, test_record_done,
					   &d[0]), 0);
	ck_assert_int_eq(pindio_ctx_reap(ctx, 1, 5000), 1);
	ck_assert_int_eq(d[0].calls, 1);
	ck_assert_int_eq(d[0].res, -EBADF);
	ck_assert_int_eq(pindio_file_pread(opath, mem, 4096, 0), -EBADF);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(ctx), "read"));
	ck_assert_int_eq(pindio_file_pread(rw, mem, 4096, 8192), 4096);
	ck_assert_int_eq(memcmp(mem, mem + 3 * 4096, 4096), 0);

	free(mem);
	pindio_file_unref(opath);
	pindio_file_unref(ro);
	pindio_file_unref(rw);
	ck_assert_ptr_null(pindio_ctx_unref(ctx));
	free(path);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("backend");
	TCase *tc = tcase_vmpin("backend");

	tcase_add_test(tc, test_explicit_libaio);
	tcase_add_test(tc, test_default_is_uring);
	tcase_add_test(tc, test_libaio_bad_depth);
	tcase_add_test(tc, test_seccomp_fallback);
	tcase_add_test(tc, test_libaio_accounting);
	tcase_add_test(tc, test_splice_on_libaio);
	tcase_add_test(tc, test_submit_refusal);
	suite_add_tcase(s, tc);
	return s;
}
