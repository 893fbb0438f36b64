// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fio external ioengine "pindio": fio's jobs through libpindio.
 *
 * Loaded with ioengine=external:/path/to/fio-pindio.so.  Each fio job
 * (thread or process) gets its own pindio context, created in the job's
 * own thread by ->init (the context is single-issuer); the job's io_u
 * memory is registered through pindio's pin account by ->post_init, so
 * every read and write from it is a fixed operation on a fixed file (by
 * default: pindio_fixedbufs=0, pindio_registerfiles=0 and the aio backend
 * each give that up).
 *
 * Built against a configured fio source tree of exactly the version of
 * the fio binary that loads it (configure --with-fio-src): fio checks
 * FIO_IOOPS_VERSION, but not the layout of struct thread_data and struct
 * io_u, which moves between releases and with fio's configure options.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <fio.h>
#include <optgroup.h>

#include "pindio.h"

/* pindio_backend= values. */
enum {
	ENGINE_BACKEND_URING	= 0,
	ENGINE_BACKEND_AIO	= 1,
};

struct pindio_options {
	void *pad;		/* fio: an option's off1 must not be 0 */
	unsigned int fixedbufs;
	unsigned int registerfiles;
	unsigned int sqpoll;
	unsigned int hipri;
	unsigned int hugepages;
	unsigned int backend;
};

/* One per fio job (thread_data), in td->io_ops_data. */
struct pindio_engine {
	struct pindio_ctx *ctx;
	/* The io_u memory as registered (fio's, or pindio's huge buffer). */
	struct pindio_buf *buf;
	/* pindio_hugepages: the library's buffer the io_u now point into. */
	struct pindio_buf *huge;
	/* Completed io_u, in completion order; the first nr_given of them
	 * were handed to fio by the last ->getevents. */
	struct io_u **done;
	unsigned int nr_done;
	unsigned int nr_given;
	unsigned int depth;
	/* Wall time spent in pindio_buf_register()/pindio_buf_alloc(). */
	uint64_t reg_ns;
	/* The first queueing error is reported with pindio's words. */
	int queue_error_logged;
	/* The pin report is out and the buffers are released. */
	int finished;
};

