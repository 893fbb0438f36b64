// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Splice: file data to a pipe, a socket, a regular file or a character
 * device (such as /dev/null) without a copy through user space.  The
 * kernel cannot splice a file to a file or a socket directly, so the
 * data goes through a pipe of the context's:
 *
 *	IN:  splice(file at in_pos  -> pipe)      IOSQE_IO_LINK
 *	OUT: splice(pipe            -> target)
 *
 * a pipe's worth (a "round") at a time.  The kernel runs OUT only when IN
 * moved all it was asked for; otherwise OUT completes with -ECANCELED and
 * the next round is an OUT alone for what IN did move.  A round is over
 * when both of its steps have completed; the next one is decided then.
 *
 * Facts this rests on (Linux 6.18, ext4):
 *  - An O_DIRECT source is read by copy_splice_read(): a direct read into
 *    freshly allocated pages, so the offset and the length of each IN
 *    must be multiples of the file's O_DIRECT alignment (-EINVAL
 *    otherwise, even when the end of file falls inside the length).  The
 *    last IN of a length that is not a multiple is rounded up, and the
 *    few bytes read past what was asked are read out of the pipe at the
 *    end.
 *  - At end of file a direct read is short; at or past it it returns 0,
 *    even from an unaligned offset.
 *  - A pipe with room for the whole chunk never makes IN wait, and a
 *    pipe holding nothing of ours is the only kind that goes back to the
 *    pool (checked with FIONREAD, not assumed).
 *
 * Each running splice holds two requests of the pool (IN and OUT) from
 * start to end, and counts as one request in ctx->inflight.  It works on
 * duplicates of both descriptors, so that the caller may drop the file or
 * close its descriptor while the splice runs without a later step finding
 * the number reused.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "internal.h"

/* What each pipe is asked to hold; the kernel may give less. */
#define PIPE_WANT_SIZE		(1U << 20)
/* Idle pipes kept per context; more are closed. */
#define PIPE_POOL_MAX		4U

struct pipe_ent {
	int fds[2];		/* [0] read end, [1] write end */
	size_t size;		/* capacity in bytes (F_GETPIPE_SZ) */
	struct list_node node;	/* on ctx->idle_pipes while idle */
};

struct splice_op {
	struct list_node node;	/* on ctx->splices */
	struct req *in_req;
	struct req *out_req;
	struct pipe_ent *pipe;
	int fd_in;		/* our duplicates of the caller's */
	int fd_out;
	uint32_t align;		/* the source's O_DIRECT alignment */
	uint64_t in_pos;	/* where the next IN reads */
	int64_t out_pos;	/* where the next OUT writes, or -1 */
	size_t len;		/* bytes asked for */
	size_t done;		/* bytes the target has */
	size_t in_pipe;		/* bytes in the pipe */
	bool eof;
	/* the round in flight: step lengths (0: not part of it), results */
	unsigned int pending;
	unsigned int in_len;
	unsigned int out_len;
	int in_res;
	int out_res;
	int err;		/* a step could not be queued */
	pindio_complete_fn fn;
	void *data;
};

static void pipe_close(struct pipe_ent *p)
{
	close(p->fds[0]);
	close(p->fds[1]);
	free(p);
}

static int pipe_new(struct pindio_ctx *ctx, uint32_t align,
		    struct pipe_ent **out)
{
	struct pipe_ent *p;
	int size, ret;

