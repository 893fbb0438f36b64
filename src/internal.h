/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private declarations shared by the library's modules. */
#ifndef PINDIO_INTERNAL_H
#define PINDIO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>
#include <time.h>

#include "pindio.h"
#include "backend.h"

#define PINDIO_EXPORT __attribute__((visibility("default")))

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Slots in the ring's sparse fixed-file table. */
#define FIXED_FILE_SLOTS	1024U
/* How long context teardown waits for requests still in flight. */
#define TEARDOWN_WAIT_MS	10000

/* One queued or in-flight request; the pool holds queue_depth of them. */
struct req {
	pindio_complete_fn fn;
	void *data;
	struct pindio_buf *buf;	/* registered buffer used, or NULL */
	struct req *next_free;
};

enum buf_state {
	BUF_REGISTERED,		/* in a table slot, usable for I/O */
	BUF_RETIRING,		/* slot emptied, waiting for the kernel's tag CQE */
	BUF_RELEASED,		/* kernel dropped its last reference */
};

struct pindio_buf {
	struct pindio_ctx *ctx;	/* holds a reference while BUF_REGISTERED */
	int refcount;
	enum buf_state state;
	bool lib_owned;		/* memory mmap()ed by pindio_buf_alloc() */
	int index;		/* table slot, -1 once released */
	unsigned int inflight;	/* requests using it */
	char *addr;
	size_t len;
	size_t map_len;		/* length of the mapping when lib_owned */
	struct pindio_buf *retiring_prev, *retiring_next;
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

struct pindio_ctx {
	int refcount;
	/*
	 * Completion callbacks may drop the last reference: the context is
	 * then freed when the outermost reap returns (free_pending), and
	 * not again while it is being freed (freeing).
	 */
	unsigned int reap_depth;
	bool free_pending;
	bool freeing;
	unsigned int queue_depth;
	unsigned int flags;

	/* logging and errors */
	pindio_log_fn log_fn;
	void *log_data;
	int log_priority;
	char last_error[512];

	/* backend (io_uring today) */
	const struct backend_ops *backend;
	void *backend_data;

	/* request pool: no allocation on the I/O path */
	struct req *reqs;
	struct req *free_reqs;
	unsigned int inflight;	/* queued + submitted, not yet completed */

	/* registered buffers, sorted by address for lookup by pointer */
	struct pindio_buf **bufs;
	unsigned int nr_bufs;
	struct pindio_buf *last_hit;	/* lookup cache */
	unsigned int bufs_cap;
	uint8_t buf_slot_used[PINDIO_BUF_MAX_COUNT];
	unsigned int buf_slot_hint;
	struct pindio_buf *retiring;	/* released, awaiting tag CQE */

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

/* ctx.c */
void ctx_free(struct pindio_ctx *ctx);

/* io.c */
void req_complete(struct pindio_ctx *ctx, struct req *req, int res);
int io_reap(struct pindio_ctx *ctx, unsigned int min, int timeout_ms);
int io_pool_init(struct pindio_ctx *ctx);
void io_pool_fini(struct pindio_ctx *ctx);
int io_drain(struct pindio_ctx *ctx, int timeout_ms);

/* pin.c */
struct pindio_buf *pin_lookup(struct pindio_ctx *ctx, const void *addr,
			      size_t len);
void pin_buf_retired(struct pindio_ctx *ctx, struct pindio_buf *buf);
void pin_buf_io_done(struct pindio_buf *buf);
void pin_teardown(struct pindio_ctx *ctx);

/* file.c */
const char *fs_name(long f_type);

#endif /* PINDIO_INTERNAL_H */
