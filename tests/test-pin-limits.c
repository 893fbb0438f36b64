// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pin account at its limits: the RLIMIT_MEMLOCK prediction of a
 * process without CAP_IPC_LOCK, what CAP_IPC_LOCK and an unlimited limit
 * change, two threads registering, releasing and doing I/O at once (on
 * buffers of their own, then on buffers one shares with the other), and
 * the per-ring fallback of pindio_ctx_clone_bufs() when the kernel
 * refuses IORING_REGISTER_CLONE_BUFFERS, and what the callback of a read
 * into a buffer released meanwhile may still look at.
 *
 * What changes the process's credentials, limits or seccomp filter runs
 * in a child (fork()), which reports through a pipe and its exit status:
 * 0 passed, 77 skipped, anything else failed, the pipe saying why.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "helpers.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define KIB		1024UL
#define MIB		(1024UL * 1024)
#define NOBODY		65534
/* IORING_REGISTER_CLONE_BUFFERS (Linux 6.13 uapi); liburing 2.3 lacks it. */
#define REGISTER_CLONE_BUFFERS	30

/* ---- children ------------------------------------------------------------ */

static int child_fd = -1;	/* the child's end of the report pipe */

static void child_write(const char *fmt, va_list ap)
{
	char msg[2048];
	ssize_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = write(child_fd, msg, strlen(msg));
	(void)n;
}

/* End the child: 0 passed, 77 skipped (@fmt is the reason), 1 failed. */
static void __attribute__((noreturn, format(printf, 2, 3)))
child_exit(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	child_write(fmt, ap);
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	_exit(code);
}

static void __attribute__((noreturn, format(printf, 3, 4)))
child_fail(int line, const char *cond, const char *fmt, ...)
{
	char head[512];
	va_list ap;
	ssize_t n;

	snprintf(head, sizeof(head), "line %d: %s failed: ", line, cond);
	n = write(child_fd, head, strlen(head));
	(void)n;
	va_start(ap, fmt);
	child_write(fmt, ap);
	va_end(ap);
	fflush(stdout);
	_exit(1);
}

/* ck_assert_msg() for a child, which Check does not know about. */
#define CCHECK(cond, ...) do {						\
	if (!(cond))							\
		child_fail(__LINE__, #cond, __VA_ARGS__);		\
} while (0)

/* A check whose failure is reported at the end: the child goes on. */
static char child_soft[2048];

static void __attribute__((format(printf, 3, 4)))
child_soft_fail(int line, const char *cond, const char *fmt, ...)
{
	size_t used = strlen(child_soft);
	va_list ap;

	snprintf(child_soft + used, sizeof(child_soft) - used,
		 "%sline %d: %s failed: ", used ? "; " : "", line, cond);
	used = strlen(child_soft);
	va_start(ap, fmt);
	vsnprintf(child_soft + used, sizeof(child_soft) - used, fmt, ap);
	va_end(ap);
}

#define CSOFT(cond, ...) do {						\
	if (!(cond))							\
		child_soft_fail(__LINE__, #cond, __VA_ARGS__);		\
} while (0)

/* Run @fn in a child; its exit status, its report in @msg. */
static int run_child(void (*fn)(void *), void *arg, char *msg, size_t size)
{
	size_t used = 0;
	int p[2], status;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		child_fd = p[1];
		fn(arg);
		if (child_soft[0])
			child_exit(1, "%s", child_soft);
		child_exit(0, "%s", "");
	}
	close(p[1]);
	while (used + 1 < size &&
	       (n = read(p[0], msg + used, size - used - 1)) > 0)
		used += (size_t)n;
	msg[used] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status)) {
		snprintf(msg + used, size - used, "%skilled by signal %d (%s)",
			 used ? "; " : "", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

#define RUN_CHILD(fn, arg) do {						\
	char msg_[4096];						\
	int st_ = run_child(fn, arg, msg_, sizeof(msg_));		\
	if (st_ == 77)							\
		SKIP_TEST("%s", msg_);					\
	ck_assert_msg(st_ == 0, "child exited %d: %s", st_, msg_);	\
} while (0)

static bool has_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return data[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap);
}

/* Become nobody, without CAP_IPC_LOCK; skip the test when impossible. */
static void drop_to_nobody(void)
{
	if (geteuid() == 0) {
		if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 ||
		    setuid(NOBODY) < 0)
			child_exit(77, "cannot become uid %d (nobody) to lose CAP_IPC_LOCK: %s",
				   NOBODY, strerror(errno));
	}
	if (has_cap(CAP_IPC_LOCK))
		child_exit(77, "uid %u still has CAP_IPC_LOCK: RLIMIT_MEMLOCK does not apply",
			   (unsigned int)getuid());
}

static int set_memlock(rlim_t cur, rlim_t max)
{
	struct rlimit rl = { .rlim_cur = cur, .rlim_max = max };

	return setrlimit(RLIMIT_MEMLOCK, &rl);
}

static char child_log[16384];
static size_t child_log_len;

/* Keep every message of the child's contexts (for the log assertions). */
static void collect_log(void *data, int priority, const char *file, int line,
			const char *fn, const char *format, va_list args)
{
	int n;

	(void)data; (void)priority; (void)file; (void)line; (void)fn;
	if (child_log_len + 1 >= sizeof(child_log))
		return;
	n = vsnprintf(child_log + child_log_len,
		      sizeof(child_log) - child_log_len, format, args);
	if (n > 0)
		child_log_len += (size_t)n;
	if (child_log_len >= sizeof(child_log))
		child_log_len = sizeof(child_log) - 1;
}

static struct pindio_ctx *child_ctx_new(unsigned int depth)
{
	struct pindio_ctx *ctx = NULL;
	int ret;

	ret = pindio_ctx_new(depth, PINDIO_CTX_DEFAULT, &ctx);
	if (ret == -EPERM || ret == -ENOSYS)
		child_exit(77, "uid %u may not create an io_uring ring: %s",
			   (unsigned int)getuid(), strerror(-ret));
	CCHECK(ret == 0, "pindio_ctx_new: %s", strerror(-ret));
	pindio_set_log_fn(ctx, collect_log, NULL);
	return ctx;
}

static struct pindio_pin_stats ctx_stats(struct pindio_ctx *ctx)
{
	struct pindio_pin_stats st;

	memset(&st, 0xff, sizeof(st));
	CCHECK(pindio_ctx_get_pin_stats(ctx, &st, sizeof(st)) == 0, "%s", "");
	return st;
}

static bool kernel_refused(struct pindio_ctx *ctx)
{
	return strstr(pindio_ctx_last_error(ctx), "the kernel refused") != NULL;
}

/*
 * pindio_buf_alloc() that is expected to fit.  The kernel compares the
 * user's locked_vm, which also holds the rings of processes of the same
 * user that have exited but whose ring memory is freed asynchronously:
 * only a refusal by the kernel is retried, never one of pindio's.
 */
static int kernel_retries;

static int alloc_expect_room(struct pindio_ctx *ctx, size_t len,
			     struct pindio_buf **out)
{
	int ret, i;

	for (i = 0;; i++) {
		ret = pindio_buf_alloc(ctx, len, 0, out);
		if (ret != -ENOMEM || !kernel_refused(ctx) || i == 100)
			return ret;
		kernel_retries++;
		usleep(20000);
	}
}

/* ---- 1. the memlock prediction, without CAP_IPC_LOCK --------------------- */

