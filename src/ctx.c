// SPDX-License-Identifier: LGPL-2.1-or-later
/* The context: options, backend, lifetime. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define URING_FLAGS (PINDIO_CTX_SQPOLL | PINDIO_CTX_IOPOLL | \
		     PINDIO_CTX_COOP_TASKRUN | PINDIO_CTX_SINGLE_ISSUER | \
		     PINDIO_CTX_DEFER_TASKRUN | PINDIO_CTX_NO_FIXED_FILES)
#define KNOWN_FLAGS (URING_FLAGS | PINDIO_CTX_LIBAIO | PINDIO_CTX_NO_FALLBACK)

/* Only the first fallback of the process is a warning (atomic). */
static int fallback_warned;

static int aio_init(struct pindio_ctx *ctx)
{
	if (ctx->flags & URING_FLAGS)
		info(ctx, "PINDIO_CTX flags 0x%x apply to io_uring only; dropped on libaio\n",
		     ctx->flags & URING_FLAGS);
	ctx->flags &= ~(URING_FLAGS | PINDIO_CTX_NO_FALLBACK);
	ctx->flags |= PINDIO_CTX_LIBAIO;
	ctx->backend = &backend_aio;
	return ctx->backend->init(ctx);
}

/*
 * io_uring, unless libaio was asked for; libaio also when io_uring_setup
 * says ENOSYS or EPERM and the caller did not forbid the fallback.
 */
static int backend_init(struct pindio_ctx *ctx)
{
	int ret;

	if (ctx->flags & PINDIO_CTX_LIBAIO)
		return aio_init(ctx);
	ctx->backend = &backend_uring;
	ret = ctx->backend->init(ctx);
	/*
	 * Only io_uring_setup's refusal, for which uring_init() set
	 * fallback_reason: a ring that exists but refuses the rest is a
	 * fault to report, not a reason to change backends.
	 */
	if ((ret != -ENOSYS && ret != -EPERM) || !ctx->fallback_reason[0] ||
	    (ctx->flags & PINDIO_CTX_NO_FALLBACK))
		return ret;

	ret = aio_init(ctx);
	if (ret < 0)
		return ret;
	if (!__atomic_exchange_n(&fallback_warned, 1, __ATOMIC_RELAXED))
		warn(ctx, "io_uring is not available (%s); using libaio instead: plain O_DIRECT I/O, buffers are not pinned long-term, no splice\n",
		     ctx->fallback_reason);
	else
		info(ctx, "io_uring is not available (%s); using libaio instead\n",
		     ctx->fallback_reason);
	return 0;
}

PINDIO_EXPORT
int pindio_ctx_new(unsigned int queue_depth, unsigned int flags,
		   struct pindio_ctx **out)
{
	struct pindio_ctx *ctx;
	int ret;