	p = malloc(sizeof(*p));
	if (!p)
		return fail(ctx, -ENOMEM, "out of memory for a splice pipe");
	if (pipe2(p->fds, O_CLOEXEC) < 0) {
		ret = -errno;
		free(p);
		return fail(ctx, ret, "cannot create a pipe for the splice: %s; close descriptors or raise RLIMIT_NOFILE",
			    strerror(-ret));
	}
	/*
	 * Bigger pipes mean fewer rounds.  Without CAP_SYS_RESOURCE the
	 * kernel caps the size at fs.pipe-max-size and, past
	 * fs.pipe-user-pages-soft, refuses to grow pipes at all: then the
	 * pipe keeps what it was given.
	 */
	if (fcntl(p->fds[1], F_SETPIPE_SZ, PIPE_WANT_SIZE) < 0)
		dbg(ctx, "F_SETPIPE_SZ %u: %s; keeping the pipe's own size\n",
		    PIPE_WANT_SIZE, strerror(errno));
	size = fcntl(p->fds[1], F_GETPIPE_SZ);
	if (size < 0) {
		ret = -errno;
		pipe_close(p);
		return fail(ctx, ret, "F_GETPIPE_SZ on a splice pipe failed: %s",
			    strerror(-ret));
	}
	/* A direct read into the pipe must fit in it whole. */
	if ((uint32_t)size < align) {
		pipe_close(p);
		return fail(ctx, -EINVAL, "the kernel gives pipes of %d bytes, less than the file's O_DIRECT alignment of %u; raise fs.pipe-max-size or fs.pipe-user-pages-soft",
			    size, align);
	}
	p->size = (size_t)size;
	list_init(&p->node);
	dbg(ctx, "new splice pipe %d/%d of %zu bytes\n", p->fds[0], p->fds[1],
	    p->size);
	*out = p;
	return 0;
}

static int pipe_get(struct pindio_ctx *ctx, uint32_t align,
		    struct pipe_ent **out)
{
	struct pipe_ent *p;
	struct list_node *n;

	/* Pool pipes come from this context, the same file's size rule. */
	list_for_each(n, &ctx->idle_pipes) {
		p = list_entry(n, struct pipe_ent, node);
		if (p->size < align)
			continue;
		list_del(&p->node);
		ctx->nr_idle_pipes--;
		*out = p;
		return 0;
	}
	return pipe_new(ctx, align, out);
}

/*
 * Put @p back in the pool if it is certainly empty, else close it: bytes
 * left in a pipe would go to the next splice's target.
 */
static void pipe_put(struct pindio_ctx *ctx, struct pipe_ent *p)
{
	int left = -1;

	if (ctx->nr_idle_pipes >= PIPE_POOL_MAX ||
	    ioctl(p->fds[0], FIONREAD, &left) < 0 || left != 0) {
		dbg(ctx, "closing splice pipe %d/%d (%d bytes in it, %u idle)\n",
		    p->fds[0], p->fds[1], left, ctx->nr_idle_pipes);
		pipe_close(p);
		return;
	}
	list_add_tail(&ctx->idle_pipes, &p->node);
	ctx->nr_idle_pipes++;
}

/*
 * The bytes a rounded-up last IN read past the end of the request: fewer
 * than the alignment, read out so that the pipe may be pooled.  A blocking
 * read cannot wait: the bytes are in the pipe.
 */
static void pipe_discard(struct pindio_ctx *ctx, struct splice_op *op)
{
	char scratch[4096];
	ssize_t n;

	while (op->in_pipe) {
		n = read(op->pipe->fds[0], scratch,
			 op->in_pipe < sizeof(scratch) ? op->in_pipe :
							 sizeof(scratch));
		if (n <= 0) {
			dbg(ctx, "cannot empty splice pipe %d: %s\n",
			    op->pipe->fds[0], n ? strerror(errno) : "end of file");
			return;		/* pipe_put() closes it */
		}
		op->in_pipe -= (size_t)n;
	}
}

static void op_free(struct splice_op *op)
{
	if (op->pipe)
		pipe_close(op->pipe);
	close(op->fd_in);
	close(op->fd_out);
	free(op);
}

/*
 * The splice is over: give back what it held, then tell the caller.
 * Everything is given back first, so that the callback may queue again
 * (a splice included) and may drop the context's last reference.
 * Returns the number of the caller's requests completed: 1.
 */
static unsigned int op_finish(struct pindio_ctx *ctx, struct splice_op *op,
			      int res)
{
	pindio_complete_fn fn = op->fn;
	void *data = op->data;

	dbg(ctx, "splice %p done: %d (%zu of %zu bytes, %zu in the pipe)\n",
	    (void *)op, res, op->done, op->len, op->in_pipe);
	list_del(&op->node);
	op->in_req->op = NULL;
	op->out_req->op = NULL;
	req_put(ctx, op->in_req);
	req_put(ctx, op->out_req);
	/* After an error the pipe may hold the caller's bytes: close it. */
	if (res >= 0)
		pipe_discard(ctx, op);
	if (res >= 0 && !op->in_pipe)
		pipe_put(ctx, op->pipe);
	else
		pipe_close(op->pipe);
	op->pipe = NULL;
	ctx->inflight--;
	op_free(op);
	if (fn)
		fn(data, res);
	return 1;
}

