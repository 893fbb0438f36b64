// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Requests: validation, the preallocated pool, submission, completion and
 * the synchronous helpers.  The path from pindio_file_read() to the SQE
 * takes no lock, allocates nothing and makes no system call.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "uring.h"

int io_pool_init(struct pindio_ctx *ctx)
{
	unsigned int i;

	ctx->reqs = zalloc_lines((size_t)ctx->queue_depth * sizeof(*ctx->reqs));
	if (!ctx->reqs)
		return -ENOMEM;
	for (i = 0; i < ctx->queue_depth; i++)
		ctx->reqs[i].next_free = i + 1 < ctx->queue_depth ?
					 &ctx->reqs[i + 1] : NULL;
	ctx->free_reqs = ctx->reqs;
	return 0;
}

void io_pool_fini(struct pindio_ctx *ctx)
{
	free(ctx->reqs);
	ctx->reqs = NULL;
	ctx->free_reqs = NULL;
}

/*
 * A request was queued: count it, and hold @req->buf, whose memory it
 * uses.  @pinned_now: the kernel pins its pages for its duration (a plain
 * request, or any request on a backend without long-term pins).
 */
static force_inline void req_queued(struct pindio_ctx *ctx, struct req *req,
				    size_t len, bool pinned_now)
{
	ctx->inflight++;
	if (req->buf)
		req->buf->inflight++;
	req->dma_len = pinned_now ? len : 0;
	if (pinned_now)
		account_dma_start(ctx, len);
}

/* -ESTALE when [@addr, +@len) is memory of a released library buffer. */
static int check_retiring(struct pindio_ctx *ctx, const void *addr, size_t len)
{
	struct pindio_buf *old;

	if (likely(list_empty(&ctx->retiring)))
		return 0;
	old = pin_retiring_lookup(ctx, addr, len);
	if (!old)
		return 0;
	return fail(ctx, -ESTALE, "[%p, +%zu) is memory of buffer %p, allocated by pindio and released: it is unmapped once its last request completes; allocate another buffer",
		    addr, len, (void *)old);
}

static int queue_full(struct pindio_ctx *ctx)
{
	return fail_quiet(ctx, -EBUSY, "all %u requests of the queue depth are queued or in flight; reap completions first",
			  ctx->queue_depth);
}

/*
 * The pool's next free request, filled in for the caller's callback but
 * still in the pool: req_get() takes it once the backend has queued it.
 */
static force_inline struct req *req_peek(struct pindio_ctx *ctx,
					 pindio_complete_fn fn, void *data,
					 int *err)
{
	struct req *req = ctx->free_reqs;

	if (unlikely(!req)) {
		*err = queue_full(ctx);
		return NULL;
	}
	req->fn = fn;
	req->data = data;
	req->op = NULL;
	return req;
}

/* Say which O_DIRECT rule a request broke (the slow half of check_rw). */
static int rw_invalid(struct pindio_file *file, const void *buf, size_t len,
		      uint64_t offset)
{
	struct pindio_ctx *ctx = file->ctx;

	if (!buf)
		return fail(ctx, -EINVAL, "buffer is NULL");
	if (!len)
		return fail(ctx, -EINVAL, "length is 0; give at least %u bytes",
			    file->offset_align);
	if (len > PINDIO_IO_MAX_LEN)
		return fail(ctx, -EINVAL, "length %zu exceeds the kernel's limit of %lu bytes for one read or write; split the request",
			    len, PINDIO_IO_MAX_LEN);
	if ((uintptr_t)buf & (file->mem_align - 1))
		return fail(ctx, -EINVAL, "buffer address %p is not aligned to %u bytes, as O_DIRECT on this file requires; use pindio_buf_alloc() or posix_memalign()",
			    buf, file->mem_align);
	if (len & (file->offset_align - 1))
		return fail(ctx, -EINVAL, "length %zu is not a multiple of %u bytes, the O_DIRECT alignment of this file",
			    len, file->offset_align);
	return fail(ctx, -EINVAL, "file offset %" PRIu64 " is not a multiple of %u bytes, the O_DIRECT alignment of this file",
		    offset, file->offset_align);
}

