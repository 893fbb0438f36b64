/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pindio: zero-copy direct I/O with io_uring registered buffers.
 *
 * Conventions, for every function below unless it says otherwise:
 *  - success returns 0 (or a count), failure a negative errno; errno itself
 *    is never set by the library;
 *  - constructors write *out only on success;
 *  - after a failure, pindio_ctx_last_error() says which rule was broken;
 *  - objects are reference counted: _ref returns its argument, _unref
 *    returns NULL once the object is freed; both accept NULL.
 *
 * Threads: a context and everything created from it (files, buffers,
 * requests) belong to one thread at a time; the library takes no locks.
 * The process-wide pin account is kept with atomic operations, so
 * pindio_process_get_pin_stats() may be called from any thread.
 * With PINDIO_CTX_SINGLE_ISSUER (part of PINDIO_CTX_DEFAULT) that thread
 * must be the one that created the context.  Use one context per thread.
 */
#ifndef PINDIO_H
#define PINDIO_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pindio_ctx;
struct pindio_file;
struct pindio_buf;

/* Limits the kernel enforces on registered buffers (io_uring/rsrc.c). */
#define PINDIO_BUF_MAX_LEN	(1UL << 30)	/* one buffer: 1 GiB */
#define PINDIO_BUF_MAX_COUNT	16384U		/* buffers per context */
/* Largest single read or write the kernel performs (MAX_RW_COUNT). */
#define PINDIO_IO_MAX_LEN	0x7ffff000UL
/* Largest queue depth io_uring accepts (IORING_MAX_ENTRIES). */
#define PINDIO_QUEUE_DEPTH_MAX	32768U

/* Context creation flags. */
enum pindio_ctx_flags {
	/* A kernel thread polls the submission queue (IORING_SETUP_SQPOLL). */
	PINDIO_CTX_SQPOLL		= 1U << 0,
	/* Busy-poll for completions (IORING_SETUP_IOPOLL); files must be
	 * O_DIRECT on a device with poll queues. */
	PINDIO_CTX_IOPOLL		= 1U << 1,
	/* Run completion work only when the application enters the kernel
	 * (IORING_SETUP_COOP_TASKRUN).  Dropped with PINDIO_CTX_SQPOLL, and
	 * if the kernel lacks it. */
	PINDIO_CTX_COOP_TASKRUN		= 1U << 2,
	/* Only the creating thread submits (IORING_SETUP_SINGLE_ISSUER).
	 * Dropped if the kernel lacks it. */
	PINDIO_CTX_SINGLE_ISSUER	= 1U << 3,
	/* Run completion work only when the creating thread reaps
	 * (IORING_SETUP_DEFER_TASKRUN): fewer wake-ups.  Needs
	 * PINDIO_CTX_SINGLE_ISSUER; dropped with PINDIO_CTX_SQPOLL, and if
	 * the kernel lacks it. */
	PINDIO_CTX_DEFER_TASKRUN	= 1U << 4,
	/* Use the libaio backend instead of io_uring (since 0.4): the
	 * io_uring-only flags above are dropped, registration is accounting
	 * only, and splice is refused (see pindio_ctx_get_backend()). */
	PINDIO_CTX_LIBAIO		= 1U << 5,
	/* Fail with -ENOSYS or -EPERM when io_uring is missing or forbidden,
	 * instead of falling back to libaio (since 0.4). */
	PINDIO_CTX_NO_FALLBACK		= 1U << 6,
	/* Use files through their descriptors instead of the ring's
	 * fixed-file table (since 0.5): every request then takes and drops
	 * a file reference, as fio's io_uring engine does without
	 * registerfiles.  For comparisons; the table is the faster default. */
	PINDIO_CTX_NO_FIXED_FILES	= 1U << 7,
};
#define PINDIO_CTX_DEFAULT	(PINDIO_CTX_COOP_TASKRUN | \
				 PINDIO_CTX_SINGLE_ISSUER | \
				 PINDIO_CTX_DEFER_TASKRUN)

/**
 * pindio_ctx_new() - create a context owning one io_uring ring (or libaio
 *	context)
 * @queue_depth: 1 to PINDIO_QUEUE_DEPTH_MAX; the number of requests that
 *	may be queued or in flight at once (the request pool is sized by it)
 * @flags: PINDIO_CTX_* flags, e.g. PINDIO_CTX_DEFAULT
 * @out: the new context, with one reference
 *
 * The ring gets a sparse fixed-file table and a sparse, tagged buffer
 * table of PINDIO_BUF_MAX_COUNT slots.  The log priority comes from the
 * PINDIO_LOG environment variable when set (a number 0-7 or a syslog name
 * such as "err", "info", "debug"), LOG_ERR otherwise.
 *
 * When io_uring cannot be used because io_uring_setup(2) fails with
 * ENOSYS (a kernel without it) or EPERM (sysctl kernel.io_uring_disabled,
 * a seccomp profile such as container runtimes ship), the context falls
 * back to libaio: the first fallback in the process is logged at
 * LOG_WARNING, later ones at LOG_INFO, and pindio_ctx_get_fallback_reason()
 * says why (since 0.4).  PINDIO_CTX_NO_FALLBACK turns the fallback off;
 * PINDIO_CTX_LIBAIO asks for libaio from the start.
 *
 * Return: 0; -EINVAL for a bad depth, an unknown flag, or
 * PINDIO_CTX_DEFER_TASKRUN without PINDIO_CTX_SINGLE_ISSUER; -ENOSYS or -EPERM
 * when io_uring is missing or forbidden and PINDIO_CTX_NO_FALLBACK was
 * given; -ENOMEM; io_setup(2)'s -EAGAIN when the libaio backend would
 * exceed fs.aio-max-nr.  There is no context to hold the error text yet,
 * so it is written to stderr.
 * Since: 0.1
 */