static int queue_out(struct pindio_ctx *ctx, struct splice_op *op,
		     unsigned int len)
{
	int ret;

	ret = ctx->backend->queue_splice(ctx, op->out_req, op->pipe->fds[0],
					 -1, op->fd_out, op->out_pos, len,
					 false);
	if (ret < 0)
		return ret;
	op->out_len = len;
	op->out_res = 0;
	op->pending++;
	dbg(ctx, "splice %p: OUT %u bytes to %d at %" PRId64 "\n", (void *)op,
	    len, op->fd_out, op->out_pos);
	return 0;
}

/*
 * IN for the next chunk, with OUT linked to it.  The pipe is empty: the
 * chunk fits in it whole.  IN asks for the chunk rounded up to the
 * alignment (a direct read refuses anything else); OUT only for the
 * chunk.
 */
static int queue_round(struct pindio_ctx *ctx, struct splice_op *op)
{
	size_t chunk = op->len - op->done;
	unsigned int in_len;
	int ret;

	if (chunk > op->pipe->size)
		chunk = op->pipe->size;
	/* Both powers of two, the pipe no smaller: no overflow past it. */
	in_len = (unsigned int)((chunk + op->align - 1) & ~((size_t)op->align - 1));
	ret = ctx->backend->queue_splice(ctx, op->in_req, op->fd_in,
					 (int64_t)op->in_pos, op->pipe->fds[1],
					 -1, in_len, true);
	if (ret < 0)
		return ret;
	op->in_len = in_len;
	op->in_res = 0;
	op->pending++;
	dbg(ctx, "splice %p: IN %u bytes from %d at %" PRIu64 "\n", (void *)op,
	    in_len, op->fd_in, op->in_pos);
	/*
	 * Cannot fail (see splice_start()); if it did, IN is in the ring
	 * with a link to nothing, which ends the chain: wait for it, then
	 * report the error.
	 */
	ret = queue_out(ctx, op, (unsigned int)chunk);
	if (ret < 0)
		op->err = ret;
	return 0;
}

/* Fold the finished round into the counters; a negative errno if it failed. */
static int round_result(struct pindio_ctx *ctx, struct splice_op *op)
{
	bool in_short = false;
	int err = op->err;

	if (op->in_len) {
		if (op->in_res < 0) {
			if (!err)
				err = op->in_res;
		} else {
			op->in_pipe += (size_t)op->in_res;
			op->in_pos += (uint64_t)op->in_res;
			in_short = (unsigned int)op->in_res < op->in_len;
			/*
			 * 0: at or past the end.  A short read ending at an
			 * unaligned offset ended at the end too, and a
			 * direct read could not start from there.
			 */
			if (!op->in_res ||
			    (in_short && (op->in_pos & (op->align - 1))))
				op->eof = true;
		}
	}
	if (op->out_len) {
		if (op->out_res > 0) {
			op->in_pipe -= (size_t)op->out_res;
			op->done += (size_t)op->out_res;
			if (op->out_pos >= 0)
				op->out_pos += op->out_res;
		} else if (op->out_res == -ECANCELED && op->in_len &&
			   (op->in_res < 0 || in_short)) {
			/* The kernel broke the link: IN moved less. */
		} else if (op->out_res < 0) {
			if (!err)
				err = op->out_res;
		} else if (!err) {
			/* No progress from a blocking target: never loop. */
			err = -EIO;
		}
	}
	dbg(ctx, "splice %p: round IN %d/%u OUT %d/%u: %zu of %zu done, %zu in the pipe%s\n",
	    (void *)op, op->in_res, op->in_len, op->out_res, op->out_len,
	    op->done, op->len, op->in_pipe, op->eof ? ", end of file" : "");
	op->in_len = op->out_len = 0;
	op->in_res = op->out_res = 0;
	op->err = 0;
	return err;
}

