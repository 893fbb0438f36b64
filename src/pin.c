// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Registered buffers: the only module that asks the kernel for long-term
 * pins.  A buffer's life is REGISTERED (in a table slot) -> RETIRING (slot
 * emptied; in-flight requests may still use it) -> RELEASED (the kernel
 * posted the slot's tag: pages unpinned).  Library-allocated memory is
 * unmapped only then, so no request can ever DMA into freed memory.
 *
 * Reference rule: a buffer holds a reference on its context exactly while
 * its own reference count is non-zero.  A RETIRING buffer nobody refers to
 * any more sits on ctx->retiring until its tag arrives or the context is
 * torn down.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "internal.h"

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static bool buf_contains(const struct pindio_buf *b, uintptr_t a, size_t len)
{
	uintptr_t start = (uintptr_t)b->addr;

	return a >= start && len <= b->len && a - start <= b->len - len;
}

/* Index of the first registered buffer starting above @a. */
static unsigned int bufs_upper_bound(struct pindio_ctx *ctx, uintptr_t a)
{
	unsigned int lo = 0, hi = ctx->nr_bufs;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if ((uintptr_t)ctx->bufs[mid]->addr <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The registered buffer holding all of [addr, addr + len), or NULL.  On
 * the I/O path: a one-entry cache first, then a binary search.
 */
struct pindio_buf *pin_lookup(struct pindio_ctx *ctx, const void *addr,
			      size_t len)
{
	uintptr_t a = (uintptr_t)addr;
	struct pindio_buf *b = ctx->last_hit;
	unsigned int i;

	if (likely(b && buf_contains(b, a, len)))
		return b;
	if (!ctx->nr_bufs)
		return NULL;
	i = bufs_upper_bound(ctx, a);
	if (!i)
		return NULL;
	b = ctx->bufs[i - 1];
	if (!buf_contains(b, a, len))
		return NULL;
	ctx->last_hit = b;
	return b;
}

static int bufs_insert(struct pindio_ctx *ctx, struct pindio_buf *buf)
{
	unsigned int i;

	if (ctx->nr_bufs == ctx->bufs_cap) {
		unsigned int cap = ctx->bufs_cap ? ctx->bufs_cap * 2 : 16;
		struct pindio_buf **n;

		n = realloc(ctx->bufs, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		ctx->bufs = n;
		ctx->bufs_cap = cap;
	}
	i = bufs_upper_bound(ctx, (uintptr_t)buf->addr);
	memmove(&ctx->bufs[i + 1], &ctx->bufs[i],
		(ctx->nr_bufs - i) * sizeof(ctx->bufs[0]));
	ctx->bufs[i] = buf;
	ctx->nr_bufs++;
	return 0;
}

static void bufs_remove(struct pindio_ctx *ctx, struct pindio_buf *buf)
{
	unsigned int i = bufs_upper_bound(ctx, (uintptr_t)buf->addr);

	/* Registered ranges never overlap, so @buf is just below @i. */
	i--;
	memmove(&ctx->bufs[i], &ctx->bufs[i + 1],
		(ctx->nr_bufs - i - 1) * sizeof(ctx->bufs[0]));
	ctx->nr_bufs--;
	if (ctx->last_hit == buf)
		ctx->last_hit = NULL;
}

/* A registered buffer sharing any byte with [a, a + len), or NULL. */
static struct pindio_buf *bufs_overlap(struct pindio_ctx *ctx, uintptr_t a,
				       size_t len)
{
	unsigned int i = bufs_upper_bound(ctx, a + len - 1);
	struct pindio_buf *b;

	if (!i)
		return NULL;
	b = ctx->bufs[i - 1];
	if ((uintptr_t)b->addr + b->len > a)
		return b;
	return NULL;
}

/* Lowest free slot: buf_slot_hint never exceeds it. */
static int slot_get(struct pindio_ctx *ctx)
{
	unsigned int i;

	for (i = ctx->buf_slot_hint; i < PINDIO_BUF_MAX_COUNT; i++) {
		if (!ctx->buf_slot_used[i]) {
			ctx->buf_slot_used[i] = 1;
			ctx->buf_slot_hint = i + 1;
			return (int)i;
		}
	}
	return -1;
}

static void slot_put(struct pindio_ctx *ctx, int slot)
{
	ctx->buf_slot_used[slot] = 0;
	if ((unsigned int)slot < ctx->buf_slot_hint)
		ctx->buf_slot_hint = (unsigned int)slot;
}

static void retiring_add(struct pindio_ctx *ctx, struct pindio_buf *buf)
{
	buf->retiring_prev = NULL;
	buf->retiring_next = ctx->retiring;
	if (ctx->retiring)
		ctx->retiring->retiring_prev = buf;
	ctx->retiring = buf;
}

static void retiring_del(struct pindio_ctx *ctx, struct pindio_buf *buf)
{
	if (buf->retiring_prev)
		buf->retiring_prev->retiring_next = buf->retiring_next;
	else
		ctx->retiring = buf->retiring_next;
	if (buf->retiring_next)
		buf->retiring_next->retiring_prev = buf->retiring_prev;
	buf->retiring_prev = buf->retiring_next = NULL;
}

static void buf_unmap(struct pindio_buf *buf)
{
	if (buf->lib_owned && buf->addr) {
		munmap(buf->addr, buf->map_len);
		buf->addr = NULL;
	}
}

/* Free a buffer once nobody (caller, kernel, request) refers to it. */
static void buf_maybe_free(struct pindio_buf *buf)
{
	if (buf->refcount || buf->inflight || buf->state != BUF_RELEASED)
		return;
	free(buf);
}

static int register_error(struct pindio_ctx *ctx, int ret, const void *addr,
			  size_t len)
{
	size_t pages = ((uintptr_t)addr % page_size() + len + page_size() - 1) /
		       page_size();
	struct rlimit rl;

	switch (ret) {
	case -ENOMEM:
		if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY)
			return fail(ctx, ret, "the kernel refused to pin %zu bytes (%zu pages) at %p: ENOMEM; registered buffers are charged to RLIMIT_MEMLOCK (%" PRIu64 " bytes) unless the process has CAP_IPC_LOCK: raise it (ulimit -l), or register fewer or huge-page buffers",
				    len, pages, addr, (uint64_t)rl.rlim_cur);
		return fail(ctx, ret, "the kernel refused to pin %zu bytes (%zu pages) at %p: out of memory",
			    len, pages, addr);
	case -EFAULT:
		return fail(ctx, ret, "the kernel cannot pin %zu bytes at %p (EFAULT): the range is not fully mapped, or it is a shared mapping of a regular file, which cannot be pinned long-term; use anonymous, memfd or hugetlb memory",
			    len, addr);
	case -EOPNOTSUPP:
		return fail(ctx, ret, "the kernel refused a long-term pin of %zu bytes at %p (EOPNOTSUPP): the memory is a filesystem-DAX mapping; use anonymous or huge-page buffers, device-DAX, or plain (unregistered) I/O",
			    len, addr);
	default:
		return fail(ctx, ret, "registering %zu bytes at %p failed: %s",
			    len, addr, strerror(-ret));
	}
}

static int buf_new(struct pindio_ctx *ctx, void *addr, size_t len,
		   size_t map_len, struct pindio_buf **out)
{
	struct pindio_buf *buf, *other;
	int ret;

	other = bufs_overlap(ctx, (uintptr_t)addr, len);
	if (other)
		return fail(ctx, -EEXIST, "[%p, +%zu) overlaps buffer %d at [%p, +%zu) already registered on this context; register each range once and do I/O on parts of it",
			    addr, len, other->index, (void *)other->addr,
			    other->len);

	buf = calloc(1, sizeof(*buf));
	if (!buf)
		return fail(ctx, -ENOMEM, "out of memory for a buffer");
	buf->ctx = ctx;
	buf->refcount = 1;
	buf->addr = addr;
	buf->len = len;
	buf->map_len = map_len;
	buf->lib_owned = map_len != 0;

	buf->index = slot_get(ctx);
	if (buf->index < 0) {
		ret = fail(ctx, -ENOSPC, "all %u registered-buffer slots are in use; release buffers, or register fewer and larger ones (up to 1 GiB each)",
			   PINDIO_BUF_MAX_COUNT);
		goto err_free;
	}
	ret = bufs_insert(ctx, buf);
	if (ret < 0) {
		fail(ctx, ret, "out of memory for the buffer index");
		goto err_slot;
	}
	ret = ctx->backend->buf_add(ctx, buf);
	if (ret < 0) {
		register_error(ctx, ret, addr, len);
		goto err_remove;
	}
	buf->state = BUF_REGISTERED;
	pindio_ctx_ref(ctx);
	dbg(ctx, "buffer %d registered: %p +%zu\n", buf->index, addr, len);
	*out = buf;
	return 0;

err_remove:
	bufs_remove(ctx, buf);
err_slot:
	slot_put(ctx, buf->index);
err_free:
	free(buf);
	return ret;
}

static int check_len(struct pindio_ctx *ctx, size_t len, unsigned int flags)
{
	if (!len)
		return fail(ctx, -EINVAL, "buffer length is 0; give 1 to %lu bytes",
			    PINDIO_BUF_MAX_LEN);
	if (len > PINDIO_BUF_MAX_LEN)
		return fail(ctx, -EINVAL, "buffer length %zu exceeds the kernel's limit of %lu bytes (1 GiB) per registered buffer; register several buffers",
			    len, PINDIO_BUF_MAX_LEN);
	if (flags)
		return fail(ctx, -EINVAL, "unknown buffer flags 0x%x; pass 0",
			    flags);
	return 0;
}

PINDIO_EXPORT
int pindio_buf_register(struct pindio_ctx *ctx, void *addr, size_t len,
			unsigned int flags, struct pindio_buf **out)
{
	int ret;

	if (!ctx || !out)
		return -EINVAL;
	if (!addr)
		return fail(ctx, -EINVAL, "buffer address is NULL");
	ret = check_len(ctx, len, flags);
	if (ret < 0)
		return ret;
	if ((uintptr_t)addr + len < (uintptr_t)addr)
		return fail(ctx, -EINVAL, "buffer [%p, +%zu) wraps around the address space",
			    addr, len);
	return buf_new(ctx, addr, len, 0, out);
}

PINDIO_EXPORT
int pindio_buf_alloc(struct pindio_ctx *ctx, size_t len, unsigned int flags,
		     struct pindio_buf **out)
{
	size_t map_len;
	void *mem;
	int ret;

	if (!ctx || !out)
		return -EINVAL;
	ret = check_len(ctx, len, flags);
	if (ret < 0)
		return ret;
	map_len = (len + page_size() - 1) & ~(page_size() - 1);
	mem = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail(ctx, -ENOMEM, "cannot map %zu bytes for a buffer: %s",
			    map_len, strerror(errno));
	ret = buf_new(ctx, mem, len, map_len, out);
	if (ret < 0)
		munmap(mem, map_len);
	return ret;
}

PINDIO_EXPORT
int pindio_buf_release(struct pindio_buf *buf)
{
	struct pindio_ctx *ctx;
	int ret;

	if (!buf)
		return -EINVAL;
	ctx = buf->ctx;
	if (buf->state != BUF_REGISTERED)
		return fail(ctx, -EALREADY, "buffer at %p (+%zu) was already released",
			    (void *)buf->addr, buf->len);

	/* Requests still queued must hold the buffer before its slot goes. */
	if (buf->inflight) {
		ret = ctx->backend->flush(ctx);
		if (ret < 0)
			return ret;
	}
	ret = ctx->backend->buf_del(ctx, buf);
	if (ret < 0)
		return fail(ctx, ret, "emptying buffer slot %d failed: %s; the buffer stays registered",
			    buf->index, strerror(-ret));
	dbg(ctx, "buffer %d released: %p +%zu, %u requests in flight\n",
	    buf->index, (void *)buf->addr, buf->len, buf->inflight);
	bufs_remove(ctx, buf);
	slot_put(ctx, buf->index);
	buf->index = -1;
	buf->state = BUF_RETIRING;
	retiring_add(ctx, buf);
	return 0;
}

/* The kernel posted @buf's tag: its pages are no longer pinned. */
void pin_buf_retired(struct pindio_ctx *ctx, struct pindio_buf *buf)
{
	if (buf->state != BUF_RETIRING) {
		err(ctx, "tag CQE for buffer %p in state %d; ignored\n",
		    (void *)buf, buf->state);
		return;
	}
	dbg(ctx, "buffer %p +%zu unpinned by the kernel\n", (void *)buf->addr,
	    buf->len);
	retiring_del(ctx, buf);
	buf->state = BUF_RELEASED;
	buf_unmap(buf);
	buf_maybe_free(buf);
}

/* A request that used @buf completed. */
void pin_buf_io_done(struct pindio_buf *buf)
{
	buf->inflight--;
	buf_maybe_free(buf);
}

/*
 * Context teardown, after in-flight requests were waited for: drop the
 * table so the kernel posts the remaining tags, then free what is left.
 */
void pin_teardown(struct pindio_ctx *ctx)
{
	struct pindio_buf *buf;

	/* Only buffers whose slot could not be emptied are still here. */
	while (ctx->nr_bufs) {
		buf = ctx->bufs[--ctx->nr_bufs];
		buf->state = BUF_RETIRING;
		retiring_add(ctx, buf);
	}
	ctx->last_hit = NULL;
	ctx->backend->buf_del_all(ctx);
	io_reap(ctx, 0, 0);
	while ((buf = ctx->retiring)) {
		warn(ctx, "buffer %p +%zu still pinned at teardown (%u requests in flight)\n",
		     (void *)buf->addr, buf->len, buf->inflight);
		retiring_del(ctx, buf);
		buf_unmap(buf);
		free(buf);
	}
	free(ctx->bufs);
	ctx->bufs = NULL;
}

PINDIO_EXPORT
struct pindio_buf *pindio_buf_ref(struct pindio_buf *buf)
{
	if (!buf)
		return NULL;
	buf->refcount++;
	pindio_ctx_ref(buf->ctx);
	return buf;
}

PINDIO_EXPORT
struct pindio_buf *pindio_buf_unref(struct pindio_buf *buf)
{
	struct pindio_ctx *ctx;

	if (!buf)
		return NULL;
	ctx = buf->ctx;
	if (--buf->refcount > 0) {
		pindio_ctx_unref(ctx);
		return buf;
	}
	if (buf->state == BUF_REGISTERED && pindio_buf_release(buf) < 0) {
		/* The slot could not be emptied: the pin stays until teardown. */
		err(ctx, "buffer %d stays registered until the context is freed\n",
		    buf->index);
	}
	buf_maybe_free(buf);
	/* Last: this may free the context, which frees retiring buffers. */
	pindio_ctx_unref(ctx);
	return NULL;
}

PINDIO_EXPORT
void *pindio_buf_get_addr(struct pindio_buf *buf)
{
	return buf ? buf->addr : NULL;
}

PINDIO_EXPORT
size_t pindio_buf_get_len(struct pindio_buf *buf)
{
	return buf ? buf->len : 0;
}

PINDIO_EXPORT
int pindio_buf_get_index(struct pindio_buf *buf)
{
	return buf ? buf->index : -1;
}