static struct fio_option options[] = {
	{
		.name	= "pindio_fixedbufs",
		.lname	= "pindio fixed buffers",
		.type	= FIO_OPT_BOOL,
		.off1	= offsetof(struct pindio_options, fixedbufs),
		.def	= "1",
		.help	= "Register the job's I/O memory with pindio (fixed reads and writes)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_IOURING,
	},
	{
		.name	= "pindio_registerfiles",
		.lname	= "pindio fixed files",
		.type	= FIO_OPT_BOOL,
		.off1	= offsetof(struct pindio_options, registerfiles),
		.def	= "1",
		.help	= "Use files through the ring's fixed-file table (0: PINDIO_CTX_NO_FIXED_FILES)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_IOURING,
	},
	{
		.name	= "pindio_sqpoll",
		.lname	= "pindio SQ polling",
		.type	= FIO_OPT_STR_SET,
		.off1	= offsetof(struct pindio_options, sqpoll),
		.help	= "A kernel thread polls the submission queue (PINDIO_CTX_SQPOLL)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_IOURING,
	},
	{
		.name	= "pindio_hipri",
		.lname	= "pindio polled completions",
		.type	= FIO_OPT_STR_SET,
		.off1	= offsetof(struct pindio_options, hipri),
		.help	= "Busy-poll for completions (PINDIO_CTX_IOPOLL); needs a device with poll queues",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_IOURING,
	},
	{
		.name	= "pindio_hugepages",
		.lname	= "pindio huge pages",
		.type	= FIO_OPT_STR_SET,
		.off1	= offsetof(struct pindio_options, hugepages),
		.help	= "Do I/O from a pindio buffer of 2 MiB pages (PINDIO_BUF_HUGE)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_IOURING,
	},
	{
		.name	= "pindio_backend",
		.lname	= "pindio backend",
		.type	= FIO_OPT_STR,
		.off1	= offsetof(struct pindio_options, backend),
		.def	= "uring",
		.help	= "What moves the data",
		.posval	= {
			{ .ival = "uring",
			  .oval = ENGINE_BACKEND_URING,
			  .help = "io_uring (libaio when io_uring is unavailable)",
			},
			{ .ival = "aio",
			  .oval = ENGINE_BACKEND_AIO,
			  .help = "libaio (PINDIO_CTX_LIBAIO)",
			},
		},
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_IOURING,
	},
	{
		.name	= NULL,
	},
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Information, not an error: fio's log_info() writes to the --output
 * stream, which with --output-format=json or terse must hold the report
 * alone for the programs that parse it; those formats get it on the
 * process's stderr.  Not log_err(): with --output, fio sends its error
 * stream to the same file.
 */
static void engine_info(const char *format, ...)
	__attribute__((format(printf, 1, 2)));

static void engine_info(const char *format, ...)
{
	char msg[1024];
	va_list args;

	va_start(args, format);
	vsnprintf(msg, sizeof(msg), format, args);
	va_end(args);
	if (output_format & (FIO_OUTPUT_JSON | FIO_OUTPUT_TERSE))
		fputs(msg, stderr);
	else
		log_info("%s", msg);
}

/*
 * pindio's log messages go through fio's log, so that they reach fio's
 * client in client/server mode and land where fio's own errors do.
 */
static void engine_log(void *data, int priority, const char *file, int line,
		       const char *fn, const char *format, va_list args)
{
	struct thread_data *td = data;
	char msg[1024];

	vsnprintf(msg, sizeof(msg), format, args);
	if (priority <= LOG_ERR)
		log_err("pindio: %s: %s", td->o.name, msg);
	else
		engine_info("pindio: %s: %s", td->o.name, msg);
}

/*
 * Fail the job with pindio's explanation: fio prints td->verror (128
 * bytes, so possibly cut) when the job ends, and exits non-zero.
 */
static int engine_fail(struct thread_data *td, struct pindio_ctx *ctx,
		       int err, const char *func)
{
	const char *msg = ctx ? pindio_ctx_last_error(ctx) : "";

	if (!*msg)
		msg = strerror(-err);
	td_vmsg(td, -err, msg, func);
	return 1;
}

static int fio_pindio_init(struct thread_data *td)
{
	struct pindio_options *o = td->eo;
	struct pindio_engine *pe;
	unsigned int flags = PINDIO_CTX_DEFAULT;
	int ret;

	if (o->hugepages && !o->fixedbufs) {
		log_err("pindio: %s: pindio_hugepages needs pindio_fixedbufs=1: a huge-page buffer is always registered\n",
			td->o.name);
		td_verror(td, EINVAL, "pindio_hugepages");
		return 1;
	}
	if (o->sqpoll)
		flags |= PINDIO_CTX_SQPOLL;
	if (o->hipri)
		flags |= PINDIO_CTX_IOPOLL;
	if (!o->registerfiles)
		flags |= PINDIO_CTX_NO_FIXED_FILES;
	if (o->backend == ENGINE_BACKEND_AIO)
		flags |= PINDIO_CTX_LIBAIO;

	/*
	 * pindio opens every file O_DIRECT: tell fio, so that it aligns the
	 * io_u memory to pages and skips page cache invalidation.
	 */
	td->o.odirect = 1;

	pe = calloc(1, sizeof(*pe));
	if (!pe) {
		td_verror(td, ENOMEM, "calloc");
		return 1;
	}
	pe->depth = td->o.iodepth ? td->o.iodepth : 1;
	pe->done = calloc(pe->depth, sizeof(*pe->done));
	if (!pe->done) {
		td_verror(td, ENOMEM, "calloc");
		goto err_free;
	}
	/* ->init runs in the job's thread: the context's single issuer. */
	ret = pindio_ctx_new(pe->depth, flags, &pe->ctx);
	if (ret < 0) {
		/* No context to hold the text: pindio wrote it to stderr. */
		td_verror(td, -ret, "pindio_ctx_new");
		goto err_free;
	}
	pindio_set_log_fn(pe->ctx, engine_log, td);
	if (pindio_ctx_get_fallback_reason(pe->ctx))
		engine_info("pindio: %s: using libaio: %s\n", td->o.name,
			 pindio_ctx_get_fallback_reason(pe->ctx));
	td->io_ops_data = pe;
	return 0;

err_free:
	free(pe->done);
	free(pe);
	return 1;
}

/*
 * Where fio's io_u live in td->orig_buffer: fio aligns the first one to a
 * page (init_io_u_buffers) and has allocated a page more for that.
 */
static char *engine_io_base(struct thread_data *td, size_t *len)
{
	char *base = PTR_ALIGN(td->orig_buffer, page_mask);

	*len = td->orig_buffer_size - (size_t)(base - td->orig_buffer);
	return base;
}

/*
 * pindio_hugepages: fio has laid its io_u out in td->orig_buffer; move
 * them, at the same offsets and with their contents (the data patterns
 * fio filled in), into a buffer pindio allocates with 2 MiB pages.  fio
 * keeps td->orig_buffer and frees it itself; the io_u no longer use it.
 */
static int engine_use_huge(struct thread_data *td, struct pindio_engine *pe)
{
	char *base, *huge;
	uint64_t start;
	unsigned int i;
	size_t len;
	int ret;

	base = engine_io_base(td, &len);
	start = now_ns();
	ret = pindio_buf_alloc(pe->ctx, len, PINDIO_BUF_HUGE, &pe->huge);
	pe->reg_ns += now_ns() - start;
	if (ret < 0)
		return engine_fail(td, pe->ctx, ret, "pindio_buf_alloc");
	huge = pindio_buf_get_addr(pe->huge);
	/* Same offsets from a page-aligned start: the same alignment. */
	memcpy(huge, base, len);
	for (i = 0; i < td->io_u_all.nr; i++) {
		struct io_u *io_u = td->io_u_all.io_us[i];

		if (io_u->buf)
			io_u->buf = huge + ((char *)io_u->buf - base);
	}
	return 0;
}

static int fio_pindio_post_init(struct thread_data *td)
{
	struct pindio_options *o = td->eo;
	struct pindio_engine *pe = td->io_ops_data;
	uint64_t start;
	size_t len;
	char *base;
	int ret;

	/* No data transfer (e.g. a trim-only job): nothing to register. */
	if (!o->fixedbufs || !td->orig_buffer || !td->orig_buffer_size)
		return 0;
	if (o->hugepages)
		return engine_use_huge(td, pe);

	/*
	 * One region for all of the job's io_u: what fio allocated as
	 * iomem=, checked by pindio for what backs it (a writable shared
	 * file mapping, fsdax pages and the memlock budget are refused
	 * here, with pindio's message, and the job fails).  From the first
	 * io_u's page on: the bytes before it may share a page with
	 * malloc's own data, which need not be pinned.
	 */
	base = engine_io_base(td, &len);
	start = now_ns();
	ret = pindio_buf_register(pe->ctx, base, len, 0, &pe->buf);
	pe->reg_ns += now_ns() - start;
	if (ret < 0) {
		log_err("pindio: %s: cannot register the job's %zu bytes of I/O memory (iomem=); the job fails\n",
			td->o.name, len);
		return engine_fail(td, pe->ctx, ret, "pindio_buf_register");
	}
	return 0;
}

static int fio_pindio_open_file(struct thread_data *td, struct fio_file *f)
{
	struct pindio_engine *pe = td->io_ops_data;
	struct pindio_file *file;
	int fd, ret;

	/*
	 * fio opens (creates, truncates, read-only or not) as it does for
	 * its own engines; pindio adopts a duplicate, which it closes
	 * itself, so that f->fd stays fio's for its stat and fsync calls.
	 */
	ret = generic_open_file(td, f);
	if (ret)
		return ret;
	/*
	 * fio sizes a block device by opening it through the engine from
	 * its main thread, before ->init has made the job's context: that
	 * open needs no pindio file (close_file copes with none).
	 */
	if (!pe)
		return 0;
	fd = dup(f->fd);
	if (fd < 0) {
		td_verror(td, errno, "dup");
		goto err_close;
	}
	ret = pindio_file_adopt(pe->ctx, fd, &file);
	if (ret < 0) {
		close(fd);
		engine_fail(td, pe->ctx, ret, "pindio_file_adopt");
		goto err_close;
	}
	FILE_SET_ENG_DATA(f, file);
	return 0;

err_close:
	/* The job has its error already; this one only gets a line. */
	if (generic_close_file(td, f))
		log_err("pindio: %s: closing %s failed too\n", td->o.name,
			f->file_name);
	return 1;
}

static int fio_pindio_close_file(struct thread_data *td, struct fio_file *f)
{
	struct pindio_file *file = FILE_ENG_DATA(f);

	/* Requests still queued on it complete normally (pindio_file_unref). */
	pindio_file_unref(file);
	FILE_SET_ENG_DATA(f, NULL);
	return generic_close_file(td, f);
}

/*
 * Forget the io_u the last ->getevents handed out: fio has taken them
 * with ->event before it calls into the engine again.
 */
static void engine_forget_given(struct pindio_engine *pe)
{
	if (!pe->nr_given)
		return;
	memmove(pe->done, pe->done + pe->nr_given,
		(pe->nr_done - pe->nr_given) * sizeof(*pe->done));
	pe->nr_done -= pe->nr_given;
	pe->nr_given = 0;
}

static void engine_complete(void *data, int res)
{
	struct io_u *io_u = data;
	struct thread_data *td = io_u->engine_data;
	struct pindio_engine *pe = td->io_ops_data;

	if (res < 0) {
		io_u->error = -res;
	} else {
		io_u->error = 0;
		/* Short at end of file: fio requeues or reports the rest. */
		io_u->resid = io_u->xfer_buflen - (unsigned long long)res;
	}
	engine_forget_given(pe);
	/*
	 * fio has at most iodepth io_u, and each is in flight or here only
	 * once: this cannot overflow, but if it did fio would wait for the
	 * io_u for ever, so say so.
	 */
	if (pe->nr_done >= pe->depth) {
		log_err("pindio: %s: more completions than iodepth %u; an io_u is lost\n",
			td->o.name, pe->depth);
		td_verror(td, EOVERFLOW, "pindio completion");
		return;
	}
	pe->done[pe->nr_done++] = io_u;
}

static enum fio_q_status fio_pindio_queue(struct thread_data *td,
					  struct io_u *io_u)
{
	struct pindio_engine *pe = td->io_ops_data;
	struct pindio_file *file = FILE_ENG_DATA(io_u->file);
	int ret;

