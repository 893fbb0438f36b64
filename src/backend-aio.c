// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The libaio backend: for kernels where io_uring is missing, disabled or
 * forbidden.  Every request is a plain O_DIRECT request: the kernel pins
 * its pages for its duration only, so registering a buffer is accounting
 * only (longterm_pins is false) and there is no fixed-buffer or
 * fixed-file table.  No splice either: libaio has no such operation.
 *
 * libaio 0.3.113's io_setup(), io_submit(), io_getevents() and
 * io_destroy() return -errno themselves and leave errno alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libaio.h>

#include "internal.h"

/*
 * Every request of the pool is, at any time, in at most one of: the
 * pending array (queued, not yet given to the kernel), the kernel
 * (in_kernel), or the ready array (its completion fetched, or its
 * refusal by io_submit recorded, callback not run yet).  So none of them
 * can hold more than queue_depth entries, and all are preallocated.
 */
struct aio {
	io_context_t io;
	struct iocb *iocbs;		/* one per request: ctx->reqs[i] */
	struct iocb **pending;		/* queued, in submission order */
	unsigned int nr_pending;
	unsigned int in_kernel;		/* submitted, event not fetched */
	struct io_event *events;	/* ready: [ev_head, ev_tail) */
	unsigned int ev_head;
	unsigned int ev_tail;
};

static struct aio *aio_of(struct pindio_ctx *ctx)
{
	return ctx->backend_data;
}

