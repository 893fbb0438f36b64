/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private declarations shared by the library's modules. */
#ifndef PINDIO_INTERNAL_H
#define PINDIO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "pindio.h"
#include "backend.h"
#include "vma.h"
#include "list.h"

#define PINDIO_EXPORT __attribute__((visibility("default")))

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
/* For the I/O path's helpers, which GCC would otherwise call. */
#define force_inline	inline __attribute__((always_inline))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Zeroed memory that starts on a cache line, for what every request
 * touches (the context, the request pool, the ring): between two reaps
 * the kernel's work can evict it, and a structure that straddles two
 * lines then costs two misses where one would do.  Freed with free().
 */
#define CACHE_LINE	64

static inline void *zalloc_lines(size_t size)
{
	void *p;

	if (posix_memalign(&p, CACHE_LINE, size))
		return NULL;
	return memset(p, 0, size);
}

/* Slots in the ring's sparse fixed-file table. */
#define FIXED_FILE_SLOTS	1024U
/* How long context teardown waits for requests still in flight. */
#define TEARDOWN_WAIT_MS	10000

struct splice_op;

/*
 * One queued or in-flight request; the pool holds queue_depth of them.  A
 * request is the caller's, or a step of a splice (@op), which holds its
 * requests from start to end and reports to the caller once.
 */
struct req {
	pindio_complete_fn fn;
	void *data;
	struct pindio_buf *buf;	/* registered buffer whose memory it uses */
	size_t dma_len;		/* bytes pinned for its duration only */
	struct splice_op *op;	/* the splice it is a step of, or NULL */
	struct req *next_free;
} __attribute__((aligned(CACHE_LINE)));	/* one line each (zalloc_lines) */

enum buf_state {
	BUF_REGISTERED = PINDIO_BUF_REGISTERED,	/* in a table slot */
	BUF_RETIRING = PINDIO_BUF_RETIRING,	/* slot emptied, awaiting release */
	BUF_RELEASED = PINDIO_BUF_RELEASED,	/* the kernel dropped it */
};

/*
 * What one kernel registration pins (the kernel's io_mapped_ubuf): its
 * pages, their charge, and the memory behind them.  Contexts sharing a
 * registration through IORING_REGISTER_CLONE_BUFFERS share the region; it
 * leaves the account when the last of them lets go, which may happen on
 * any of their threads, hence the atomic count.  A per-ring copy of a
 * buffer is a region of its own that keeps the original's memory mapped
 * through @parent.
 */
struct pin_region {
	int rings;			/* atomic: rings pinning it (the charge) */
	int refs;			/* atomic: rings and per-ring copies
					 * keeping its memory mapped */
	char *addr;			/* registered range */
	size_t len;
	char *map;			/* library mapping to unmap, or NULL */
	size_t map_len;
	uint64_t charged_pages;		/* 4 KiB pages added to VmPin */
	uint64_t pages;			/* pages pinned, any size */
	size_t page_size;		/* largest backing page size */
	unsigned int backing;		/* PINDIO_BACKING_* */
	bool memlock;			/* charged to RLIMIT_MEMLOCK too */
	bool dontfork;			/* we set MADV_DONTFORK on caller memory */
	struct pin_region *parent;
	struct list_node fork_node;	/* on the dontfork list */
};

struct pindio_buf {
	struct pindio_ctx *ctx;	/* holds a reference while refcount > 0 */
	int refcount;
	enum buf_state state;
	bool lib_owned;		/* memory mmap()ed by pindio_buf_alloc() */
	bool shared;		/* a clone of another context's registration */
	bool ctx_owned;		/* made by pindio_ctx_clone_bufs(): the context
				 * holds it; unref never releases it */
	int index;		/* table slot, -1 once released */
	unsigned int inflight;	/* requests using it */
	char *addr;		/* usable range: [addr, addr + len) */
	size_t len;
	int64_t registered_ms;
	struct pin_region *region;
	struct list_node retiring_node;	/* on ctx->retiring */
	struct list_node all_node;	/* on ctx->all_bufs, in every state */
};

/*
 * An account: of one context (only its thread writes it), or of the
 * process (pin-account.c, atomics).
 */
struct pin_account {
	uint64_t pinned_pages;
	uint64_t peak_pages;
	uint64_t shared_bytes;
	uint64_t registrations;
	uint64_t releases;
	uint32_t nr_state[3];
	uint64_t dma_bytes;
	uint64_t dma_peak_bytes;
	uint64_t dma_requests;
};