	fio_ro_check(td, io_u);

	switch (io_u->ddir) {
	case DDIR_READ:
		io_u->engine_data = td;
		ret = pindio_file_read(file, io_u->xfer_buf,
				       io_u->xfer_buflen, io_u->offset,
				       engine_complete, io_u);
		break;
	case DDIR_WRITE:
		io_u->engine_data = td;
		ret = pindio_file_write(file, io_u->xfer_buf,
					io_u->xfer_buflen, io_u->offset,
					engine_complete, io_u);
		break;
	case DDIR_SYNC:
	case DDIR_DATASYNC:
	case DDIR_SYNC_FILE_RANGE:
		/*
		 * pindio has no asynchronous fsync: hand it the writes
		 * queued so far, then sync by descriptor, as fio's libaio
		 * engine does.
		 */
		ret = pindio_ctx_submit(pe->ctx);
		if (ret < 0) {
			io_u->error = -ret;
			return FIO_Q_COMPLETED;
		}
		do_io_u_sync(td, io_u);
		return FIO_Q_COMPLETED;
	case DDIR_TRIM:
		/* FIO_ASYNCIO_SYNC_TRIM: fio expects trims done here. */
		do_io_u_trim(td, io_u);
		return FIO_Q_COMPLETED;
	default:
		io_u->error = EINVAL;
		return FIO_Q_COMPLETED;
	}