/*
 * Queue a read or write.  @fixed is the registered buffer the caller
 * named, or NULL to look the address up.
 */
static force_inline struct req *queue_rw(struct pindio_file *file,
					 bool write, void *buf, size_t len,
					 uint64_t offset,
					 struct pindio_buf *fixed,
					 pindio_complete_fn fn, void *data,
					 int *err)
{
	struct pindio_ctx *ctx = file->ctx;
	struct req *req;
	int ret;

	if (unlikely(!buf || !len || len > PINDIO_IO_MAX_LEN ||
		     ((uintptr_t)buf & (file->mem_align - 1)) ||
		     ((len | offset) & (file->offset_align - 1)))) {
		*err = rw_invalid(file, buf, len, offset);
		return NULL;
	}
	req = req_peek(ctx, fn, data, err);
	if (unlikely(!req))
		return NULL;
	req->buf = fixed ? fixed : pin_lookup(ctx, buf, len);
	if (unlikely(!req->buf && (*err = check_retiring(ctx, buf, len)) < 0))
		return NULL;
	/* io_uring, nearly every context's backend, inline (uring.h). */
	if (likely(ctx->backend == &backend_uring))
		ret = uring_queue_rw(ctx, req, write, file, buf, len, offset);
	else
		ret = ctx->backend->queue_rw(ctx, req, write, file, buf, len,
					     offset);
	if (unlikely(ret < 0)) {
		*err = ret;
		return NULL;
	}
	req_get(ctx);
	req_queued(ctx, req, len, !req->buf || !ctx->backend->longterm_pins);
	return req;
}

/*
 * Say which rule a request on a registered buffer broke (the slow half of
 * the checks queue_fixed() adds to queue_rw()'s).
 */
static int fixed_invalid(struct pindio_file *file, struct pindio_buf *buf,
			 size_t buf_offset, size_t len)
{
	struct pindio_ctx *ctx = file->ctx;

	if (!buf)
		return fail(ctx, -EINVAL, "registered buffer is NULL");
	if (buf->ctx != ctx)
		return fail(ctx, -EXDEV, "buffer %p belongs to context %p, the file to context %p; register the memory on the file's context or share it with pindio_ctx_clone_bufs()",
			    (void *)buf, (void *)buf->ctx, (void *)ctx);
	if (buf->state != BUF_REGISTERED)
		return fail(ctx, -ESTALE, "buffer %p (+%zu) was released (%s): no new I/O may use it",
			    (void *)buf->addr, buf->len,
			    buf->state == BUF_RETIRING ? "retiring, requests still in flight" : "the kernel has unpinned it");
	return fail(ctx, -ERANGE, "[%zu, +%zu) does not fit in the buffer's %zu bytes",
		    buf_offset, len, buf->len);
}

static force_inline int queue_fixed(struct pindio_file *file, bool write,
				    struct pindio_buf *buf, size_t buf_offset,
				    size_t len, uint64_t offset,
				    pindio_complete_fn fn, void *data)
{
	int err;

	if (unlikely(!file))
		return -EINVAL;
	if (unlikely(!buf || buf->ctx != file->ctx ||
		     buf->state != BUF_REGISTERED || buf_offset > buf->len ||
		     len > buf->len - buf_offset))
		return fixed_invalid(file, buf, buf_offset, len);
	return queue_rw(file, write, buf->addr + buf_offset, len, offset, buf,
			fn, data, &err) ? 0 : err;
}

PINDIO_EXPORT
int pindio_file_read_fixed(struct pindio_file *file, struct pindio_buf *buf,
			   size_t buf_offset, size_t len, uint64_t offset,
			   pindio_complete_fn fn, void *data)
{
	return queue_fixed(file, false, buf, buf_offset, len, offset, fn, data);
}