int pindio_ctx_new(unsigned int queue_depth, unsigned int flags,
		   struct pindio_ctx **out);

/**
 * pindio_ctx_ref() - take a reference on a context
 * Return: @ctx.  Since: 0.1
 */
struct pindio_ctx *pindio_ctx_ref(struct pindio_ctx *ctx);

/**
 * pindio_ctx_unref() - drop a reference on a context
 *
 * Files and buffers hold references on their context, so the last
 * reference goes once they are all gone.  Then requests still in flight
 * are waited for (at most 10 s; their callbacks run), buffers still
 * retiring are unregistered and freed, and the ring is closed.
 *
 * Dropped by a completion callback, the last reference frees the context
 * when the outermost pindio_ctx_reap() returns.
 *
 * Return: NULL when the last reference was dropped, @ctx otherwise.
 * Since: 0.1
 */
struct pindio_ctx *pindio_ctx_unref(struct pindio_ctx *ctx);

/**
 * pindio_ctx_get_queue_depth() - the queue depth the context was created with
 * Since: 0.1
 */
unsigned int pindio_ctx_get_queue_depth(struct pindio_ctx *ctx);

/**
 * pindio_ctx_get_flags() - the PINDIO_CTX_* flags in effect
 *
 * Optional flags the kernel refused are not included.
 * Since: 0.1
 */
unsigned int pindio_ctx_get_flags(struct pindio_ctx *ctx);

/* What moves a context's data. */
enum pindio_backend {
	/* io_uring: registered buffers are long-term pins, splice works. */
	PINDIO_BACKEND_IO_URING		= 0,
	/* libaio: every request is a plain O_DIRECT request whose pages
	 * the kernel pins for its duration; registering a buffer only
	 * accounts for it (no long-term pin, VmPin untouched); no splice. */
	PINDIO_BACKEND_LIBAIO		= 1,
};

/**
 * pindio_ctx_get_backend() - the backend a context uses
 * Return: PINDIO_BACKEND_*; PINDIO_BACKEND_IO_URING for NULL.  Since: 0.4
 */
enum pindio_backend pindio_ctx_get_backend(struct pindio_ctx *ctx);

/**
 * pindio_backend_name() - "io_uring" or "libaio"
 * Return: the name, or NULL for an unknown value.  Since: 0.4
 */
const char *pindio_backend_name(enum pindio_backend backend);

/**
 * pindio_ctx_get_fallback_reason() - why a context is not on io_uring
 *
 * Return: the reason io_uring could not be used when the context fell
 * back to libaio by itself (e.g. "kernel.io_uring_disabled=2 (io_uring is
 * disabled for all)"); NULL when it did not fall back (io_uring in use, or
 * libaio asked for with PINDIO_CTX_LIBAIO).  Valid as long as the context.
 * Since: 0.4
 */
const char *pindio_ctx_get_fallback_reason(struct pindio_ctx *ctx);

/**
 * pindio_ctx_last_error() - why the last failing call on this context failed
 *
 * The text names the rule broken, the value given and what to do.  It is
 * overwritten by the next failure, not cleared by success.
 *
 * Return: the message, "" if nothing has failed yet.  Valid until the next
 * call on the context.  Since: 0.1
 */
const char *pindio_ctx_last_error(struct pindio_ctx *ctx);

/**
 * pindio_log_fn - where a context's log messages go
 * @data: the pointer given to pindio_set_log_fn()
 * @priority: LOG_ERR, LOG_WARNING, LOG_INFO or LOG_DEBUG (<syslog.h>)
 */
typedef void (*pindio_log_fn)(void *data, int priority, const char *file,
			      int line, const char *fn, const char *format,
			      va_list args);

/**
 * pindio_set_log_fn() - send log messages to @fn instead of stderr
 *
 * A NULL @fn restores the default, which writes to stderr.
 * Since: 0.1
 */
void pindio_set_log_fn(struct pindio_ctx *ctx, pindio_log_fn fn, void *data);

/**
 * pindio_set_log_priority() - log messages of @priority and more urgent
 * Since: 0.1
 */
void pindio_set_log_priority(struct pindio_ctx *ctx, int priority);

/**
 * pindio_get_log_priority() - the current log priority
 * Since: 0.1
 */
int pindio_get_log_priority(struct pindio_ctx *ctx);

/**
 * pindio_file_open() - open a file or block device for direct I/O
 * @flags: open(2) flags, not O_PATH; O_DIRECT and O_CLOEXEC are always
 *	added
 * @mode: the mode for O_CREAT
 *
 * The O_DIRECT alignment is discovered with statx(STATX_DIOALIGN), then
 * BLKSSZGET for block devices, then the logical block size of the device
 * the file lives on.  The file is placed in the ring's fixed-file table.
 *
 * Return: 0; -EINVAL when the filesystem does not support O_DIRECT (the
 * message names the filesystem), when @path is not a regular file or
 * block device, or with O_PATH; any open(2) error.  Since: 0.1
 */
int pindio_file_open(struct pindio_ctx *ctx, const char *path, int flags,
		     mode_t mode, struct pindio_file **out);

/**
 * pindio_file_adopt() - use an open descriptor for direct I/O
 *
 * On success the file owns @fd and closes it when freed; O_DIRECT is set
 * on it if it was not.  On failure @fd is left as it was.
 *
 * Return: 0; -EBADF for a closed descriptor; -EINVAL when it is not a
 * regular file or block device, or its filesystem does not support
 * O_DIRECT.  Since: 0.1
 */
int pindio_file_adopt(struct pindio_ctx *ctx, int fd, struct pindio_file **out);

/**
 * pindio_file_ref() - take a reference on a file
 * Since: 0.1
 */
struct pindio_file *pindio_file_ref(struct pindio_file *file);