static void memlock_prediction_child(void *arg)
{
	struct pindio_buf *b256 = NULL, *b512 = NULL, *bx = NULL, *edge = NULL,
			  *page = NULL, *again = NULL;
	struct pindio_pin_stats st;
	struct pindio_ctx *ctx;
	const char *msg;
	long vm;
	int ret;

	(void)arg;
	drop_to_nobody();
	CCHECK(set_memlock(1 * MIB, 1 * MIB) == 0, "setrlimit: %s",
	       strerror(errno));

	/* Depth 8: the kernel charges 2 pages of ring memory. */
	ctx = child_ctx_new(8);
	st = ctx_stats(ctx);
	CCHECK(st.memlock_applies == 1, "memlock_applies %d", st.memlock_applies);
	CCHECK(st.memlock_limit == 1 * MIB, "memlock_limit %llu",
	       (unsigned long long)st.memlock_limit);
	CCHECK(st.memlock_used == 8 * KIB, "memlock_used %llu",
	       (unsigned long long)st.memlock_used);

	ret = alloc_expect_room(ctx, 256 * KIB, &b256);
	CCHECK(ret == 0, "256 KiB: %s", pindio_ctx_last_error(ctx));
	ret = alloc_expect_room(ctx, 512 * KIB, &b512);
	CCHECK(ret == 0, "512 KiB: %s", pindio_ctx_last_error(ctx));
	st = ctx_stats(ctx);
	CCHECK(st.memlock_used == 776 * KIB, "memlock_used %llu",
	       (unsigned long long)st.memlock_used);

	/* 776 + 512 > 1024: pindio refuses, the kernel is not asked. */
	vm = vmpin_kb();
	ret = pindio_buf_alloc(ctx, 512 * KIB, 0, &bx);
	msg = pindio_ctx_last_error(ctx);
	printf("memlock refusal as a user sees it: %s\n", msg);
	fflush(stdout);
	CCHECK(ret == -ENOMEM, "512 KiB more gave %d: %s", ret, msg);
	CCHECK(bx == NULL, "%s", "*out written on failure");
	CCHECK(!kernel_refused(ctx), "the kernel was asked: %s", msg);
	CCHECK(strstr(msg, "would pin 512 KiB more"), "%s", msg);
	CCHECK(strstr(msg, "RLIMIT_MEMLOCK is 1024 KiB"), "%s", msg);
	CCHECK(strstr(msg, "pindio has 776 KiB charged"), "%s", msg);
	CCHECK(strstr(msg, "768 KiB pinned, 8 KiB of ring memory"), "%s", msg);
	CCHECK(strstr(msg, "ulimit -l"), "%s", msg);
	CCHECK(vmpin_kb() == vm, "VmPin moved from %ld to %ld kB", vm,
	       vmpin_kb());
	st = ctx_stats(ctx);
	CCHECK(st.nr_registered == 2 && st.memlock_used == 776 * KIB,
	       "%u buffers, %llu bytes used after a refusal",
	       st.nr_registered, (unsigned long long)st.memlock_used);

	/* The prediction is exact: 1024 - 8 - 768 = 248 KiB still fits. */
	ret = alloc_expect_room(ctx, 248 * KIB, &edge);
	CCHECK(ret == 0, "the last 248 KiB: %s", pindio_ctx_last_error(ctx));
	st = ctx_stats(ctx);
	CCHECK(st.memlock_used == 1 * MIB, "memlock_used %llu",
	       (unsigned long long)st.memlock_used);
	CCHECK(vmpin_kb() == vm + 248, "VmPin %ld kB, expected %ld",
	       vmpin_kb(), vm + 248);

	/* And one page more does not. */
	ret = pindio_buf_alloc(ctx, 4096, 0, &page);
	msg = pindio_ctx_last_error(ctx);
	CCHECK(ret == -ENOMEM, "one page over the limit gave %d: %s", ret, msg);
	CCHECK(!kernel_refused(ctx), "the kernel was asked: %s", msg);
	CCHECK(strstr(msg, "would pin 4 KiB more"), "%s", msg);
	CCHECK(strstr(msg, "pindio has 1024 KiB charged"), "%s", msg);

	/* Releasing gives the room back as soon as the tag is reaped. */
	CCHECK(pindio_buf_unref(b256) == NULL, "%s", "unref");
	CCHECK(pindio_ctx_reap(ctx, 0, 0) >= 0, "%s", "reap");
	st = ctx_stats(ctx);
	CCHECK(st.memlock_used == 768 * KIB, "memlock_used %llu after release",
	       (unsigned long long)st.memlock_used);
	ret = alloc_expect_room(ctx, 256 * KIB, &again);
	CCHECK(ret == 0, "256 KiB after a release: %s",
	       pindio_ctx_last_error(ctx));

	pindio_buf_unref(again);
	pindio_buf_unref(edge);
	pindio_buf_unref(b512);
	CCHECK(pindio_ctx_unref(ctx) == NULL, "%s", "context kept");
	CCHECK(vmpin_kb() == vm - 768, "VmPin %ld kB at the end, expected %ld",
	       vmpin_kb(), vm - 768);
	if (kernel_retries)
		printf("memlock: the kernel refused %d times first (rings of exited processes of uid %d still charged)\n",
		       kernel_retries, NOBODY);
}

START_TEST(test_memlock_prediction)
{
	RUN_CHILD(memlock_prediction_child, NULL);
}
END_TEST

/* ---- 2. CAP_IPC_LOCK, and no limit ---------------------------------------- */

static void cap_ipc_lock_child(void *arg)
{
	struct pindio_pin_stats st, ps;
	struct pindio_buf *buf = NULL;
	struct pindio_ctx *ctx;
	long vm;
	int ret;

	(void)arg;
	if (!has_cap(CAP_IPC_LOCK))
		child_exit(77, "no CAP_IPC_LOCK (uid %u)", (unsigned int)getuid());
	/* Lower than what is registered below: the capability exempts. */
	CCHECK(set_memlock(1 * MIB, 1 * MIB) == 0, "setrlimit: %s",
	       strerror(errno));
	ctx = child_ctx_new(8);
	st = ctx_stats(ctx);
	CCHECK(st.memlock_applies == 0, "memlock_applies %d", st.memlock_applies);
	CCHECK(st.memlock_limit == 1 * MIB, "memlock_limit %llu",
	       (unsigned long long)st.memlock_limit);
	CCHECK(st.memlock_used == 0, "memlock_used %llu",
	       (unsigned long long)st.memlock_used);

	vm = vmpin_kb();
	ret = pindio_buf_alloc(ctx, 4 * MIB, 0, &buf);
	CCHECK(ret == 0, "4 MiB over a 1 MiB limit with CAP_IPC_LOCK: %s",
	       pindio_ctx_last_error(ctx));
	CCHECK(vmpin_kb() == vm + 4096, "VmPin %ld kB, expected %ld",
	       vmpin_kb(), vm + 4096);
	st = ctx_stats(ctx);
	CCHECK(st.memlock_used == 0 && st.pinned_bytes == 4 * MIB,
	       "memlock_used %llu pinned %llu",
	       (unsigned long long)st.memlock_used,
	       (unsigned long long)st.pinned_bytes);
	CCHECK(pindio_process_get_pin_stats(&ps, sizeof(ps)) == 0, "%s", "");
	CCHECK(ps.memlock_applies == 0 && ps.memlock_used == 0,
	       "process: memlock_applies %d used %llu", ps.memlock_applies,
	       (unsigned long long)ps.memlock_used);
	pindio_buf_unref(buf);
	CCHECK(pindio_ctx_unref(ctx) == NULL, "%s", "context kept");
	CCHECK(vmpin_kb() == vm, "VmPin %ld kB at the end, expected %ld",
	       vmpin_kb(), vm);
}

START_TEST(test_cap_ipc_lock_exempt)
{
	RUN_CHILD(cap_ipc_lock_child, NULL);
}
END_TEST

