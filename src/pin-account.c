// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The pin account: what each context and the whole process has handed to
 * the kernel for DMA, counted the way the kernel counts it, so that it can
 * be compared with VmPin and checked against RLIMIT_MEMLOCK before the
 * kernel says no.
 *
 * The kernel (io_uring/rsrc.c, io_buffer_account_pin()) charges each
 * registration its 4 KiB pages one by one, again for every registration;
 * a page that belongs to a huge page (hugetlb or THP) is charged as the
 * whole huge page, and only when no buffer already in the same ring's
 * table holds a page of it (headpage_already_acct()).  The charge goes to
 * mm->pinned_vm (VmPin) always, and to the user's locked_vm, checked
 * against RLIMIT_MEMLOCK, unless the ring was created with CAP_IPC_LOCK.
 * Ring memory is charged to locked_vm too, but not to VmPin.
 *
 * Per-context figures are written by the context's thread only.  The
 * process-wide ones are atomics: contexts live on different threads, and a
 * region shared between rings leaves the account on whichever thread lets
 * go of it last.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "internal.h"

#define KERNEL_PAGE	4096ULL		/* the unit of VmPin and locked_vm */

/*
 * The process: every context, live or gone.  Its pinned_pages counts
 * regions (a region shared by rings once), a context's counts its own
 * registrations.
 */
static struct {
	struct pin_account acct;
	uint32_t nr_contexts;
	uint32_t nr_memlock_contexts;
	uint64_t memlock_pin_pages;	/* charged to RLIMIT_MEMLOCK: pins */
	uint64_t memlock_ring_pages;	/* and ring memory */
} proc;

#define add(field, v)	__atomic_add_fetch(&proc.field, (v), __ATOMIC_RELAXED)
#define sub(field, v)	__atomic_sub_fetch(&proc.field, (v), __ATOMIC_RELAXED)
#define get(field)	__atomic_load_n(&proc.field, __ATOMIC_RELAXED)