PINDIO_EXPORT
int pindio_file_write_fixed(struct pindio_file *file, struct pindio_buf *buf,
			    size_t buf_offset, size_t len, uint64_t offset,
			    pindio_complete_fn fn, void *data)
{
	return queue_fixed(file, true, buf, buf_offset, len, offset, fn, data);
}

PINDIO_EXPORT
int pindio_file_read(struct pindio_file *file, void *buf, size_t len,
		     uint64_t offset, pindio_complete_fn fn, void *data)
{
	int err = 0;

	if (unlikely(!file))
		return -EINVAL;
	return queue_rw(file, false, buf, len, offset, NULL, fn, data, &err) ?
	       0 : err;
}

PINDIO_EXPORT
int pindio_file_write(struct pindio_file *file, const void *buf, size_t len,
		      uint64_t offset, pindio_complete_fn fn, void *data)
{
	int err = 0;

	if (unlikely(!file))
		return -EINVAL;
	return queue_rw(file, true, (void *)buf, len, offset, NULL, fn, data,
			&err) ?
	       0 : err;
}

PINDIO_EXPORT
int pindio_ctx_submit(struct pindio_ctx *ctx)
{
	if (unlikely(!ctx))
		return -EINVAL;
	return ctx->backend->submit(ctx);
}

/*
 * Every reap goes through here.  A callback may drop the context's last
 * reference; the context is then freed once the outermost reap is done
 * with it, never under a frame that still uses it.
 */
int io_reap(struct pindio_ctx *ctx, unsigned int min, int timeout_ms)
{
	int ret;

	/* Waiting for more than can complete would never return. */
	if (min > ctx->inflight)
		min = ctx->inflight;
	ctx->reap_depth++;
	ret = ctx->backend->reap(ctx, min, timeout_ms);
	if (--ctx->reap_depth == 0 && ctx->free_pending && !ctx->freeing)
		ctx_free(ctx);
	return ret;
}

PINDIO_EXPORT
int pindio_ctx_reap(struct pindio_ctx *ctx, unsigned int min_complete,
		    int timeout_ms)
{
	if (unlikely(!ctx))
		return -EINVAL;
	return io_reap(ctx, min_complete, timeout_ms);
}

PINDIO_EXPORT
unsigned int pindio_ctx_get_inflight(struct pindio_ctx *ctx)
{
	return ctx ? ctx->inflight : 0;
}

/* Wait for every request in flight, for at most @timeout_ms in all. */
int io_drain(struct pindio_ctx *ctx, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms, left;
	int ret = 0;

	while (ctx->inflight) {
		left = deadline - now_ms();
		if (left <= 0)
			break;
		ret = io_reap(ctx, ctx->inflight, (int)left);
		if (ret < 0 && ret != -EINTR)
			break;
	}
	return ctx->inflight ? (ret < 0 ? ret : -ETIMEDOUT) : 0;
}

void sync_done(void *data, int res)
{
	struct sync_wait *w = data;

	w->res = res;
	w->done = true;
}

/*
 * Reap until @w is done.  When the ring cannot take requests any more,
 * detach the request (@fn, @data are its callback fields) from the
 * caller's stack frame so that a later completion cannot write to it;
 * unless it completed in that very reap, whose result then stands.
 *
 * The caller holds a reference on @ctx from before it queued the request
 * until it is done with its result: another request's callback may drop
 * the file's and the caller's own references meanwhile.
 */
int sync_wait(struct pindio_ctx *ctx, struct sync_wait *w,
	      pindio_complete_fn *fn, void **data)
{
	int ret;

	while (!w->done) {
		ret = io_reap(ctx, 1, -1);
		if (ret >= 0 || ret == -EINTR || w->done)
			continue;
		*fn = NULL;
		*data = NULL;
		return ret;
	}
	return 0;
}

static ssize_t sync_result(struct pindio_ctx *ctx, const struct sync_wait *w,
			   bool write, size_t len, uint64_t offset)
{
	if (w->res < 0)
		return fail(ctx, w->res, "%s of %zu bytes at offset %" PRIu64 " failed: %s",
			    write ? "write" : "read", len, offset,
			    strerror(-w->res));
	return w->res;
}

