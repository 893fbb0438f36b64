// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Registered buffers: the only module that asks the kernel for long-term
 * pins, and the point where pindio decides whether it may.  A buffer's
 * life is REGISTERED (in a table slot) -> RETIRING (slot emptied; in-flight
 * requests may still use it) -> RELEASED (the kernel posted the slot's
 * tag: this ring no longer pins the pages).  What is pinned belongs to a
 * struct pin_region, which leaves the account, and whose library memory is
 * unmapped, only when every ring sharing it is done: no request can ever
 * DMA into freed memory.
 *
 * Reference rule: a buffer holds a reference on its context exactly while
 * its own reference count is non-zero.  A RETIRING buffer nobody refers to
 * any more sits on ctx->retiring until its tag arrives or the context is
 * torn down; buffers cloned from another context belong to the context
 * (reference count 0) until released.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "dax.h"
#include "internal.h"

#define HUGE_PAGE_SIZE	(2UL << 20)

static uintptr_t align_down(uintptr_t a, size_t to)
{
	return a & ~((uintptr_t)to - 1);
}

static uintptr_t align_up(uintptr_t a, size_t to)
{
	return (a + to - 1) & ~((uintptr_t)to - 1);
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

/*
 * Room for @more buffers in the index, made before the kernel is asked:
 * once it has registered a buffer nothing may fail, or its tag would
 * arrive for a buffer that was freed.
 */
static int bufs_reserve(struct pindio_ctx *ctx, unsigned int more)
{
	unsigned int cap = ctx->bufs_cap ? ctx->bufs_cap : 16;
	struct pindio_buf **n;

	while (cap < ctx->nr_bufs + more)
		cap *= 2;
	if (cap == ctx->bufs_cap)
		return 0;
	n = realloc(ctx->bufs, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	ctx->bufs = n;
	ctx->bufs_cap = cap;
	return 0;
}

/* After bufs_reserve(): cannot fail. */
static void bufs_insert(struct pindio_ctx *ctx, struct pindio_buf *buf)
{
	unsigned int i;

	i = bufs_upper_bound(ctx, (uintptr_t)buf->addr);
	memmove(&ctx->bufs[i + 1], &ctx->bufs[i],
		(ctx->nr_bufs - i) * sizeof(ctx->bufs[0]));
	ctx->bufs[i] = buf;
	ctx->nr_bufs++;
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

/* A registered buffer whose pinned range shares a byte with [a, a + len). */
static struct pindio_buf *bufs_overlap(struct pindio_ctx *ctx, uintptr_t a,
				       size_t len, const struct pindio_buf *skip)
{
	unsigned int i = bufs_upper_bound(ctx, a + len - 1);
	struct pindio_buf *b;

	/* Pinned ranges never overlap: walk down while they reach @a. */
	while (i--) {
		b = ctx->bufs[i];
		if ((uintptr_t)b->region->addr + b->region->len <= a)
			break;
		if (b != skip)
			return b;
	}
	return NULL;
}

/*
 * Does another buffer in this ring's table pin memory in [a, a + len)?
 * The kernel charges a huge page once per ring (headpage_already_acct()).
 */
bool pin_range_in_table(struct pindio_ctx *ctx, uintptr_t a, size_t len,
			const struct pin_region *skip)
{
	unsigned int i = bufs_upper_bound(ctx, a + len - 1);
	struct pindio_buf *b;

	while (i--) {
		b = ctx->bufs[i];
		if ((uintptr_t)b->region->addr + b->region->len <= a)
			break;
		if (b->region != skip)
			return true;
	}
	return false;
}

/*
 * Lookup for plain I/O that missed the table: library memory of a
 * RETIRING buffer is unmapped once the kernel lets go, so new I/O on it
 * would race with munmap().  The list is short and only walked on a miss.
 */
struct pindio_buf *pin_retiring_lookup(struct pindio_ctx *ctx,
				       const void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr;
	struct list_node *pos;

	list_for_each(pos, &ctx->retiring) {
		struct pindio_buf *b = list_entry(pos, struct pindio_buf,
						  retiring_node);
		uintptr_t s = (uintptr_t)b->region->addr;

		if (b->lib_owned && a < s + b->region->len && a + len > s)
			return b;
	}
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

/* ---- regions ------------------------------------------------------------ */

/*
 * Caller memory pindio marked MADV_DONTFORK, process-wide: the mark comes
 * off only when no other region (of any context, on any thread) still
 * covers the memory.
 */
static pthread_mutex_t fork_lock = PTHREAD_MUTEX_INITIALIZER;
static struct list_node fork_regions = { &fork_regions, &fork_regions };

struct fork_edges {
	uintptr_t s, e;
};

/*
 * A transparent huge page the range covers only in part is left alone:
 * advising part of it would split its PMD mapping (and the charge would
 * no longer be visible), and the kernel copies pinned anonymous pages
 * into a child at fork() anyway.
 */
static void fork_edge_thp(void *data, uintptr_t head, size_t size)
{
	struct fork_edges *fe = data;

	if (head < fe->s && head + size > fe->s)
		fe->s = head + size;
	if (head < fe->e && head + size > fe->e)
		fe->e = head;
}

/*
 * Mark (or unmark) the pages of a caller's range so that fork() neither
 * copies nor shares them: a child writing to a page the parent has pinned
 * would otherwise get its own copy while the device keeps the old one.
 * Hugetlb ranges must be advised in whole huge pages.  DOFORK only
 * touches pages wholly inside the range: the edges may belong to a
 * neighbouring buffer.
 */
static int region_madvise(const struct vma_part *parts, unsigned int nr,
			  int advice)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		const struct vma_part *p = &parts[i];
		size_t ps = p->page_size;
		struct fork_edges fe;

		if (advice == MADV_DOFORK) {
			fe.s = align_up(p->start, ps);
			fe.e = align_down(p->end, ps);
		} else {
			fe.s = align_down(p->start, ps);
			fe.e = align_up(p->end, ps);
		}
		if (p->kind == VMA_ANON || p->kind == VMA_SHMEM)
			vma_for_each_thp(fe.s, fe.e - fe.s, fork_edge_thp, &fe);
		if (fe.s >= fe.e)
			continue;
		if (madvise((void *)fe.s, fe.e - fe.s, advice) < 0)
			return -errno;
	}
	return 0;
}

static int region_dontfork(struct pin_region *r, const struct vma_part *parts,
			   unsigned int nr)
{
	int ret = region_madvise(parts, nr, MADV_DONTFORK);

	if (ret < 0)
		return ret;
	pthread_mutex_lock(&fork_lock);
	list_add_tail(&fork_regions, &r->fork_node);
	r->dontfork = true;
	pthread_mutex_unlock(&fork_lock);
	return 0;
}

/* Give the caller's memory its fork behaviour back, if nobody pins it. */
static void region_dofork(struct pin_region *r)
{
	uintptr_t s = (uintptr_t)r->addr, e = s + r->len;
	struct vma_part *parts = NULL;
	struct list_node *pos;
	bool covered = false;
	unsigned int nr = 0;

	pthread_mutex_lock(&fork_lock);
	list_del(&r->fork_node);
	r->dontfork = false;
	list_for_each(pos, &fork_regions) {
		struct pin_region *o = list_entry(pos, struct pin_region,
						  fork_node);

		if ((uintptr_t)o->addr < e && (uintptr_t)o->addr + o->len > s)
			covered = true;
	}
	/* Under the lock: a new registration must not be undone by us. */
	if (!covered && vma_describe(s, r->len, &parts, &nr) == 0) {
		unsigned int i;

		/*
		 * Device-DAX VMAs split only at the device's alignment,
		 * which check_dax() found and the charge kept.
		 */
		for (i = 0; i < nr; i++)
			if (parts[i].kind == VMA_DEVICE &&
			    r->page_size > parts[i].page_size)
				parts[i].page_size = r->page_size;
		region_madvise(parts, nr, MADV_DOFORK);
	}
	pthread_mutex_unlock(&fork_lock);
	free(parts);
}

/*
 * A region has two counts.  @rings: the rings whose table or requests pin
 * it; when the last lets go the kernel has uncharged it.  @refs: those
 * rings plus the per-ring copies that need its memory mapped; when the
 * last goes the memory is unmapped.
 */
static struct pin_region *region_get(struct pin_region *r, bool ring)
{
	if (ring)
		__atomic_add_fetch(&r->rings, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
	return r;
}

static void region_put(struct pin_region *r)
{
	struct pin_region *parent;

	if (__atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (r->dontfork)
		region_dofork(r);
	if (r->map)
		munmap(r->map, r->map_len);
	parent = r->parent;
	free(r);
	if (parent)
		region_put(parent);
}

/* A ring let go of @r (its tag arrived, or a clone's last request). */
static void region_put_ring(struct pin_region *r)
{
	if (!__atomic_sub_fetch(&r->rings, 1, __ATOMIC_ACQ_REL))
		account_region_del(r);
	region_put(r);
}

/* Free a buffer once nobody (caller, kernel, request) refers to it. */
static void buf_maybe_free(struct pindio_buf *buf)
{
	if (buf->refcount || buf->inflight || buf->state != BUF_RELEASED)
		return;
	list_del(&buf->all_node);
	account_state(buf->ctx, BUF_RELEASED, -1);
	free(buf);
}

void pin_buf_set_state(struct pindio_buf *buf, enum buf_state state)
{
	account_state(buf->ctx, buf->state, state);
	buf->state = state;
}

/* The ring no longer pins @buf's region: it leaves this context. */
static void buf_released(struct pindio_ctx *ctx, struct pindio_buf *buf)
{
	list_del(&buf->retiring_node);
	pin_buf_set_state(buf, BUF_RELEASED);
	account_buf_released(ctx, buf);
	region_put_ring(buf->region);
	buf->region = NULL;
}

/* ---- the decision point ------------------------------------------------- */

/*
 * Filesystem-DAX memory cannot be pinned long-term (mm/gup.c refuses it
 * with EOPNOTSUPP before anything else about a VMA), so it is refused
 * here first, in words.  A device-DAX part is fine; its pages are
 * compound pages of the device's alignment, which the kernel charges
 * whole, as it does huge pages: page_size says so to the account.
 */
static int check_dax(struct pindio_ctx *ctx, struct vma_part *p)
{
	struct pindio_dax_info info;
	char where[160];
	int ret;

	ret = dax_probe_part(p, &info);
	if (ret < 0)
		return fail(ctx, ret, "out of memory while probing %s for DAX",
			    p->path);
	if (info.kind == PINDIO_DAX_DEVDAX) {
		if (info.ns_align > p->page_size &&
		    info.ns_align <= p->map_end - p->map_start)
			p->page_size = info.ns_align;
		return 0;
	}
	if (info.kind != PINDIO_DAX_FSDAX)
		return 0;
	dax_where(&info, where, sizeof(where));
	return fail(ctx, -EOPNOTSUPP, "[%#" PRIxPTR ", %#" PRIxPTR ") maps %s, which is filesystem-DAX (%s%s%s%s%s): its pages are the storage itself, and a long-term pin would stop the filesystem from ever moving or freeing those blocks, so the kernel refuses them and pindio refuses the whole mapping; register anonymous or huge-page memory (pindio_buf_alloc()), map a device-DAX device (/dev/daxX.Y), or read and write this mapping with plain, unregistered I/O",
		    p->start, p->end, p->path[0] ? p->path : "a file",
		    info.fstype[0] ? info.fstype : "unknown filesystem",
		    info.mount_dax[0] ? ", mounted dax=" : "", info.mount_dax,
		    where[0] ? ", on " : "", where);
}

/*
 * Refuse what the kernel would refuse with a bare -EFAULT or EOPNOTSUPP,
 * naming the mapping: filesystem-DAX first, as mm/gup.c checks it first.
 */
static int check_parts(struct pindio_ctx *ctx, struct vma_part *parts,
		       unsigned int nr)
{
	struct vma_part *p;
	unsigned int i;
	int ret;

	for (i = 0; i < nr; i++) {
		p = &parts[i];
		if (vma_is_file(p->kind)) {
			ret = check_dax(ctx, p);
			if (ret < 0)
				return ret;
		}
		switch (p->kind) {
		case VMA_HOLE:
			return fail(ctx, -EFAULT, "nothing is mapped at [%#" PRIxPTR ", %#" PRIxPTR ") inside the buffer; the kernel can only pin mapped memory",
				    p->start, p->end);
		case VMA_SPECIAL:
			return fail(ctx, -EFAULT, "[%#" PRIxPTR ", %#" PRIxPTR ") is the kernel's %s mapping, which cannot be pinned",
				    p->start, p->end, p->path);
		case VMA_FILE_SHARED:
			if (!p->writable)
				break;
			return fail(ctx, -EFAULT, "[%#" PRIxPTR ", %#" PRIxPTR ") is a writable MAP_SHARED mapping of %s (%s): the kernel refuses long-term pins of file pages it must track for writeback; use anonymous, memfd or hugetlb memory, or MAP_PRIVATE",
				    p->start, p->end, p->path[0] ? p->path : "a file",
				    p->fstype[0] ? p->fstype : "unknown filesystem");
		default:
			break;
		}
		if (!p->writable)
			return fail(ctx, -EFAULT, "[%#" PRIxPTR ", %#" PRIxPTR ") (%s%s%s) is mapped read-only; registered buffers are pinned for writing, so the memory must be writable",
				    p->start, p->end, vma_kind_name(p->kind),
				    p->path[0] ? " " : "", p->path);
	}
	return 0;
}

/* A file or device mapping among @parts, or NULL. */
static const struct vma_part *file_part(const struct vma_part *parts,
					unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (vma_is_file(parts[i].kind))
			return &parts[i];
	return NULL;
}

static int register_error(struct pindio_ctx *ctx, int ret, const void *addr,
			  size_t len, const struct vma_part *parts,
			  unsigned int nr)
{
	const struct vma_part *fp = file_part(parts, nr);
	size_t pages = ((uintptr_t)addr % page_size() + len + page_size() - 1) /
		       page_size();

	switch (ret) {
	case -ENOMEM:
		return fail(ctx, ret, "the kernel refused to pin %zu bytes (%zu pages) at %p: ENOMEM; registered buffers are charged to the user's RLIMIT_MEMLOCK unless the context has CAP_IPC_LOCK (other processes of the same user count too): raise it (ulimit -l), or register fewer, smaller or huge-page buffers",
			    len, pages, addr);
	case -EFAULT:
		return fail(ctx, ret, "the kernel cannot pin %zu bytes at %p (EFAULT): the range is not fully mapped, or it is a shared mapping of a regular file, which cannot be pinned long-term; use anonymous, memfd or hugetlb memory",
			    len, addr);
	case -EOPNOTSUPP:
		/*
		 * Before Linux 6.5, io_uring's io_pin_pages() refused every
		 * file mapping that is not shmem or hugetlbfs ("don't support
		 * file backed memory"), device-DAX and MAP_PRIVATE included.
		 */
		if (fp)
			return fail(ctx, ret, "the kernel refused a long-term pin of %zu bytes at %p (EOPNOTSUPP): [%#" PRIxPTR ", %#" PRIxPTR ") maps %s (%s); io_uring before Linux 6.5 registers only anonymous, shmem and hugetlbfs memory, and no kernel pins filesystem-DAX pages: use anonymous, memfd or huge-page buffers, or plain (unregistered) I/O",
				    len, addr, fp->start, fp->end,
				    fp->path[0] ? fp->path : "a file",
				    vma_kind_name(fp->kind));
		return fail(ctx, ret, "the kernel refused a long-term pin of %zu bytes at %p (EOPNOTSUPP): the memory is a filesystem-DAX mapping; use anonymous or huge-page buffers, device-DAX, or plain (unregistered) I/O",
			    len, addr);
	default:
		return fail(ctx, ret, "registering %zu bytes at %p failed: %s",
			    len, addr, strerror(-ret));
	}
}

static struct pindio_buf *buf_alloc(struct pindio_ctx *ctx, char *addr,
				    size_t len)
{
	struct pindio_buf *buf = calloc(1, sizeof(*buf));

	if (!buf)
		return NULL;
	buf->ctx = ctx;
	buf->addr = addr;
	buf->len = len;
	buf->index = -1;
	buf->state = BUF_REGISTERED;
	list_init(&buf->retiring_node);
	list_init(&buf->all_node);
	return buf;
}

/*
 * Put @buf, already in a table slot, in the index (room reserved) and the
 * account.
 */
static void buf_index(struct pindio_ctx *ctx, struct pindio_buf *buf)
{
	bufs_insert(ctx, buf);
	buf->registered_ms = now_ms();
	list_add_tail(&ctx->all_bufs, &buf->all_node);
	account_state(ctx, -1, BUF_REGISTERED);
	account_buf_added(ctx, buf);
}

/*
 * On a backend without long-term pins a registration is accounting only:
 * the region pins and charges nothing (each request's pages are pinned
 * for its duration, and counted as such).
 */
static void region_not_pinned(struct pin_region *r)
{
	r->charged_pages = 0;
	r->pages = 0;
	r->memlock = false;
}

/*
 * Register [addr, addr + pin_len) in a free slot: @len of it is the
 * buffer's usable length.  @map is library memory the region owns;
 * @parent, the region whose memory a per-ring copy keeps alive.
 */
static int buf_register(struct pindio_ctx *ctx, char *addr, size_t len,
			size_t pin_len, char *map, size_t map_len,
			struct pin_region *parent, struct pindio_buf **out)
{
	bool longterm = ctx->backend->longterm_pins;
	struct vma_part *parts = NULL;
	struct pindio_buf *buf, *other;
	struct pin_region *r;
	unsigned int nr = 0;
	int ret;

	other = bufs_overlap(ctx, (uintptr_t)addr, pin_len, NULL);
	if (other)
		return fail(ctx, -EEXIST, "[%p, +%zu) overlaps buffer %d at [%p, +%zu) already registered on this context; register each range once and do I/O on parts of it",
			    (void *)addr, pin_len, other->index,
			    (void *)other->region->addr, other->region->len);

	ret = vma_describe((uintptr_t)addr, pin_len, &parts, &nr);
	if (ret < 0)
		return fail(ctx, ret, "cannot read what backs [%p, +%zu) from /proc/self/maps: %s",
			    (void *)addr, pin_len, strerror(-ret));
	ret = check_parts(ctx, parts, nr);
	if (ret < 0)
		goto err_parts;

	ret = -ENOMEM;
	r = calloc(1, sizeof(*r));
	buf = buf_alloc(ctx, addr, len);
	if (!r || !buf) {
		fail(ctx, ret, "out of memory for a buffer");
		goto err_free;
	}
	r->rings = 1;
	r->refs = 1;
	r->addr = addr;
	r->len = pin_len;
	r->memlock = ctx->memlock_applies;
	buf->region = r;
	buf->lib_owned = map != NULL;

	/* What the kernel will charge, as far as can be told beforehand. */
	account_charge(ctx, r, parts, nr);
	ret = longterm ? account_predict(ctx, r, addr, pin_len) : 0;
	if (ret < 0)
		goto err_free;

	if (bufs_reserve(ctx, 1) < 0) {
		ret = fail(ctx, -ENOMEM, "out of memory for the buffer index");
		goto err_free;
	}
	buf->index = slot_get(ctx);
	if (buf->index < 0) {
		ret = fail(ctx, -ENOSPC, "all %u registered-buffer slots are in use; release buffers, or register fewer and larger ones (up to 1 GiB each)",
			   PINDIO_BUF_MAX_COUNT);
		goto err_free;
	}
	/*
	 * A fork must not copy pages the kernel holds (pages not held
	 * long-term are the caller's business, as for any O_DIRECT).  A
	 * per-ring copy relies on its parent's advice, unless the parent
	 * pinned nothing (a libaio registration) and so gave none.
	 */
	if (longterm && !map && !(parent && (parent->map || parent->dontfork))) {
		ret = region_dontfork(r, parts, nr);
		if (ret < 0) {
			fail(ctx, ret, "madvise(MADV_DONTFORK) on [%p, +%zu) failed: %s",
			     (void *)addr, pin_len, strerror(-ret));
			goto err_slot;
		}
	}
	ret = ctx->backend->buf_add(ctx, buf);
	if (ret < 0) {
		register_error(ctx, ret, addr, pin_len, parts, nr);
		goto err_advice;
	}
	/* Pinning faulted the pages in: now huge pages can be seen. */
	if (longterm)
		account_charge(ctx, r, parts, nr);
	else
		region_not_pinned(r);
	buf_index(ctx, buf);

	/* Only now may the region own memory or a parent: nothing fails. */
	r->map = map;
	r->map_len = map_len;
	r->parent = parent ? region_get(parent, false) : NULL;
	account_region_add(r);
	free(parts);
	pindio_ctx_ref(ctx);
	buf->refcount = 1;
	dbg(ctx, "buffer %d registered: %p +%zu, %" PRIu64 " pages charged\n",
	    buf->index, (void *)addr, pin_len, r->charged_pages);
	*out = buf;
	return 0;

err_advice:
	if (r->dontfork)
		region_dofork(r);
err_slot:
	slot_put(ctx, buf->index);
err_free:
	free(buf);
	free(r);
err_parts:
	free(parts);
	return ret;
}

static int check_len(struct pindio_ctx *ctx, size_t len, unsigned int flags,
		     unsigned int known)
{
	if (!len)
		return fail(ctx, -EINVAL, "buffer length is 0; give 1 to %lu bytes",
			    PINDIO_BUF_MAX_LEN);
	if (len > PINDIO_BUF_MAX_LEN)
		return fail(ctx, -EINVAL, "buffer length %zu exceeds the kernel's limit of %lu bytes (1 GiB) per registered buffer; register several buffers",
			    len, PINDIO_BUF_MAX_LEN);
	if (flags & ~known)
		return fail(ctx, -EINVAL, "unknown buffer flags 0x%x; known flags are 0x%x",
			    flags & ~known, known);
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
	ret = check_len(ctx, len, flags, 0);
	if (ret < 0)
		return ret;
	if ((uintptr_t)addr + len < (uintptr_t)addr)
		return fail(ctx, -EINVAL, "buffer [%p, +%zu) wraps around the address space",
			    addr, len);
	return buf_register(ctx, addr, len, len, NULL, 0, NULL, out);
}

/*
 * 2 MiB pages for PINDIO_BUF_HUGE: hugetlb when the pool has free pages
 * (a private hugetlb mapping reserves them at mmap() time, so this fails
 * early rather than with SIGBUS later), else transparent huge pages in a
 * 2 MiB-aligned mapping.  Fewer, larger pages: less to pin and to walk.
 */
static void *map_huge(struct pindio_ctx *ctx, size_t map_len)
{
	size_t over = map_len + HUGE_PAGE_SIZE;
	uintptr_t a, s;
	char *mem;

	mem = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
		   (21 << MAP_HUGE_SHIFT), -1, 0);
	if (mem != MAP_FAILED)
		return mem;
	info(ctx, "no free hugetlb pages for %zu bytes (%s); using transparent huge pages\n",
	     map_len, strerror(errno));

	mem = mmap(NULL, over, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;
	a = (uintptr_t)mem;
	s = align_up(a, HUGE_PAGE_SIZE);
	if (s > a)
		munmap(mem, s - a);
	if (a + over > s + map_len)
		munmap((void *)(s + map_len), a + over - (s + map_len));
	mem = (char *)s;
	if (madvise(mem, map_len, MADV_HUGEPAGE) < 0)
		info(ctx, "MADV_HUGEPAGE refused (%s): transparent huge pages are disabled; the buffer gets 4 KiB pages\n",
		     strerror(errno));
	return mem;
}

PINDIO_EXPORT
int pindio_buf_alloc(struct pindio_ctx *ctx, size_t len, unsigned int flags,
		     struct pindio_buf **out)
{
	size_t map_len;
	char *mem;
	int ret;

	if (!ctx || !out)
		return -EINVAL;
	ret = check_len(ctx, len, flags, PINDIO_BUF_HUGE);
	if (ret < 0)
		return ret;
	if (flags & PINDIO_BUF_HUGE) {
		map_len = align_up(len, HUGE_PAGE_SIZE);
		mem = map_huge(ctx, map_len);
	} else {
		map_len = align_up(len, page_size());
		mem = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			mem = NULL;
	}
	if (!mem)
		return fail(ctx, -ENOMEM, "cannot map %zu bytes for a buffer: %s",
			    map_len, strerror(errno));
	/* Library memory is never forked: advise it before the kernel pins. */
	madvise(mem, map_len, MADV_DONTFORK);
	/* Huge buffers pin all they map, so that the charge is the same
	 * whether the kernel found huge pages or not. */
	ret = buf_register(ctx, mem, len,
			   (flags & PINDIO_BUF_HUGE) ? map_len : len,
			   mem, map_len, NULL, out);
	if (ret < 0)
		munmap(mem, map_len);
	return ret;
}

/* The kernel's slot of @buf was emptied: no new I/O may use it. */
static void buf_retire(struct pindio_ctx *ctx, struct pindio_buf *buf)
{
	bufs_remove(ctx, buf);
	slot_put(ctx, buf->index);
	buf->index = -1;
	pin_buf_set_state(buf, BUF_RETIRING);
	list_add_tail(&ctx->retiring, &buf->retiring_node);
}

/*
 * No tag CQE will say when the kernel let go of @buf: a clone's node is
 * dropped with the last request that used it, which completes before its
 * CQE is seen; a backend without long-term pins holds nothing once the
 * last request is done.
 */
static bool buf_untagged(const struct pindio_buf *buf)
{
	return buf->shared || !buf->ctx->backend->longterm_pins;
}

/* Empty @buf's slot; it stays allocated (see pindio_buf_release()). */
static int buf_release(struct pindio_buf *buf)
{
	struct pindio_ctx *ctx = buf->ctx;
	int ret;

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
	buf_retire(ctx, buf);
	if (buf_untagged(buf) && !buf->inflight)
		buf_released(ctx, buf);
	return 0;
}

PINDIO_EXPORT
int pindio_buf_release(struct pindio_buf *buf)
{
	int ret;

	if (!buf)
		return -EINVAL;
	ret = buf_release(buf);
	/* A clone the context owned may be gone already. */
	if (ret == 0 && !buf->refcount)
		buf_maybe_free(buf);
	return ret;
}

/* The kernel posted @buf's tag: this ring no longer pins its pages. */
void pin_buf_retired(struct pindio_ctx *ctx, struct pindio_buf *buf)
{
	if (buf->state != BUF_RETIRING || buf_untagged(buf)) {
		err(ctx, "tag CQE for buffer %p in state %d; ignored\n",
		    (void *)buf, buf->state);
		return;
	}
	dbg(ctx, "buffer %p +%zu unpinned by the kernel\n", (void *)buf->addr,
	    buf->len);
	buf_released(ctx, buf);
	buf_maybe_free(buf);
}

/*
 * A request that used @buf, which is no longer registered, completed
 * (pin_buf_io_done() has counted it): the last one may end a release the
 * kernel does not tag, and free what nobody holds.
 */
void pin_buf_io_settle(struct pindio_buf *buf)
{
	if (buf_untagged(buf) && buf->state == BUF_RETIRING && !buf->inflight)
		buf_released(buf->ctx, buf);
	buf_maybe_free(buf);
}

/*
 * Context teardown, after in-flight requests were waited for: say what is
 * still pinned, drop the table so the kernel posts the remaining tags,
 * then free what is left.
 */
void pin_teardown(struct pindio_ctx *ctx)
{
	struct list_node *pos, *tmp;
	struct pindio_buf *buf;

	if (ctx->nr_bufs || !list_empty(&ctx->retiring)) {
		info(ctx, "teardown: %u buffers still registered and %u retiring (%" PRIu64 " bytes pinned, %" PRIu64 " shared); unregistering them\n",
		     ctx->acct.nr_state[BUF_REGISTERED],
		     ctx->acct.nr_state[BUF_RETIRING],
		     ctx->acct.pinned_pages * 4096, ctx->acct.shared_bytes);
		if (ctx->log_priority >= LOG_INFO)
			pindio_ctx_dump_pins(ctx, NULL);
	}
	/* Buffers cloned from another context, or whose slot would not empty. */
	while (ctx->nr_bufs) {
		buf = ctx->bufs[--ctx->nr_bufs];
		pin_buf_set_state(buf, BUF_RETIRING);
		list_add_tail(&ctx->retiring, &buf->retiring_node);
	}
	ctx->last_hit = NULL;
	ctx->backend->buf_del_all(ctx);
	io_reap(ctx, 0, 0);
	list_for_each_safe(pos, tmp, &ctx->retiring) {
		buf = list_entry(pos, struct pindio_buf, retiring_node);
		if (!buf_untagged(buf))
			warn(ctx, "buffer %p +%zu: the kernel posted no release at teardown (%u requests in flight); forgetting it\n",
			     (void *)buf->addr, buf->len, buf->inflight);
		buf_released(ctx, buf);
	}
	/* Nothing refers to any buffer now: the context is going. */
	list_for_each_safe(pos, tmp, &ctx->all_bufs) {
		buf = list_entry(pos, struct pindio_buf, all_node);
		list_del(&buf->all_node);
		account_state(ctx, buf->state, -1);
		if (buf->region)
			region_put_ring(buf->region);
		free(buf);
	}
	free(ctx->bufs);
	ctx->bufs = NULL;
}

/* ---- sharing between rings ---------------------------------------------- */

/* Per-ring fallback: register each of @src's buffers again in @dst. */
static int clone_per_ring(struct pindio_ctx *dst, struct pindio_ctx *src)
{
	struct pindio_buf *b, *copy;
	unsigned int i, n = 0;
	int ret;

	for (i = 0; i < src->nr_bufs; i++) {
		b = src->bufs[i];
		ret = buf_register(dst, b->addr, b->len, b->region->len, NULL,
				   0, b->region, &copy);
		if (ret < 0)
			goto err;
		/* Owned by @dst, like a kernel clone. */
		copy->lib_owned = b->lib_owned;
		copy->ctx_owned = true;
		copy->refcount = 0;
		pindio_ctx_unref(dst);
		n++;
	}
	return (int)n;
err:
	while (dst->nr_bufs) {
		copy = dst->bufs[dst->nr_bufs - 1];
		/* The slot cannot be emptied: teardown will drop the table. */
		if (pindio_buf_release(copy) < 0)
			break;
	}
	io_reap(dst, 0, 0);
	return ret;
}

/* The kernel put @src's buffers in @dst's table: mirror them. */
static int clone_shared(struct pindio_ctx *dst, struct pindio_ctx *src)
{
	struct pindio_buf *b, *copy;
	unsigned int i;

	for (i = 0; i < src->nr_bufs; i++) {
		b = src->bufs[i];
		copy = buf_alloc(dst, b->addr, b->len);
		if (!copy)
			goto err;
		copy->shared = true;
		copy->ctx_owned = true;
		copy->lib_owned = b->lib_owned;
		copy->index = b->index;
		copy->region = region_get(b->region, true);
		dst->buf_slot_used[copy->index] = 1;
		buf_index(dst, copy);
	}
	return (int)i;
err:
	/* The kernel's table has every clone: empty their slots again. */
	for (i = 0; i < src->nr_bufs; i++)
		dst->backend->buf_del(dst, src->bufs[i]);	/* by index */
	while (dst->nr_bufs) {
		copy = dst->bufs[dst->nr_bufs - 1];
		buf_retire(dst, copy);
		buf_released(dst, copy);
		buf_maybe_free(copy);
	}
	return fail(dst, -ENOMEM, "out of memory for a buffer");
}

PINDIO_EXPORT
int pindio_ctx_clone_bufs(struct pindio_ctx *dst, struct pindio_ctx *src)
{
	int ret;

	if (!dst || !src)
		return -EINVAL;
	if (dst == src)
		return fail(dst, -EINVAL, "a context cannot clone its own buffers");
	if (dst->nr_bufs || !list_empty(&dst->retiring))
		return fail(dst, -EBUSY, "the destination context already has %u buffers registered and %u retiring; clone into a context before registering any",
			    dst->nr_bufs, dst->acct.nr_state[BUF_RETIRING]);
	if (!src->nr_bufs)
		return 0;
	if (bufs_reserve(dst, src->nr_bufs) < 0)
		return fail(dst, -ENOMEM, "out of memory for the buffer index");

	/* Registration is accounting only there: nothing to share. */
	if (!dst->backend->longterm_pins || dst->backend != src->backend)
		return clone_per_ring(dst, src);
	/* The kernel shares only between rings charged to the same user. */
	ret = dst->memlock_applies == src->memlock_applies ?
	      dst->backend->buf_clone(dst, src) : -EXDEV;
	if (ret == 0) {
		ret = clone_shared(dst, src);
		if (ret >= 0)
			info(dst, "%d buffers shared with context %p by the kernel (charged once)\n",
			     ret, (void *)src);
		return ret;
	}
	if (ret == -EOPNOTSUPP)
		info(dst, "the kernel cannot share registered buffers between rings (IORING_REGISTER_CLONE_BUFFERS with DST_REPLACE needs Linux 6.13); registering %u buffers again, charged again\n",
		     src->nr_bufs);
	else if (ret == -EXDEV)
		info(dst, "one context was created with CAP_IPC_LOCK and the other without, so the kernel would charge them to different accounts and cannot share their buffers; registering %u buffers again, charged again\n",
		     src->nr_bufs);
	else if (ret == -EEXIST)
		/* The kernel checks the source ring's owner too. */
		info(dst, "the kernel shares a PINDIO_CTX_SINGLE_ISSUER ring's buffers only with its own thread; registering %u buffers again, charged again (create the source context without PINDIO_CTX_SINGLE_ISSUER to share them)\n",
		     src->nr_bufs);
	else
		return fail(dst, ret, "IORING_REGISTER_CLONE_BUFFERS failed: %s",
			    strerror(-ret));
	return clone_per_ring(dst, src);
}

/* ---- references and getters -------------------------------------------- */

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
	if (buf->refcount <= 0) {
		err(ctx, "buffer %p: pindio_buf_unref() without a reference (buffers a context owns are released with pindio_buf_release())\n",
		    (void *)buf);
		return NULL;
	}
	if (--buf->refcount > 0 || buf->ctx_owned) {
		pindio_ctx_unref(ctx);
		return buf;
	}
	if (buf->state == BUF_REGISTERED && buf_release(buf) < 0) {
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
	if (!buf || (buf->lib_owned && buf->state == BUF_RELEASED))
		return NULL;
	return buf->addr;
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

PINDIO_EXPORT
struct pindio_buf *pindio_buf_get_first(struct pindio_ctx *ctx)
{
	if (!ctx || list_empty(&ctx->all_bufs))
		return NULL;
	return list_entry(ctx->all_bufs.next, struct pindio_buf, all_node);
}

PINDIO_EXPORT
struct pindio_buf *pindio_buf_get_next(struct pindio_buf *buf)
{
	if (!buf || buf->all_node.next == &buf->ctx->all_bufs)
		return NULL;
	return list_entry(buf->all_node.next, struct pindio_buf, all_node);
}

PINDIO_EXPORT
int pindio_buf_get_info(struct pindio_buf *buf, struct pindio_buf_info *info,
			size_t size)
{
	struct pindio_buf_info i;
	const struct pin_region *r;

	if (!buf || !info || !size)
		return -EINVAL;
	memset(&i, 0, sizeof(i));
	r = buf->region;
	i.addr = buf->addr;
	i.len = buf->len;
	i.index = buf->index;
	i.state = (enum pindio_buf_state)buf->state;
	i.age_ms = (uint64_t)(now_ms() - buf->registered_ms);
	i.inflight = buf->inflight;
	i.lib_owned = buf->lib_owned;
	i.shared = buf->shared;
	i.longterm = buf->ctx->backend->longterm_pins;
	/* A released buffer pins nothing: its region is gone. */
	if (r) {
		i.pinned_len = r->len;
		i.charged_pages = buf->shared ? 0 : r->charged_pages;
		i.pages = r->pages;
		i.page_size = r->page_size;
		i.backing = r->backing;
	}
	memcpy(info, &i, size < sizeof(i) ? size : sizeof(i));
	if (size > sizeof(i))
		memset((char *)info + sizeof(i), 0, size - sizeof(i));
	return 0;
}