	ctx = zalloc_lines(sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->refcount = 1;
	ctx->queue_depth = queue_depth;
	list_init(&ctx->retiring);
	list_init(&ctx->all_bufs);
	list_init(&ctx->splices);
	list_init(&ctx->idle_pipes);
	ctx->flags = flags;
	log_init(ctx);

	/* No context reaches the caller on failure: the log carries why. */
	if (!out) {
		ret = fail(ctx, -EINVAL, "out pointer is NULL");
		goto err_free;
	}
	if (!queue_depth || queue_depth > PINDIO_QUEUE_DEPTH_MAX) {
		ret = fail(ctx, -EINVAL, "queue depth %u is out of range; give 1 to %u",
			   queue_depth, PINDIO_QUEUE_DEPTH_MAX);
		goto err_free;
	}
	if (flags & ~KNOWN_FLAGS) {
		ret = fail(ctx, -EINVAL, "unknown context flags 0x%x; known flags are 0x%x (PINDIO_CTX_*)",
			   flags & ~KNOWN_FLAGS, KNOWN_FLAGS);
		goto err_free;
	}
	if ((flags & PINDIO_CTX_DEFER_TASKRUN) &&
	    !(flags & PINDIO_CTX_SINGLE_ISSUER)) {
		ret = fail(ctx, -EINVAL, "PINDIO_CTX_DEFER_TASKRUN needs PINDIO_CTX_SINGLE_ISSUER: only the thread that submits can run deferred completions");
		goto err_free;
	}
	if ((flags & PINDIO_CTX_SQPOLL) &&
	    (flags & (PINDIO_CTX_COOP_TASKRUN | PINDIO_CTX_DEFER_TASKRUN))) {
		/*
		 * The kernel refuses both with SQPOLL: the SQ thread, not
		 * the application, runs the completion work.
		 */
		info(ctx, "PINDIO_CTX_COOP_TASKRUN and PINDIO_CTX_DEFER_TASKRUN do not apply to SQPOLL rings; dropped\n");
		ctx->flags &= ~(PINDIO_CTX_COOP_TASKRUN |
				PINDIO_CTX_DEFER_TASKRUN);
	}
	ret = io_pool_init(ctx);
	if (ret < 0) {
		fail(ctx, ret, "out of memory for %u requests", queue_depth);
		goto err_free;
	}
	ret = backend_init(ctx);
	if (ret < 0)
		goto err_pool;
	account_ctx_init(ctx);

	info(ctx, "context %p: %s, queue depth %u, flags 0x%x\n", (void *)ctx,
	     ctx->backend->name, queue_depth, ctx->flags);
	*out = ctx;
	return 0;

err_pool:
	io_pool_fini(ctx);
err_free:
	free(ctx);
	return ret;
}

void ctx_free(struct pindio_ctx *ctx)
{
	int ret;

	ctx->freeing = true;
	if (ctx->inflight) {
		info(ctx, "waiting for %u requests still in flight\n",
		     ctx->inflight);
		ret = io_drain(ctx, TEARDOWN_WAIT_MS);
		if (ret < 0)
			err(ctx, "%u requests still in flight after %d ms (%s); closing the ring cancels them\n",
			    ctx->inflight, TEARDOWN_WAIT_MS, strerror(-ret));
	}
	pin_teardown(ctx);
	ctx->backend->fini(ctx);
	/* After the ring: a splice it cancelled is freed with its pipes. */
	splice_ctx_fini(ctx);
	account_ctx_fini(ctx);
	io_pool_fini(ctx);
	info(ctx, "context %p freed\n", (void *)ctx);
	free(ctx);
}

PINDIO_EXPORT
struct pindio_ctx *pindio_ctx_ref(struct pindio_ctx *ctx)
{
	if (!ctx)
		return NULL;
	ctx->refcount++;
	return ctx;
}

PINDIO_EXPORT
struct pindio_ctx *pindio_ctx_unref(struct pindio_ctx *ctx)
{
	if (!ctx)
		return NULL;
	if (--ctx->refcount > 0)
		return ctx;
	/* A callback dropped the last reference: see io_reap(). */
	if (ctx->freeing)
		return NULL;
	if (ctx->reap_depth) {
		ctx->free_pending = true;
		return NULL;
	}
	ctx_free(ctx);
	return NULL;
}

PINDIO_EXPORT
unsigned int pindio_ctx_get_queue_depth(struct pindio_ctx *ctx)
{
	return ctx ? ctx->queue_depth : 0;
}

PINDIO_EXPORT
unsigned int pindio_ctx_get_flags(struct pindio_ctx *ctx)
{
	return ctx ? ctx->flags : 0;
}

PINDIO_EXPORT
enum pindio_backend pindio_ctx_get_backend(struct pindio_ctx *ctx)
{
	return ctx ? ctx->backend->id : PINDIO_BACKEND_IO_URING;
}

PINDIO_EXPORT
const char *pindio_backend_name(enum pindio_backend backend)
{
	switch (backend) {
	case PINDIO_BACKEND_IO_URING:
		return backend_uring.name;
	case PINDIO_BACKEND_LIBAIO:
		return backend_aio.name;
	}
	return NULL;
}

PINDIO_EXPORT
const char *pindio_ctx_get_fallback_reason(struct pindio_ctx *ctx)
{
	return ctx && ctx->fallback_reason[0] ? ctx->fallback_reason : NULL;
}