/**
 * pindio_file_unref() - drop a reference; the last one closes the file
 *
 * Requests already queued or submitted on the file complete normally
 * (queued ones are submitted first).
 * Since: 0.1
 */
struct pindio_file *pindio_file_unref(struct pindio_file *file);

/**
 * pindio_file_get_fd() - the file's descriptor (owned by the file)
 * Since: 0.1
 */
int pindio_file_get_fd(struct pindio_file *file);

/**
 * pindio_file_get_mem_align() - required alignment of buffer addresses
 * Since: 0.1
 */
uint32_t pindio_file_get_mem_align(struct pindio_file *file);

/**
 * pindio_file_get_offset_align() - required alignment of offsets and lengths
 * Since: 0.1
 */
uint32_t pindio_file_get_offset_align(struct pindio_file *file);

/**
 * pindio_file_get_size() - size of the file or block device in bytes
 * Return: 0 and *@size, or a negative errno.  Since: 0.1
 */
int pindio_file_get_size(struct pindio_file *file, uint64_t *size);

/**
 * pindio_file_get_fixed_index() - the file's slot in the fixed-file table
 * Return: the slot, or -1 when the file is used through its descriptor.
 * Since: 0.1
 */
int pindio_file_get_fixed_index(struct pindio_file *file);

/**
 * pindio_buf_alloc() - allocate a buffer and register it with the ring
 * @len: 1 to PINDIO_BUF_MAX_LEN bytes
 * @flags: 0, or PINDIO_BUF_HUGE (since 0.2) for 2 MiB pages
 *
 * The memory is anonymous, page aligned, zeroed and never inherited by a
 * fork()ed child (MADV_DONTFORK).  Its pages are pinned by the kernel
 * (VmPin) and, without CAP_IPC_LOCK, charged to RLIMIT_MEMLOCK until the
 * buffer is released and its last request has completed; it is unmapped
 * then.
 *
 * Return: 0; -EINVAL for a bad length or flag; -ENOSPC when all
 * PINDIO_BUF_MAX_COUNT slots are used; -ENOMEM when memory is short or
 * when registering would exceed RLIMIT_MEMLOCK (pindio predicts it before
 * asking the kernel; the message gives the limit, what is charged already,
 * what was asked and how to raise it).
 * Since: 0.1
 */
int pindio_buf_alloc(struct pindio_ctx *ctx, size_t len, unsigned int flags,
		     struct pindio_buf **out);

/**
 * pindio_buf_register() - register caller memory with the ring
 * @addr: start of the memory; it stays the caller's, to free once the
 *	buffer is released and the requests that used it have completed
 * @len: 1 to PINDIO_BUF_MAX_LEN bytes
 * @flags: must be 0
 *
 * What backs every page of the range is read from /proc/self/maps first,
 * and what the kernel would refuse with a bare -EFAULT is refused with a
 * message naming the mapping.  The range's pages are marked MADV_DONTFORK
 * while registered (a child must neither copy nor share pinned pages);
 * MADV_DOFORK is restored on the pages wholly inside the range once the
 * kernel has dropped the buffer.
 *
 * On a libaio context (since 0.4) the same checks apply, so that code
 * works on both backends, but registration is accounting only: nothing
 * is pinned long-term or charged (VmPin and RLIMIT_MEMLOCK untouched, no
 * MADV_DONTFORK), each request on the buffer is a plain one whose pages
 * the kernel pins for its duration (counted in dma_bytes), and a released
 * buffer is gone once its last request completes.
 *
 * Return: 0; -EINVAL for NULL, a bad length or flag; -EEXIST when the
 * range overlaps a buffer already registered on this context; -ENOSPC;
 * -ENOMEM (memory, or the RLIMIT_MEMLOCK prediction as for
 * pindio_buf_alloc()); -EFAULT for a range with a hole, read-only memory,
 * a writable MAP_SHARED mapping of a regular file (the kernel does not
 * pin file pages it must track for writeback) or a kernel mapping such
 * as [vdso]; -EOPNOTSUPP when it is a filesystem-DAX mapping, which may
 * not be pinned long-term.  Since: 0.1
 */
int pindio_buf_register(struct pindio_ctx *ctx, void *addr, size_t len,
			unsigned int flags, struct pindio_buf **out);

/**
 * pindio_buf_release() - stop using a buffer for I/O
 *
 * The buffer's table slot is emptied at once and it becomes
 * PINDIO_BUF_RETIRING: new I/O on its memory no longer uses it
 * (pindio_file_read_fixed() fails with -ESTALE, and so does plain I/O on
 * library-allocated memory).  Requests in flight keep the pages pinned
 * until they complete; then the kernel posts the slot's tag, the buffer
 * becomes PINDIO_BUF_RELEASED, its pages leave the account and
 * library-allocated memory is freed.  Releasing with I/O in flight is
 * legal.  Dropping the last reference releases the buffer too; a buffer
 * the context owns (cloned, reference count 0) is freed by this call
 * once released.
 *
 * Return: 0; -EINVAL for NULL; -EALREADY when it was released before.
 * Since: 0.1
 */
int pindio_buf_release(struct pindio_buf *buf);

/**
 * pindio_buf_ref() - take a reference on a buffer
 * Since: 0.1
 */
struct pindio_buf *pindio_buf_ref(struct pindio_buf *buf);

/**
 * pindio_buf_unref() - drop a reference; the last one releases the buffer
 * Since: 0.1
 */
struct pindio_buf *pindio_buf_unref(struct pindio_buf *buf);

/**
 * pindio_buf_get_addr() - start of the buffer's memory
 * Since: 0.1
 */
void *pindio_buf_get_addr(struct pindio_buf *buf);

/**
 * pindio_buf_get_len() - length of the buffer in bytes
 * Since: 0.1
 */
size_t pindio_buf_get_len(struct pindio_buf *buf);