static void raise_max(uint64_t *max, uint64_t v)
{
	uint64_t cur = __atomic_load_n(max, __ATOMIC_RELAXED);

	while (v > cur && !__atomic_compare_exchange_n(max, &cur, v, true,
						       __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* io_uring checks CAP_IPC_LOCK once, when the ring is created. */
static bool has_cap_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return data[CAP_TO_INDEX(CAP_IPC_LOCK)].effective &
	       CAP_TO_MASK(CAP_IPC_LOCK);
}

/* After the backend set ctx->ring_pages. */
void account_ctx_init(struct pindio_ctx *ctx)
{
	ctx->memlock_applies = !has_cap_ipc_lock();
	add(nr_contexts, 1);
	if (ctx->memlock_applies) {
		add(nr_memlock_contexts, 1);
		add(memlock_ring_pages, ctx->ring_pages);
	}
}

void account_ctx_fini(struct pindio_ctx *ctx)
{
	/*
	 * Requests a closed ring cancelled, or that io_destroy() waited for,
	 * never completed here: take them off the process's figures.
	 */
	if (ctx->acct.dma_requests) {
		sub(acct.dma_bytes, ctx->acct.dma_bytes);
		sub(acct.dma_requests, ctx->acct.dma_requests);
	}
	sub(nr_contexts, 1);
	if (ctx->memlock_applies) {
		sub(nr_memlock_contexts, 1);
		sub(memlock_ring_pages, ctx->ring_pages);
	}
}

/* The 4 KiB pages [s, e) touches. */
static uint64_t pages_spanned(uintptr_t s, uintptr_t e)
{
	return (((e + KERNEL_PAGE - 1) & ~(KERNEL_PAGE - 1)) -
		(s & ~(KERNEL_PAGE - 1))) / KERNEL_PAGE;
}

struct thp_walk {
	struct pindio_ctx *ctx;
	struct pin_region *r;
	const struct vma_part *part;
};

/* A PMD-mapped transparent huge page inside the part being counted. */
static void thp_found(void *data, uintptr_t head, size_t size)
{
	struct thp_walk *w = data;
	uintptr_t s = head > w->part->start ? head : w->part->start;
	uintptr_t e = head + size < w->part->end ? head + size : w->part->end;
	uint64_t small = pages_spanned(s, e);

	/* Its small pages were counted one by one: count it as the kernel. */
	w->r->charged_pages -= small;
	w->r->pages -= small;
	w->r->pages++;
	w->r->backing |= PINDIO_BACKING_THP;
	if (size > w->r->page_size)
		w->r->page_size = size;
	/* Reported once each: a THP lies inside one mapping. */
	if (!pin_range_in_table(w->ctx, head, size, w->r))
		w->r->charged_pages += size / KERNEL_PAGE;
}

static unsigned int backing_of(enum vma_kind kind)
{
	switch (kind) {
	case VMA_ANON:
		return PINDIO_BACKING_ANON;
	case VMA_HUGETLB:
		return PINDIO_BACKING_HUGETLB;
	case VMA_SHMEM:
		return PINDIO_BACKING_SHMEM;
	case VMA_FILE_PRIVATE:
	case VMA_FILE_SHARED:
		return PINDIO_BACKING_FILE;
	case VMA_DEVICE:
		return PINDIO_BACKING_DEVICE;
	default:
		return 0;
	}
}

/*
 * What registering @r will charge (or, once registered, did charge): the
 * kernel's rule applied to what backs each part of the range.  Before the
 * kernel pins, pages not yet faulted in count as small pages; counted
 * again afterwards, transparent huge pages the pinning created show.
 */
void account_charge(struct pindio_ctx *ctx, struct pin_region *r,
		    const struct vma_part *parts, unsigned int nr)
{
	unsigned int i;

	r->charged_pages = 0;
	r->pages = 0;
	r->page_size = page_size();
	r->backing = 0;
	for (i = 0; i < nr; i++) {
		const struct vma_part *p = &parts[i];

		r->backing |= backing_of(p->kind);
		/*
		 * Hugetlb pages, and device-DAX pages, which are compound
		 * pages of the device's alignment (check_dax() set
		 * page_size): the kernel charges each head once per ring.
		 */
		if ((p->kind == VMA_HUGETLB || p->kind == VMA_DEVICE) &&
		    p->page_size > KERNEL_PAGE) {
			size_t hps = p->page_size;
			uintptr_t h;

			if (hps > r->page_size)
				r->page_size = hps;
			/* Such mappings start and end on their page size. */
			for (h = p->start & ~((uintptr_t)hps - 1); h < p->end;
			     h += hps) {
				r->pages++;
				if (!pin_range_in_table(ctx, h, hps, r))
					r->charged_pages += hps / KERNEL_PAGE;
			}
			continue;
		}
		/* Mappings start and end on page boundaries. */
		r->charged_pages += pages_spanned(p->start, p->end);
		r->pages += pages_spanned(p->start, p->end);
		if (p->kind == VMA_ANON || p->kind == VMA_SHMEM) {
			struct thp_walk w = { ctx, r, p };

			/* -EOPNOTSUPP before Linux 6.7: small pages assumed. */
			vma_for_each_thp(p->start, p->end - p->start,
					 thp_found, &w);
		}
	}
}

static uint64_t memlock_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return UINT64_MAX;
	return rl.rlim_cur;
}

/*
 * Released buffers with nothing in flight: the kernel uncharged them when
 * their slot was emptied, before pindio has reaped their tags.
 */
static uint64_t retired_pages(struct pindio_ctx *ctx)
{
	const struct list_node *pos;
	uint64_t n = 0;

	list_for_each(pos, &ctx->retiring) {
		const struct pindio_buf *b = list_entry(pos, struct pindio_buf,
							 retiring_node);
		const struct pin_region *r = b->region;

		if (!b->inflight && !b->shared && r->memlock &&
		    __atomic_load_n(&r->rings, __ATOMIC_RELAXED) == 1)
			n += r->charged_pages;
	}
	return n;
}

/*
 * Refuse what the kernel would refuse for RLIMIT_MEMLOCK, with the
 * figures.  The kernel compares the user's locked_vm: pindio knows its
 * own share (pins and rings); other processes of the user are invisible.
 */
int account_predict(struct pindio_ctx *ctx, const struct pin_region *r,
		    const void *addr, size_t len)
{
	uint64_t limit, pins, rings;

	if (!ctx->memlock_applies)
		return 0;
	limit = memlock_limit();
	if (limit == UINT64_MAX)
		return 0;
	pins = get(memlock_pin_pages) - retired_pages(ctx);
	rings = get(memlock_ring_pages);
	if ((pins + rings + r->charged_pages) * KERNEL_PAGE <= limit)
		return 0;
	return fail(ctx, -ENOMEM, "registering %zu bytes at %p would pin %" PRIu64 " KiB more, but RLIMIT_MEMLOCK is %" PRIu64 " KiB and pindio has %" PRIu64 " KiB charged to it already (%" PRIu64 " KiB pinned, %" PRIu64 " KiB of ring memory); raise the limit (ulimit -l, LimitMEMLOCK=, memlock in limits.conf), give the process CAP_IPC_LOCK, or register fewer, smaller or huge-page buffers",
		    len, addr, r->charged_pages * 4, limit / 1024,
		    (pins + rings) * 4, pins * 4, rings * 4);
}

/* A region was registered: the kernel charged it. */
void account_region_add(struct pin_region *r)
{
	uint64_t now = add(acct.pinned_pages, r->charged_pages);

	raise_max(&proc.acct.peak_pages, now);
	if (r->memlock)
		add(memlock_pin_pages, r->charged_pages);
}

/* The last ring holding @r let go: the kernel uncharged it. */
void account_region_del(struct pin_region *r)
{
	sub(acct.pinned_pages, r->charged_pages);
	if (r->memlock)
		sub(memlock_pin_pages, r->charged_pages);
}

void account_buf_added(struct pindio_ctx *ctx, struct pindio_buf *buf)
{
	struct pin_account *a = &ctx->acct;

	a->registrations++;
	add(acct.registrations, 1);
	if (buf->shared) {
		a->shared_bytes += buf->region->len;
		add(acct.shared_bytes, buf->region->len);
		return;
	}
	a->pinned_pages += buf->region->charged_pages;
	if (a->pinned_pages > a->peak_pages)
		a->peak_pages = a->pinned_pages;
}

void account_buf_released(struct pindio_ctx *ctx, struct pindio_buf *buf)
{
	struct pin_account *a = &ctx->acct;

	a->releases++;
	add(acct.releases, 1);
	if (buf->shared) {
		a->shared_bytes -= buf->region->len;
		sub(acct.shared_bytes, buf->region->len);
		return;
	}
	a->pinned_pages -= buf->region->charged_pages;
}

/* A buffer object moved between states; -1 is "not existing". */
void account_state(struct pindio_ctx *ctx, int from, int to)
{
	if (from >= 0) {
		ctx->acct.nr_state[from]--;
		sub(acct.nr_state[from], 1);
	}
	if (to >= 0) {
		ctx->acct.nr_state[to]++;
		add(acct.nr_state[to], 1);
	}
}

/*
 * Plain O_DIRECT requests: the kernel pins their pages (FOLL_PIN) while
 * they are in flight.  On the I/O path, so only two atomic adds.
 */
void account_dma_start(struct pindio_ctx *ctx, size_t len)
{
	struct pin_account *a = &ctx->acct;
	uint64_t now;

	a->dma_bytes += len;
	a->dma_requests++;
	if (a->dma_bytes > a->dma_peak_bytes)
		a->dma_peak_bytes = a->dma_bytes;
	now = add(acct.dma_bytes, len);
	add(acct.dma_requests, 1);
	raise_max(&proc.acct.dma_peak_bytes, now);
}

void account_dma_end(struct pindio_ctx *ctx, size_t len)
{
	ctx->acct.dma_bytes -= len;
	ctx->acct.dma_requests--;
	sub(acct.dma_bytes, len);
	sub(acct.dma_requests, 1);
}

/* ---- reading the account ------------------------------------------------ */

static int copy_stats(const struct pindio_pin_stats *st, void *out,
		      size_t size)
{
	if (!out || size < offsetof(struct pindio_pin_stats, memlock_used) +
			   sizeof(st->memlock_used))
		return -EINVAL;
	memcpy(out, st, size < sizeof(*st) ? size : sizeof(*st));
	if (size > sizeof(*st))
		memset((char *)out + sizeof(*st), 0, size - sizeof(*st));
	return 0;
}

/* The figures both kinds of account share. */
static void account_stats(const struct pin_account *a,
			  struct pindio_pin_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->pinned_pages = a->pinned_pages;
	st->pinned_bytes = a->pinned_pages * KERNEL_PAGE;
	st->peak_bytes = a->peak_pages * KERNEL_PAGE;
	st->shared_bytes = a->shared_bytes;
	st->registrations = a->registrations;
	st->releases = a->releases;
	st->nr_registered = a->nr_state[BUF_REGISTERED];
	st->nr_retiring = a->nr_state[BUF_RETIRING];
	st->nr_released = a->nr_state[BUF_RELEASED];
	st->dma_bytes = a->dma_bytes;
	st->dma_peak_bytes = a->dma_peak_bytes;
	st->dma_requests = a->dma_requests;
	st->memlock_limit = memlock_limit();
}

static void ctx_stats(struct pindio_ctx *ctx, struct pindio_pin_stats *st)
{
	account_stats(&ctx->acct, st);
	st->nr_contexts = 1;
	st->memlock_applies = ctx->memlock_applies;
	if (ctx->memlock_applies)
		st->memlock_used = (ctx->acct.pinned_pages + ctx->ring_pages) *
				   KERNEL_PAGE;
}

static void process_stats(struct pindio_pin_stats *st)
{
	struct pin_account a;
	unsigned int i;

	/* Each figure is read atomically; together they are a snapshot. */
	a.pinned_pages = get(acct.pinned_pages);
	a.peak_pages = get(acct.peak_pages);
	a.shared_bytes = get(acct.shared_bytes);
	a.registrations = get(acct.registrations);
	a.releases = get(acct.releases);
	for (i = 0; i < ARRAY_SIZE(a.nr_state); i++)
		a.nr_state[i] = get(acct.nr_state[i]);
	a.dma_bytes = get(acct.dma_bytes);
	a.dma_peak_bytes = get(acct.dma_peak_bytes);
	a.dma_requests = get(acct.dma_requests);
	account_stats(&a, st);
	st->nr_contexts = get(nr_contexts);
	st->memlock_applies = get(nr_memlock_contexts) > 0;
	st->memlock_used = (get(memlock_pin_pages) + get(memlock_ring_pages)) *
			   KERNEL_PAGE;
}

PINDIO_EXPORT
int pindio_ctx_get_pin_stats(struct pindio_ctx *ctx,
			     struct pindio_pin_stats *st, size_t size)
{
	struct pindio_pin_stats s;

	if (!ctx)
		return -EINVAL;
	ctx_stats(ctx, &s);
	return copy_stats(&s, st, size);
}

PINDIO_EXPORT
int pindio_process_get_pin_stats(struct pindio_pin_stats *st, size_t size)
{
	struct pindio_pin_stats s;

	process_stats(&s);
	return copy_stats(&s, st, size);
}

/* VmPin from /proc/self/status in bytes, or a negative errno. */
static int64_t vmpin_bytes(void)
{
	char line[256];
	long long kb = -1;
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmPin: %lld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb < 0 ? -ENOENT : kb * 1024;
}

PINDIO_EXPORT
int pindio_ctx_check_pins(struct pindio_ctx *ctx, int64_t *diff_bytes)
{
	int64_t kernel, ours, diff;

	if (!ctx)
		return -EINVAL;
	/* Release signals already posted move buffers out of the account. */
	if (!list_empty(&ctx->retiring))
		io_reap(ctx, 0, 0);
	kernel = vmpin_bytes();
	if (kernel < 0)
		return fail(ctx, (int)kernel, "cannot read VmPin from /proc/self/status: %s",
			    strerror((int)-kernel));
	ours = (int64_t)(get(acct.pinned_pages) * KERNEL_PAGE);
	diff = kernel - ours;
	if (diff_bytes)
		*diff_bytes = diff;
	if (!diff)
		return 0;
	return fail(ctx, -ERANGE, "the kernel shows %" PRId64 " KiB pinned (VmPin), pindio accounts for %" PRId64 " KiB: %" PRId64 " KiB %s",
		    kernel / 1024, ours / 1024,
		    (diff < 0 ? -diff : diff) / 1024,
		    diff > 0 ? "pinned outside pindio's knowledge (another library, RDMA, vfio), or a leak" :
			       "still counted by pindio that the kernel has released (a context has not reaped its release signals yet)");
}

static const char *state_name(enum buf_state s)
{
	static const char *const names[] = { "registered", "retiring",
					     "released" };

	return (unsigned int)s < ARRAY_SIZE(names) ? names[s] : "?";
}

static void backing_names(unsigned int backing, char *out, size_t size)
{
	static const char *const names[] = { "anon", "hugetlb", "thp",
					     "shmem", "file", "device" };
	size_t used = 0;
	unsigned int i;

	out[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(backing & (1U << i)))
			continue;
		used += (size_t)snprintf(out + used, size - used, "%s%s",
					 used ? "+" : "", names[i]);
		if (used >= size)
			return;
	}
	if (!used)
		snprintf(out, size, "-");
}