static void unlimited_child(void *arg)
{
	struct pindio_buf *buf = NULL;
	struct pindio_pin_stats st;
	struct pindio_ctx *ctx;
	struct rlimit rl;
	long vm;
	int ret;

	(void)arg;
	/* Raising the hard limit needs root; then give the root up. */
	if (set_memlock(RLIM_INFINITY, RLIM_INFINITY) < 0) {
		CCHECK(getrlimit(RLIMIT_MEMLOCK, &rl) == 0, "%s", "getrlimit");
		if (rl.rlim_max != RLIM_INFINITY)
			child_exit(77, "cannot make RLIMIT_MEMLOCK unlimited (hard limit %llu KiB, %s): raising it needs CAP_SYS_RESOURCE",
				   (unsigned long long)rl.rlim_max / 1024,
				   strerror(errno));
		CCHECK(set_memlock(RLIM_INFINITY, RLIM_INFINITY) == 0,
		       "setrlimit: %s", strerror(errno));
	}
	drop_to_nobody();
	ctx = child_ctx_new(8);
	st = ctx_stats(ctx);
	CCHECK(st.memlock_applies == 1, "memlock_applies %d", st.memlock_applies);
	CCHECK(st.memlock_limit == UINT64_MAX, "memlock_limit %llu",
	       (unsigned long long)st.memlock_limit);
	CCHECK(st.memlock_used == 8 * KIB, "memlock_used %llu",
	       (unsigned long long)st.memlock_used);

	/* Twice the usual 8 MiB default: nothing to refuse. */
	vm = vmpin_kb();
	ret = alloc_expect_room(ctx, 16 * MIB, &buf);
	CCHECK(ret == 0, "16 MiB with no limit: %s", pindio_ctx_last_error(ctx));
	CCHECK(vmpin_kb() == vm + 16384, "VmPin %ld kB, expected %ld",
	       vmpin_kb(), vm + 16384);
	st = ctx_stats(ctx);
	CCHECK(st.memlock_used == 16 * MIB + 8 * KIB, "memlock_used %llu",
	       (unsigned long long)st.memlock_used);
	pindio_buf_unref(buf);
	CCHECK(pindio_ctx_unref(ctx) == NULL, "%s", "context kept");
	CCHECK(vmpin_kb() == vm, "VmPin %ld kB at the end, expected %ld",
	       vmpin_kb(), vm);
}

START_TEST(test_memlock_unlimited)
{
	RUN_CHILD(unlimited_child, NULL);
}
END_TEST

/* ---- 3. two threads at once ----------------------------------------------- */

#define BLK		4096U
#define FILE_BLOCKS	1024U		/* 4 MiB scratch file per thread */
#define MAX_ENTS	6
#define MAX_REQS	8
#define DEPTH		16
#define MAX_IO_BLOCKS	64U		/* 256 KiB per request at most */
#define STRESS_STEPS	60000		/* per thread; about 2 s here */
#define CLONE_STEPS	8000		/* per phase of the sharing variants */

enum ent_kind { ENT_LIB, ENT_CALLER, ENT_PLAIN, ENT_CLONE };

static const char *const kind_name[] = { "pindio_buf_alloc", "caller-registered",
					 "plain", "cloned" };

struct ent {
	enum ent_kind kind;
	char *mem;
	size_t len;
	struct pindio_buf *buf;		/* NULL for plain memory, once released */
	size_t io_off;			/* the part this thread does I/O on */
	size_t io_pages;
	uint8_t *busy;			/* per page of that part */
	unsigned int inflight;
	bool released;
	bool free_mem;			/* free(mem) once released and idle */
	struct ent *next;		/* on st->zombies */
};

struct sreq {
	struct st *st;
	struct ent *ent;
	size_t page;			/* in the entry's I/O part */
	uint32_t block, nblocks;
	bool write, used;
	const char *how;
};

/* Two threads meeting: like a pthread barrier that a failure breaks. */
struct gate {
	pthread_mutex_t m;
	pthread_cond_t c;
	unsigned int n, gen;
	bool broken;
};

struct sharing;

struct st {
	int id;
	uint64_t rng;
	int steps;
	unsigned int ctx_flags;
	void (*run)(struct st *st);
	struct sharing *sh;
	char *path;
	struct pindio_ctx *ctx;
	struct pindio_file *file;
	bool memlock_applies;

	uint32_t ver[FILE_BLOCKS];	/* version on disk (0: zeros) */
	uint32_t pending[FILE_BLOCKS];	/* version being written */
	uint8_t busy[FILE_BLOCKS];
	uint32_t next_ver;

	struct ent *ents[MAX_ENTS];
	unsigned int nr_ents;
	struct ent *zombies;		/* released, I/O still in flight */
	struct sreq reqs[MAX_REQS];
	unsigned int inflight;

	uint64_t queued, completed, verified_blocks, written_blocks;
	uint64_t registrations, releases, inflight_releases, enomem;

	int64_t ms;
	char err[1024];
	char lastlog[512];
	jmp_buf bail;
};

struct sharing {
	struct gate gate;
	struct st *origin, *clone;
	int origin_gone;		/* atomic */
	char *caller_mem[4];
	long vm_cloned;
};

static uint64_t rnd(struct st *st)
{
	/* xorshift64*: deterministic per seed */
	st->rng ^= st->rng >> 12;
	st->rng ^= st->rng << 25;
	st->rng ^= st->rng >> 27;
	return st->rng * 0x2545f4914f6cdd1dULL;
}