/**
 * pindio_buf_get_index() - the buffer's slot in the ring's buffer table
 * Return: the slot, or -1 once released.  Since: 0.1
 */
int pindio_buf_get_index(struct pindio_buf *buf);

/*
 * ---- The pin account (since 0.2) ----------------------------------------
 *
 * Every buffer registration is a long-term pin: the kernel holds the
 * pages until the buffer's slot is emptied and its last request is done,
 * raises the process's VmPin (/proc/self/status) by the pages it pinned
 * and, unless the context was created with CAP_IPC_LOCK, charges them to
 * the user's RLIMIT_MEMLOCK.  The account below counts as the kernel
 * does (io_uring/rsrc.c): whole pages per buffer, a 4 KiB page again each
 * time it is registered, a huge page (hugetlb or transparent) once per
 * ring.  See pindio(7).
 */

/* pindio_buf_alloc() flags. */
enum pindio_buf_flags {
	/* Back the buffer with 2 MiB pages: hugetlb pages when the system
	 * has free ones reserved (vm.nr_hugepages), transparent huge pages
	 * (MADV_HUGEPAGE) otherwise, and 4 KiB pages when THP is disabled
	 * (logged at LOG_INFO).  The mapping is rounded up to 2 MiB and all
	 * of it is registered (pinned_len); pindio_buf_get_len() stays the
	 * length asked for. */
	PINDIO_BUF_HUGE			= 1U << 0,
};

/* Where a buffer is in its life. */
enum pindio_buf_state {
	/* In a table slot: I/O may use it. */
	PINDIO_BUF_REGISTERED		= 0,
	/* Released: the slot is emptied, requests still in flight hold the
	 * pages until they complete; new I/O on it fails with -ESTALE. */
	PINDIO_BUF_RETIRING		= 1,
	/* The kernel dropped it (the slot's tag arrived): its pages are no
	 * longer pinned by this context. */
	PINDIO_BUF_RELEASED		= 2,
};

/* What backs a buffer's memory: one bit per kind of mapping it spans. */
enum pindio_backing {
	PINDIO_BACKING_ANON		= 1U << 0,	/* private anonymous */
	PINDIO_BACKING_HUGETLB		= 1U << 1,	/* hugetlbfs, MAP_HUGETLB */
	PINDIO_BACKING_THP		= 1U << 2,	/* transparent huge pages */
	PINDIO_BACKING_SHMEM		= 1U << 3,	/* memfd, tmpfs, shared anonymous */
	PINDIO_BACKING_FILE		= 1U << 4,	/* private mapping of a file */
	PINDIO_BACKING_DEVICE		= 1U << 5,	/* a device mapping (device-DAX) */
};

/* One registered buffer, as pindio_buf_get_info() reports it. */
struct pindio_buf_info {
	void *addr;		/* start of the memory */
	size_t len;		/* bytes usable for I/O */
	size_t pinned_len;	/* bytes registered with the kernel */
	int index;		/* table slot, -1 once released */
	enum pindio_buf_state state;
	uint64_t charged_pages;	/* 4 KiB pages this registration added to
				 * VmPin (0 for a buffer shared from
				 * another context: charged there) */
	uint64_t pages;		/* pages pinned, a huge page counting one */
	size_t page_size;	/* the largest page size backing it */
	uint64_t age_ms;	/* since it was registered */
	unsigned int inflight;	/* requests using it now */
	unsigned int backing;	/* PINDIO_BACKING_* bits */
	int lib_owned;		/* memory from pindio_buf_alloc() */
	int shared;		/* the kernel shares it with the context it
				 * was cloned from (pindio_ctx_clone_bufs) */
	int longterm;		/* the kernel holds a long-term pin on it:
				 * 1 on io_uring, 0 on libaio, where a
				 * registration is accounting only (0.4) */
};

/* The account of one context, or of the whole process. */
struct pindio_pin_stats {
	/* long-term pins: registered buffers */
	uint64_t pinned_bytes;		/* charged now: what VmPin shows */
	uint64_t pinned_pages;		/* the same in 4 KiB pages */
	uint64_t peak_bytes;		/* the most pinned_bytes ever was
					 * (process: the peak of the total) */
	uint64_t shared_bytes;		/* usable through shared (cloned)
					 * buffers, charged to their origin;
					 * process: the sum over contexts */
	uint64_t registrations;		/* buffers registered, ever */
	uint64_t releases;		/* buffers the kernel dropped, ever */
	uint32_t nr_registered;		/* buffers in each state now */
	uint32_t nr_retiring;
	uint32_t nr_released;		/* released but still referenced */
	uint32_t nr_contexts;		/* 1, or the live contexts */
	/* short-term pins: plain (unregistered) O_DIRECT I/O in flight,
	 * whose pages the kernel pins only until the request completes;
	 * on libaio, every request (since 0.4) */
	uint64_t dma_bytes;		/* in flight now */
	uint64_t dma_peak_bytes;	/* the most dma_bytes ever was */
	uint64_t dma_requests;		/* in flight now */
	/* RLIMIT_MEMLOCK, as io_uring applies it */
	int memlock_applies;		/* 0 when the context(s) had
					 * CAP_IPC_LOCK when created */
	uint64_t memlock_limit;		/* soft limit in bytes, UINT64_MAX
					 * when unlimited */
	uint64_t memlock_used;		/* charged by pindio: pinned pages and
					 * ring memory of contexts it applies
					 * to */
};

/**
 * pindio_ctx_get_pin_stats() - the pin account of one context
 * @st: filled in
 * @size: sizeof(*st); a smaller size from an older caller gets a prefix,
 *	a larger one from a newer caller gets the rest zeroed
 *
 * Return: 0; -EINVAL for NULL or a size too small for the 0.2 fields it
 * names (offsetof(struct pindio_pin_stats, memlock_used) + 8 at least).
 * Since: 0.2
 */