static int emit(struct pindio_ctx *ctx, FILE *out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int emit(struct pindio_ctx *ctx, FILE *out, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!out) {
		info(ctx, "%s\n", line);
		return 0;
	}
	return fprintf(out, "%s\n", line) < 0 ? -EIO : 0;
}

static int emit_stats(struct pindio_ctx *ctx, FILE *out, const char *who,
		      const struct pindio_pin_stats *st)
{
	char limit[32];

	if (!st->memlock_applies)
		snprintf(limit, sizeof(limit), "n/a (CAP_IPC_LOCK)");
	else if (st->memlock_limit == UINT64_MAX)
		snprintf(limit, sizeof(limit), "unlimited");
	else
		snprintf(limit, sizeof(limit), "%" PRIu64 " KiB",
			 st->memlock_limit / 1024);
	return emit(ctx, out, "pins %s: %" PRIu64 " KiB pinned (%" PRIu64 " pages, peak %" PRIu64 " KiB, %" PRIu64 " KiB shared), buffers %u registered %u retiring %u released, %" PRIu64 " registrations %" PRIu64 " releases; plain DMA in flight %" PRIu64 " KiB in %" PRIu64 " requests (peak %" PRIu64 " KiB); memlock %" PRIu64 " KiB used of %s",
		    who, st->pinned_bytes / 1024, st->pinned_pages,
		    st->peak_bytes / 1024, st->shared_bytes / 1024,
		    st->nr_registered, st->nr_retiring, st->nr_released,
		    st->registrations, st->releases, st->dma_bytes / 1024,
		    st->dma_requests, st->dma_peak_bytes / 1024,
		    st->memlock_used / 1024, limit);
}

