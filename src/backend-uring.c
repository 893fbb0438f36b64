// SPDX-License-Identifier: LGPL-2.1-or-later
/* The io_uring backend, over liburing. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uring.h"

/*
 * CQE user_data: requests are pointers to struct req (8-byte aligned, low
 * bit clear); buffer tags are pointers to struct pindio_buf with the low
 * bit set, so one test tells them apart without a lookup.
 */
#define TAG_BIT	1ULL

/*
 * IORING_OP_READV_FIXED and WRITEV_FIXED (Linux 6.15): liburing 2.3
 * knows neither.  The SQE is a readv's with buf_index naming the
 * registered buffer every segment lies in.
 */
#define PINDIO_OP_READV_FIXED	60
#define PINDIO_OP_WRITEV_FIXED	61

static unsigned int ring_flags(unsigned int flags)
{
	unsigned int rf = 0;

	if (flags & PINDIO_CTX_SQPOLL)
		rf |= IORING_SETUP_SQPOLL;
	if (flags & PINDIO_CTX_IOPOLL)
		rf |= IORING_SETUP_IOPOLL;
	if (flags & PINDIO_CTX_COOP_TASKRUN)
		rf |= IORING_SETUP_COOP_TASKRUN;
	if (flags & PINDIO_CTX_SINGLE_ISSUER)
		rf |= IORING_SETUP_SINGLE_ISSUER;
	if (flags & PINDIO_CTX_DEFER_TASKRUN)
		rf |= IORING_SETUP_DEFER_TASKRUN;
	/*
	 * No IORING_SETUP_TASKRUN_FLAG: with it, liburing's peek enters the
	 * kernel whenever completion work is pending, without submitting
	 * what callbacks queued meanwhile, and the device runs dry (10%
	 * fewer 4k IOPS at QD32 on a loop device).  uring_reap() enters
	 * itself when it does not wait.
	 */
	return rf;
}

static const char *uring_unavailable_reason(int ret)
{
	static const char *const disabled[] = {
		"kernel.io_uring_disabled=0",
		"kernel.io_uring_disabled=1 (only the io_uring_group may create rings)",
		"kernel.io_uring_disabled=2 (io_uring is disabled for all)",
	};
	FILE *f;
	int v = -1;

	if (ret == -ENOSYS)
		return "io_uring_setup is unknown to the kernel (built without io_uring) or a seccomp profile answers ENOSYS";
	f = fopen("/proc/sys/kernel/io_uring_disabled", "re");
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	if (v >= 1 && v <= 2)
		return disabled[v];
	return "a seccomp profile or security module forbids io_uring_setup";
}