int pindio_ctx_get_pin_stats(struct pindio_ctx *ctx,
			     struct pindio_pin_stats *st, size_t size);

/**
 * pindio_process_get_pin_stats() - the pin account of every context in
 * the process
 *
 * As pindio_ctx_get_pin_stats(), summed over all contexts, live or gone:
 * registrations and releases count since the process started, and a
 * buffer shared between contexts is counted once.  May be called from any
 * thread.  memlock_applies is 1 when it applies to any live context.
 * Since: 0.2
 */
int pindio_process_get_pin_stats(struct pindio_pin_stats *st, size_t size);

/**
 * pindio_ctx_check_pins() - compare the account with the kernel's VmPin
 * @diff_bytes: if not NULL, VmPin minus pindio's pinned bytes (written
 *	when the call returns 0 or -ERANGE)
 *
 * Release signals already posted are collected first (other requests'
 * callbacks may run).  The comparison is process-wide: pins taken outside
 * pindio (another library's registered buffers, RDMA, vfio) show as a
 * positive difference, and release signals another context has not
 * reaped yet as a negative one.
 *
 * Return: 0 when they agree; -ERANGE when they differ (the message gives
 * both figures); -ENOENT when the kernel shows no VmPin.  Since: 0.2
 */
int pindio_ctx_check_pins(struct pindio_ctx *ctx, int64_t *diff_bytes);

/**
 * pindio_ctx_dump_pins() - the account and every buffer, human-readable
 * @out: where to write; NULL logs each line at LOG_INFO instead
 *
 * One summary line for the context, one for the process, one per buffer
 * (address, length, pages, state, age, requests in flight, backing).
 *
 * Return: 0, or -EIO when writing to @out failed.  Since: 0.2
 */
int pindio_ctx_dump_pins(struct pindio_ctx *ctx, FILE *out);

/**
 * pindio_buf_get_first() - the context's first buffer, for iteration
 *
 * Buffers are visited in the order they were registered, in every state
 * (a RELEASED one while something still holds a reference to it).  Do not
 * release or drop buffers while iterating.
 *
 * Return: the buffer, or NULL when there is none.  Since: 0.2
 */
struct pindio_buf *pindio_buf_get_first(struct pindio_ctx *ctx);

/**
 * pindio_buf_get_next() - the buffer after @buf, or NULL
 * Since: 0.2
 */
struct pindio_buf *pindio_buf_get_next(struct pindio_buf *buf);

#define pindio_buf_foreach(ctx, buf)				\
	for ((buf) = pindio_buf_get_first(ctx); (buf) != NULL;	\
	     (buf) = pindio_buf_get_next(buf))

/**
 * pindio_buf_get_info() - where a buffer is and what it pins
 * @size: sizeof(*info); a smaller size from an older caller gets a prefix,
 *	a larger one the rest zeroed
 * Return: 0; -EINVAL for NULL or a size of 0.  Since: 0.2
 */
int pindio_buf_get_info(struct pindio_buf *buf, struct pindio_buf_info *info,
			size_t size);

/**
 * pindio_ctx_clone_bufs() - share another context's buffers with this one
 * @dst: the context to receive them; it must have no buffers of its own
 * @src: the context whose REGISTERED buffers are shared
 *
 * One process with a ring per thread should pin each buffer once.  Where
 * the kernel can share a registered table between rings
 * (IORING_REGISTER_CLONE_BUFFERS with IORING_REGISTER_DST_REPLACE, Linux
 * 6.13+), @dst gets the same pinned pages in the same slots, charged once
 * (to @src's registrations).  Elsewhere, and when one context has
 * CAP_IPC_LOCK and the other not, each buffer is registered again in @dst,
 * and charged again.  Either way, I/O on @dst with an address inside
 * one of them uses it; the buffers belong to @dst (iterate them with
 * pindio_buf_foreach(), release them with pindio_buf_release();
 * pindio_buf_ref() and pindio_buf_unref() never release them), are
 * released when @dst is freed, and keep library-allocated memory mapped
 * until every context is done with it.
 *
 * The kernel shares a PINDIO_CTX_SINGLE_ISSUER ring's buffers only from
 * that ring's own thread; called from another, this takes the per-ring
 * path (logged).  Create the source context without
 * PINDIO_CTX_SINGLE_ISSUER for rings on several threads to share pins.
 *
 * Call it from @dst's thread while no other thread uses @src.  When the
 * per-ring registration fails part way, the buffers registered so far are
 * released again: @dst is left without buffers.
 *
 * Return: the number of buffers shared (0 when @src has none), or -EINVAL
 * (NULL, or @dst equal to @src), -EBUSY (@dst has buffers registered or
 * retiring), -ENOMEM (memory, or RLIMIT_MEMLOCK on the per-ring path), or
 * another error of pindio_buf_register() on the per-ring path.
 * Since: 0.2
 */
int pindio_ctx_clone_bufs(struct pindio_ctx *dst, struct pindio_ctx *src);

/**
 * pindio_complete_fn - called once per request when it completes
 * @data: the pointer given with the request
 * @res: bytes transferred (fewer than asked at end of file), or a negative
 *	errno
 *
 * Callbacks run inside pindio_ctx_reap() (and the synchronous helpers, and
 * the last pindio_ctx_unref()).  A callback may queue new requests, reap,
 * release buffers and drop references, the context's last one included:
 * the context is then freed when the outermost pindio_ctx_reap() returns,
 * and must not be used after it.
 */
typedef void (*pindio_complete_fn)(void *data, int res);