/*
 * A step of a splice completed.  When it was the last of its round, start
 * the next round or finish.  Steps queued here are submitted by the next
 * reap: the reap that called us if it is still waiting, or the caller's
 * next one.  Returns the number of the caller's requests completed.
 */
unsigned int splice_step(struct pindio_ctx *ctx, struct req *req, int res)
{
	struct splice_op *op = req->op;
	size_t want;
	int err;

	if (req == op->in_req)
		op->in_res = res;
	else
		op->out_res = res;
	dbg(ctx, "splice %p: %s step: %d\n", (void *)op,
	    req == op->in_req ? "IN" : "OUT", res);
	if (--op->pending)
		return 0;

	err = round_result(ctx, op);
	if (err < 0)
		return op_finish(ctx, op, err);
	want = op->len - op->done;
	if (!want)
		return op_finish(ctx, op, (int)op->done);
	/* What the pipe holds first: a short IN, or a short OUT. */
	if (op->in_pipe) {
		err = queue_out(ctx, op, (unsigned int)(op->in_pipe < want ?
							op->in_pipe : want));
		return err < 0 ? op_finish(ctx, op, err) : 0;
	}
	if (op->eof)
		return op_finish(ctx, op, (int)op->done);
	err = queue_round(ctx, op);
	return err < 0 ? op_finish(ctx, op, err) : 0;
}

void splice_ctx_fini(struct pindio_ctx *ctx)
{
	struct list_node *n, *tmp;
	unsigned int left = 0;

	/*
	 * The ring is closed: steps still in flight were cancelled with it,
	 * and their requests go with the pool.  No callback is run.
	 */
	list_for_each_safe(n, tmp, &ctx->splices) {
		list_del(n);
		op_free(list_entry(n, struct splice_op, node));
		left++;
	}
	if (left)
		warn(ctx, "%u splices were still running when the ring closed; they are cancelled and their callbacks not run\n",
		     left);
	list_for_each_safe(n, tmp, &ctx->idle_pipes) {
		list_del(n);
		pipe_close(list_entry(n, struct pipe_ent, node));
	}
	ctx->nr_idle_pipes = 0;
}

static const char *file_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFDIR:
		return "a directory";
	case S_IFLNK:
		return "a symbolic link";
	case 0:
		return "an anonymous inode (eventfd, epoll, timerfd, signalfd...)";
	}
	return "of an unknown file type";
}