static unsigned int file_table_slots(void)
{
	struct rlimit rl;

	/* The kernel refuses a file table larger than RLIMIT_NOFILE. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < FIXED_FILE_SLOTS)
		return (unsigned int)rl.rlim_cur;
	return FIXED_FILE_SLOTS;
}

/*
 * What the kernel charges to RLIMIT_MEMLOCK for the ring itself
 * (io_allocate_scq_urings()): the SQ/CQ rings region and the SQE array,
 * each in whole pages.  Checked on 6.18: 2 pages at depth 1, 26 at 1024,
 * 801 at 32768.
 */
static uint64_t ring_pages(struct io_uring *ring)
{
	size_t rings = ring->sq.ring_sz > ring->cq.ring_sz ? ring->sq.ring_sz :
							     ring->cq.ring_sz;
	size_t sqes = (size_t)*ring->sq.kring_entries *
		      sizeof(struct io_uring_sqe);

	return (rings + 4095) / 4096 + (sqes + 4095) / 4096;
}

static bool probe_rwv_fixed(struct pindio_ctx *ctx, struct io_uring *ring)
{
	struct io_uring_probe *p;
	bool ok;

	p = io_uring_get_probe_ring(ring);
	if (!p) {
		info(ctx, "cannot probe the ring's opcodes; vectored I/O on registered buffers will be plain readv/writev\n");
		return false;
	}
	ok = io_uring_opcode_supported(p, PINDIO_OP_READV_FIXED) &&
	     io_uring_opcode_supported(p, PINDIO_OP_WRITEV_FIXED);
	io_uring_free_probe(p);
	if (!ok)
		info(ctx, "the kernel has no IORING_OP_READV_FIXED (Linux 6.15+); vectored I/O on registered buffers will be plain readv/writev\n");
	return ok;
}

static int uring_init(struct pindio_ctx *ctx)
{
	/*
	 * Flags that only tune performance, newest first: a kernel that
	 * refuses one (-EINVAL) gets the ring without it.
	 */
	static const unsigned int optional[] = {
		PINDIO_CTX_DEFER_TASKRUN,			/* 6.1 */
		PINDIO_CTX_SINGLE_ISSUER,			/* 6.0 */
		PINDIO_CTX_COOP_TASKRUN,			/* 5.19 */
	};
	struct uring *u;
	unsigned int slots, i;
	int ret;

	u = zalloc_lines(sizeof(*u));
	if (!u)
		return fail(ctx, -ENOMEM, "out of memory for the io_uring backend");

	ret = io_uring_queue_init(ctx->queue_depth, &u->ring,
				  ring_flags(ctx->flags));
	for (i = 0; ret == -EINVAL && i < ARRAY_SIZE(optional); i++) {
		if (!(ctx->flags & optional[i]))
			continue;
		info(ctx, "io_uring_setup refused flags 0x%x; retrying without PINDIO_CTX flag 0x%x\n",
		     ring_flags(ctx->flags), optional[i]);
		ctx->flags &= ~optional[i];
		/* DEFER_TASKRUN cannot stay without SINGLE_ISSUER. */
		if (optional[i] == PINDIO_CTX_SINGLE_ISSUER)
			ctx->flags &= ~PINDIO_CTX_DEFER_TASKRUN;
		ret = io_uring_queue_init(ctx->queue_depth, &u->ring,
					  ring_flags(ctx->flags));
	}
	if (ret == -ENOSYS || ret == -EPERM) {
		/* An error only when the context may not fall back. */
		snprintf(ctx->fallback_reason, sizeof(ctx->fallback_reason),
			 "%s", uring_unavailable_reason(ret));
		if (ctx->flags & PINDIO_CTX_NO_FALLBACK)
			fail(ctx, ret, "io_uring is not available: %s; PINDIO_CTX_NO_FALLBACK forbids falling back to libaio",
			     ctx->fallback_reason);
		else
			fail_quiet(ctx, ret, "io_uring is not available: %s",
				   ctx->fallback_reason);
		goto err_free;
	}
	if (ret < 0) {
		fail(ctx, ret, "io_uring_setup(entries=%u, flags=0x%x) failed: %s",
		     ctx->queue_depth, ring_flags(ctx->flags), strerror(-ret));
		goto err_free;
	}

	ret = io_uring_register_buffers_sparse(&u->ring, PINDIO_BUF_MAX_COUNT);
	if (ret < 0) {
		fail(ctx, ret, "cannot create the registered-buffer table (%u slots): %s; the kernel needs IORING_REGISTER_BUFFERS2 (Linux 5.19+)",
		     PINDIO_BUF_MAX_COUNT, strerror(-ret));
		goto err_exit;
	}

	slots = file_table_slots();
	if (ctx->flags & PINDIO_CTX_NO_FIXED_FILES) {
		/* Asked for: files_registered stays false. */
		dbg(ctx, "PINDIO_CTX_NO_FIXED_FILES: using plain descriptors\n");
	} else {
		ret = slots ? io_uring_register_files_sparse(&u->ring, slots) :
		      -EMFILE;
		if (ret < 0) {
			/* Not fatal: files are then used through descriptors. */
			info(ctx, "no fixed-file table (%s); using plain descriptors\n",
			     strerror(-ret));
		} else {
			ctx->files_registered = true;
			ctx->file_slots = slots;
		}
	}

	u->rwv_fixed = probe_rwv_fixed(ctx, &u->ring);

	ctx->backend_data = u;
	ctx->ring_pages = ring_pages(&u->ring);
	return 0;

err_exit:
	io_uring_queue_exit(&u->ring);
err_free:
	free(u);
	return ret;
}

static void uring_fini(struct pindio_ctx *ctx)
{
	struct uring *u = ctx->backend_data;

	if (!u)
		return;
	io_uring_queue_exit(&u->ring);
	free(u);
	ctx->backend_data = NULL;
}

static int uring_file_set(struct pindio_ctx *ctx, unsigned int slot, int fd)
{
	int ret;

	ret = io_uring_register_files_update(ring_of(ctx), slot, &fd, 1);
	return ret < 0 ? ret : 0;
}

static int uring_buf_update(struct pindio_ctx *ctx, unsigned int slot,
			    void *addr, size_t len, uint64_t tag)
{
	struct iovec iov = { .iov_base = addr, .iov_len = len };
	__u64 t = tag;
	int ret;

	ret = io_uring_register_buffers_update_tag(ring_of(ctx), slot, &iov,
						   &t, 1);
	return ret < 0 ? ret : 0;
}

static int uring_buf_add(struct pindio_ctx *ctx, struct pindio_buf *buf)
{
	/* The tag comes back as a CQE once the kernel unpins the pages. */
	return uring_buf_update(ctx, (unsigned int)buf->index,
				buf->region->addr, buf->region->len,
				(uintptr_t)buf | TAG_BIT);
}

static int uring_buf_del(struct pindio_ctx *ctx, struct pindio_buf *buf)
{
	return uring_buf_update(ctx, (unsigned int)buf->index, NULL, 0, 0);
}

static void uring_buf_del_all(struct pindio_ctx *ctx)
{
	/* Posts the tag of every buffer still in the table. */
	io_uring_unregister_buffers(ring_of(ctx));
}

/*
 * IORING_REGISTER_CLONE_BUFFERS: liburing 2.3 has no wrapper, and its
 * header neither the opcode nor the argument (include/uapi/linux/
 * io_uring.h, Linux 6.13).  DST_REPLACE because every ring here already
 * has its own (empty, sparse) table; without it the kernel says -EBUSY.
 */
#define PINDIO_REGISTER_CLONE_BUFFERS	30
#define PINDIO_REGISTER_DST_REPLACE	(1U << 1)

struct pindio_clone_buffers {
	__u32 src_fd;
	__u32 flags;
	__u32 src_off;
	__u32 dst_off;
	__u32 nr;
	__u32 pad[3];
};

static int uring_buf_clone(struct pindio_ctx *ctx, struct pindio_ctx *src)
{
	struct pindio_clone_buffers arg = {
		.src_fd = (__u32)ring_of(src)->ring_fd,
		.flags = PINDIO_REGISTER_DST_REPLACE,
	};
	long ret;

	ret = syscall(__NR_io_uring_register, ring_of(ctx)->ring_fd,
		      PINDIO_REGISTER_CLONE_BUFFERS, &arg, 1);
	if (ret == 0)
		return 0;
	/* Older kernels: unknown opcode (6.11-) or flag (6.12). */
	if (errno == EINVAL)
		return -EOPNOTSUPP;
	return -errno;
}

/*
 * The ring looked full.  At most queue_depth requests exist (io.c), so it
 * has room, but for one window: with SQPOLL the kernel thread posts a
 * batch's inline completions before it moves the SQ head past the batch
 * (io_submit_sqes(): io_submit_state_end(), then io_commit_sqring()), so
 * a request reaped and queued again in that window finds every entry
 * still taken.  Wait for the thread once then: the kernel returns from
 * that wait as soon as the ring it sees has room.
 */
int uring_get_sqe_slow(struct pindio_ctx *ctx, struct io_uring_sqe **sqe)
{
	struct io_uring *ring = ring_of(ctx);
	int ret;

	if (ring->flags & IORING_SETUP_SQPOLL) {
		do
			ret = io_uring_sqring_wait(ring);
		while (ret == -EINTR);
		if (ret < 0)
			return fail(ctx, ret, "waiting for the SQPOLL thread to free a submission queue entry: %s",
				    strerror(-ret));
		*sqe = io_uring_get_sqe(ring);
		if (*sqe)
			return 0;
	}
	return fail(ctx, -EBUSY, "submission queue full");
}

/* The backend table's entry; io.c inlines the same function. */
static int uring_queue_rw_call(struct pindio_ctx *ctx, struct req *req,
			       bool write, struct pindio_file *file,
			       void *addr, size_t len, uint64_t offset)
{
	return uring_queue_rw(ctx, req, write, file, addr, len, offset);
}

static int uring_queue_rwv(struct pindio_ctx *ctx, struct req *req,
			   bool write, struct pindio_file *file,
			   const struct iovec *iov, int iovcnt,
			   uint64_t offset, bool fixed)
{
	struct uring *u = ctx->backend_data;
	struct io_uring_sqe *sqe;
	int ret;

	ret = uring_get_sqe(ctx, &sqe);
	if (unlikely(ret < 0))
		return ret;

	fixed = fixed && u->rwv_fixed;
	if (fixed) {
		io_uring_prep_rw(write ? PINDIO_OP_WRITEV_FIXED :
					 PINDIO_OP_READV_FIXED,
				 sqe, -1, iov, (unsigned int)iovcnt, offset);
		sqe->buf_index = (__u16)req->buf->index;
	} else if (write) {
		io_uring_prep_writev(sqe, -1, iov, (unsigned int)iovcnt, offset);
	} else {
		io_uring_prep_readv(sqe, -1, iov, (unsigned int)iovcnt, offset);
	}
	uring_sqe_set_file(sqe, file);
	io_uring_sqe_set_data(sqe, req);
	return fixed;
}

static int uring_queue_splice(struct pindio_ctx *ctx, struct req *req,
			      int fd_in, int64_t off_in, int fd_out,
			      int64_t off_out, unsigned int len, bool link)
{
	struct io_uring_sqe *sqe;
	int ret;

	ret = uring_get_sqe(ctx, &sqe);
	if (unlikely(ret < 0))
		return ret;
	io_uring_prep_splice(sqe, fd_in, off_in, fd_out, off_out, len, 0);
	if (link)
		sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data(sqe, req);
	return 0;
}

static int submit_error(struct pindio_ctx *ctx, int ret)
{
	if (ret == -EEXIST)
		return fail(ctx, ret, "this context was created with PINDIO_CTX_SINGLE_ISSUER: only the thread that created it may submit; create one context per thread");
	return fail(ctx, ret, "io_uring_enter failed: %s", strerror(-ret));
}

static int uring_submit(struct pindio_ctx *ctx)
{
	struct io_uring *ring = ring_of(ctx);
	int ret;

	/* liburing enters the kernel even with nothing to submit. */
	if (!io_uring_sq_ready(ring))
		return 0;
	ret = io_uring_submit(ring);
	if (unlikely(ret < 0))
		return submit_error(ctx, ret);
	return ret;
}

/*
 * The CQE at the head of the ring, or NULL.  The ring is read inline:
 * liburing 2.3's peek is a call into the shared library per CQE, ~45
 * instructions per request (callgrind, dio-bench at 4k).  Only when the
 * ring looks empty does liburing get a look, for completions the kernel
 * holds back after a CQ overflow, which it flushes (entering the kernel)
 * then.
 */
static inline struct io_uring_cqe *next_cqe(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	unsigned int shift = (ring->flags & IORING_SETUP_CQE32) ? 1 : 0;

	if (likely(io_uring_cq_ready(ring)))
		return &ring->cq.cqes[(*ring->cq.khead & ring->cq.ring_mask)
				      << shift];
	return io_uring_peek_batch_cqe(ring, &cqe, 1) ? cqe : NULL;
}

/*
 * Run the completions already in the CQ ring, one entry at a time: each is
 * copied out and the head advanced before its callback runs, so a callback
 * may queue, reap (even waiting) or drop references without finding an
 * entry twice or waiting for one an outer frame already holds.
 */
static unsigned int reap_ready(struct pindio_ctx *ctx)
{
	struct io_uring *ring = ring_of(ctx);
	struct io_uring_cqe *cqe;
	unsigned int reqs = 0;
	uintptr_t ud;
	int res;

	while ((cqe = next_cqe(ring))) {
		ud = (uintptr_t)cqe->user_data;
		res = cqe->res;
		io_uring_cqe_seen(ring, cqe);

		if (ud & TAG_BIT) {
			pin_buf_retired(ctx, (struct pindio_buf *)(ud & ~(uintptr_t)TAG_BIT));
			continue;
		}
		reqs += req_complete(ctx, (struct req *)ud, res);
	}
	return reqs;
}

/*
 * One io_uring_enter() per call at most, which both submits and waits:
 * what is queued when the call starts goes in with the wait; what the
 * callbacks run here queue is submitted by the next call (or by
 * pindio_ctx_submit()), together with that call's wait.
 */
static int uring_reap(struct pindio_ctx *ctx, unsigned int min, int timeout_ms)
{
	struct io_uring *ring = ring_of(ctx);
	bool queued = io_uring_sq_ready(ring) > 0;
	int64_t deadline = 0;
	unsigned int done;
	int ret;

	done = reap_ready(ctx);
	if (done >= min) {
		/*
		 * No waiting.  Still enter when requests are queued, or when
		 * polling with requests in flight: with COOP_TASKRUN and
		 * DEFER_TASKRUN completions are posted only when this task
		 * enters the kernel.  With DEFER_TASKRUN, also when polling
		 * with nothing in flight: a request the kernel ran in an
		 * io-wq worker may be freed, and its file (a splice target's
		 * socket or pipe, whose last reference gives the reader end
		 * of file) let go, only there, after its CQE was seen.
		 */
		if (!queued && (min || (!ctx->inflight &&
					!(ctx->flags & PINDIO_CTX_DEFER_TASKRUN))))
			return (int)done;
		ret = io_uring_submit_and_get_events(ring);
		if (ret < 0)
			return submit_error(ctx, ret);
		if (!min)
			done += reap_ready(ctx);
		return (int)done;
	}

	if (timeout_ms >= 0)
		deadline = now_ms() + timeout_ms;
	while (done < min) {
		unsigned int want = min - done;

		/* A callback that reaped may have taken some of ours. */
		if (want > ctx->inflight)
			want = ctx->inflight;
		if (!want)
			break;

		if (timeout_ms < 0) {
			ret = io_uring_submit_and_wait(ring, want);
		} else {
			struct __kernel_timespec ts;
			struct io_uring_cqe *cqe;
			int64_t left = deadline - now_ms();

			if (left < 0)
				left = 0;
			ts.tv_sec = left / 1000;
			ts.tv_nsec = (left % 1000) * 1000000;
			ret = io_uring_submit_and_wait_timeout(ring, &cqe, want,
							       &ts, NULL);
		}
		done += reap_ready(ctx);
		if (ret == -ETIME || (timeout_ms >= 0 && now_ms() >= deadline))
			break;
		if (ret == -EINTR) {
			if (done)
				break;
			return fail_quiet(ctx, ret, "interrupted by a signal while waiting for completions");
		}
		if (ret < 0 && ret != -EAGAIN && ret != -EBUSY)
			return submit_error(ctx, ret);
	}
	return (int)done;
}

/*
 * Before a table slot is emptied or a descriptor closed: make sure every
 * queued request has been taken in by the kernel, which holds its own
 * references from then on.  With SQPOLL, submitting only publishes the SQ
 * tail; the kernel thread consumes entries (taking those references under
 * the ring lock that registration also takes) a little later.
 */
static int uring_flush(struct pindio_ctx *ctx)
{
	struct io_uring *ring = ring_of(ctx);
	int ret;

	if (!io_uring_sq_ready(ring))
		return 0;
	ret = io_uring_submit(ring);
	if (ret < 0)
		return submit_error(ctx, ret);
	while ((ring->flags & IORING_SETUP_SQPOLL) && io_uring_sq_ready(ring)) {
		ret = io_uring_sqring_wait(ring);
		if (ret < 0 && ret != -EINTR)
			return submit_error(ctx, ret);
		sched_yield();
	}
	return 0;
}

const struct backend_ops backend_uring = {
	.name = "io_uring",
	.id = PINDIO_BACKEND_IO_URING,
	.longterm_pins = true,
	.init = uring_init,
	.fini = uring_fini,
	.file_set = uring_file_set,
	.buf_add = uring_buf_add,
	.buf_del = uring_buf_del,
	.buf_del_all = uring_buf_del_all,
	.buf_clone = uring_buf_clone,
	.queue_rw = uring_queue_rw_call,
	.queue_rwv = uring_queue_rwv,
	.queue_splice = uring_queue_splice,
	.submit = uring_submit,
	.flush = uring_flush,
	.reap = uring_reap,
};