/**
 * pindio_file_read() - queue an asynchronous direct read
 * @buf: destination; aligned to pindio_file_get_mem_align()
 * @len: 1 to PINDIO_IO_MAX_LEN, a multiple of pindio_file_get_offset_align()
 * @offset: a multiple of pindio_file_get_offset_align()
 * @fn: completion callback, or NULL
 *
 * When [@buf, @buf + @len) lies inside a registered buffer, the read uses
 * it (IORING_OP_READ_FIXED); otherwise it is a plain read whose pages the
 * kernel pins for the duration of the I/O.  Nothing reaches the kernel
 * until pindio_ctx_submit() or pindio_ctx_reap().
 *
 * Return: 0; -EINVAL for a NULL pointer, zero or oversized length, or a
 * misaligned address, length or offset (the message names which and the
 * alignment required); -EBUSY when queue_depth requests are already queued
 * or in flight (not logged above LOG_DEBUG: it is flow control, not a
 * fault); -ESTALE when the memory belongs to a buffer pindio allocated
 * that was released and is still retiring: it is unmapped once the
 * kernel has dropped it (since 0.2).  Since: 0.1
 */
int pindio_file_read(struct pindio_file *file, void *buf, size_t len,
		     uint64_t offset, pindio_complete_fn fn, void *data);

/**
 * pindio_file_write() - queue an asynchronous direct write
 *
 * As pindio_file_read(), writing from @buf (IORING_OP_WRITE_FIXED when
 * it lies inside a registered buffer).
 * Since: 0.1
 */
int pindio_file_write(struct pindio_file *file, const void *buf, size_t len,
		      uint64_t offset, pindio_complete_fn fn, void *data);

/**
 * pindio_file_read_fixed() - queue a direct read into a registered buffer
 * @buf: a buffer of the same context, PINDIO_BUF_REGISTERED
 * @buf_offset: where in @buf the data goes
 *
 * As pindio_file_read() into pindio_buf_get_addr(@buf) + @buf_offset, but
 * always with the registered buffer: never a silent plain read.  (On a
 * libaio context, which has no fixed operations, every request is plain:
 * see pindio_ctx_get_backend().)
 *
 * Return: 0; -ESTALE when @buf was released; -EXDEV when it belongs to
 * another context; -ERANGE when [@buf_offset, +@len) does not fit in it;
 * otherwise as pindio_file_read().  Since: 0.2
 */
int pindio_file_read_fixed(struct pindio_file *file, struct pindio_buf *buf,
			   size_t buf_offset, size_t len, uint64_t offset,
			   pindio_complete_fn fn, void *data);

/**
 * pindio_file_write_fixed() - queue a direct write from a registered buffer
 *
 * As pindio_file_read_fixed(), in the other direction.
 * Since: 0.2
 */
int pindio_file_write_fixed(struct pindio_file *file, struct pindio_buf *buf,
			    size_t buf_offset, size_t len, uint64_t offset,
			    pindio_complete_fn fn, void *data);

/**
 * pindio_ctx_submit() - hand every queued request to the kernel
 * Return: the number submitted, or a negative errno.  Since: 0.1
 */
int pindio_ctx_submit(struct pindio_ctx *ctx);

/**
 * pindio_ctx_reap() - run completion callbacks
 * @min_complete: wait until at least this many requests have completed
 * @timeout_ms: give up waiting after this long; -1 waits without limit
 *
 * Completions already posted are processed first.  Then one
 * io_uring_enter(2) at most submits what was queued when the call began
 * and, while fewer than @min_complete have completed, waits (the wait is
 * repeated only when it ends early); with @min_complete 0 it does not
 * wait but collects what has completed.  Requests that callbacks run by
 * this call queue are submitted by the next pindio_ctx_reap() or
 * pindio_ctx_submit(), so a loop of reaps costs one system call a batch.
 *
 * Return: the number of requests completed (callbacks run), which may be
 * fewer than @min_complete when the timeout expired; or a negative errno.
 * Since: 0.1
 */
int pindio_ctx_reap(struct pindio_ctx *ctx, unsigned int min_complete,
		    int timeout_ms);

/**
 * pindio_ctx_get_inflight() - requests queued or in flight
 *
 * A splice counts as one request for its whole life, although it holds
 * two of the queue depth's requests (see pindio_file_splice()).
 * Since: 0.1
 */
unsigned int pindio_ctx_get_inflight(struct pindio_ctx *ctx);

/**
 * pindio_file_pread() - synchronous direct read
 *
 * Queues a read, submits, and waits for it; callbacks of other requests
 * that complete meanwhile run too.  Alignment rules as pindio_file_read().
 *
 * Return: bytes read (fewer than @len at end of file, 0 at or past it),
 * or a negative errno.  Since: 0.1
 */
ssize_t pindio_file_pread(struct pindio_file *file, void *buf, size_t len,
			  uint64_t offset);

/**
 * pindio_file_pwrite() - synchronous direct write
 * Return: bytes written or a negative errno.  Since: 0.1
 */
ssize_t pindio_file_pwrite(struct pindio_file *file, const void *buf,
			   size_t len, uint64_t offset);

/*
 * Vectored I/O: one request over several memory segments (since 0.4).
 *
 * When every segment lies inside one registered buffer and the kernel has
 * IORING_OP_READV_FIXED/WRITEV_FIXED (Linux 6.15+, probed once per
 * context), the request uses the buffer's long-term pin; otherwise it is a
 * plain readv/writev whose pages the kernel pins for its duration.  The
 * kernel's fixed vectored ops take one buffer index, so a request may use
 * at most one registered buffer's memory (any other segments being
 * unregistered memory, which makes it plain).
 */

/* The most segments one request may have (the kernel's UIO_MAXIOV). */
#define PINDIO_IOV_MAX		1024

struct iovec;

