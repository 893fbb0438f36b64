/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The interface between the library's core and the kernel interface that
 * moves the data.  io_uring (backend-uring.c) is the only backend today;
 * libaio joins it behind the same operations.
 *
 * Backends report completions by calling req_complete() for requests and
 * pin_buf_retired() when the kernel has dropped a released buffer.
 */
#ifndef PINDIO_BACKEND_H
#define PINDIO_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pindio_ctx;
struct pindio_buf;
struct pindio_file;
struct req;

struct backend_ops {
	const char *name;
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
	int (*submit)(struct pindio_ctx *ctx);
	/* Submit, and return once the kernel has taken every request in
	 * (so table slots may be emptied and descriptors closed). */
	int (*flush)(struct pindio_ctx *ctx);
	/* Submit what is queued and complete at least @min requests. */
	int (*reap)(struct pindio_ctx *ctx, unsigned int min, int timeout_ms);
};

extern const struct backend_ops backend_uring;

#endif /* PINDIO_BACKEND_H */
