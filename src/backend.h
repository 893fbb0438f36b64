/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The interface between the library's core and the kernel interface that
 * moves the data: io_uring (backend-uring.c) or libaio (backend-aio.c).
 *
 * Backends report completions by calling req_complete() for requests, and
 * count the requests it says completed (a splice's inner steps are not
 * requests of the caller's).  A backend that pins buffers long-term calls
 * pin_buf_retired() when the kernel has dropped a released buffer.
 */
#ifndef PINDIO_BACKEND_H
#define PINDIO_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "pindio.h"

struct pindio_ctx;
struct pindio_buf;
struct pindio_file;
struct req;

struct backend_ops {
	const char *name;
	enum pindio_backend id;
	/*
	 * buf_add() pins the buffer long-term and the kernel says when it
	 * let go (pin_buf_retired()).  Without it, a registration is
	 * accounting only: nothing is charged, each request's pages are
	 * pinned by the kernel for its duration, and a released buffer is
	 * gone once its last request completes.
	 */
	bool longterm_pins;
	/* Set up with ctx->queue_depth and ctx->flags; may clear optional
	 * flags the kernel lacks.  Sets ctx->ring_pages, the ring memory
	 * the kernel charges to RLIMIT_MEMLOCK. */
	int (*init)(struct pindio_ctx *ctx);
	void (*fini)(struct pindio_ctx *ctx);

	/* Fixed-file table: put @fd in @slot, or empty @slot. */
	int (*file_set)(struct pindio_ctx *ctx, unsigned int slot, int fd);

	/* Buffer table: fill buf->index with @buf (tagged), or empty it. */
	int (*buf_add)(struct pindio_ctx *ctx, struct pindio_buf *buf);
	int (*buf_del)(struct pindio_ctx *ctx, struct pindio_buf *buf);
	/* Drop the whole buffer table (teardown). */
	void (*buf_del_all)(struct pindio_ctx *ctx);
	/* Share @src's buffer table with @ctx, which has no buffers:
	 * -EOPNOTSUPP when the kernel cannot. */
	int (*buf_clone)(struct pindio_ctx *ctx, struct pindio_ctx *src);

	/* Queue a read or write; nothing reaches the kernel until submit. */
	int (*queue_rw)(struct pindio_ctx *ctx, struct req *req, bool write,
			struct pindio_file *file, void *addr, size_t len,
			uint64_t offset);
	/*
	 * Queue a vectored read or write.  @fixed: every segment lies in
	 * req->buf, so the backend may use its long-term pin.  Returns 1
	 * when it did, 0 for a plain request, or a negative errno.
	 */
	int (*queue_rwv)(struct pindio_ctx *ctx, struct req *req, bool write,
			 struct pindio_file *file, const struct iovec *iov,
			 int iovcnt, uint64_t offset, bool fixed);
	/*
	 * Queue a splice of @len bytes from @fd_in at @off_in to @fd_out at
	 * @off_out (-1: no offset).  @link: the next request queued runs
	 * only if this one moved all @len bytes.  NULL when the backend has
	 * no splice.
	 */
	int (*queue_splice)(struct pindio_ctx *ctx, struct req *req,
			    int fd_in, int64_t off_in, int fd_out,
			    int64_t off_out, unsigned int len, bool link);
	int (*submit)(struct pindio_ctx *ctx);
	/* Submit, and return once the kernel has taken every request in
	 * (so table slots may be emptied and descriptors closed). */
	int (*flush)(struct pindio_ctx *ctx);
	/* Submit what is queued and complete at least @min requests. */
	int (*reap)(struct pindio_ctx *ctx, unsigned int min, int timeout_ms);
};

extern const struct backend_ops backend_uring;
extern const struct backend_ops backend_aio;

#endif /* PINDIO_BACKEND_H */