/**
 * pindio_file_readv() - queue an asynchronous vectored direct read
 * @iov: segments, each with iov_base aligned to
 *	pindio_file_get_mem_align() and iov_len a multiple of
 *	pindio_file_get_offset_align(); the array must stay valid and
 *	unchanged until the request completes
 * @iovcnt: 1 to PINDIO_IOV_MAX
 * @offset: a multiple of pindio_file_get_offset_align()
 *
 * The segments are filled in order from @offset; the total length must be
 * 1 to PINDIO_IO_MAX_LEN.
 *
 * Return: 0; -EINVAL for a NULL @iov, a count out of range, a zero total,
 * or a misaligned segment or offset (the message names the segment and
 * the rule); -EXDEV when the segments lie in two different registered
 * buffers; -ESTALE and -EBUSY as pindio_file_read().  Since: 0.4
 */
int pindio_file_readv(struct pindio_file *file, const struct iovec *iov,
		      int iovcnt, uint64_t offset, pindio_complete_fn fn,
		      void *data);

/**
 * pindio_file_writev() - queue an asynchronous vectored direct write
 *
 * As pindio_file_readv(), writing the segments in order from @offset.
 * Since: 0.4
 */
int pindio_file_writev(struct pindio_file *file, const struct iovec *iov,
		       int iovcnt, uint64_t offset, pindio_complete_fn fn,
		       void *data);

/**
 * pindio_file_preadv() - synchronous vectored direct read
 * Return: bytes read (short at end of file) or a negative errno.
 * Since: 0.4
 */
ssize_t pindio_file_preadv(struct pindio_file *file, const struct iovec *iov,
			   int iovcnt, uint64_t offset);

/**
 * pindio_file_pwritev() - synchronous vectored direct write
 * Return: bytes written or a negative errno.  Since: 0.4
 */
ssize_t pindio_file_pwritev(struct pindio_file *file, const struct iovec *iov,
			    int iovcnt, uint64_t offset);

/*
 * Splice: move file data to another descriptor without copying it through
 * user space (since 0.4, io_uring only).  The file's data goes into one of
 * the context's pipes and from the pipe to the target, as linked
 * IORING_OP_SPLICE requests, a pipe's worth at a time (pipes of 1 MiB, or
 * what fs.pipe-max-size and fs.pipe-user-pages-soft allow); a splice
 * holds two of the context's queue_depth requests while it runs, and
 * counts as one in pindio_ctx_get_inflight().  Its steps are queued by
 * the reap that sees the step before complete, so, like requests queued
 * by callbacks, they reach the kernel with the next pindio_ctx_reap() or
 * pindio_ctx_submit(): keep reaping until its callback has run (a reap
 * that waits submits them itself).  Idle pipes are kept for the next
 * splice (at most 4) and closed with the context.
 */

/* @out_offset for a target without one (a pipe, socket or character
 * device), or to write at a file target's current position. */
#define PINDIO_SPLICE_NO_OFFSET	(-1)

/**
 * pindio_file_splice() - queue a splice of file data to a descriptor
 * @in: the source file; opened O_DIRECT by pindio, the kernel reads it
 *	with direct I/O into the pipe
 * @in_offset: where to start reading; a multiple of
 *	pindio_file_get_offset_align()
 * @fd_out: a pipe, a socket, a regular file (not O_APPEND) or a
 *	character device such as /dev/null, open for writing; a pipe or
 *	socket in blocking mode
 * @out_offset: where to write in a regular file, or
 *	PINDIO_SPLICE_NO_OFFSET: the file's position, which advances by the
 *	bytes written
 * @len: bytes to move, 1 to PINDIO_IO_MAX_LEN; any length: the last
 *	direct read is rounded up to the alignment and what it read past
 *	@len is discarded
 * @fn: called once with the bytes moved (fewer than @len when the file
 *	ends first: end of file is a short count, not an error; 0 when
 *	@in_offset is at or past it) or a negative errno
 *
 * Partial splices continue until @len bytes have moved or the file ends.
 * The splice works on duplicates of @in's and @fd_out's descriptors: the
 * caller may drop @in and close @fd_out once it is queued.  An error ends
 * the splice with the errno alone (the bytes the target took before are
 * not counted), e.g. -EPIPE when the reader of a pipe or socket closed
 * its end; the kernel's SIGPIPE for it goes to the io_uring worker that
 * ran the step, which blocks it (Linux 6.18).  After an error nothing of
 * the splice stays in a pipe.
 *
 * The kernel may still hold @fd_out's file for a moment after @fn ran:
 * on a PINDIO_CTX_DEFER_TASKRUN context it lets go of it only when the
 * context next enters the kernel.  A reader of a pipe or socket target
 * sees end of file once the caller has closed its descriptors and reaped
 * once more (pindio_ctx_reap() with @min_complete 0 will do, even with
 * nothing in flight); shutdown(2) ends a socket's stream at once.
 *
 * Return: 0; -EOPNOTSUPP on a context using libaio (libaio has no
 * splice) or created with PINDIO_CTX_IOPOLL (io_uring refuses splices on
 * a polled ring); -EBADF when @fd_out is not open, or is a file or
 * device open read-only; -ESPIPE when @out_offset is not
 * PINDIO_SPLICE_NO_OFFSET for a pipe, socket or character device;
 * -EINVAL when @fd_out is none of those nor a regular file (a directory,
 * an eventfd...), is a pipe or socket in O_NONBLOCK mode (the kernel
 * would end the splice with -EAGAIN once it is full), or a file open
 * with O_APPEND, for
 * a negative @out_offset other than PINDIO_SPLICE_NO_OFFSET, for a bad
 * length, a misaligned @in_offset, or a context of queue depth 1; -EBUSY
 * when fewer than two requests are free (not logged above LOG_DEBUG);
 * -EMFILE and the like when a pipe or a duplicate descriptor cannot be
 * made.  Since: 0.4
 */
int pindio_file_splice(struct pindio_file *in, uint64_t in_offset, int fd_out,
		       int64_t out_offset, size_t len, pindio_complete_fn fn,
		       void *data);