PINDIO_EXPORT
int pindio_ctx_dump_pins(struct pindio_ctx *ctx, FILE *out)
{
	struct pindio_pin_stats st;
	struct pindio_buf_info bi;
	struct pindio_buf *buf;
	char backing[64], who[40];
	int ret;

	if (!ctx)
		return -EINVAL;
	ctx_stats(ctx, &st);
	snprintf(who, sizeof(who), "context %p", (void *)ctx);
	ret = emit_stats(ctx, out, who, &st);
	process_stats(&st);
	if (!ret)
		ret = emit_stats(ctx, out, "process", &st);
	pindio_buf_foreach(ctx, buf) {
		if (ret)
			break;
		pindio_buf_get_info(buf, &bi, sizeof(bi));
		backing_names(bi.backing, backing, sizeof(backing));
		ret = emit(ctx, out, "  buffer %5d %p +%-10zu %-10s %" PRIu64 " pages of %zu KiB, %" PRIu64 " KiB charged, age %" PRIu64 " ms, %u in flight, %s%s%s",
			   bi.index, bi.addr, bi.len,
			   state_name((enum buf_state)bi.state), bi.pages,
			   bi.page_size / 1024, bi.charged_pages * 4,
			   bi.age_ms, bi.inflight, backing,
			   bi.lib_owned ? ", allocated by pindio" : "",
			   bi.shared ? ", shared" : "");
	}
	return ret;
}