	if (ret == -EBUSY)
		return FIO_Q_BUSY;
	if (ret < 0) {
		io_u->error = -ret;
		if (!pe->queue_error_logged) {
			pe->queue_error_logged = 1;
			td_vmsg(td, -ret, pindio_ctx_last_error(pe->ctx),
				io_u->ddir == DDIR_READ ? "pindio_file_read" :
				"pindio_file_write");
		}
		return FIO_Q_COMPLETED;
	}
	return FIO_Q_QUEUED;
}

static int fio_pindio_commit(struct thread_data *td)
{
	struct pindio_engine *pe = td->io_ops_data;
	int ret;

	ret = pindio_ctx_submit(pe->ctx);
	if (ret < 0)
		return ret;
	/* fio's "submit" histogram: how many went in each batch. */
	if (ret > 0)
		io_u_mark_submit(td, (unsigned int)ret);
	return 0;
}

static int fio_pindio_getevents(struct thread_data *td, unsigned int min,
				unsigned int max, const struct timespec *t)
{
	struct pindio_engine *pe = td->io_ops_data;
	int timeout_ms = -1;
	unsigned int n;
	int ret;

	/* Drop what the last call handed out; keep what it could not. */
	engine_forget_given(pe);
	if (t)
		timeout_ms = (int)(t->tv_sec * 1000 + t->tv_nsec / 1000000);

	/* Collect without waiting, then wait for the rest of min. */
	ret = pindio_ctx_reap(pe->ctx, 0, 0);
	while ((ret >= 0 || ret == -EINTR) && pe->nr_done < min) {
		/* Nothing left to wait for: fio asked for more than it has
		 * in flight (pindio would not wait either). */
		if (!pindio_ctx_get_inflight(pe->ctx))
			break;
		/*
		 * A signal (fio's SIGUSR1 for status, ^C, which fio handles
		 * itself) only interrupts the wait, as in fio's io_uring
		 * engine: it is not the job's error.
		 */
		ret = pindio_ctx_reap(pe->ctx, min - pe->nr_done, timeout_ms);
		if (ret == 0 && timeout_ms >= 0)
			break;
	}
	if (ret < 0 && ret != -EINTR)
		return ret;

	n = pe->nr_done < max ? pe->nr_done : max;
	pe->nr_given = n;
	return (int)n;
}

static struct io_u *fio_pindio_event(struct thread_data *td, int event)
{
	struct pindio_engine *pe = td->io_ops_data;