static unsigned int rnd_below(struct st *st, unsigned int n)
{
	return (unsigned int)((rnd(st) >> 16) % n);
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The content of file block @b at version @v (version 0: a hole). */
static void block_fill(void *mem, uint32_t b, uint32_t v)
{
	uint64_t *w = mem, seed = ((uint64_t)b << 32 | v) * 512;
	unsigned int i;

	for (i = 0; i < BLK / 8; i++)
		w[i] = v ? mix64(seed + i) : 0;
}

static int block_check(const void *mem, uint32_t b, uint32_t v,
		       uint64_t *got, uint64_t *want)
{
	const uint64_t *w = mem;
	uint64_t seed = ((uint64_t)b << 32 | v) * 512;
	unsigned int i;

	for (i = 0; i < BLK / 8; i++) {
		uint64_t e = v ? mix64(seed + i) : 0;

		if (w[i] != e) {
			*got = w[i];
			*want = e;
			return (int)i;
		}
	}
	return -1;
}

static void st_log(void *data, int priority, const char *file, int line,
		   const char *fn, const char *format, va_list args)
{
	struct st *st = data;
	size_t n;

	(void)priority; (void)file; (void)line; (void)fn;
	vsnprintf(st->lastlog, sizeof(st->lastlog), format, args);
	n = strlen(st->lastlog);
	if (n && st->lastlog[n - 1] == '\n')
		st->lastlog[n - 1] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
st_note(struct st *st, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (st->err[0])
		return;
	n = snprintf(st->err, sizeof(st->err), "thread %d: ", st->id);
	va_start(ap, fmt);
	vsnprintf(st->err + n, sizeof(st->err) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Give up on the thread: the main thread reports st->err. */
#define TFAIL(st, ...) do {						\
	st_note(st, __VA_ARGS__);					\
	longjmp((st)->bail, 1);						\
} while (0)
#define TCHECK(st, cond, fmt, ...) do {				\
	if (!(cond))							\
		TFAIL(st, "line %d: %s: " fmt, __LINE__, #cond,	\
		      ##__VA_ARGS__);					\
} while (0)

static void gate_init(struct gate *g)
{
	pthread_mutex_init(&g->m, NULL);
	pthread_cond_init(&g->c, NULL);
	g->n = g->gen = 0;
	g->broken = false;
}

static bool gate_wait(struct gate *g)
{
	unsigned int gen;
	bool ok;

	pthread_mutex_lock(&g->m);
	gen = g->gen;
	if (!g->broken && ++g->n == 2) {
		g->n = 0;
		g->gen++;
		pthread_cond_broadcast(&g->c);
	}
	while (gen == g->gen && !g->broken)
		pthread_cond_wait(&g->c, &g->m);
	ok = gen != g->gen;
	pthread_mutex_unlock(&g->m);
	return ok;
}

static void gate_break(struct gate *g)
{
	pthread_mutex_lock(&g->m);
	g->broken = true;
	pthread_cond_broadcast(&g->c);
	pthread_mutex_unlock(&g->m);
}

static bool gate_broken(struct gate *g)
{
	bool b;

	pthread_mutex_lock(&g->m);
	b = g->broken;
	pthread_mutex_unlock(&g->m);
	return b;
}

#define MEET(st) TCHECK(st, gate_wait(&(st)->sh->gate), "the other thread failed")

static void ent_finish(struct ent *e)
{
	if (e->free_mem)
		free(e->mem);
	free(e->busy);
	free(e);
}

static void zombie_del(struct st *st, struct ent *e)
{
	struct ent **p;

	for (p = &st->zombies; *p; p = &(*p)->next) {
		if (*p == e) {
			*p = e->next;
			return;
		}
	}
}

static void st_done(void *data, int res)
{
	struct sreq *q = data;
	struct st *st = q->st;
	struct ent *e = q->ent;
	char *mem = e->mem + e->io_off + q->page * BLK;
	size_t len = (size_t)q->nblocks * BLK;
	uint64_t got = 0, want = 0;
	uint32_t i;
	int w;

	st->completed++;
	if (res != (int)len) {
		st_note(st, "%s of %zu bytes at block %u (%s, %s memory) completed with %d (%s)",
			q->write ? "write" : "read", len, q->block, q->how,
			kind_name[e->kind], res, res < 0 ? strerror(-res) : "short");
	} else if (q->write) {
		for (i = 0; i < q->nblocks; i++)
			st->ver[q->block + i] = st->pending[q->block + i];
		st->written_blocks += q->nblocks;
	} else {
		for (i = 0; i < q->nblocks; i++) {
			w = block_check(mem + (size_t)i * BLK, q->block + i,
					st->ver[q->block + i], &got, &want);
			if (w >= 0) {
				st_note(st, "read of block %u (version %u) by %s into %s memory%s: word %d is %#llx, expected %#llx",
					q->block + i, st->ver[q->block + i],
					q->how, kind_name[e->kind],
					e->released ? " (released)" : "", w,
					(unsigned long long)got,
					(unsigned long long)want);
				break;
			}
		}
		st->verified_blocks += q->nblocks;
	}
	memset(&st->busy[q->block], 0, q->nblocks);
	memset(&e->busy[q->page], 0, q->nblocks);
	q->used = false;
	st->inflight--;
	if (--e->inflight == 0 && e->released) {
		zombie_del(st, e);
		ent_finish(e);
	}
}

static void st_reap(struct st *st, unsigned int min)
{
	int ret = pindio_ctx_reap(st->ctx, min, 5000);

	TCHECK(st, ret >= 0, "pindio_ctx_reap: %s", strerror(-ret));
	TCHECK(st, !min || ret > 0, "no completion in 5 s (%u in flight)",
	       st->inflight);
	if (st->err[0])
		longjmp(st->bail, 1);
}

static void st_open(struct st *st)
{
	struct pindio_pin_stats ps;
	int ret;

	ret = pindio_ctx_new(DEPTH, st->ctx_flags, &st->ctx);
	TCHECK(st, ret == 0, "pindio_ctx_new: %s", strerror(-ret));
	pindio_set_log_fn(st->ctx, st_log, st);
	ret = pindio_file_open(st->ctx, st->path, O_RDWR, 0, &st->file);
	TCHECK(st, ret == 0, "%s", pindio_ctx_last_error(st->ctx));
	TCHECK(st, pindio_file_get_mem_align(st->file) <= BLK &&
	       pindio_file_get_offset_align(st->file) <= BLK,
	       "O_DIRECT alignment %u/%u above 4 KiB",
	       pindio_file_get_mem_align(st->file),
	       pindio_file_get_offset_align(st->file));
	pindio_ctx_get_pin_stats(st->ctx, &ps, sizeof(ps));
	st->memlock_applies = ps.memlock_applies;
}

/* A new entry of @kind and @len bytes; NULL when the memlock limit says no. */
static struct ent *ent_new(struct st *st, enum ent_kind kind, size_t len)
{
	unsigned int flags = 0;
	struct ent *e;
	int ret = 0;

	e = calloc(1, sizeof(*e));
	TCHECK(st, e != NULL, "calloc");
	e->kind = kind;
	if (kind != ENT_LIB)
		len = (len + BLK - 1) & ~(size_t)(BLK - 1);
	e->len = len;
	switch (kind) {
	case ENT_LIB:
		/* Now and then 2 MiB pages, charged once per ring. */
		if (rnd_below(st, 32) == 0)
			flags = PINDIO_BUF_HUGE;
		ret = pindio_buf_alloc(st->ctx, len, flags, &e->buf);
		if (ret == 0)
			e->mem = pindio_buf_get_addr(e->buf);
		break;
	case ENT_CALLER:
	case ENT_PLAIN:
		TCHECK(st, posix_memalign((void **)&e->mem, BLK, len) == 0,
		       "posix_memalign(%zu)", len);
		e->free_mem = true;
		if (kind == ENT_CALLER)
			ret = pindio_buf_register(st->ctx, e->mem, len, 0,
						  &e->buf);
		break;
	default:
		TFAIL(st, "bad kind %d", kind);
	}
	if (ret == -ENOMEM && st->memlock_applies) {
		/* Not root: the 8 MiB default limit may be reached. */
		st->enomem++;
		if (e->free_mem)
			free(e->mem);
		free(e);
		return NULL;
	}
	TCHECK(st, ret == 0, "registering %zu bytes (%s, flags %#x): %s", len,
	       kind_name[kind], flags, pindio_ctx_last_error(st->ctx));
	if (e->buf)
		st->registrations++;
	e->io_pages = len / BLK;
	e->busy = calloc(e->io_pages + 1, 1);
	TCHECK(st, e->busy != NULL, "calloc");
	return e;
}

static void ent_add(struct st *st, struct ent *e)
{
	TCHECK(st, st->nr_ents < MAX_ENTS, "too many entries");
	st->ents[st->nr_ents++] = e;
}

static void ent_new_random(struct st *st)
{
	static const enum ent_kind kinds[] = { ENT_LIB, ENT_LIB, ENT_LIB,
					       ENT_CALLER, ENT_CALLER,
					       ENT_CALLER, ENT_PLAIN,
					       ENT_PLAIN };
	size_t len = BLK + rnd_below(st, (unsigned int)(MIB - BLK + 1));
	struct ent *e;

	e = ent_new(st, kinds[rnd_below(st, ARRAY_SIZE(kinds))], len);
	if (e)
		ent_add(st, e);
}

/* Release entry @i, whatever it has in flight. */
static void ent_release(struct st *st, unsigned int i)
{
	struct pindio_buf_info info;
	struct ent *e = st->ents[i];
	int ret;

	st->ents[i] = st->ents[--st->nr_ents];
	if (e->buf) {
		if (e->kind == ENT_CLONE || rnd_below(st, 2)) {
			ret = pindio_buf_release(e->buf);
			TCHECK(st, ret == 0, "release: %s",
			       pindio_ctx_last_error(st->ctx));
			if (e->kind != ENT_CLONE || e->inflight) {
				TCHECK(st, pindio_buf_get_info(e->buf, &info,
							       sizeof(info)) == 0,
				       "info");
				TCHECK(st, info.index == -1 &&
				       info.inflight == e->inflight,
				       "released: index %d, %u in flight, expected %u",
				       info.index, info.inflight, e->inflight);
			}
			if (e->kind == ENT_CLONE && !e->inflight) {
				/* Owned by the context: may be gone now. */
			} else {
				ret = pindio_file_read_fixed(st->file, e->buf,
							     0, BLK, 0, NULL,
							     NULL);
				TCHECK(st, ret == -ESTALE,
				       "I/O on a released buffer gave %d", ret);
			}
			/* Its library memory is unmapped soon: no plain I/O. */
			if (e->kind == ENT_LIB && e->inflight) {
				ret = pindio_file_read(st->file, e->mem, BLK, 0,
						       NULL, NULL);
				TCHECK(st, ret == -ESTALE,
				       "plain read into a retiring buffer's library memory gave %d",
				       ret);
			}
			if (e->kind != ENT_CLONE)
				TCHECK(st, pindio_buf_unref(e->buf) == NULL,
				       "unref");
		} else {
			/* The last reference releases it. */
			TCHECK(st, pindio_buf_unref(e->buf) == NULL, "unref");
		}
		e->buf = NULL;
		st->releases++;
		if (e->inflight)
			st->inflight_releases++;
	}
	e->released = true;
	if (e->inflight) {
		e->next = st->zombies;
		st->zombies = e;
	} else {
		ent_finish(e);
	}
}

static bool range_free(const uint8_t *busy, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (busy[i])
			return false;
	return true;
}

/* Queue one random read or write on a random entry. */
static void st_io(struct st *st)
{
	struct sreq *q = NULL;
	struct ent *e;
	uint32_t n, block, i;
	size_t page, len, boff;
	bool write;
	char *mem;
	int ret, how;

	if (!st->nr_ents)
		return;
	if (st->inflight >= MAX_REQS) {
		st_reap(st, 1);
		return;
	}
	for (i = 0; i < MAX_REQS; i++)
		if (!st->reqs[i].used)
			q = &st->reqs[i];
	TCHECK(st, q != NULL, "no free request with %u in flight",
	       st->inflight);
	e = st->ents[rnd_below(st, st->nr_ents)];
	if (!e->io_pages)
		return;
	n = 1 + rnd_below(st, e->io_pages < MAX_IO_BLOCKS ?
			      (unsigned int)e->io_pages : MAX_IO_BLOCKS);
	page = rnd_below(st, (unsigned int)(e->io_pages - n + 1));
	block = rnd_below(st, FILE_BLOCKS - n + 1);
	if (!range_free(&e->busy[page], n) || !range_free(&st->busy[block], n))
		return;

	write = rnd_below(st, 2);
	boff = e->io_off + page * BLK;
	mem = e->mem + boff;
	len = (size_t)n * BLK;
	if (write) {
		for (i = 0; i < n; i++) {
			st->pending[block + i] = ++st->next_ver;
			block_fill(mem + (size_t)i * BLK, block + i,
				   st->next_ver);
		}
	} else {
		memset(mem, 0xdb, len);
	}
	q->st = st;
	q->ent = e;
	q->page = page;
	q->block = block;
	q->nblocks = n;
	q->write = write;
	how = e->buf ? (int)rnd_below(st, 3) : 2;
	if (how < 2) {
		q->how = write ? "pindio_file_write_fixed" :
				 "pindio_file_read_fixed";
		ret = write ? pindio_file_write_fixed(st->file, e->buf, boff,
						      len, (uint64_t)block * BLK,
						      st_done, q) :
			      pindio_file_read_fixed(st->file, e->buf, boff,
						     len, (uint64_t)block * BLK,
						     st_done, q);
	} else {
		q->how = write ? "pindio_file_write" : "pindio_file_read";
		ret = write ? pindio_file_write(st->file, mem, len,
						(uint64_t)block * BLK, st_done,
						q) :
			      pindio_file_read(st->file, mem, len,
					       (uint64_t)block * BLK, st_done,
					       q);
	}
	TCHECK(st, ret == 0, "%s of %zu bytes from %s memory: %s", q->how,
	       len, kind_name[e->kind], pindio_ctx_last_error(st->ctx));
	q->used = true;
	memset(&st->busy[block], 1, n);
	memset(&e->busy[page], 1, n);
	e->inflight++;
	st->inflight++;
	st->queued++;
	if (rnd_below(st, 4) == 0)
		TCHECK(st, pindio_ctx_submit(st->ctx) >= 0, "submit: %s",
		       pindio_ctx_last_error(st->ctx));
}

/* One random step; @fixed_set: no entries come or go. */
static void st_step(struct st *st, bool fixed_set)
{
	unsigned int r = rnd_below(st, 100);

	if (!fixed_set && r < 8 && st->nr_ents < MAX_ENTS)
		ent_new_random(st);
	else if (!fixed_set && r < 14 && st->nr_ents > 2)
		ent_release(st, rnd_below(st, st->nr_ents));
	else if (r < 80)
		st_io(st);
	else
		st_reap(st, st->inflight >= MAX_REQS - 2 ? 1 : 0);
}

static void st_drain(struct st *st)
{
	while (st->inflight)
		st_reap(st, st->inflight);
}

/* Release what is left, wait for everything, free the context. */
static void st_finish(struct st *st)
{
	struct pindio_pin_stats ps;
	int i;

	while (st->nr_ents)
		ent_release(st, st->nr_ents - 1);
	st_drain(st);
	TCHECK(st, st->zombies == NULL, "released entries left over");
	/* The release tags follow the last completions. */
	for (i = 0; i < 200; i++) {
		st_reap(st, 0);
		pindio_ctx_get_pin_stats(st->ctx, &ps, sizeof(ps));
		if (!ps.nr_retiring)
			break;
		usleep(5000);
	}
	TCHECK(st, ps.nr_registered == 0 && ps.nr_retiring == 0 &&
	       ps.nr_released == 0 && ps.pinned_bytes == 0 &&
	       ps.dma_bytes == 0 && ps.shared_bytes == 0,
	       "context account after everything was released: %u registered, %u retiring, %u released, %llu pinned, %llu DMA, %llu shared",
	       ps.nr_registered, ps.nr_retiring, ps.nr_released,
	       (unsigned long long)ps.pinned_bytes,
	       (unsigned long long)ps.dma_bytes,
	       (unsigned long long)ps.shared_bytes);
	TCHECK(st, ps.registrations == ps.releases,
	       "%llu registrations, %llu releases",
	       (unsigned long long)ps.registrations,
	       (unsigned long long)ps.releases);
	pindio_file_unref(st->file);
	st->file = NULL;
	TCHECK(st, pindio_ctx_unref(st->ctx) == NULL, "context kept");
	st->ctx = NULL;
}

static void st_run_alone(struct st *st)
{
	int i;

	st_open(st);
	for (i = 0; i < 3; i++)
		ent_new_random(st);
	for (i = 0; i < st->steps; i++)
		st_step(st, false);
	st_finish(st);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *st_thread(void *arg)
{
	struct st *st = arg;

	st->ms = mono_ms();

	if (setjmp(st->bail)) {
		/* st->err says why; the other thread must not wait for us. */
		if (st->sh)
			gate_break(&st->sh->gate);
		return NULL;
	}
	st->run(st);
	st->ms = mono_ms() - st->ms;
	return NULL;
}

static struct st *st_new(int id, void (*run)(struct st *), int steps)
{
	struct st *st = calloc(1, sizeof(*st));

	ck_assert_ptr_nonnull(st);
	st->id = id;
	st->rng = 0x5eed0000ULL + 7919ULL * (uint64_t)id + 1;
	st->run = run;
	st->steps = steps;
	st->ctx_flags = PINDIO_CTX_DEFAULT;
	st->path = scratch_file("limits", (uint64_t)FILE_BLOCKS * BLK);
	return st;
}

static void st_assert_ok(struct st *a, struct st *b)
{
	ck_assert_msg(!a->err[0] && !b->err[0], "%s%s%s%s%s",
		      a->err, a->err[0] && b->err[0] ? "; " : "", b->err,
		      a->err[0] || b->err[0] ? "; last log: " : "",
		      b->err[0] ? b->lastlog : a->lastlog);
}

static void st_report(struct st *st)
{
	ck_assert_msg(st->queued == st->completed,
		      "thread %d: %llu requests queued, %llu callbacks", st->id,
		      (unsigned long long)st->queued,
		      (unsigned long long)st->completed);
	ck_assert_uint_gt(st->verified_blocks, 0);
	ck_assert_uint_gt(st->written_blocks, 0);
	printf("thread %d: %lld ms, %llu requests (%llu blocks written, %llu read and verified), %llu registrations, %llu releases (%llu with I/O in flight), %llu refused by RLIMIT_MEMLOCK\n",
	       st->id, (long long)st->ms, (unsigned long long)st->queued,
	       (unsigned long long)st->written_blocks,
	       (unsigned long long)st->verified_blocks,
	       (unsigned long long)st->registrations,
	       (unsigned long long)st->releases,
	       (unsigned long long)st->inflight_releases,
	       (unsigned long long)st->enomem);
	scratch_remove(st->path);
	free(st);
}

static void assert_process_clean(long vm_start)
{
	struct pindio_pin_stats ps;

	ck_assert_int_eq(pindio_process_get_pin_stats(&ps, sizeof(ps)), 0);
	ck_assert_msg(ps.pinned_bytes == 0 && ps.nr_registered == 0 &&
		      ps.nr_retiring == 0 && ps.nr_released == 0 &&
		      ps.dma_bytes == 0 && ps.dma_requests == 0 &&
		      ps.shared_bytes == 0 && ps.nr_contexts == 0,
		      "process account at the end: %llu pinned, %u registered, %u retiring, %u released, %llu DMA bytes in %llu requests, %llu shared, %u contexts",
		      (unsigned long long)ps.pinned_bytes, ps.nr_registered,
		      ps.nr_retiring, ps.nr_released,
		      (unsigned long long)ps.dma_bytes,
		      (unsigned long long)ps.dma_requests,
		      (unsigned long long)ps.shared_bytes, ps.nr_contexts);
	ck_assert_uint_eq(ps.registrations, ps.releases);
	ck_assert_int_eq(vmpin_kb(), vm_start);
}

START_TEST(test_stress_two_threads)
{
	long vm = vmpin_kb();
	pthread_t t[2];
	struct st *st[2];
	int i;

	REQUIRE_ODIRECT();
	for (i = 0; i < 2; i++)
		st[i] = st_new(i + 1, st_run_alone, STRESS_STEPS);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, st_thread, st[i]),
				 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	st_assert_ok(st[0], st[1]);
	for (i = 0; i < 2; i++)
		st_report(st[i]);
	assert_process_clean(vm);
}
END_TEST

/*
 * The origin: 2 library and 2 caller buffers, I/O on the first half of
 * each, then everything released and the context freed while the other
 * thread still uses its clones.
 */
static void st_run_origin(struct st *st)
{
	struct sharing *sh = st->sh;
	struct ent *e;
	int i;

	st_open(st);
	for (i = 0; i < 4; i++) {
		e = ent_new(st, i < 2 ? ENT_LIB : ENT_CALLER,
			    (16 + rnd_below(st, 241)) * BLK);
		TCHECK(st, e != NULL, "memlock limit reached");
		e->io_pages = e->len / BLK / 2;
		if (e->kind == ENT_CALLER) {
			/* The clones use it too: freed at the very end. */
			e->free_mem = false;
			sh->caller_mem[i] = e->mem;
		}
		ent_add(st, e);
	}
	MEET(st);		/* registered: the other thread clones */
	MEET(st);		/* cloned */
	for (i = 0; i < st->steps; i++)
		st_step(st, true);
	MEET(st);		/* phase 2: release under the clones' I/O */
	st_finish(st);
	__atomic_store_n(&sh->origin_gone, 1, __ATOMIC_RELEASE);
	MEET(st);		/* the clones are gone too */
	for (i = 0; i < 4; i++)
		free(sh->caller_mem[i]);
}

static void st_run_clone(struct st *st)
{
	struct sharing *sh = st->sh;
	struct pindio_buf_info info;
	struct pindio_buf *b;
	unsigned int nshared = 0, i;
	uint64_t charged = 0;
	int64_t diff = 0;
	long vm;
	int ret, n;

	st_open(st);
	MEET(st);
	/* The origin waits at the gate: nobody uses it during the call. */
	vm = vmpin_kb();
	n = pindio_ctx_clone_bufs(st->ctx, sh->origin->ctx);
	TCHECK(st, n == 4, "pindio_ctx_clone_bufs gave %d: %s", n,
	       pindio_ctx_last_error(st->ctx));
	pindio_buf_foreach(st->ctx, b) {
		struct ent *e = calloc(1, sizeof(*e));

		TCHECK(st, e != NULL, "calloc");
		TCHECK(st, pindio_buf_get_info(b, &info, sizeof(info)) == 0,
		       "info");
		e->kind = ENT_CLONE;
		e->buf = b;
		e->mem = info.addr;
		e->len = info.len;
		e->io_off = e->len / BLK / 2 * BLK;
		e->io_pages = e->len / BLK - e->len / BLK / 2;
		e->busy = calloc(e->io_pages + 1, 1);
		TCHECK(st, e->busy != NULL, "calloc");
		nshared += info.shared;
		charged += info.charged_pages;
		ent_add(st, e);
	}
	TCHECK(st, st->nr_ents == 4, "%u buffers to iterate", st->nr_ents);
	/* Shared by the kernel: charged once.  Registered again: twice. */
	TCHECK(st, nshared == 0 || nshared == 4, "%u of 4 shared", nshared);
	TCHECK(st, vmpin_kb() == vm + (long)charged * 4,
	       "VmPin %ld kB after cloning, %ld before, %llu pages charged",
	       vmpin_kb(), vm, (unsigned long long)charged);
	ret = pindio_ctx_check_pins(st->ctx, &diff);
	TCHECK(st, ret == 0, "%s", pindio_ctx_last_error(st->ctx));
	sh->vm_cloned = vmpin_kb();
	MEET(st);
	for (i = 0; i < (unsigned int)st->steps; i++)
		st_step(st, true);
	MEET(st);
	/* Keep going while the origin releases everything. */
	for (i = 0; !__atomic_load_n(&sh->origin_gone, __ATOMIC_ACQUIRE); i++) {
		TCHECK(st, i < 1000000 && !gate_broken(&sh->gate),
		       "the origin did not finish");
		st_step(st, true);
	}
	/* Quiet: the origin's context is gone, its pins live on in ours. */
	ret = pindio_ctx_check_pins(st->ctx, &diff);
	TCHECK(st, ret == 0, "%s", pindio_ctx_last_error(st->ctx));
	TCHECK(st, vmpin_kb() == sh->vm_cloned - (nshared ? 0 : (long)charged * 4),
	       "VmPin %ld kB once the origin is gone, %ld with both",
	       vmpin_kb(), sh->vm_cloned);
	for (i = 0; i < st->nr_ents; i++)
		TCHECK(st, pindio_buf_get_addr(st->ents[i]->buf) ==
		       st->ents[i]->mem, "buffer %u lost its memory", i);
	for (i = 0; i < (unsigned int)st->steps; i++)
		st_step(st, true);
	/*
	 * No read in flight when the last holder releases: library memory
	 * of a shared buffer may go before the callback runs (see
	 * test_clone_release_inflight_read).
	 */
	st_drain(st);
	st_finish(st);
	MEET(st);
}

static void stress_shared(unsigned int ctx_flags)
{
	long vm = vmpin_kb();
	struct sharing sh;
	pthread_t t[2];
	int i;

	memset(&sh, 0, sizeof(sh));
	gate_init(&sh.gate);
	sh.origin = st_new(1, st_run_origin, CLONE_STEPS);
	sh.clone = st_new(2, st_run_clone, CLONE_STEPS);
	sh.origin->sh = sh.clone->sh = &sh;
	sh.origin->ctx_flags = sh.clone->ctx_flags = ctx_flags;
	ck_assert_int_eq(pthread_create(&t[0], NULL, st_thread, sh.origin), 0);
	ck_assert_int_eq(pthread_create(&t[1], NULL, st_thread, sh.clone), 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	st_assert_ok(sh.origin, sh.clone);
	st_report(sh.origin);
	st_report(sh.clone);
	assert_process_clean(vm);
}

/*
 * One ring per thread with the default flags: the kernel will not share a
 * single-issuer ring's buffers with another thread (-EEXIST), so
 * pindio_ctx_clone_bufs() registers them again per ring.
 */
START_TEST(test_stress_shared_bufs)
{
	REQUIRE_ODIRECT();
	stress_shared(PINDIO_CTX_DEFAULT);
}
END_TEST

/*
 * The same without PINDIO_CTX_SINGLE_ISSUER, so that the kernel shares
 * the buffers between the rings (charged once).
 */
START_TEST(test_stress_shared_bufs_multi_issuer)
{
	REQUIRE_ODIRECT();
	stress_shared(PINDIO_CTX_COOP_TASKRUN);
}
END_TEST

/* ---- 4. the per-ring fallback of pindio_ctx_clone_bufs() ------------------ */

#if defined(__x86_64__)
#define FILTER_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define FILTER_ARCH	AUDIT_ARCH_AARCH64
#endif

#if __BYTE_ORDER == __LITTLE_ENDIAN
#define ARG_LO(n)	(offsetof(struct seccomp_data, args[n]))
#else
#define ARG_LO(n)	(offsetof(struct seccomp_data, args[n]) + 4)
#endif

/*
 * io_uring_register(fd, IORING_REGISTER_CLONE_BUFFERS, ...) fails with
 * EINVAL, as on a kernel before 6.12; everything else is allowed.
 */
static int refuse_clone_buffers(void)
{
#ifdef FILTER_ARCH
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FILTER_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)),
		/* without IORING_REGISTER_USE_REGISTERED_RING */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x7fffffffU),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, REGISTER_CLONE_BUFFERS, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EINVAL & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = (unsigned short)ARRAY_SIZE(f),
		.filter = f,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
#else
	return -ENOSYS;
#endif
}

static void io_sync(struct pindio_ctx *ctx, struct pindio_file *file,
		    bool write, struct pindio_buf *buf, size_t boff,
		    size_t len, uint64_t off)
{
	int ret, n = 0;

	ret = write ? pindio_file_write_fixed(file, buf, boff, len, off, NULL,
					      NULL) :
		      pindio_file_read_fixed(file, buf, boff, len, off, NULL,
					     NULL);
	CCHECK(ret == 0, "%s: %s", write ? "write" : "read",
	       pindio_ctx_last_error(ctx));
	while (pindio_ctx_get_inflight(ctx)) {
		ret = pindio_ctx_reap(ctx, 1, 5000);
		CCHECK(ret >= 0 && n++ < 3, "reap: %d", ret);
	}
}

static bool is_mapped(const void *addr, size_t len)
{
	return msync((void *)addr, len, MS_ASYNC) == 0;
}

static void clone_fallback_child(void *arg)
{
	const char *path = arg;
	struct pindio_buf *la = NULL, *ca = NULL, *b, *lb = NULL, *cb = NULL;
	struct pindio_buf_info info;
	struct pindio_pin_stats st;
	struct pindio_ctx *a, *bctx;
	struct pindio_file *file = NULL;
	uint64_t charged = 0;
	unsigned char *pat, *lmem, *cmem = NULL;
	long vm0, vm1, vm2;
	int64_t diff = 99;
	long r;
	int ret;

	ret = refuse_clone_buffers();
	if (ret == -ENOSYS)
		child_exit(77, "no seccomp filter for this architecture");
	CCHECK(ret == 0, "installing the seccomp filter: %s", strerror(-ret));
	/* The filter refuses the clone opcode, and only it. */
	/* (fd -1 is the kernel's "blind" registration: use a closed fd.) */
	r = syscall(__NR_io_uring_register, 999999, REGISTER_CLONE_BUFFERS,
		    NULL, 0);
	CCHECK(r == -1 && errno == EINVAL, "clone opcode: %ld, %s", r,
	       strerror(errno));
	r = syscall(__NR_io_uring_register, 999999, 0, NULL, 0);
	CCHECK(r == -1 && errno == EBADF, "another opcode: %ld, %s", r,
	       strerror(errno));

	vm0 = vmpin_kb();
	a = child_ctx_new(8);
	bctx = child_ctx_new(8);
	pindio_set_log_priority(bctx, LOG_INFO);
	CCHECK(pindio_buf_alloc(a, 128 * KIB, 0, &la) == 0, "%s",
	       pindio_ctx_last_error(a));
	CCHECK(posix_memalign((void **)&cmem, 4096, 64 * KIB) == 0, "%s",
	       "posix_memalign");
	CCHECK(pindio_buf_register(a, cmem, 64 * KIB, 0, &ca) == 0, "%s",
	       pindio_ctx_last_error(a));
	lmem = pindio_buf_get_addr(la);
	vm1 = vmpin_kb();
	CCHECK(vm1 == vm0 + 192, "VmPin %ld kB, expected %ld", vm1, vm0 + 192);

	child_log_len = 0;
	child_log[0] = '\0';
	ret = pindio_ctx_clone_bufs(bctx, a);
	CCHECK(ret == 2, "pindio_ctx_clone_bufs gave %d: %s", ret,
	       pindio_ctx_last_error(bctx));
	CCHECK(strstr(child_log, "registering 2 buffers again"),
	       "log: %s", child_log);
	vm2 = vmpin_kb();
	pindio_buf_foreach(bctx, b) {
		CCHECK(pindio_buf_get_info(b, &info, sizeof(info)) == 0, "%s",
		       "info");
		CCHECK(info.shared == 0, "%s", "a per-ring copy says shared");
		CCHECK(info.charged_pages > 0, "%s", "a per-ring copy charged nothing");
		CCHECK(info.state == PINDIO_BUF_REGISTERED && info.index >= 0,
		       "state %d index %d", info.state, info.index);
		charged += info.charged_pages;
		if (info.addr == lmem) {
			CCHECK(info.lib_owned && info.len == 128 * KIB, "%s",
			       "the library buffer's copy");
			lb = b;
		} else {
			CCHECK(info.addr == cmem && !info.lib_owned &&
			       info.len == 64 * KIB, "%s",
			       "the caller buffer's copy");
			cb = b;
		}
	}
	CCHECK(lb && cb, "%s", "both copies iterated");
	CCHECK(charged == 48, "%llu pages charged to the copies",
	       (unsigned long long)charged);
	CCHECK(vm2 == vm1 + 192, "VmPin %ld kB after the per-ring clone, %ld before: charged per ring",
	       vm2, vm1);
	ret = pindio_ctx_check_pins(bctx, &diff);
	CCHECK(ret == 0 && diff == 0, "check_pins %d, diff %lld: %s", ret,
	       (long long)diff, pindio_ctx_last_error(bctx));
	st = ctx_stats(bctx);
	CCHECK(st.pinned_bytes == 192 * KIB && st.shared_bytes == 0,
	       "the copies' account: %llu pinned, %llu shared",
	       (unsigned long long)st.pinned_bytes,
	       (unsigned long long)st.shared_bytes);

	/* I/O through the copies. */
	CCHECK(pindio_file_open(bctx, path, O_RDWR, 0, &file) == 0, "%s",
	       pindio_ctx_last_error(bctx));
	pat = malloc(192 * KIB);
	CCHECK(pat != NULL, "%s", "malloc");
	fill_pattern(pat, 192 * KIB, 42);
	memcpy(lmem, pat, 128 * KIB);
	io_sync(bctx, file, true, lb, 0, 128 * KIB, 0);
	memset(cmem, 0, 64 * KIB);
	io_sync(bctx, file, false, cb, 0, 64 * KIB, 64 * KIB);
	CCHECK(memcmp(cmem, pat + 64 * KIB, 64 * KIB) == 0, "%s",
	       "read through the caller buffer's copy");

	/* The origin goes first: the library memory stays for the copy. */
	CCHECK(pindio_buf_unref(la) == NULL && pindio_buf_unref(ca) == NULL,
	       "%s", "unref");
	CCHECK(pindio_ctx_reap(a, 0, 0) >= 0, "%s", "reap");
	CCHECK(vmpin_kb() == vm2 - 192, "VmPin %ld kB after the origin's release, expected %ld",
	       vmpin_kb(), vm2 - 192);
	/* Only the copies pin now, and the account says so. */
	ret = pindio_ctx_check_pins(a, &diff);
	CSOFT(ret == 0, "after the origin's buffers were released: %s",
	      pindio_ctx_last_error(a));
	CCHECK(pindio_process_get_pin_stats(&st, sizeof(st)) == 0, "%s", "");
	CSOFT(st.pinned_bytes == 192 * KIB,
	      "process pinned_bytes %llu KiB once only the copies pin 192 KiB",
	      (unsigned long long)st.pinned_bytes / 1024);
	CCHECK(pindio_ctx_unref(a) == NULL, "%s", "origin context kept");
	CCHECK(is_mapped(lmem, 128 * KIB), "%s",
	       "the library memory was unmapped while a copy uses it");
	CCHECK(pindio_buf_get_addr(lb) == lmem, "%s", "copy lost its address");
	memcpy(cmem, pat + 128 * KIB, 64 * KIB);
	io_sync(bctx, file, true, cb, 0, 64 * KIB, 128 * KIB);
	memset(lmem, 0, 128 * KIB);
	io_sync(bctx, file, false, lb, 0, 128 * KIB, 64 * KIB);
	CCHECK(memcmp(lmem, pat + 64 * KIB, 128 * KIB) == 0, "%s",
	       "read through the library buffer's copy after the origin's release");

	pindio_file_unref(file);
	CCHECK(pindio_ctx_unref(bctx) == NULL, "%s", "context kept");
	CCHECK(vmpin_kb() == vm0, "VmPin %ld kB at the end, %ld at the start",
	       vmpin_kb(), vm0);
	CCHECK(pindio_process_get_pin_stats(&st, sizeof(st)) == 0, "%s", "");
	CCHECK(st.pinned_bytes == 0 && st.nr_registered == 0 &&
	       st.nr_retiring == 0 && st.nr_released == 0,
	       "process account: %llu pinned, %u/%u/%u",
	       (unsigned long long)st.pinned_bytes, st.nr_registered,
	       st.nr_retiring, st.nr_released);
	CCHECK(!is_mapped(lmem, 128 * KIB), "%s",
	       "the library memory outlived every buffer");
	free(cmem);
	free(pat);
}

START_TEST(test_clone_fallback_per_ring)
{
	char *path;

	REQUIRE_ODIRECT();
	path = scratch_file("limits-clone", 1 * MIB);
	RUN_CHILD(clone_fallback_child, path);
	scratch_remove(path);
}
END_TEST

/* ---- 5. a read's callback, on a buffer released while it was in flight -- */

struct probe {
	unsigned char *mem;
	const unsigned char *expect;
	size_t len;
	int res;
	bool done, mapped, same;
};

static void probe_done(void *data, int res)
{
	struct probe *p = data;

	p->res = res;
	p->done = true;
	p->mapped = is_mapped(p->mem, p->len);
	p->same = p->mapped && memcmp(p->mem, p->expect, p->len) == 0;
}

/* Read into @buf, release it with the read in flight, reap. */
static void read_then_release(struct pindio_ctx *ctx, struct pindio_file *file,
			      struct pindio_buf *buf, struct probe *p)
{
	memset(p->mem, 0, p->len);
	ck_assert_int_eq(pindio_file_read_fixed(file, buf, 0, p->len, 0,
						probe_done, p), 0);
	ck_assert_int_eq(pindio_ctx_submit(ctx), 1);
	ck_assert_int_eq(pindio_buf_release(buf), 0);
	while (!p->done)
		ck_assert_int_gt(pindio_ctx_reap(ctx, 1, 5000), 0);
	ck_assert_int_eq(p->res, (int)p->len);
}

/*
 * pindio_buf_release() with a read in flight is legal, and the library
 * memory is freed only once the kernel lets go.  For a buffer of its own
 * that is after the read's callback (the release tag follows the
 * completion), so the callback can use the data.  A buffer shared with
 * the kernel's clone, released by its origin already, must behave the
 * same: the caller cannot tell the two apart.
 */
START_TEST(test_clone_release_inflight_read)
{
	const size_t len = 64 * KIB;
	struct pindio_ctx *a, *b;
	struct pindio_file *fa = NULL, *fb = NULL;
	struct pindio_buf *own = NULL, *la = NULL, *lb;
	struct pindio_buf_info info;
	struct probe p1, p2;
	unsigned char *pat;
	char *path;

	REQUIRE_ODIRECT();
	path = scratch_file("limits-cb", 1 * MIB);
	ck_assert_int_eq(posix_memalign((void **)&pat, 4096, len), 0);
	fill_pattern(pat, len, 7);
	/* Both rings on this thread: the kernel lets it clone. */
	a = test_ctx_new(8, PINDIO_CTX_DEFAULT);
	b = test_ctx_new(8, PINDIO_CTX_DEFAULT);
	ck_assert_int_eq(pindio_file_open(a, path, O_RDWR, 0, &fa), 0);
	ck_assert_int_eq(pindio_file_open(b, path, O_RDWR, 0, &fb), 0);
	ck_assert_int_eq(pindio_file_pwrite(fa, pat, len, 0), (ssize_t)len);

	/* A buffer of its own: the data is there in the callback. */
	ck_assert_int_eq(pindio_buf_alloc(a, len, 0, &own), 0);
	memset(&p1, 0, sizeof(p1));
	p1.mem = pindio_buf_get_addr(own);
	p1.expect = pat;
	p1.len = len;
	read_then_release(a, fa, own, &p1);
	ck_assert_msg(p1.mapped && p1.same, "own buffer: mapped %d, data %s",
		      p1.mapped, p1.same ? "right" : "wrong");
	pindio_buf_unref(own);

	/* A shared one whose origin has let go. */
	ck_assert_int_eq(pindio_buf_alloc(a, len, 0, &la), 0);
	ck_assert_int_eq(pindio_ctx_clone_bufs(b, a), 1);
	lb = pindio_buf_get_first(b);
	ck_assert_ptr_nonnull(lb);
	ck_assert_int_eq(pindio_buf_get_info(lb, &info, sizeof(info)), 0);
	ck_assert_ptr_null(pindio_buf_unref(la));
	ck_assert_int_ge(pindio_ctx_reap(a, 0, 0), 0);
	memset(&p2, 0, sizeof(p2));
	p2.mem = pindio_buf_get_addr(lb);
	ck_assert_ptr_nonnull(p2.mem);
	p2.expect = pat;
	p2.len = len;
	read_then_release(b, fb, lb, &p2);
	ck_assert_msg(p2.mapped && p2.same,
		      "%s buffer released with a read in flight, its origin gone: in the read's callback the library memory is %s",
		      info.shared ? "kernel-shared" : "per-ring",
		      !p2.mapped ? "already unmapped (src/pin.c pin_buf_io_done() drops the region before req_complete() runs the callback)" :
				   "mapped but does not hold the data read");

	pindio_file_unref(fa);
	pindio_file_unref(fb);
	ck_assert_ptr_null(pindio_ctx_unref(b));
	ck_assert_ptr_null(pindio_ctx_unref(a));
	free(pat);
	scratch_remove(path);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("pin-limits");
	TCase *tc = tcase_vmpin("pin-limits");

	tcase_add_test(tc, test_memlock_prediction);
	tcase_add_test(tc, test_cap_ipc_lock_exempt);
	tcase_add_test(tc, test_memlock_unlimited);
	tcase_add_test(tc, test_stress_two_threads);
	tcase_add_test(tc, test_stress_shared_bufs);
	tcase_add_test(tc, test_stress_shared_bufs_multi_issuer);
	tcase_add_test(tc, test_clone_fallback_per_ring);
	tcase_add_test(tc, test_clone_release_inflight_read);
	suite_add_tcase(s, tc);
	return s;
}
