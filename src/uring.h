/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The io_uring backend's state, and the one piece of it that io.c inlines:
 * queueing a read or write.  Every request of a program that moves data
 * with pindio goes through uring_queue_rw(); as a call through the
 * backend's table it cost ~30 instructions a request in argument passing,
 * register saves and loads the caller had already made (callgrind,
 * bench/NOTES.md step 12).  Everything else stays in backend-uring.c.
 */
#ifndef PINDIO_URING_H
#define PINDIO_URING_H

#include <liburing.h>

#include "internal.h"

struct uring {
	struct io_uring ring;
	bool rwv_fixed;		/* the kernel has READV/WRITEV_FIXED */
};

static force_inline struct io_uring *ring_of(struct pindio_ctx *ctx)
{
	return &((struct uring *)ctx->backend_data)->ring;
}

/* The ring looked full: wait for SQPOLL, or say why not. */
__attribute__((cold))
int uring_get_sqe_slow(struct pindio_ctx *ctx, struct io_uring_sqe **sqe);

/* The next free SQE in *@sqe: 0, or a negative errno after saying why. */
static force_inline int uring_get_sqe(struct pindio_ctx *ctx,
				      struct io_uring_sqe **sqe)
{
	*sqe = io_uring_get_sqe(ring_of(ctx));
	if (likely(*sqe))
		return 0;
	return uring_get_sqe_slow(ctx, sqe);
}

/*
 * Point @sqe, already prepared, at @file: by its slot in the ring's
 * fixed-file table when it has one (the kernel then takes no file
 * reference per request), else by its descriptor.
 */
static force_inline void uring_sqe_set_file(struct io_uring_sqe *sqe,
					    const struct pindio_file *file)
{
	if (file->fixed_index >= 0) {
		sqe->fd = file->fixed_index;
		sqe->flags |= IOSQE_FIXED_FILE;
	} else {
		sqe->fd = file->fd;
	}
}

/*
 * Queue a read or write of [@addr, +@len) at @offset of @file; through
 * req->buf's long-term pin when it is set.  The backend's queue_rw.
 */
static force_inline int uring_queue_rw(struct pindio_ctx *ctx,
				       struct req *req, bool write,
				       struct pindio_file *file, void *addr,
				       size_t len, uint64_t offset)
{
	struct io_uring_sqe *sqe;
	int op, ret;

	ret = uring_get_sqe(ctx, &sqe);
	if (unlikely(ret < 0))
		return ret;
	if (req->buf)
		op = write ? IORING_OP_WRITE_FIXED : IORING_OP_READ_FIXED;
	else
		op = write ? IORING_OP_WRITE : IORING_OP_READ;
	io_uring_prep_rw(op, sqe, -1, addr, (unsigned int)len, offset);
	if (req->buf)
		sqe->buf_index = (__u16)req->buf->index;
	uring_sqe_set_file(sqe, file);
	io_uring_sqe_set_data(sqe, req);
	return 0;
}

#endif /* PINDIO_URING_H */