	return pe->done[event];
}

/*
 * The job's pin figures, and the account checked against the kernel's
 * VmPin.  The check is process-wide: with thread=1 another job's context
 * may be between the kernel's unpinning and its reaping of the release
 * signal, so a disagreement is looked at again for a moment before it
 * counts.
 */
static void engine_pin_report(struct thread_data *td, struct pindio_engine *pe)
{
	struct pindio_pin_stats st;
	const char *verdict;
	int64_t diff = 0;
	int prio, ret, tries;

	if (pindio_ctx_get_pin_stats(pe->ctx, &st, sizeof(st)) < 0)
		return;

	prio = pindio_get_log_priority(pe->ctx);
	pindio_set_log_priority(pe->ctx, LOG_CRIT);
	for (tries = 0; tries < 50; tries++) {
		ret = pindio_ctx_check_pins(pe->ctx, &diff);
		if (ret != -ERANGE)
			break;
		usleep(10000);
	}
	pindio_set_log_priority(pe->ctx, prio);

	if (!ret)
		verdict = "VmPin agrees with the account";
	else if (ret == -ENOENT)
		verdict = "VmPin not shown by this kernel, not checked";
	else
		verdict = "VmPin DISAGREES with the account";
	engine_info("pindio: %s: %s backend, pinned peak %" PRIu64 " bytes in %" PRIu64 " region(s), registration %.3f ms; %s (difference %" PRId64 " bytes)\n",
		    td->o.name,
		    pindio_backend_name(pindio_ctx_get_backend(pe->ctx)),
		    st.peak_bytes, st.registrations, (double)pe->reg_ns / 1e6,
		    verdict, diff);
	if (ret && ret != -ENOENT) {
		log_err("pindio: %s: %s\n", td->o.name,
			pindio_ctx_last_error(pe->ctx));
		td_vmsg(td, ERANGE, pindio_ctx_last_error(pe->ctx),
			"pindio_ctx_check_pins");
	}
}

/*
 * Release @buf and wait (a second at most) until the kernel has dropped
 * it, so that the memory may be freed: pindio_buf_register() leaves the
 * memory the caller's only once the buffer is released.
 */
static void engine_release(struct pindio_engine *pe, struct pindio_buf *buf)
{
	struct pindio_buf_info info;
	int i;

	if (!buf)
		return;
	/*
	 * fio frees the memory after this: nothing may still be in flight
	 * into it (after an error fio may not have reaped everything).
	 */
	while (pindio_ctx_get_inflight(pe->ctx)) {
		int ret = pindio_ctx_reap(pe->ctx, 1, 1000);

		if (ret < 0 && ret != -EINTR) {
			log_err("pindio: cannot reap the requests still in flight (%s); the job's memory stays allocated\n",
				pindio_ctx_last_error(pe->ctx));
			return;
		}
	}
	pindio_buf_release(buf);
	for (i = 0; i < 1000; i++) {
		if (pindio_buf_get_info(buf, &info, sizeof(info)) < 0 ||
		    info.state == PINDIO_BUF_RELEASED)
			break;
		pindio_ctx_reap(pe->ctx, 0, 0);
		if (i)
			usleep(1000);
	}
	pindio_buf_unref(buf);
}

/*
 * The end of a job's I/O: the pin report (with the buffer still
 * registered, so that the VmPin check sees it), then the buffers go.
 */
static void engine_finish(struct thread_data *td, struct pindio_engine *pe)
{
	if (pe->finished || !pe->ctx)
		return;
	pe->finished = 1;
	engine_pin_report(td, pe);
	engine_release(pe, pe->buf);
	pe->buf = NULL;
	engine_release(pe, pe->huge);
	pe->huge = NULL;
}

/*
 * fio frees the io_u memory (td->orig_buffer) after ->io_u_free of the
 * last io_u and before ->cleanup: the registered buffer must be released
 * here, while that memory is still there.
 */
static void fio_pindio_io_u_free(struct thread_data *td, struct io_u *io_u)
{
	struct pindio_engine *pe = td->io_ops_data;

	if (pe)
		engine_finish(td, pe);
}

static void fio_pindio_cleanup(struct thread_data *td)
{
	struct pindio_engine *pe = td->io_ops_data;

	if (!pe)
		return;
	engine_finish(td, pe);
	/* The context waits for what is still in flight, then goes. */
	pindio_ctx_unref(pe->ctx);
	free(pe->done);
	free(pe);
	td->io_ops_data = NULL;
}

static struct ioengine_ops ioengine = {
	.name			= "pindio",
	.version		= FIO_IOOPS_VERSION,
	/*
	 * Trims and syncs complete in ->queue; offload mode would queue
	 * from another thread than the context's single issuer.
	 */
	.flags			= FIO_ASYNCIO_SYNC_TRIM | FIO_NO_OFFLOAD |
				  FIO_MEMALIGN,
	.init			= fio_pindio_init,
	.post_init		= fio_pindio_post_init,
	.queue			= fio_pindio_queue,
	.commit			= fio_pindio_commit,
	.getevents		= fio_pindio_getevents,
	.event			= fio_pindio_event,
	.io_u_free		= fio_pindio_io_u_free,
	.cleanup		= fio_pindio_cleanup,
	.open_file		= fio_pindio_open_file,
	.close_file		= fio_pindio_close_file,
	.get_file_size		= generic_get_file_size,
	.options		= options,
	.option_struct_size	= sizeof(struct pindio_options),
};

/*
 * fio asks an external engine for a symbol named like its path, then for
 * a struct named "ioengine", then for get_ioengine().  The library's
 * visibility rules keep everything here hidden: export that one function.
 */
void get_ioengine(struct ioengine_ops **ioengine_ptr);

__attribute__((visibility("default")))
void get_ioengine(struct ioengine_ops **ioengine_ptr)
{
	*ioengine_ptr = &ioengine;
}