struct pindio_file {
	struct pindio_ctx *ctx;
	int refcount;
	int fd;
	int fixed_index;	/* -1 when used by descriptor */
	uint32_t mem_align;
	uint32_t offset_align;
	bool is_blockdev;
};

/*
 * What every request touches comes first, in one cache line (see
 * zalloc_lines()).
 */
struct pindio_ctx {
	/* the I/O path */
	const struct backend_ops *backend;
	void *backend_data;
	/* request pool: no allocation on the I/O path */
	struct req *free_reqs;
	/* the caller's requests (a splice counting one) queued or
	 * submitted, not yet completed */
	unsigned int inflight;
	/*
	 * Completion callbacks may drop the last reference: the context is
	 * then freed when the outermost reap returns (free_pending), and
	 * not again while it is being freed (freeing).
	 */
	unsigned int reap_depth;
	bool free_pending;
	bool freeing;
	unsigned int flags;
	struct list_node retiring;	/* released, awaiting tag CQE */

	int refcount;
	unsigned int queue_depth;
	struct req *reqs;

	/* logging and errors */
	pindio_log_fn log_fn;
	void *log_data;
	int log_priority;
	char last_error[1024];

	char fallback_reason[256];	/* why not io_uring, "" if it is */

	/* splices: running ones and idle pipes (splice.c) */
	struct list_node splices;
	struct list_node idle_pipes;
	unsigned int nr_idle_pipes;

	/* registered buffers, sorted by address for lookup by pointer */
	struct pindio_buf **bufs;
	unsigned int nr_bufs;
	struct pindio_buf *last_hit;	/* lookup cache */
	unsigned int bufs_cap;
	uint8_t buf_slot_used[PINDIO_BUF_MAX_COUNT];
	unsigned int buf_slot_hint;
	struct list_node all_bufs;	/* every buffer object */

	/* the pin account */
	struct pin_account acct;
	bool memlock_applies;		/* no CAP_IPC_LOCK at creation */
	uint64_t ring_pages;		/* ring memory charged to memlock */

	/* fixed-file table slots */
	uint8_t file_slot_used[FIXED_FILE_SLOTS];
	unsigned int file_slots;	/* size of the table, <= FIXED_FILE_SLOTS */
	bool files_registered;		/* the sparse table exists */
};

/* log.c */
void ctx_log(struct pindio_ctx *ctx, int priority, const char *file,
	     int line, const char *fn, const char *format, ...)
	__attribute__((format(printf, 6, 7)));
void log_init(struct pindio_ctx *ctx);
void log_stderr(void *data, int priority, const char *file, int line,
		const char *fn, const char *format, va_list args)
	__attribute__((format(printf, 6, 0)));

#define ctx_log_cond(ctx, prio, ...) do {				\
	if ((ctx)->log_priority >= (prio))				\
		ctx_log(ctx, prio, __FILE__, __LINE__, __func__,	\
			__VA_ARGS__);					\
} while (0)
#define err(ctx, ...)	ctx_log_cond(ctx, LOG_ERR, __VA_ARGS__)
#define warn(ctx, ...)	ctx_log_cond(ctx, LOG_WARNING, __VA_ARGS__)
#define info(ctx, ...)	ctx_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define dbg(ctx, ...)	ctx_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)

/*
 * Record why a call failed, log it at @priority, and return @errnum (a
 * negative errno) so that callers can write `return fail(ctx, -EINVAL,
 * ...)`.  fail_quiet() is for conditions a caller meets in normal
 * operation (a full queue, a signal): recorded, logged only at LOG_DEBUG.
 */
int ctx_fail(struct pindio_ctx *ctx, int priority, int errnum,
	     const char *file, int line, const char *func,
	     const char *format, ...) __attribute__((format(printf, 7, 8)));
#define fail(ctx, errnum, ...) \
	ctx_fail(ctx, LOG_ERR, errnum, __FILE__, __LINE__, __func__, \
		 __VA_ARGS__)
#define fail_quiet(ctx, errnum, ...) \
	ctx_fail(ctx, LOG_DEBUG, errnum, __FILE__, __LINE__, __func__, \
		 __VA_ARGS__)
#ifdef __clang_analyzer__
/*
 * For clang-tidy's static analyzer only (make lint), which cannot see
 * into log.c: what ctx_fail() returns is negative, so paths on which a
 * failed helper "succeeds" are not explored.
 */
static inline int analyzer_negative(int ret)
{
	if (ret >= 0)
		__builtin_unreachable();
	return ret;
}
#undef fail
#undef fail_quiet
#define fail(ctx, errnum, ...) analyzer_negative(ctx_fail(ctx, LOG_ERR, \
	errnum, __FILE__, __LINE__, __func__, __VA_ARGS__))
