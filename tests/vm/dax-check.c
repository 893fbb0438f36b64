// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dax-check: the VM lab's probe of pindio on real DAX storage.  Run inside
 * the guest by tests/vm/scenarios/, on emulated NVDIMM namespaces.
 *
 *   dax-check probe PATH [--expect-kind none|fsdax|devdax]
 *                        [--expect-mode fsdax|devdax|sector|raw]
 *                        [--expect-longterm yes|no]
 *   dax-check register PATH [--len BYTES] [--reg-len BYTES] [--private]
 *                        [--kernel] [--expect-message TEXT]
 *                        [--expect-charge BYTES] --expect refused|allowed
 *
 * register maps PATH (a regular file is created or extended to --len,
 * default 2 MiB), touches every page and registers the mapping as an
 * io_uring fixed buffer: through pindio, or with --kernel straight
 * through liburing, to record the kernel's own answer.  "refused" means
 * -EOPNOTSUPP; through pindio the message must also contain TEXT
 * (default "filesystem-DAX": pindio refused before the kernel was
 * asked).  "allowed" also checks pindio's account against VmPin, and
 * with --expect-charge that the registration was charged BYTES (a 4 KiB
 * registration in a device-DAX mapping of 2 MiB pages is charged 2 MiB).
 * --reg-len registers only the first BYTES of the mapping (default: all).
 * In every case VmPin must be back at its starting value at the end, and
 * pindio must refuse exactly what pindio_dax_probe_range() calls unfit.
 *
 * Exit 0 when every expectation holds, 1 when one does not, 77 when the
 * machine cannot run the check (io_uring unavailable), 2 for bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <liburing.h>
#include <pindio.h>

#define SKIP 77

static int failures;

static void check(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "ok" : "FAILED");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		failures++;
}

static long long vmpin_kb(void)
{
	char line[256];
	long long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Ring teardown is asynchronous: VmPin may take a moment to come back. */
static long long vmpin_settle(long long want)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	long long kb = vmpin_kb();
	int i;

	for (i = 0; i < 250 && kb != want; i++) {
		nanosleep(&ts, NULL);
		kb = vmpin_kb();
	}
	return kb;
}

static void print_probe(const char *path, const struct pindio_dax_info *i)
{
	printf("probe %s\n", path);
	printf("  kind          %s\n", pindio_dax_kind_name(i->kind));
	printf("  longterm_ok   %s\n", i->longterm_ok ? "yes" : "no");
	printf("  statx_dax     %d\n", i->statx_dax);
	printf("  inode flag    %d\n", i->inode_dax_flag);
	printf("  filesystem    %s at %s, dax option '%s'\n", i->fstype,
	       i->mount_point, i->mount_dax);
	printf("  block device  %s\n", i->blockdev);
	printf("  namespace     %s mode %s region %s bus %s\n", i->ns, i->mode,
	       i->region, i->bus);
	printf("  size, align   %" PRIu64 " %" PRIu64 "\n", i->ns_size,
	       i->ns_align);
	printf("  dax device    %s\n", i->daxdev);
	if (i->ndctl_error[0])
		printf("  ndctl         %s\n", i->ndctl_error);
	printf("  reason        %s\n", i->reason);
}

static int cmd_probe(const char *path, const char *kind, const char *mode,
		     const char *longterm)
{
	struct pindio_dax_info info;
	int ret = pindio_dax_probe(path, &info, sizeof(info));

	if (ret < 0) {
		check(0, "pindio_dax_probe(%s) = %s", path, strerror(-ret));
		return 1;
	}
	print_probe(path, &info);
	if (kind)
		check(!strcmp(pindio_dax_kind_name(info.kind), kind),
		      "kind is %s (expected %s)",
		      pindio_dax_kind_name(info.kind), kind);
	if (mode)
		check(!strcmp(info.mode, mode), "mode is '%s' (expected %s)",
		      info.mode, mode);
	if (longterm)
		check(info.longterm_ok == !strcmp(longterm, "yes"),
		      "longterm_ok is %d (expected %s)", info.longterm_ok,
		      longterm);
	return failures ? 1 : 0;
}

/* Register through liburing alone: the kernel's own answer. */
static int kernel_register(void *addr, size_t len)
{
	struct io_uring ring;
	struct iovec iov = { addr, len };
	int ret = io_uring_queue_init(4, &ring, 0);

	if (ret < 0)
		return ret;
	ret = io_uring_register_buffers(&ring, &iov, 1);
	printf("kernel: IORING_REGISTER_BUFFERS = %d (%s)\n", ret,
	       ret < 0 ? strerror(-ret) : "registered");
	if (ret == 0) {
		long long kb = vmpin_kb();

		check(kb >= (long long)(len / 1024),
		      "VmPin %lld kB covers the %zu-byte buffer", kb, len);
		io_uring_unregister_buffers(&ring);
	}
	io_uring_queue_exit(&ring);
	return ret;
}