static unsigned long read_sysctl(const char *path)
{
	unsigned long v = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%lu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

static int setup_error(struct pindio_ctx *ctx, int ret)
{
	switch (ret) {
	case -EAGAIN:
		/*
		 * Each AIO context of the system counts its depth in
		 * fs.aio-nr, which may not exceed fs.aio-max-nr.
		 */
		return fail(ctx, ret, "io_setup(%u) failed: the system-wide AIO event limit is exhausted (fs.aio-nr %lu of fs.aio-max-nr %lu; each context counts its queue depth); raise it with sysctl -w fs.aio-max-nr=N, free other AIO contexts, or use a smaller queue depth",
			    ctx->queue_depth,
			    read_sysctl("/proc/sys/fs/aio-nr"),
			    read_sysctl("/proc/sys/fs/aio-max-nr"));
	case -ENOSYS:
		return fail(ctx, ret, "io_setup(%u) failed: the kernel was built without AIO (CONFIG_AIO=n) and io_uring is not usable either; no backend is left",
			    ctx->queue_depth);
	case -EPERM:
		return fail(ctx, ret, "io_setup(%u) failed: a seccomp profile or security module forbids AIO too; allow io_setup/io_submit/io_getevents or io_uring",
			    ctx->queue_depth);
	case -ENOMEM:
		return fail(ctx, ret, "io_setup(%u) failed: out of memory for the AIO ring",
			    ctx->queue_depth);
	}
	return fail(ctx, ret, "io_setup(%u) failed: %s", ctx->queue_depth,
		    strerror(-ret));
}

static void aio_free(struct aio *a)
{
	free(a->events);
	free(a->pending);
	free(a->iocbs);
	free(a);
}

static int aio_init(struct pindio_ctx *ctx)
{
	unsigned int depth = ctx->queue_depth;
	struct aio *a;
	int ret;

	a = calloc(1, sizeof(*a));
	if (!a)
		return fail(ctx, -ENOMEM, "out of memory for the libaio backend");
	a->iocbs = calloc(depth, sizeof(*a->iocbs));
	a->pending = calloc(depth, sizeof(*a->pending));
	a->events = calloc(depth, sizeof(*a->events));
	if (!a->iocbs || !a->pending || !a->events) {
		ret = fail(ctx, -ENOMEM, "out of memory for %u libaio requests",
			   depth);
		goto err_free;
	}

	ret = io_setup((int)depth, &a->io);
	if (ret < 0) {
		setup_error(ctx, ret);
		goto err_free;
	}

	/*
	 * The AIO ring is not charged to RLIMIT_MEMLOCK, and there is no
	 * fixed-file table: files are used by descriptor.
	 */
	ctx->ring_pages = 0;
	ctx->files_registered = false;
	ctx->backend_data = a;
	dbg(ctx, "libaio context of %u events\n", depth);
	return 0;

err_free:
	aio_free(a);
	return ret;
}

static void aio_fini(struct pindio_ctx *ctx)
{
	struct aio *a = aio_of(ctx);
	int ret;

	if (!a)
		return;
	/* Waits for (or cancels) what is still in flight. */
	ret = io_destroy(a->io);
	if (ret < 0)
		err(ctx, "io_destroy failed: %s\n", strerror(-ret));
	if (a->nr_pending || a->in_kernel || a->ev_tail != a->ev_head)
		info(ctx, "libaio closed with %u requests queued, %u in flight and %u completed but not reaped\n",
		     a->nr_pending, a->in_kernel, a->ev_tail - a->ev_head);
	aio_free(a);
	ctx->backend_data = NULL;
}

static int aio_file_set(struct pindio_ctx *ctx, unsigned int slot, int fd)
{
	/* Never called: files_registered stays false. */
	return -EOPNOTSUPP;
}

/*
 * Registration is accounting only (pin.c): the kernel pins each request's
 * pages for the request's duration, and keeps no table.
 */
static int aio_buf_add(struct pindio_ctx *ctx, struct pindio_buf *buf)
{
	return 0;
}

static int aio_buf_del(struct pindio_ctx *ctx, struct pindio_buf *buf)
{
	return 0;
}

static void aio_buf_del_all(struct pindio_ctx *ctx)
{
}

static int aio_buf_clone(struct pindio_ctx *ctx, struct pindio_ctx *src)
{
	/* Nothing is pinned, so nothing to share (pin.c copies instead). */
	return -EOPNOTSUPP;
}

/* Cannot overflow: at most queue_depth requests exist (io.c). */
static void pending_add(struct pindio_ctx *ctx, struct req *req,
			struct iocb *iocb)
{
	struct aio *a = aio_of(ctx);

	iocb->data = req;
	a->pending[a->nr_pending++] = iocb;
}

static struct iocb *iocb_of(struct pindio_ctx *ctx, const struct req *req)
{
	return &aio_of(ctx)->iocbs[req - ctx->reqs];
}

static int aio_queue_rw(struct pindio_ctx *ctx, struct req *req, bool write,
			struct pindio_file *file, void *addr, size_t len,
			uint64_t offset)
{
	struct iocb *iocb = iocb_of(ctx, req);

	if (write)
		io_prep_pwrite(iocb, file->fd, addr, len, (long long)offset);
	else
		io_prep_pread(iocb, file->fd, addr, len, (long long)offset);
	pending_add(ctx, req, iocb);
	return 0;
}

static int aio_queue_rwv(struct pindio_ctx *ctx, struct req *req, bool write,
			 struct pindio_file *file, const struct iovec *iov,
			 int iovcnt, uint64_t offset, bool fixed)
{
	struct iocb *iocb = iocb_of(ctx, req);

	/* No fixed buffers here: always a plain request (returns 0). */
	if (write)
		io_prep_pwritev(iocb, file->fd, iov, iovcnt, (long long)offset);
	else
		io_prep_preadv(iocb, file->fd, iov, iovcnt, (long long)offset);
	pending_add(ctx, req, iocb);
	return 0;
}

/* Move the ready entries to the front, so the free room is at the end. */
static void ready_compact(struct aio *a)
{
	if (!a->ev_head)
		return;
	memmove(a->events, a->events + a->ev_head,
		(a->ev_tail - a->ev_head) * sizeof(*a->events));
	a->ev_tail -= a->ev_head;
	a->ev_head = 0;
}

/* Record a completion that did not come from the kernel's ring. */
static void ready_push(struct pindio_ctx *ctx, struct req *req, int res)
{
	struct aio *a = aio_of(ctx);
	struct io_event *ev;

	if (a->ev_tail == ctx->queue_depth)
		ready_compact(a);
	ev = &a->events[a->ev_tail++];
	memset(ev, 0, sizeof(*ev));
	ev->data = req;
	ev->res = (unsigned long)(long)res;
}

static void pending_drop(struct aio *a, unsigned int n)
{
	a->nr_pending -= n;
	if (a->nr_pending)
		memmove(a->pending, a->pending + n,
			a->nr_pending * sizeof(*a->pending));
}

/*
 * Give the pending iocbs to the kernel, in order.  io_submit() takes a
 * prefix of the array and says how many; a negative return is the
 * refusal of the first one (-EBADF for a descriptor not open for that
 * direction, -EINVAL...), except -EAGAIN, which means no room now: those
 * stay pending.  A refused request is completed with the refusal's errno
 * at the next reap, as io_uring posts a CQE for an SQE it could not run;
 * completing it here would run its callback inside pindio_ctx_submit(),
 * pindio_buf_release() or pindio_file_unref(), which call this.
 *
 * Returns the requests taken from the queue, refused ones included.
 */
static unsigned int submit_pending(struct pindio_ctx *ctx)
{
	struct aio *a = aio_of(ctx);
	unsigned int taken = 0;
	struct iocb *iocb;
	int ret;

	while (a->nr_pending) {
		ret = io_submit(a->io, (long)a->nr_pending, a->pending);
		if (ret > 0) {
			a->in_kernel += (unsigned int)ret;
			pending_drop(a, (unsigned int)ret);
			taken += (unsigned int)ret;
			continue;
		}
		if (ret == -EAGAIN || ret == 0) {
			dbg(ctx, "io_submit: no room in the kernel for %u requests; they stay queued\n",
			    a->nr_pending);
			break;
		}
		iocb = a->pending[0];
		pending_drop(a, 1);
		ready_push(ctx, iocb->data, ret);
		taken++;
		dbg(ctx, "io_submit refused a request on fd %d: %s\n",
		    iocb->aio_fildes, strerror(-ret));
	}
	return taken;
}

static int aio_submit(struct pindio_ctx *ctx)
{
	return (int)submit_pending(ctx);
}

/*
 * Fetch completed events into the ready array, at least @min_nr of them
 * unless @ts expires first (NULL: no limit).  Callbacks do not run here.
 */
static int fetch(struct pindio_ctx *ctx, unsigned int min_nr,
		 struct timespec *ts)
{
	struct aio *a = aio_of(ctx);
	int ret;

	ready_compact(a);
	/* Room for every request in the kernel: see struct aio. */
	ret = io_getevents(a->io, (long)min_nr,
			   (long)(ctx->queue_depth - a->ev_tail),
			   a->events + a->ev_tail, ts);
	if (ret > 0) {
		a->ev_tail += (unsigned int)ret;
		a->in_kernel -= (unsigned int)ret;
	}
	return ret;
}

/*
 * Run the ready completions, one at a time: each is copied out and taken
 * off the array before its callback runs, so a callback may queue, reap
 * (even waiting: it runs the rest of these first) or drop references.
 */
static unsigned int reap_ready(struct pindio_ctx *ctx)
{
	struct aio *a = aio_of(ctx);
	unsigned int reqs = 0;
	struct io_event ev;

	while (a->ev_head != a->ev_tail) {
		ev = a->events[a->ev_head++];
		if (a->ev_head == a->ev_tail)
			a->ev_head = a->ev_tail = 0;
		/* res: bytes moved (a short count is not an error) or -errno. */
		reqs += req_complete(ctx, ev.data, (int)(long)ev.res);
	}
	return reqs;
}

static int stuck(struct pindio_ctx *ctx)
{
	return fail(ctx, -EAGAIN, "io_submit says -EAGAIN for %u queued requests with none in flight: the kernel has no memory for AIO requests now; retry later",
		    aio_of(ctx)->nr_pending);
}

static void ms_to_timespec(int64_t ms, struct timespec *ts)
{
	if (ms < 0)
		ms = 0;
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (ms % 1000) * 1000000;
}

/*
 * Same contract as uring_reap(): submit what is queued, then complete at
 * least @min requests or wait until @timeout_ms (-1: no limit, 0: do not
 * wait) has passed.
 */
static int aio_reap(struct pindio_ctx *ctx, unsigned int min, int timeout_ms)
{
	struct aio *a = aio_of(ctx);
	struct timespec ts;
	int64_t deadline = 0;
	unsigned int done;
	int ret;

	submit_pending(ctx);
	done = reap_ready(ctx);
	if (done >= min) {
		/* Polling: collect what the kernel has finished, no wait. */
		if (min || !a->in_kernel)
			return (int)done;
		ms_to_timespec(0, &ts);
		ret = fetch(ctx, 0, &ts);
		done += reap_ready(ctx);
		if (ret < 0 && ret != -EINTR && !done)
			return fail(ctx, ret, "io_getevents failed: %s",
				    strerror(-ret));
		return (int)done;
	}

	if (timeout_ms >= 0)
		deadline = now_ms() + timeout_ms;
	while (done < min) {
		unsigned int want;

		/* What the callbacks queued goes in before the wait. */
		submit_pending(ctx);
		done += reap_ready(ctx);
		if (done >= min)
			break;
		want = min - done;
		/* A callback that reaped may have taken some of ours. */
		if (want > ctx->inflight)
			want = ctx->inflight;
		/* Only what the kernel holds can complete. */
		if (want > a->in_kernel)
			want = a->in_kernel;
		if (!want) {
			if (a->nr_pending && !done)
				return stuck(ctx);
			break;
		}

		if (timeout_ms < 0) {
			ret = fetch(ctx, want, NULL);
		} else {
			ms_to_timespec(deadline - now_ms(), &ts);
			ret = fetch(ctx, want, &ts);
		}
		done += reap_ready(ctx);
		if (timeout_ms >= 0 && now_ms() >= deadline)
			break;
		if (ret == -EINTR) {
			if (done)
				break;
			return fail_quiet(ctx, ret, "interrupted by a signal while waiting for completions");
		}
		if (ret < 0)
			return fail(ctx, ret, "io_getevents failed: %s",
				    strerror(-ret));
	}
	return (int)done;
}

/*
 * Before a buffer is released or a descriptor closed: every queued
 * request must be in the kernel, which holds its own references to the
 * file and pins the pages from then on.  When the kernel has no room,
 * wait for completions to make some; their callbacks run at the next
 * reap, not here.
 */
static int aio_flush(struct pindio_ctx *ctx)
{
	struct aio *a = aio_of(ctx);
	int ret;

	for (;;) {
		submit_pending(ctx);
		if (!a->nr_pending)
			return 0;
		if (!a->in_kernel)
			return stuck(ctx);
		ret = fetch(ctx, 1, NULL);
		if (ret < 0 && ret != -EINTR)
			return fail(ctx, ret, "io_getevents failed: %s",
				    strerror(-ret));
	}
}

const struct backend_ops backend_aio = {
	.name = "libaio",
	.id = PINDIO_BACKEND_LIBAIO,
	.longterm_pins = false,
	.init = aio_init,
	.fini = aio_fini,
	.file_set = aio_file_set,
	.buf_add = aio_buf_add,
	.buf_del = aio_buf_del,
	.buf_del_all = aio_buf_del_all,
	.buf_clone = aio_buf_clone,
	.queue_rw = aio_queue_rw,
	.queue_rwv = aio_queue_rwv,
	.queue_splice = NULL,	/* libaio has no splice: splice.c refuses */
	.submit = aio_submit,
	.flush = aio_flush,
	.reap = aio_reap,
};