/*
 * The end of a synchronous read or write: wait for @req (NULL when
 * queueing it failed with @err), say how it went, and drop the reference
 * the caller took on @ctx (see sync_wait()).
 */
static ssize_t sync_finish(struct pindio_ctx *ctx, struct req *req, int err,
			   struct sync_wait *w, bool write, size_t len,
			   uint64_t offset)
{
	ssize_t ret;

	if (!req || (err = sync_wait(ctx, w, &req->fn, &req->data)) < 0)
		ret = err;
	else
		ret = sync_result(ctx, w, write, len, offset);
	pindio_ctx_unref(ctx);
	return ret;
}

static ssize_t sync_rw(struct pindio_file *file, bool write, void *buf,
		       size_t len, uint64_t offset)
{
	struct sync_wait w = { 0, false };
	struct pindio_ctx *ctx;
	struct req *req;
	int err = 0;

	if (!file)
		return -EINVAL;
	ctx = pindio_ctx_ref(file->ctx);
	req = queue_rw(file, write, buf, len, offset, NULL, sync_done, &w, &err);
	return sync_finish(ctx, req, err, &w, write, len, offset);
}

PINDIO_EXPORT
ssize_t pindio_file_pread(struct pindio_file *file, void *buf, size_t len,
			  uint64_t offset)
{
	return sync_rw(file, false, buf, len, offset);
}

PINDIO_EXPORT
ssize_t pindio_file_pwrite(struct pindio_file *file, const void *buf,
			   size_t len, uint64_t offset)
{
	return sync_rw(file, true, (void *)buf, len, offset);
}

/* ---- vectored I/O ------------------------------------------------------- */

/*
 * Check the segments against the file's O_DIRECT rules, one by one, and
 * find the registered buffer they use.  *@total: their length;
 * *@fixed: every segment lies in *@bufp.
 */
static int check_iov(struct pindio_file *file, const struct iovec *iov,
		     int iovcnt, uint64_t offset, size_t *total,
		     struct pindio_buf **bufp, bool *fixed)
{
	struct pindio_ctx *ctx = file->ctx;
	struct pindio_buf *one = NULL, *b;
	bool plain = false;
	size_t sum = 0;
	int i, ret;

	if (!iov)
		return fail(ctx, -EINVAL, "iovec array is NULL");
	if (iovcnt < 1 || iovcnt > PINDIO_IOV_MAX)
		return fail(ctx, -EINVAL, "%d segments; give 1 to %d (PINDIO_IOV_MAX)",
			    iovcnt, PINDIO_IOV_MAX);
	if (offset & (file->offset_align - 1))
		return fail(ctx, -EINVAL, "file offset %" PRIu64 " is not a multiple of %u bytes, the O_DIRECT alignment of this file",
			    offset, file->offset_align);
	for (i = 0; i < iovcnt; i++) {
		const void *base = iov[i].iov_base;
		size_t len = iov[i].iov_len;

		/*
		 * The kernel's fixed vectored ops refuse empty segments
		 * (-EFAULT): a request with one is plain.
		 */
		if (!len) {
			plain = true;
			continue;
		}
		if (!base)
			return fail(ctx, -EINVAL, "segment %d: address is NULL with length %zu",
				    i, len);
		if ((uintptr_t)base & (file->mem_align - 1))
			return fail(ctx, -EINVAL, "segment %d: address %p is not aligned to %u bytes, as O_DIRECT on this file requires; use pindio_buf_alloc() or posix_memalign()",
				    i, base, file->mem_align);
		if (len & (file->offset_align - 1))
			return fail(ctx, -EINVAL, "segment %d: length %zu is not a multiple of %u bytes, the O_DIRECT alignment of this file",
				    i, len, file->offset_align);
		if (len > PINDIO_IO_MAX_LEN - sum)
			return fail(ctx, -EINVAL, "segments 0-%d add up to more than the kernel's limit of %lu bytes for one request; split the request",
				    i, PINDIO_IO_MAX_LEN);
		sum += len;

		b = pin_lookup(ctx, base, len);
		if (!b) {
			ret = check_retiring(ctx, base, len);
			if (ret < 0)
				return ret;
			plain = true;
			continue;
		}
		if (one && b != one)
			return fail(ctx, -EXDEV, "segment %d lies in registered buffer %d, an earlier one in buffer %d: a vectored request may use one registered buffer (the kernel's READV_FIXED takes one index); split the request, or register one buffer covering both",
				    i, b->index, one->index);
		one = b;
	}
	if (!sum)
		return fail(ctx, -EINVAL, "the %d segments have no bytes; give at least %u",
			    iovcnt, file->offset_align);
	*total = sum;
	*bufp = one;
	*fixed = one && !plain;
	return 0;
}