static int pindio_register(void *addr, size_t len, const char *message,
			   int allowed, long long charge)
{
	struct pindio_pin_stats st;
	struct pindio_ctx *ctx;
	struct pindio_buf *buf;
	int64_t diff = 0;
	int ret;

	ret = pindio_ctx_new(4, PINDIO_CTX_DEFAULT, &ctx);
	if (ret < 0)
		return ret;
	ret = pindio_buf_register(ctx, addr, len, 0, &buf);
	printf("pindio: pindio_buf_register = %d (%s)\n", ret,
	       ret < 0 ? strerror(-ret) : "registered");
	if (ret < 0) {
		printf("pindio: %s\n", pindio_ctx_last_error(ctx));
		if (!allowed && message)
			check(strstr(pindio_ctx_last_error(ctx), message) != NULL,
			      "the message says '%s'", message);
	} else {
		int c = pindio_ctx_check_pins(ctx, &diff);

		check(c == 0, "pindio's account agrees with VmPin (difference %" PRId64 " bytes)",
		      diff);
		if (pindio_ctx_get_pin_stats(ctx, &st, sizeof(st)) == 0)
			printf("pindio: pinned %" PRIu64 " bytes (%" PRIu64 " pages), VmPin %lld kB\n",
			       st.pinned_bytes, st.pinned_pages, vmpin_kb());
		else
			st.pinned_bytes = 0;
		if (charge >= 0)
			check(st.pinned_bytes == (uint64_t)charge,
			      "charged %" PRIu64 " bytes for %zu registered (expected %lld)",
			      st.pinned_bytes, len, charge);
		pindio_buf_release(buf);
		pindio_buf_unref(buf);
	}
	pindio_ctx_unref(ctx);
	return ret;
}

static int cmd_register(const char *path, size_t len, size_t reg_len,
			int private, int kernel, const char *expect,
			const char *message, long long charge)
{
	int allowed = !strcmp(expect, "allowed");
	struct pindio_dax_info info;
	long long before, after;
	struct stat st;
	size_t off;
	char *addr;
	int fd, ret;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &st) < 0) {
		check(0, "open %s: %s", path, strerror(errno));
		return 1;
	}
	if (S_ISREG(st.st_mode) && (size_t)st.st_size < len &&
	    ftruncate(fd, (off_t)len) < 0) {
		check(0, "extend %s to %zu bytes: %s", path, len,
		      strerror(errno));
		return 1;
	}
	addr = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    private ? MAP_PRIVATE : MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED) {
		check(0, "mmap %zu bytes of %s: %s", len, path, strerror(errno));
		close(fd);
		return 1;
	}
	for (off = 0; off < len; off += 4096)
		addr[off] = (char)off;
	printf("mapped %s: %zu bytes at %p, %s\n", path, len, (void *)addr,
	       private ? "MAP_PRIVATE" : "MAP_SHARED");

	if (!reg_len || reg_len > len)
		reg_len = len;
	memset(&info, 0, sizeof(info));
	info.longterm_ok = 1;
	ret = pindio_dax_probe_range(addr, reg_len, &info, sizeof(info));
	check(ret == 0, "pindio_dax_probe_range = %d: kind %s, longterm_ok %d",
	      ret, pindio_dax_kind_name(info.kind), info.longterm_ok);
	before = vmpin_kb();
	ret = kernel ? kernel_register(addr, reg_len) :
		       pindio_register(addr, reg_len, allowed ? NULL : message,
				       allowed, charge);
	if (ret == -ENOSYS || ret == -EPERM) {
		printf("SKIP: io_uring is unavailable here: %s\n",
		       strerror(-ret));
		return SKIP;
	}
	/* pindio refuses exactly what its probe calls unfit. */
	if (!kernel && !info.longterm_ok)
		check(ret == -EOPNOTSUPP, "the probe said %s: registration refused (got %d)",
		      pindio_dax_kind_name(info.kind), ret);
	if (allowed)
		check(ret == 0, "registration allowed (got %d)", ret);
	else
		check(ret == -EOPNOTSUPP, "registration refused with EOPNOTSUPP (got %d)",
		      ret);
	munmap(addr, len);
	close(fd);
	after = vmpin_settle(before);
	check(after == before, "VmPin back to %lld kB (now %lld kB)", before,
	      after);
	return failures ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: dax-check probe PATH [--expect-kind KIND] [--expect-mode MODE] [--expect-longterm yes|no]\n"
		"       dax-check register PATH [--len BYTES] [--reg-len BYTES] [--private] [--kernel]\n"
		"                 [--expect-message TEXT] [--expect-charge BYTES] --expect refused|allowed\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "expect-kind", required_argument, NULL, 'k' },
		{ "expect-mode", required_argument, NULL, 'm' },
		{ "expect-longterm", required_argument, NULL, 'l' },
		{ "expect", required_argument, NULL, 'e' },
		{ "expect-message", required_argument, NULL, 'M' },
		{ "len", required_argument, NULL, 'n' },
		{ "reg-len", required_argument, NULL, 'r' },
		{ "expect-charge", required_argument, NULL, 'c' },
		{ "private", no_argument, NULL, 'p' },
		{ "kernel", no_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	const char *kind = NULL, *mode = NULL, *longterm = NULL;
	const char *expect = NULL, *message = "filesystem-DAX";
	size_t len = 2 << 20, reg_len = 0;
	long long charge = -1;
	int private = 0, kernel = 0, c;
	unsigned long long v;
	char *end;

	if (argc < 3)
		usage();
	optind = 3;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': kind = optarg; break;
		case 'm': mode = optarg; break;
		case 'l': longterm = optarg; break;
		case 'e': expect = optarg; break;
		case 'M': message = optarg; break;
		case 'p': private = 1; break;
		case 'K': kernel = 1; break;
		case 'n':
		case 'r':
		case 'c':
			errno = 0;
			v = strtoull(optarg, &end, 0);
			if (errno || *end || !v || v > (1ULL << 40))
				usage();
			if (c == 'n')
				len = v;
			else if (c == 'r')
				reg_len = v;
			else
				charge = (long long)v;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "probe"))
		return cmd_probe(argv[2], kind, mode, longterm);
	if (!strcmp(argv[1], "register") && expect &&
	    (!strcmp(expect, "allowed") || !strcmp(expect, "refused")))
		return cmd_register(argv[2], len, reg_len, private, kernel,
				    expect, message, charge);
	usage();
	return 2;
}