/**
 * pindio_file_splice_sync() - splice and wait
 *
 * As pindio_file_splice(), returning when the splice is done; callbacks
 * of other requests that complete meanwhile run too.
 *
 * Return: bytes moved (short at end of file, 0 at or past it), or a
 * negative errno.
 * Since: 0.4
 */
ssize_t pindio_file_splice_sync(struct pindio_file *in, uint64_t in_offset,
				int fd_out, int64_t out_offset, size_t len);

/*
 * DAX: what storage backs a file or a buffer, and whether it may be
 * pinned long-term.
 *
 * Filesystem-DAX maps a file's blocks straight into user space: a
 * long-term pin of those pages would stop the filesystem from ever moving
 * or freeing the blocks, so the kernel refuses it (EOPNOTSUPP), and
 * pindio_buf_register() refuses such memory before the kernel is asked.
 * Device-DAX (/dev/daxX.Y) has no filesystem behind it and may be pinned.
 */
enum pindio_dax_kind {
	PINDIO_DAX_NONE = 0,	/* not DAX: page cache, tmpfs, a block device */
	PINDIO_DAX_FSDAX,	/* a file whose pages are filesystem-DAX */
	PINDIO_DAX_DEVDAX,	/* a device-DAX character device */
};

/* What pindio_dax_probe() found.  Strings are "" when not applicable. */
struct pindio_dax_info {
	enum pindio_dax_kind kind;	/* what the memory is */
	int longterm_ok;		/* 1 when memory mapped from it may be
					 * registered (pinned long-term) */
	char reason[512];		/* why, in words: always set */
	/* the file and its filesystem */
	int statx_dax;			/* STATX_ATTR_DAX: 1 set, 0 clear,
					 * -1 the filesystem does not report it */
	int inode_dax_flag;		/* FS_XFLAG_DAX on the file: 1, 0, or
					 * -1 when it cannot be read */
	char fstype[32];		/* "ext4", "xfs"; "devtmpfs" for /dev */
	char mount_dax[16];		/* the mount's dax option: "always",
					 * "inode", "never", or "" for none */
	char mount_point[128];		/* where that filesystem is mounted */
	char blockdev[32];		/* the device under the filesystem,
					 * e.g. "pmem0", "vda1" */
	/* the NVDIMM behind it (libndctl, libdaxctl) */
	char bus[64];			/* provider, e.g. "ACPI.NFIT", "e820" */
	char region[32];		/* "region0" */
	char ns[32];			/* "namespace0.0" */
	char mode[16];			/* the namespace's mode: "fsdax",
					 * "devdax", "sector", "raw", or
					 * "unknown" when libndctl cannot tell */
	uint64_t ns_size;		/* bytes, 0 when unknown */
	uint64_t ns_align;		/* bytes, 0 when unknown */
	char daxdev[32];		/* "dax0.0" for device-DAX */
	char ndctl_error[128];		/* why libndctl or libdaxctl could not
					 * tell, "" when they did or were not
					 * needed */
};

/**
 * pindio_dax_kind_name() - "none", "fsdax" or "devdax"
 * Return: a static string; "unknown" for a value out of range.  Since: 0.3
 */
const char *pindio_dax_kind_name(enum pindio_dax_kind kind);

/**
 * pindio_dax_probe() - is a file DAX, and what is behind it
 * @path: a regular file, a directory, or a device-DAX node /dev/daxX.Y;
 *	anything else (a block device, a FIFO) is answered as not DAX
 * @info: filled in
 * @size: sizeof(*@info); a smaller one from an older caller gets a prefix
 *
 * Asks statx(2) (STATX_ATTR_DAX, trusted only where the filesystem
 * reports it), the inode's FS_XFLAG_DAX, the mount's options in
 * /proc/self/mountinfo and sysfs for the block device; only when that is
 * a pmem disk, or for a device-DAX node, are libndctl (bus, region,
 * namespace, mode, size, alignment) and libdaxctl asked.  A machine
 * without NVDIMMs gets "not DAX" from statx, mountinfo and sysfs alone.
 * libndctl failing is an answer too: ndctl_error says why, and mode is
 * "unknown".  @path is opened O_PATH, and reopened for reading only when
 * it is a regular file or a directory: no device node is ever opened.
 *
 * Return: 0 when @info holds an answer; -EINVAL for a NULL or empty
 * @path, a NULL @info or @size smaller than offsetof(struct
 * pindio_dax_info, statx_dax); -ENOMEM; the negative errno of opening or
 * examining @path (-ENOENT, -EACCES, ...).  Since: 0.3
 */
int pindio_dax_probe(const char *path, struct pindio_dax_info *info,
		     size_t size);

/**
 * pindio_dax_probe_fd() - as pindio_dax_probe(), for an open file
 * Return: as pindio_dax_probe(); -EBADF for a negative or closed @fd.
 * Since: 0.3
 */
int pindio_dax_probe_fd(int fd, struct pindio_dax_info *info, size_t size);

/**
 * pindio_dax_probe_range() - is any memory in a range DAX
 * @addr, @len: an address range of this process
 *
 * Each file mapping in the range is probed as pindio_dax_probe() probes a
 * file.  @info describes the first filesystem-DAX mapping, else the first
 * device-DAX one, else the first file mapping (not DAX), else says the
 * range holds no file mapping; longterm_ok says
 * whether pindio_buf_register() would accept the range as far as DAX is
 * concerned.
 *
 * Return: 0; -EINVAL for a NULL @info, a zero @len or a range that wraps;
 * -EFAULT when part of the range is not mapped; -ENOMEM; -EIO for a
 * /proc/self/maps line that does not parse; -EAGAIN when a mapping
 * vanished while it was read; the errno of reading /proc.  Since: 0.3
 */
int pindio_dax_probe_range(const void *addr, size_t len,
			   struct pindio_dax_info *info, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* PINDIO_H */