#define fail_quiet(ctx, errnum, ...) analyzer_negative(ctx_fail(ctx, \
	LOG_DEBUG, errnum, __FILE__, __LINE__, __func__, __VA_ARGS__))
#endif

/* ctx.c */
void ctx_free(struct pindio_ctx *ctx);

/* io.c */
int io_reap(struct pindio_ctx *ctx, unsigned int min, int timeout_ms);
int io_pool_init(struct pindio_ctx *ctx);
void io_pool_fini(struct pindio_ctx *ctx);
int io_drain(struct pindio_ctx *ctx, int timeout_ms);

/* Waiting for one request in a synchronous helper. */
struct sync_wait {
	int res;
	bool done;
};
void sync_done(void *data, int res);
int sync_wait(struct pindio_ctx *ctx, struct sync_wait *w,
	      pindio_complete_fn *fn, void **data);

/* splice.c */
unsigned int splice_step(struct pindio_ctx *ctx, struct req *req, int res);
void splice_ctx_fini(struct pindio_ctx *ctx);

/* pin.c */
struct pindio_buf *pin_lookup(struct pindio_ctx *ctx, const void *addr,
			      size_t len);
struct pindio_buf *pin_retiring_lookup(struct pindio_ctx *ctx,
				       const void *addr, size_t len);
void pin_buf_retired(struct pindio_ctx *ctx, struct pindio_buf *buf);
void pin_buf_io_settle(struct pindio_buf *buf);

/*
 * A request that used @buf completed.  While @buf is registered that is
 * all: only a released buffer has more to do (pin_buf_io_settle()).
 */
static inline void pin_buf_io_done(struct pindio_buf *buf)
{
	buf->inflight--;
	if (unlikely(buf->state != BUF_REGISTERED))
		pin_buf_io_settle(buf);
}

void pin_teardown(struct pindio_ctx *ctx);
void pin_buf_set_state(struct pindio_buf *buf, enum buf_state state);
bool pin_range_in_table(struct pindio_ctx *ctx, uintptr_t a, size_t len,
			const struct pin_region *skip);

/* pin-account.c */
size_t page_size(void);
void account_ctx_init(struct pindio_ctx *ctx);
void account_ctx_fini(struct pindio_ctx *ctx);
void account_charge(struct pindio_ctx *ctx, struct pin_region *r,
		    const struct vma_part *parts, unsigned int nr);
int account_predict(struct pindio_ctx *ctx, const struct pin_region *r,
		    const void *addr, size_t len);
void account_region_add(struct pin_region *r);
void account_region_del(struct pin_region *r);
void account_buf_added(struct pindio_ctx *ctx, struct pindio_buf *buf);
void account_buf_released(struct pindio_ctx *ctx, struct pindio_buf *buf);
void account_state(struct pindio_ctx *ctx, int from, int to);
void account_dma_start(struct pindio_ctx *ctx, size_t len);
void account_dma_end(struct pindio_ctx *ctx, size_t len);

/* file.c */
const char *fs_name(long f_type);

/* The request pool (io.c), inline: every request takes and returns one. */
static inline struct req *req_get(struct pindio_ctx *ctx)
{
	struct req *req = ctx->free_reqs;

	if (likely(req))
		ctx->free_reqs = req->next_free;
	return req;
}

static inline void req_put(struct pindio_ctx *ctx, struct req *req)
{
	req->next_free = ctx->free_reqs;
	ctx->free_reqs = req;
}

/*
 * A request completed with @res: returns the number of the caller's
 * requests that did, 0 or 1.  Inline in the backends' completion loops:
 * as a call it cost ~12 instructions a request (bench/NOTES.md step 12).
 */
static force_inline unsigned int req_complete(struct pindio_ctx *ctx,
					      struct req *req, int res)
{
	pindio_complete_fn fn = req->fn;
	struct pindio_buf *buf = req->buf;
	size_t dma_len = req->dma_len;
	void *data = req->data;

	if (unlikely(req->op))
		return splice_step(ctx, req, res);

	/* Back in the pool first, so that the callback may queue again. */
	req_put(ctx, req);
	ctx->inflight--;
	if (dma_len)
		account_dma_end(ctx, dma_len);
	if (fn)
		fn(data, res);
	/*
	 * Only after the callback, which may read the data: the buffer's
	 * memory may be unmapped once its last request is done.
	 */
	if (buf)
		pin_buf_io_done(buf);
	return 1;
}

#endif /* PINDIO_INTERNAL_H */