/* The rules pindio_file_splice() checks about the target. */
static int check_target(struct pindio_ctx *ctx, int fd_out,
			int64_t out_offset, size_t len)
{
	const char *what;
	struct stat st;
	bool stream;
	int fl;

	if (fstat(fd_out, &st) < 0)
		return fail(ctx, -EBADF, "descriptor %d is not open; give a pipe, a socket, a regular file or a character device open for writing",
			    fd_out);
	/* Character devices: /dev/null is the classic sink of a splice. */
	if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode) &&
	    !S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
		return fail(ctx, -EINVAL, "descriptor %d is %s (mode 0%o); splice writes to a pipe, a socket, a regular file or a character device such as /dev/null",
			    fd_out, file_type(st.st_mode),
			    (unsigned int)st.st_mode);
	if (out_offset < PINDIO_SPLICE_NO_OFFSET)
		return fail(ctx, -EINVAL, "target offset %" PRId64 " is negative; give an offset, or PINDIO_SPLICE_NO_OFFSET (-1) to write at the file's position",
			    out_offset);
	fl = fcntl(fd_out, F_GETFL);
	if (fl < 0)
		return fail(ctx, -errno, "F_GETFL on descriptor %d failed: %s",
			    fd_out, strerror(errno));
	what = S_ISREG(st.st_mode) ? "regular file" :
	       S_ISCHR(st.st_mode) ? "character device" :
	       S_ISFIFO(st.st_mode) ? "pipe" : "socket";
	stream = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
	if (!S_ISREG(st.st_mode) && out_offset != PINDIO_SPLICE_NO_OFFSET)
		return fail(ctx, -ESPIPE, "descriptor %d is a %s, which has no offset: give PINDIO_SPLICE_NO_OFFSET, not %" PRId64,
			    fd_out, what, out_offset);
	if (stream) {
		/*
		 * io_uring runs splices in its workers, which wait for the
		 * target; a full non-blocking one ends the splice with
		 * -EAGAIN part way, with no count of what it took.
		 */
		if (fl & O_NONBLOCK)
			return fail(ctx, -EINVAL, "descriptor %d is a %s in non-blocking mode (O_NONBLOCK): the splice would fail with -EAGAIN as soon as it is full; clear O_NONBLOCK while splicing",
				    fd_out, what);
		return 0;
	}
	if (out_offset >= 0 && (uint64_t)out_offset > (uint64_t)INT64_MAX - len)
		return fail(ctx, -EINVAL, "target offset %" PRId64 " + %zu bytes is past the largest file offset",
			    out_offset, len);
	if ((fl & O_ACCMODE) == O_RDONLY)
		return fail(ctx, -EBADF, "descriptor %d is a %s open read-only; open it with O_WRONLY or O_RDWR",
			    fd_out, what);
	/* A character device (/dev/null) is written as a stream. */
	if (S_ISCHR(st.st_mode))
		return 0;
	/* The kernel refuses it (-EINVAL), but only once data is in the pipe. */
	if (fl & O_APPEND)
		return fail(ctx, -EINVAL, "descriptor %d is open with O_APPEND, which the kernel does not splice to; open it without O_APPEND and give an offset, or PINDIO_SPLICE_NO_OFFSET",
			    fd_out);
	return 0;
}

static int check_splice(struct pindio_file *in, uint64_t in_offset,
			int fd_out, int64_t out_offset, size_t len)
{
	struct pindio_ctx *ctx = in->ctx;
	int ret;

	if (!ctx->backend->queue_splice)
		return fail(ctx, -EOPNOTSUPP, "this context uses %s, which has no splice; create the context with io_uring (without PINDIO_CTX_LIBAIO) to splice",
			    ctx->backend->name);
	/* The kernel fails every step with -EINVAL there. */
	if (ctx->flags & PINDIO_CTX_IOPOLL)
		return fail(ctx, -EOPNOTSUPP, "io_uring does not splice on a polled ring (PINDIO_CTX_IOPOLL); splice through a context created without it");
	if (!len || len > PINDIO_IO_MAX_LEN)
		return fail(ctx, -EINVAL, "length %zu is out of range; give 1 to %lu bytes and split larger splices",
			    len, PINDIO_IO_MAX_LEN);
	if (in_offset & (in->offset_align - 1))
		return fail(ctx, -EINVAL, "source offset %" PRIu64 " is not a multiple of %u bytes, the O_DIRECT alignment of the file (the kernel reads it with direct I/O)",
			    in_offset, in->offset_align);
	if (in_offset > (uint64_t)INT64_MAX)
		return fail(ctx, -EINVAL, "source offset %" PRIu64 " is past the largest file offset",
			    in_offset);
	ret = check_target(ctx, fd_out, out_offset, len);
	if (ret < 0)
		return ret;
	if (ctx->queue_depth < 2)
		return fail(ctx, -EINVAL, "a splice holds 2 requests and this context has a queue depth of 1; create it with a depth of 2 or more");
	if (!ctx->free_reqs || !ctx->free_reqs->next_free)
		return fail_quiet(ctx, -EBUSY, "a splice needs 2 free requests and %u of the queue depth's %u are free; reap completions first",
				  ctx->free_reqs ? 1U : 0U, ctx->queue_depth);
	return 0;
}

