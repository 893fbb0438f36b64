// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

#include "helpers.h"

/* Skips are appended here by forked test processes and read by main. */
static FILE *skip_log;
static char last_log[1024];

void test_skip(const char *test, const char *fmt, ...)
{
	char reason[512];
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* START_TEST(name) defines name_fn: report the test's own name. */
	len = strlen(test);
	if (len > 3 && strcmp(test + len - 3, "_fn") == 0)
		len -= 3;
	if (skip_log) {
		fprintf(skip_log, "%.*s: %s\n", (int)len, test, reason);
		fflush(skip_log);
	}
}

long vmpin_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

size_t test_memlock_room(void)
{
	struct rlimit rl;
	size_t pinned;

	if (geteuid() == 0)
		return SIZE_MAX;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return 0;
	if (rl.rlim_cur == RLIM_INFINITY)
		return SIZE_MAX;
	pinned = (size_t)vmpin_kb() * 1024 + (1 << 20);
	return rl.rlim_cur > pinned ? (size_t)rl.rlim_cur - pinned : 0;
}

static long vmpin_start;

static void vmpin_setup(void)
{
	vmpin_start = vmpin_kb();
	ck_assert_int_ge(vmpin_start, 0);
}

static void vmpin_teardown(void)
{
	long now = vmpin_kb();

	ck_assert_msg(now == vmpin_start,
		      "VmPin is %ld kB after the test, %ld kB before: pins leaked",
		      now, vmpin_start);
}

TCase *tcase_vmpin(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, vmpin_setup, vmpin_teardown);
	return tc;
}

static void test_log(void *data, int priority, const char *file, int line,
		     const char *fn, const char *format, va_list args)
{
	vsnprintf(last_log, sizeof(last_log), format, args);
	if (getenv("PINDIO_TEST_VERBOSE"))
		fprintf(stderr, "libpindio: %s: %s", fn, last_log);
}

const char *test_last_log(void)
{
	return last_log;
}

void test_log_clear(void)
{
	last_log[0] = '\0';
}

struct pindio_ctx *test_ctx_new(unsigned int depth, unsigned int flags)
{
	struct pindio_ctx *ctx = NULL;
	int ret;

	ret = pindio_ctx_new(depth, flags, &ctx);
	ck_assert_msg(ret == 0, "pindio_ctx_new(%u, 0x%x): %s", depth, flags,
		      strerror(-ret));
	pindio_set_log_fn(ctx, test_log, NULL);
	return ctx;
}

bool test_under_valgrind(void)
{
	const char *v = getenv("PINDIO_UNDER_VALGRIND");

#ifdef HAVE_VALGRIND_VALGRIND_H
	if (RUNNING_ON_VALGRIND)
		return true;
#endif
	return v && strcmp(v, "1") == 0;
}

const char *test_dir(void)
{
	const char *d = getenv("PINDIO_TEST_DIR");

	return d && *d ? d : ".";
}

bool test_dir_odirect(char *reason, size_t size)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/pindio-odirect.XXXXXX", test_dir());
	fd = mkstemp(path);
	if (fd < 0) {
		snprintf(reason, size, "cannot create a file in %s: %s",
			 test_dir(), strerror(errno));
		return false;
	}
	close(fd);
	fd = open(path, O_RDWR | O_DIRECT);
	unlink(path);
	if (fd < 0) {
		snprintf(reason, size, "the filesystem of %s does not support O_DIRECT (%s); set PINDIO_TEST_DIR to a directory on ext4, xfs or btrfs",
			 test_dir(), strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

char *scratch_file(const char *tag, uint64_t size)
{
	char *path;
	int fd;

	ck_assert(asprintf(&path, "%s/pindio-%s.XXXXXX", test_dir(), tag) > 0);
	fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "mkstemp %s: %s", path, strerror(errno));
	ck_assert_msg(ftruncate(fd, (off_t)size) == 0, "ftruncate: %s",
		      strerror(errno));
	close(fd);
	return path;
}

void scratch_remove(char *path)
{
	if (!path)
		return;
	unlink(path);
	free(path);
}

int loop_attach(const char *backing, char *dev, size_t devsize)
{
	struct loop_config cfg;
	int ctl, nr, bfd, lfd, ret;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	nr = ioctl(ctl, LOOP_CTL_GET_FREE);
	ret = -errno;
	close(ctl);
	if (nr < 0)
		return ret;
	snprintf(dev, devsize, "/dev/loop%d", nr);
	lfd = open(dev, O_RDWR | O_CLOEXEC);
	if (lfd < 0)
		return -errno;
	bfd = open(backing, O_RDWR | O_CLOEXEC);
	if (bfd < 0) {
		ret = -errno;
		close(lfd);
		return ret;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = (unsigned int)bfd;
	/* Autoclear: the device goes away with its last descriptor. */
	cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO;
	ret = ioctl(lfd, LOOP_CONFIGURE, &cfg);
	if (ret < 0 && errno == EINVAL) {
		/* The backing filesystem may refuse direct I/O for loop. */
		cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
		ret = ioctl(lfd, LOOP_CONFIGURE, &cfg);
	}
	if (ret < 0) {
		ret = -errno;
		close(bfd);
		close(lfd);
		return ret;
	}
	close(bfd);
	return lfd;
}

void fill_pattern(void *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		/* xorshift64 */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)(x >> 24);
	}
}

void test_record_done(void *data, int res)
{
	struct test_done *d = data;

	d->res = res;
	d->calls++;
}

/*
 * Every suite needs a ring; without io_uring the whole suite is a skip.
 * NO_FALLBACK: a context that fell back to libaio is no ring.
 */
static bool uring_usable(void)
{
	struct pindio_ctx *ctx = NULL;
	int ret;

	ret = pindio_ctx_new(1, PINDIO_CTX_NO_FALLBACK, &ctx);
	if (ret == -ENOSYS || ret == -EPERM) {
		printf("SKIP: all tests: io_uring is not available here (%s)\n",
		       strerror(-ret));
		printf("pindio-tests: 0 passed, 0 failed, 1 skipped\n");
		return false;
	}
	pindio_ctx_unref(ctx);
	return true;
}

int main(void)
{
	int nrun, nfail, nskip = 0, npass;
	char line[1024];
	SRunner *sr;

	skip_log = tmpfile();
	if (!skip_log) {
		perror("tmpfile");
		return 99;
	}
	if (!uring_usable())
		return 77;
	sr = srunner_create(test_suite());
	srunner_run_all(sr, CK_NORMAL);
	nrun = srunner_ntests_run(sr);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);

	rewind(skip_log);
	while (fgets(line, sizeof(line), skip_log)) {
		printf("SKIP: %s", line);
		nskip++;
	}
	fclose(skip_log);
	npass = nrun - nfail - nskip;
	printf("pindio-tests: %d passed, %d failed, %d skipped\n", npass,
	       nfail, nskip);
	if (nfail)
		return 1;
	if (!nrun)
		return 99;
	if (!npass && nskip)
		return 77;
	return 0;
}