static struct req *queue_rwv(struct pindio_file *file, bool write,
			     const struct iovec *iov, int iovcnt,
			     uint64_t offset, pindio_complete_fn fn,
			     void *data, size_t *total, int *err)
{
	struct pindio_ctx *ctx = file->ctx;
	struct pindio_buf *buf = NULL;
	bool fixed = false;
	struct req *req;
	int ret;

	ret = check_iov(file, iov, iovcnt, offset, total, &buf, &fixed);
	if (ret < 0) {
		*err = ret;
		return NULL;
	}
	req = req_peek(ctx, fn, data, err);
	if (unlikely(!req))
		return NULL;
	req->buf = buf;
	/* 1 when the backend used the buffer's long-term pin. */
	ret = ctx->backend->queue_rwv(ctx, req, write, file, iov, iovcnt,
				      offset, fixed);
	if (unlikely(ret < 0)) {
		*err = ret;
		return NULL;
	}
	req_get(ctx);
	req_queued(ctx, req, *total, ret == 0);
	return req;
}

static int queue_vec(struct pindio_file *file, bool write,
		     const struct iovec *iov, int iovcnt, uint64_t offset,
		     pindio_complete_fn fn, void *data)
{
	size_t total;
	int err = 0;

	if (unlikely(!file))
		return -EINVAL;
	return queue_rwv(file, write, iov, iovcnt, offset, fn, data, &total,
			 &err) ? 0 : err;
}

PINDIO_EXPORT
int pindio_file_readv(struct pindio_file *file, const struct iovec *iov,
		      int iovcnt, uint64_t offset, pindio_complete_fn fn,
		      void *data)
{
	return queue_vec(file, false, iov, iovcnt, offset, fn, data);
}

PINDIO_EXPORT
int pindio_file_writev(struct pindio_file *file, const struct iovec *iov,
		       int iovcnt, uint64_t offset, pindio_complete_fn fn,
		       void *data)
{
	return queue_vec(file, true, iov, iovcnt, offset, fn, data);
}

static ssize_t sync_rwv(struct pindio_file *file, bool write,
			const struct iovec *iov, int iovcnt, uint64_t offset)
{
	struct sync_wait w = { 0, false };
	struct pindio_ctx *ctx;
	size_t total = 0;
	struct req *req;
	int err = 0;

	if (!file)
		return -EINVAL;
	ctx = pindio_ctx_ref(file->ctx);
	req = queue_rwv(file, write, iov, iovcnt, offset, sync_done, &w,
			&total, &err);
	return sync_finish(ctx, req, err, &w, write, total, offset);
}

PINDIO_EXPORT
ssize_t pindio_file_preadv(struct pindio_file *file, const struct iovec *iov,
			   int iovcnt, uint64_t offset)
{
	return sync_rwv(file, false, iov, iovcnt, offset);
}

PINDIO_EXPORT
ssize_t pindio_file_pwritev(struct pindio_file *file, const struct iovec *iov,
			    int iovcnt, uint64_t offset)
{
	return sync_rwv(file, true, iov, iovcnt, offset);
}