static struct splice_op *splice_start(struct pindio_file *in,
				      uint64_t in_offset, int fd_out,
				      int64_t out_offset, size_t len,
				      pindio_complete_fn fn, void *data,
				      int *err)
{
	struct pindio_ctx *ctx = in->ctx;
	struct splice_op *op;
	int ret;

	ret = check_splice(in, in_offset, fd_out, out_offset, len);
	if (ret < 0)
		goto err;

	op = calloc(1, sizeof(*op));
	if (!op) {
		ret = fail(ctx, -ENOMEM, "out of memory for a splice");
		goto err;
	}
	op->fd_in = fcntl(in->fd, F_DUPFD_CLOEXEC, 0);
	if (op->fd_in < 0) {
		ret = fail(ctx, -errno, "cannot duplicate the source's descriptor %d: %s",
			   in->fd, strerror(errno));
		goto err_free;
	}
	op->fd_out = fcntl(fd_out, F_DUPFD_CLOEXEC, 0);
	if (op->fd_out < 0) {
		ret = fail(ctx, -errno, "cannot duplicate descriptor %d: %s",
			   fd_out, strerror(errno));
		goto err_close_in;
	}
	ret = pipe_get(ctx, in->offset_align, &op->pipe);
	if (ret < 0)
		goto err_close_out;

	op->align = in->offset_align;
	op->in_pos = in_offset;
	op->out_pos = out_offset;
	op->len = len;
	op->fn = fn;
	op->data = data;
	/*
	 * Checked free above.  The SQ has queue_depth entries and at most
	 * queue_depth requests exist, each with at most one SQE queued, so
	 * neither step can find the SQ full.
	 */
	op->in_req = req_get(ctx);
	op->out_req = req_get(ctx);
	op->in_req->op = op->out_req->op = op;
	op->in_req->fn = op->out_req->fn = NULL;
	op->in_req->data = op->out_req->data = NULL;
	op->in_req->buf = op->out_req->buf = NULL;
	op->in_req->dma_len = op->out_req->dma_len = 0;

	dbg(ctx, "splice %p: %zu bytes from %d at %" PRIu64 " to %d at %" PRId64 " through pipe %d/%d (%zu bytes)\n",
	    (void *)op, len, in->fd, in_offset, fd_out, out_offset,
	    op->pipe->fds[0], op->pipe->fds[1], op->pipe->size);
	ret = queue_round(ctx, op);
	if (ret < 0) {
		/* Nothing reached the ring. */
		op->in_req->op = op->out_req->op = NULL;
		req_put(ctx, op->in_req);
		req_put(ctx, op->out_req);
		pipe_put(ctx, op->pipe);
		op->pipe = NULL;
		goto err_close_out;
	}
	list_add_tail(&ctx->splices, &op->node);
	ctx->inflight++;
	return op;

err_close_out:
	close(op->fd_out);
err_close_in:
	close(op->fd_in);
err_free:
	free(op);
err:
	*err = ret;
	return NULL;
}

PINDIO_EXPORT
int pindio_file_splice(struct pindio_file *in, uint64_t in_offset, int fd_out,
		       int64_t out_offset, size_t len, pindio_complete_fn fn,
		       void *data)
{
	int err = 0;

	if (!in)
		return -EINVAL;
	return splice_start(in, in_offset, fd_out, out_offset, len, fn, data,
			    &err) ? 0 : err;
}

PINDIO_EXPORT
ssize_t pindio_file_splice_sync(struct pindio_file *in, uint64_t in_offset,
				int fd_out, int64_t out_offset, size_t len)
{
	struct sync_wait w = { 0, false };
	struct pindio_ctx *ctx;
	struct splice_op *op;
	ssize_t ret;
	int err = 0;

	if (!in)
		return -EINVAL;
	/* A callback run meanwhile may drop the file: see sync_wait(). */
	ctx = pindio_ctx_ref(in->ctx);
	op = splice_start(in, in_offset, fd_out, out_offset, len, sync_done,
			  &w, &err);
	if (!op || (err = sync_wait(ctx, &w, &op->fn, &op->data)) < 0)
		ret = err;
	else if (w.res < 0)
		ret = fail(ctx, w.res, "splice of %zu bytes from offset %" PRIu64 " to descriptor %d failed: %s%s",
			   len, in_offset, fd_out, strerror(-w.res),
			   w.res == -EPIPE ? " (the reader closed its end)" : "");
	else
		ret = w.res;
	pindio_ctx_unref(ctx);
	return ret;
}
