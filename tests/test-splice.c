// SPDX-License-Identifier: GPL-2.0-or-later
/* src/splice.c: file -> pipe -> pipe, socket or file, through io_uring. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>

#include "helpers.h"

#define MiB		(1UL << 20)
/* What the library asks of each pipe (root gets it; fs.pipe-max-size
 * gives it to others by default): the lengths below are around it. */
#define PIPE_SIZE	MiB
/* Unaligned: the end of file falls inside the last block. */
#define SRC_SIZE	(8 * MiB + 1000)

/* A source file of known bytes, opened by pindio. */
struct src {
	struct pindio_ctx *ctx;
	struct pindio_file *file;
	char *path;
	unsigned char *data;	/* the file's bytes */
	size_t size;
	uint32_t align;
};

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		ck_assert_msg(n > 0, "write: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

static void src_open(struct src *s, size_t size, unsigned int depth,
		     unsigned int flags, uint64_t seed)
{
	int fd;

	memset(s, 0, sizeof(*s));
	s->size = size;
	s->data = malloc(size ? size : 1);
	ck_assert_ptr_nonnull(s->data);
	fill_pattern(s->data, size, seed);
	s->path = scratch_file("splice", 0);
	fd = open(s->path, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	write_all(fd, s->data, size);
	close(fd);
	s->ctx = test_ctx_new(depth, flags);
	ck_assert_msg(pindio_file_open(s->ctx, s->path, O_RDONLY, 0,
				       &s->file) == 0,
		      "%s", pindio_ctx_last_error(s->ctx));
	unlink(s->path);
	s->align = pindio_file_get_offset_align(s->file);
	ck_assert_uint_gt(s->align, 0);
}

static void src_close(struct src *s)
{
	pindio_file_unref(s->file);
	ck_assert_ptr_null(pindio_ctx_unref(s->ctx));
	scratch_remove(s->path);
	free(s->data);
}

static unsigned int count_fds(void)
{
	unsigned int n = 0;
	struct dirent *de;
	DIR *d;

	d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * Reads a pipe or socket to its end in a child process, comparing every
 * byte with what should come.  A process, not a thread: under valgrind a
 * thread would not run while the test waits in io_uring_enter(2), which
 * valgrind (3.19) does not treat as a blocking call, and the splice would
 * wait for the reader for ever.
 */
struct reader_result {
	bool finished;		/* the child read to its end */
	size_t got;
	size_t bad;		/* offset of the first wrong byte, or SIZE_MAX */
	int err;
};

struct reader {
	pid_t pid;
	struct reader_result *res;	/* shared with the child */
	size_t expect_len;
};

static void reader_main(int fd, const unsigned char *expect, size_t len,
			size_t stop_after, struct reader_result *res)
{
	unsigned char buf[65536];
	size_t i;
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			res->err = errno;
			break;
		}
		if (!n)
			break;
		for (i = 0; i < (size_t)n && res->bad == SIZE_MAX; i++)
			if (res->got + i >= len ||
			    buf[i] != expect[res->got + i])
				res->bad = res->got + i;
		res->got += (size_t)n;
		if (res->got >= stop_after)
			break;
	}
	close(fd);
}

/*
 * Start a reader of fds[0], which this process closes; fds[1] stays the
 * writer's.  @stop_after: the reader closes its end after that many bytes.
 */
static void reader_start(struct reader *r, int fds[2],
			 const unsigned char *expect, size_t len,
			 size_t stop_after)
{
	memset(r, 0, sizeof(*r));
	r->expect_len = len;
	r->res = mmap(NULL, sizeof(*r->res), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(r->res, MAP_FAILED);
	r->res->bad = SIZE_MAX;
	r->pid = fork();
	ck_assert_int_ge(r->pid, 0);
	if (!r->pid) {
		/* Its end of file comes when the parent's writer closes. */
		close(fds[1]);
		reader_main(fds[0], expect, len, stop_after, r->res);
		r->res->finished = true;
		_exit(0);
	}
	close(fds[0]);
	fds[0] = -1;
}

/*
 * Wait for the reader, reaping @ctx meanwhile (unless NULL): with
 * DEFER_TASKRUN the kernel lets go of the target's file, and the reader
 * sees its end of file, only when the context enters the kernel again.
 */
static void reader_wait(struct reader *r, struct pindio_ctx *ctx)
{
	int64_t deadline = 0;
	struct timespec ts;
	pid_t pid;
	int status;

	for (;;) {
		pid = waitpid(r->pid, &status, ctx ? WNOHANG : 0);
		ck_assert_int_ge(pid, 0);
		if (pid)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (!deadline)
			deadline = ts.tv_sec + 30;
		ck_assert_msg(ts.tv_sec < deadline, "the reader got no end of file in 30 s");
		ck_assert_int_ge(pindio_ctx_reap(ctx, 0, 0), 0);
		usleep(1000);
	}
	/* Not the exit code: under valgrind it is valgrind's. */
	ck_assert_msg(WIFEXITED(status) && r->res->finished,
		      "the reader did not finish (status 0x%x)", status);
}

/* Once the writer end is closed: the reader must have had it all. */
static void reader_check(struct reader *r, struct pindio_ctx *ctx,
			 const char *what)
{
	struct reader_result res;

	reader_wait(r, ctx);
	res = *r->res;
	munmap(r->res, sizeof(*r->res));
	ck_assert_msg(res.err == 0, "%s: read: %s", what, strerror(res.err));
	ck_assert_msg(res.bad == SIZE_MAX, "%s: byte %zu of %zu differs", what,
		      res.bad, r->expect_len);
	ck_assert_msg(res.got == r->expect_len, "%s: %zu bytes arrived, %zu expected",
		      what, res.got, r->expect_len);
}

enum stream { STREAM_SOCKET, STREAM_PIPE };

/* fds[0] is read by the reader, fds[1] written by the splice. */
static void stream_new(enum stream kind, int fds[2])
{
	if (kind == STREAM_SOCKET)
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
					    0, fds), 0);
	else
		ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
}

/* Reap until @d has its completion, as an asynchronous caller would. */
static void reap_until(struct pindio_ctx *ctx, struct test_done *d)
{
	while (!d->calls)
		ck_assert_int_ge(pindio_ctx_reap(ctx, 1, -1), 0);
	ck_assert_int_eq(d->calls, 1);
}

/* Splice and return the result, with the sync helper or a callback. */
static ssize_t do_splice(struct src *s, bool sync, uint64_t in_off, int fd,
			 int64_t out_off, size_t len)
{
	struct test_done d = { 0, 0 };
	int ret;

	if (sync)
		return pindio_file_splice_sync(s->file, in_off, fd, out_off, len);
	ret = pindio_file_splice(s->file, in_off, fd, out_off, len,
				 test_record_done, &d);
	if (ret < 0)
		return ret;
	ck_assert_uint_eq(pindio_ctx_get_inflight(s->ctx), 1);
	reap_until(s->ctx, &d);
	ck_assert_uint_eq(pindio_ctx_get_inflight(s->ctx), 0);
	return d.res;
}

/* What a splice of [@in_off, +@len) should deliver of the source. */
static size_t expected(const struct src *s, uint64_t in_off, size_t len)
{
	if (in_off >= s->size)
		return 0;
	return s->size - in_off < len ? s->size - in_off : len;
}

/* Splice to a pipe or socket that a reader drains and checks. */
static void splice_stream(struct src *s, enum stream kind, bool sync,
			  uint64_t in_off, size_t len)
{
	size_t want = expected(s, in_off, len);
	struct reader r;
	char what[128];
	ssize_t ret;
	int fds[2];

	snprintf(what, sizeof(what), "%s %s, %zu bytes from %llu",
		 sync ? "sync" : "async",
		 kind == STREAM_SOCKET ? "socket" : "pipe", len,
		 (unsigned long long)in_off);
	stream_new(kind, fds);
	reader_start(&r, fds, s->data + (in_off < s->size ? in_off : 0), want,
		     SIZE_MAX);
	ret = do_splice(s, sync, in_off, fds[1], PINDIO_SPLICE_NO_OFFSET, len);
	close(fds[1]);
	ck_assert_msg(ret == (ssize_t)want, "%s: returned %zd (%s), want %zu",
		      what, ret, ret < 0 ? pindio_ctx_last_error(s->ctx) : "",
		      want);
	reader_check(&r, s->ctx, what);
}

/* Lengths around the pipe's size: below, at, over, several, not multiples. */
static const struct {
	uint64_t in_off;	/* in units of the alignment */
	size_t len;
} cases[] = {
	{ 0, 4096 },
	{ 0, PIPE_SIZE },
	{ 0, PIPE_SIZE + 4096 },
	{ 0, PIPE_SIZE - 512 },
	{ 0, 3 * PIPE_SIZE },
	{ 8, 2 * PIPE_SIZE + PIPE_SIZE / 2 },
	{ 3, PIPE_SIZE + 777 },		/* not a multiple of the alignment */
	{ 0, 8 * MiB },
	{ 1, 1 },
};

/* _i: 0 asynchronous with a callback, 1 pindio_file_splice_sync(). */
START_TEST(test_socket_byte_exact)
{
	struct src s;
	size_t i;

	REQUIRE_ODIRECT();
	src_open(&s, SRC_SIZE, 8, PINDIO_CTX_DEFAULT, 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		splice_stream(&s, STREAM_SOCKET, _i, cases[i].in_off * s.align,
			      cases[i].len);
	src_close(&s);
}
END_TEST

START_TEST(test_pipe_byte_exact)
{
	struct src s;
	size_t i;

	REQUIRE_ODIRECT();
	src_open(&s, SRC_SIZE, 8, PINDIO_CTX_DEFAULT, 2);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		splice_stream(&s, STREAM_PIPE, _i, cases[i].in_off * s.align,
			      cases[i].len);
	src_close(&s);
}
END_TEST

/* A source offset well inside the file, to both kinds of stream. */
START_TEST(test_in_offset_nonzero)
{
	struct src s;
	uint64_t off;

	REQUIRE_ODIRECT();
	src_open(&s, SRC_SIZE, 8, PINDIO_CTX_DEFAULT, 3);
	off = 5 * MiB + 7 * s.align;
	splice_stream(&s, STREAM_PIPE, false, off, PIPE_SIZE + 3);
	splice_stream(&s, STREAM_SOCKET, true, off, 2 * PIPE_SIZE);
	splice_stream(&s, STREAM_SOCKET, false, s.align, 5000);
	src_close(&s);
}
END_TEST

static unsigned char *read_file(int fd, size_t *size)
{
	off_t end = lseek(fd, 0, SEEK_END);
	unsigned char *buf;
	ssize_t n;

	ck_assert_int_ge(end, 0);
	buf = malloc((size_t)end + 1);
	ck_assert_ptr_nonnull(buf);
	n = pread(fd, buf, (size_t)end, 0);
	ck_assert_int_eq(n, end);
	*size = (size_t)end;
	return buf;
}

/* A regular file target at an explicit offset; its position stays. */
START_TEST(test_file_target_at_offset)
{
	const size_t tsize = 4 * MiB, out_off = 5000, len = PIPE_SIZE + 300;
	unsigned char *fill, *got;
	uint64_t in_off;
	char *tpath;
	size_t size, i;
	struct src s;
	int fd;

	REQUIRE_ODIRECT();
	src_open(&s, SRC_SIZE, 8, PINDIO_CTX_DEFAULT, 4);
	in_off = 3 * s.align;
	tpath = scratch_file("splice-out", 0);
	fd = open(tpath, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	unlink(tpath);
	fill = malloc(tsize);
	ck_assert_ptr_nonnull(fill);
	memset(fill, 0xee, tsize);
	write_all(fd, fill, tsize);
	ck_assert_int_eq(lseek(fd, 10, SEEK_SET), 10);

	ck_assert_int_eq(do_splice(&s, _i, in_off, fd, (int64_t)out_off, len),
			 (ssize_t)len);
	/* Twice, the second time over the first at another place. */
	ck_assert_int_eq(do_splice(&s, !_i, in_off + MiB, fd,
				   (int64_t)(out_off + len), len),
			 (ssize_t)len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 10);

	got = read_file(fd, &size);
	ck_assert_uint_eq(size, tsize);
	for (i = 0; i < out_off; i++)
		ck_assert_uint_eq(got[i], 0xee);
	ck_assert(memcmp(got + out_off, s.data + in_off, len) == 0);
	ck_assert(memcmp(got + out_off + len, s.data + in_off + MiB, len) == 0);
	for (i = out_off + 2 * len; i < tsize; i++)
		ck_assert_uint_eq(got[i], 0xee);
	free(got);
	free(fill);
	close(fd);
	scratch_remove(tpath);
	src_close(&s);
}
END_TEST

/* PINDIO_SPLICE_NO_OFFSET writes at the file's position and moves it. */
START_TEST(test_file_target_no_offset)
{
	const size_t l1 = 2 * PIPE_SIZE + 99, l2 = 4096, l3 = 12345;
	unsigned char *got;
	char *tpath;
	size_t size, i;
	struct src s;
	int fd;

	REQUIRE_ODIRECT();
	src_open(&s, SRC_SIZE, 8, PINDIO_CTX_DEFAULT, 5);
	tpath = scratch_file("splice-out", 0);
	fd = open(tpath, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	unlink(tpath);
	ck_assert_int_eq(lseek(fd, 100, SEEK_SET), 100);

	ck_assert_int_eq(do_splice(&s, true, 0, fd, PINDIO_SPLICE_NO_OFFSET, l1),
			 (ssize_t)l1);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), (off_t)(100 + l1));
	ck_assert_int_eq(do_splice(&s, false, s.align, fd,
				   PINDIO_SPLICE_NO_OFFSET, l2), (ssize_t)l2);
	ck_assert_int_eq(do_splice(&s, false, 6 * MiB, fd,
				   PINDIO_SPLICE_NO_OFFSET, l3), (ssize_t)l3);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), (off_t)(100 + l1 + l2 + l3));

	got = read_file(fd, &size);
	ck_assert_uint_eq(size, 100 + l1 + l2 + l3);
	for (i = 0; i < 100; i++)
		ck_assert_uint_eq(got[i], 0);
	ck_assert(memcmp(got + 100, s.data, l1) == 0);
	ck_assert(memcmp(got + 100 + l1, s.data + s.align, l2) == 0);
	ck_assert(memcmp(got + 100 + l1 + l2, s.data + 6 * MiB, l3) == 0);
	free(got);
	close(fd);
	scratch_remove(tpath);
	src_close(&s);
}
END_TEST

/* len past the end: the bytes that are there, as a count, not an error. */
START_TEST(test_eof_midway_short_count)
{
	struct src s;
	uint64_t end_block;

	REQUIRE_ODIRECT();
	src_open(&s, SRC_SIZE, 8, PINDIO_CTX_DEFAULT, 6);
	end_block = SRC_SIZE / s.align * s.align;	/* holds the end */
	/* Several pipes, then the end in the middle of one. */
	splice_stream(&s, STREAM_SOCKET, _i, 5 * MiB, 8 * MiB);
	/* The end inside the first, rounded-up read. */
	splice_stream(&s, STREAM_SOCKET, _i, end_block, s.align * 4);
	splice_stream(&s, STREAM_PIPE, _i, end_block, SRC_SIZE - end_block + 1);
	/* Exactly what is there, and one byte less: not short. */
	splice_stream(&s, STREAM_PIPE, _i, end_block, SRC_SIZE - end_block);
	splice_stream(&s, STREAM_PIPE, _i, end_block, SRC_SIZE - end_block - 1);
	src_close(&s);
}
END_TEST

/* From the end of the file or past it: 0 bytes, at once. */
START_TEST(test_at_or_after_eof_returns_0)
{
	struct src s;

	REQUIRE_ODIRECT();
	src_open(&s, 2 * MiB, 8, PINDIO_CTX_DEFAULT, 7);
	splice_stream(&s, STREAM_SOCKET, _i, 2 * MiB, 4096);
	splice_stream(&s, STREAM_SOCKET, _i, 3 * MiB, PIPE_SIZE + 1);
	splice_stream(&s, STREAM_PIPE, _i, 64 * MiB, 1);
	/* And the context still works. */
	splice_stream(&s, STREAM_PIPE, _i, MiB, 2 * MiB);
	src_close(&s);
}
END_TEST

/*
 * Lengths that are not multiples of the alignment: the last direct read
 * is rounded up and the extra bytes are taken out of the pipe before it
 * goes back to the pool.  Depth 2 allows one splice at a time, so every
 * splice goes through the same pool pipe: a byte left over would show at
 * the start of the next one.
 */
START_TEST(test_unaligned_len_leaves_pipe_clean)
{
	static const size_t lens[] = { 1, 511, 513, 4097, PIPE_SIZE + 1,
				       PIPE_SIZE - 1, 3 };
	unsigned int fds_after_first = 0;
	struct src s;
	size_t i;

	REQUIRE_ODIRECT();
	src_open(&s, SRC_SIZE, 2, PINDIO_CTX_DEFAULT, 8);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		splice_stream(&s, i & 1 ? STREAM_PIPE : STREAM_SOCKET, i & 2,
			      (uint64_t)i * s.align, lens[i]);
		/* The pipe is pooled, not closed and made again. */
		if (!i)
			fds_after_first = count_fds();
		else
			ck_assert_uint_eq(count_fds(), fds_after_first);
	}
	src_close(&s);
}
END_TEST

static int splice_err(struct src *s, int fd, int64_t out_off)
{
	return pindio_file_splice(s->file, 0, fd, out_off, 4096, test_record_done,
				  NULL);
}

static void assert_last_error(struct src *s, const char *needle)
{
	ck_assert_msg(strstr(pindio_ctx_last_error(s->ctx), needle),
		      "last error \"%s\" does not mention \"%s\"",
		      pindio_ctx_last_error(s->ctx), needle);
}

/*
 * A character device is a stream sink: /dev/null takes a splice of any
 * length (what dio-bench's splice engine does), without an offset, and
 * only open for writing.
 */
START_TEST(test_target_char_device)
{
	struct src s;
	int fd, ro;

	REQUIRE_ODIRECT();
	src_open(&s, MiB, 8, PINDIO_CTX_DEFAULT, 9);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ro = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(ro, 0);
	ck_assert_int_eq(pindio_file_splice_sync(s.file, 0, fd,
						 PINDIO_SPLICE_NO_OFFSET,
						 MiB - 1000), MiB - 1000);
	ck_assert_int_eq(splice_err(&s, fd, 0), -ESPIPE);
	assert_last_error(&s, "character device");
	ck_assert_int_eq(splice_err(&s, ro, PINDIO_SPLICE_NO_OFFSET), -EBADF);
	assert_last_error(&s, "read-only");
	ck_assert_uint_eq(pindio_ctx_get_inflight(s.ctx), 0);
	close(fd);
	close(ro);
	src_close(&s);
}
END_TEST

/* A directory is no target: -EINVAL, and why. */
START_TEST(test_target_directory_einval)
{
	struct src s;
	int fd;

	REQUIRE_ODIRECT();
	src_open(&s, MiB, 8, PINDIO_CTX_DEFAULT, 9);
	fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(splice_err(&s, fd, PINDIO_SPLICE_NO_OFFSET), -EINVAL);
	assert_last_error(&s, "directory");
	ck_assert_uint_eq(pindio_ctx_get_inflight(s.ctx), 0);
	close(fd);
	src_close(&s);
}
END_TEST

/* eventfd and epoll descriptors (anonymous inodes): -EINVAL. */
START_TEST(test_target_anon_inode_einval)
{
	struct src s;
	int efd, pfd;

	REQUIRE_ODIRECT();
	src_open(&s, MiB, 8, PINDIO_CTX_DEFAULT, 10);
	efd = eventfd(0, EFD_CLOEXEC);
	pfd = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_ge(efd, 0);
	ck_assert_int_ge(pfd, 0);
	ck_assert_int_eq(splice_err(&s, efd, PINDIO_SPLICE_NO_OFFSET), -EINVAL);
	assert_last_error(&s, "anonymous inode");
	ck_assert_int_eq(splice_err(&s, pfd, PINDIO_SPLICE_NO_OFFSET), -EINVAL);
	assert_last_error(&s, "pipe, a socket, a regular file or a character device");
	close(efd);
	close(pfd);
	src_close(&s);
}
END_TEST

/* An offset for a pipe or a socket: -ESPIPE (they have none). */
START_TEST(test_offset_for_stream_espipe)
{
	enum stream kinds[] = { STREAM_PIPE, STREAM_SOCKET };
	struct src s;
	int fds[2];
	size_t k;

	REQUIRE_ODIRECT();
	src_open(&s, MiB, 8, PINDIO_CTX_DEFAULT, 11);
	for (k = 0; k < 2; k++) {
		stream_new(kinds[k], fds);
		ck_assert_int_eq(splice_err(&s, fds[1], 0), -ESPIPE);
		assert_last_error(&s, "PINDIO_SPLICE_NO_OFFSET");
		ck_assert_int_eq(splice_err(&s, fds[1], 4096), -ESPIPE);
		ck_assert_int_eq(pindio_file_splice_sync(s.file, 0, fds[1], 1,
							 4096), -ESPIPE);
		close(fds[0]);
		close(fds[1]);
	}
	ck_assert_uint_eq(pindio_ctx_get_inflight(s.ctx), 0);
	src_close(&s);
}
END_TEST

/* A descriptor that is not open: -EBADF. */
START_TEST(test_closed_descriptor_ebadf)
{
	struct src s;
	int fd;

	REQUIRE_ODIRECT();
	src_open(&s, MiB, 8, PINDIO_CTX_DEFAULT, 12);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(splice_err(&s, fd, PINDIO_SPLICE_NO_OFFSET), -EBADF);
	assert_last_error(&s, "is not open");
	ck_assert_int_eq(splice_err(&s, -1, PINDIO_SPLICE_NO_OFFSET), -EBADF);
	ck_assert_int_eq(pindio_file_splice_sync(s.file, 0, fd,
						 PINDIO_SPLICE_NO_OFFSET, 4096),
			 -EBADF);
	src_close(&s);
}
END_TEST

/* The source offset must be aligned for the direct read: -EINVAL. */
START_TEST(test_misaligned_in_offset_einval)
{
	struct src s;
	int fds[2];

	REQUIRE_ODIRECT();
	src_open(&s, MiB, 8, PINDIO_CTX_DEFAULT, 13);
	if (s.align == 1) {
		src_close(&s);
		SKIP_TEST("the file has no O_DIRECT alignment to break");
	}
	stream_new(STREAM_PIPE, fds);
	ck_assert_int_eq(pindio_file_splice(s.file, s.align / 2, fds[1],
					    PINDIO_SPLICE_NO_OFFSET, 4096,
					    test_record_done, NULL), -EINVAL);
	assert_last_error(&s, "alignment");
	ck_assert_int_eq(pindio_file_splice_sync(s.file, s.align + 1, fds[1],
						 PINDIO_SPLICE_NO_OFFSET, 4096),
			 -EINVAL);
	close(fds[0]);
	close(fds[1]);
	src_close(&s);
}
END_TEST

/* A length of 0, or more than the kernel moves at once: -EINVAL. */
START_TEST(test_bad_length_einval)
{
	struct src s;
	int fds[2];

	REQUIRE_ODIRECT();
	src_open(&s, MiB, 8, PINDIO_CTX_DEFAULT, 14);
	stream_new(STREAM_PIPE, fds);
	ck_assert_int_eq(pindio_file_splice(s.file, 0, fds[1],
					    PINDIO_SPLICE_NO_OFFSET, 0,
					    test_record_done, NULL), -EINVAL);
	assert_last_error(&s, "length 0");
	ck_assert_int_eq(pindio_file_splice_sync(s.file, 0, fds[1],
						 PINDIO_SPLICE_NO_OFFSET,
						 PINDIO_IO_MAX_LEN + 1), -EINVAL);
	ck_assert_int_eq(pindio_file_splice(NULL, 0, fds[1],
					    PINDIO_SPLICE_NO_OFFSET, 1, NULL,
					    NULL), -EINVAL);
	ck_assert_int_eq(pindio_file_splice_sync(NULL, 0, fds[1],
						 PINDIO_SPLICE_NO_OFFSET, 1),
			 -EINVAL);
	close(fds[0]);
	close(fds[1]);
	src_close(&s);
}
END_TEST

/*
 * Regular file targets: read-only -EBADF, O_APPEND -EINVAL (the kernel
 * refuses it, but only once data is in the pipe), offsets below -1
 * -EINVAL.
 */
START_TEST(test_bad_file_target)
{
	struct src s;
	char *tpath;
	int fd;

	REQUIRE_ODIRECT();
	src_open(&s, MiB, 8, PINDIO_CTX_DEFAULT, 15);
	tpath = scratch_file("splice-out", 0);
	fd = open(tpath, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(splice_err(&s, fd, 0), -EBADF);
	assert_last_error(&s, "read-only");
	ck_assert_int_eq(pindio_file_splice_sync(s.file, 0, fd,
						 PINDIO_SPLICE_NO_OFFSET, 10),
			 -EBADF);
	close(fd);

	fd = open(tpath, O_WRONLY | O_APPEND | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(splice_err(&s, fd, PINDIO_SPLICE_NO_OFFSET), -EINVAL);
	assert_last_error(&s, "O_APPEND");
	close(fd);

	fd = open(tpath, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(splice_err(&s, fd, -2), -EINVAL);
	assert_last_error(&s, "negative");
	ck_assert_int_eq(splice_err(&s, fd, INT64_MAX - 100), -EINVAL);
	/* The same descriptor, used right, works. */
	ck_assert_int_eq(do_splice(&s, true, 0, fd, 0, 100), 100);
	close(fd);
	ck_assert_uint_eq(pindio_ctx_get_inflight(s.ctx), 0);
	scratch_remove(tpath);
	src_close(&s);
}
END_TEST

/* A non-blocking pipe or socket would end the splice with -EAGAIN. */
START_TEST(test_nonblocking_stream_einval)
{
	struct src s;
	int fds[2];

	REQUIRE_ODIRECT();
	src_open(&s, MiB, 8, PINDIO_CTX_DEFAULT, 16);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
				    SOCK_CLOEXEC, 0, fds), 0);
	ck_assert_int_eq(splice_err(&s, fds[1], PINDIO_SPLICE_NO_OFFSET),
			 -EINVAL);
	assert_last_error(&s, "O_NONBLOCK");
	close(fds[0]);
	close(fds[1]);
	src_close(&s);
}
END_TEST

/*
 * libaio has no splice: -EOPNOTSUPP, said in words.  Needs the libaio
 * backend; only a machine-wide shortage of aio contexts is a skip.
 */
START_TEST(test_libaio_eopnotsupp)
{
	struct pindio_file *file = NULL;
	struct pindio_ctx *ctx = NULL;
	char *path;
	int ret, fds[2];

	REQUIRE_ODIRECT();
	ret = pindio_ctx_new(8, PINDIO_CTX_LIBAIO, &ctx);
	if (ret == -EAGAIN)
		SKIP_TEST("no libaio context: fs.aio-max-nr is exhausted");
	ck_assert_msg(ret == 0, "libaio context: %s", strerror(-ret));
	ck_assert_int_eq(pindio_ctx_get_backend(ctx), PINDIO_BACKEND_LIBAIO);
	pindio_set_log_priority(ctx, LOG_CRIT);
	path = scratch_file("splice-aio", MiB);
	ck_assert_int_eq(pindio_file_open(ctx, path, O_RDONLY, 0, &file), 0);
	stream_new(STREAM_PIPE, fds);
	ck_assert_int_eq(pindio_file_splice(file, 0, fds[1],
					    PINDIO_SPLICE_NO_OFFSET, 4096,
					    test_record_done, NULL), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(ctx), "libaio"));
	ck_assert_int_eq(pindio_file_splice_sync(file, 0, fds[1],
						 PINDIO_SPLICE_NO_OFFSET, 4096),
			 -EOPNOTSUPP);
	ck_assert_uint_eq(pindio_ctx_get_inflight(ctx), 0);
	close(fds[0]);
	close(fds[1]);
	pindio_file_unref(file);
	ck_assert_ptr_null(pindio_ctx_unref(ctx));
	scratch_remove(path);
}
END_TEST

/* io_uring fails splices on a polled ring: refused with -EOPNOTSUPP. */
START_TEST(test_iopoll_eopnotsupp)
{
	struct src s;
	int fds[2];

	REQUIRE_ODIRECT();
	src_open(&s, MiB, 8, PINDIO_CTX_IOPOLL, 26);
	stream_new(STREAM_PIPE, fds);
	ck_assert_int_eq(splice_err(&s, fds[1], PINDIO_SPLICE_NO_OFFSET),
			 -EOPNOTSUPP);
	assert_last_error(&s, "PINDIO_CTX_IOPOLL");
	close(fds[0]);
	close(fds[1]);
	src_close(&s);
}
END_TEST

/*
 * The reader closed its end: -EPIPE (SIGPIPE ignored, as a server would).
 * The pipe that held the undelivered bytes is not pooled: the next splice
 * through the same context is byte-exact.  _i: 0 closed before, 1 closed
 * after reading part of the data.
 */
START_TEST(test_peer_closed_epipe_then_clean)
{
	struct test_done d = { 0, 0 };
	unsigned int fds_before;
	struct reader r;
	struct src s;
	ssize_t ret;
	int fds[2];

	REQUIRE_ODIRECT();
	signal(SIGPIPE, SIG_IGN);
	fds_before = count_fds();
	src_open(&s, SRC_SIZE, 2, PINDIO_CTX_DEFAULT, 17);

	stream_new(STREAM_SOCKET, fds);
	if (_i == 0)
		close(fds[0]);
	else
		reader_start(&r, fds, s.data, SRC_SIZE, 300000);
	ret = pindio_file_splice_sync(s.file, 0, fds[1],
				      PINDIO_SPLICE_NO_OFFSET, 4 * MiB);
	ck_assert_int_eq(ret, -EPIPE);
	assert_last_error(&s, "closed its end");
	if (_i == 1) {
		reader_wait(&r, s.ctx);
		ck_assert_uint_eq(r.res->bad, SIZE_MAX);
		ck_assert_uint_ge(r.res->got, 300000);
		munmap(r.res, sizeof(*r.res));
	}
	/* Asynchronously too. */
	ck_assert_int_eq(pindio_file_splice(s.file, 0, fds[1],
					    PINDIO_SPLICE_NO_OFFSET, 3 * MiB + 5,
					    test_record_done, &d), 0);
	reap_until(s.ctx, &d);
	ck_assert_int_eq(d.res, -EPIPE);
	close(fds[1]);

	/* Nothing of the failed splices reaches the next target. */
	splice_stream(&s, STREAM_SOCKET, true, 4 * MiB, 3 * MiB);
	splice_stream(&s, STREAM_PIPE, false, 0, 4096);
	src_close(&s);
	ck_assert_uint_eq(count_fds(), fds_before);
}
END_TEST

/* Fewer than two free requests: -EBUSY, flow control, not logged. */
START_TEST(test_queue_full_ebusy)
{
	struct test_done d[3] = { { 0, 0 }, { 0, 0 }, { 0, 0 } };
	struct src s;
	char *tpath;
	void *mem;
	int fd;

	REQUIRE_ODIRECT();
	src_open(&s, 4 * MiB, 3, PINDIO_CTX_DEFAULT, 18);
	tpath = scratch_file("splice-out", 0);
	fd = open(tpath, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	unlink(tpath);
	ck_assert_int_eq(posix_memalign(&mem, 4096, 4096), 0);

	/* A splice holds 2 of the 3 requests; a second one cannot start. */
	ck_assert_int_eq(pindio_file_splice(s.file, 0, fd, 0, 2 * MiB,
					    test_record_done, &d[0]), 0);
	test_log_clear();
	ck_assert_int_eq(pindio_file_splice(s.file, 0, fd, 0, 4096,
					    test_record_done, &d[1]), -EBUSY);
	assert_last_error(&s, "reap");
	ck_assert_str_eq(test_last_log(), "");
	/* A read takes the last one. */
	ck_assert_int_eq(pindio_file_read(s.file, mem, 4096, 0, test_record_done,
					  &d[2]), 0);
	ck_assert_uint_eq(pindio_ctx_get_inflight(s.ctx), 2);
	ck_assert_int_eq(pindio_ctx_reap(s.ctx, 2, -1), 2);
	ck_assert_int_eq(d[0].res, 2 * MiB);
	ck_assert_int_eq(d[2].res, 4096);
	ck_assert_int_eq(d[1].calls, 0);
	ck_assert_int_eq(do_splice(&s, true, 0, fd, 0, 4096), 4096);

	/* One request in flight leaves 2 of 3 free: a splice fits. */
	ck_assert_int_eq(pindio_file_read(s.file, mem, 4096, 0, test_record_done,
					  &d[2]), 0);
	ck_assert_int_eq(pindio_file_splice_sync(s.file, 0, fd, 0, MiB), MiB);
	/* The read may have completed while the sync splice waited. */
	if (d[2].calls < 2)
		ck_assert_int_eq(pindio_ctx_reap(s.ctx, 1, -1), 1);
	ck_assert_int_eq(d[2].calls, 2);
	ck_assert_uint_eq(pindio_ctx_get_inflight(s.ctx), 0);
	free(mem);
	close(fd);
	scratch_remove(tpath);
	src_close(&s);
}
END_TEST

/* A context of queue depth 1 can never splice: -EINVAL, not -EBUSY. */
START_TEST(test_depth_1_einval)
{
	struct src s;
	int fds[2];

	REQUIRE_ODIRECT();
	src_open(&s, MiB, 1, PINDIO_CTX_DEFAULT, 19);
	stream_new(STREAM_PIPE, fds);
	ck_assert_int_eq(splice_err(&s, fds[1], PINDIO_SPLICE_NO_OFFSET),
			 -EINVAL);
	assert_last_error(&s, "depth");
	close(fds[0]);
	close(fds[1]);
	src_close(&s);
}
END_TEST

/*
 * Descriptors: pool pipes, duplicates of the caller's, pipes closed after
 * errors; none is left once the context is freed.
 */
START_TEST(test_no_fd_leak)
{
	unsigned int before = count_fds();
	struct test_done d[4];
	struct src s;
	int fds[2], i;

	REQUIRE_ODIRECT();
	signal(SIGPIPE, SIG_IGN);
	src_open(&s, SRC_SIZE, 16, PINDIO_CTX_DEFAULT, 20);
	/* Four at once: four pipes. */
	memset(d, 0, sizeof(d));
	for (i = 0; i < 4; i++) {
		stream_new(STREAM_SOCKET, fds);
		close(fds[0]);
		ck_assert_int_eq(pindio_file_splice(s.file, 0, fds[1],
						    PINDIO_SPLICE_NO_OFFSET,
						    2 * MiB, test_record_done,
						    &d[i]), 0);
		close(fds[1]);
	}
	for (i = 0; i < 4; i++)
		reap_until(s.ctx, &d[i]);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(d[i].res, -EPIPE);
	splice_stream(&s, STREAM_PIPE, true, 0, 3 * MiB + 1);
	splice_stream(&s, STREAM_SOCKET, false, MiB, SRC_SIZE);
	ck_assert_int_eq(splice_err(&s, -1, PINDIO_SPLICE_NO_OFFSET), -EBADF);
	stream_new(STREAM_PIPE, fds);
	ck_assert_int_eq(splice_err(&s, fds[1], 0), -ESPIPE);
	close(fds[0]);
	close(fds[1]);
	src_close(&s);
	ck_assert_uint_eq(count_fds(), before);
}
END_TEST

/*
 * A splice among plain reads: counted once in flight, and reaping that
 * many completions returns without waiting for the splice's inner steps.
 */
START_TEST(test_alongside_reads)
{
	struct test_done rd[3], sd = { 0, 0 };
	unsigned int inflight;
	unsigned char *mem;
	struct src s;
	char *tpath;
	int fd, i, n;

	REQUIRE_ODIRECT();
	src_open(&s, SRC_SIZE, 8, PINDIO_CTX_DEFAULT, 21);
	tpath = scratch_file("splice-out", 0);
	fd = open(tpath, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	unlink(tpath);
	ck_assert_int_eq(posix_memalign((void **)&mem, 4096, 3 * 65536), 0);
	/* The kernel fills it behind valgrind's back. */
	memset(mem, 0, 3 * 65536);
	memset(rd, 0, sizeof(rd));
	ck_assert_int_eq(pindio_file_read(s.file, mem, 65536, 0, test_record_done,
					  &rd[0]), 0);
	ck_assert_int_eq(pindio_file_splice(s.file, MiB, fd, 0, 3 * MiB + 7,
					    test_record_done, &sd), 0);
	for (i = 1; i < 3; i++)
		ck_assert_int_eq(pindio_file_read(s.file, mem + i * 65536, 65536,
						  (uint64_t)i * MiB, test_record_done,
						  &rd[i]), 0);
	inflight = pindio_ctx_get_inflight(s.ctx);
	ck_assert_uint_eq(inflight, 4);
	n = pindio_ctx_reap(s.ctx, inflight, -1);
	ck_assert_int_eq(n, 4);
	ck_assert_uint_eq(pindio_ctx_get_inflight(s.ctx), 0);
	ck_assert_int_eq(sd.calls, 1);
	ck_assert_int_eq(sd.res, 3 * MiB + 7);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(rd[i].res, 65536);
		ck_assert(memcmp(mem + i * 65536, s.data + (i ? i * MiB : 0),
				 65536) == 0);
	}
	free(mem);
	mem = malloc(3 * MiB + 7);
	ck_assert_int_eq(pread(fd, mem, 3 * MiB + 7, 0), 3 * MiB + 7);
	ck_assert(memcmp(mem, s.data + MiB, 3 * MiB + 7) == 0);
	free(mem);
	close(fd);
	scratch_remove(tpath);
	src_close(&s);
}
END_TEST

/*
 * Polling with pindio_ctx_reap(ctx, 0, 0) finishes a splice too, whatever
 * the context's task-run flags.
 */
START_TEST(test_poll_completes)
{
	static const unsigned int flags[] = {
		0, PINDIO_CTX_COOP_TASKRUN | PINDIO_CTX_SINGLE_ISSUER,
		PINDIO_CTX_DEFAULT, PINDIO_CTX_SQPOLL,
	};
	struct test_done d = { 0, 0 };
	struct timespec t0, t1;
	struct reader r;
	struct src s;
	int fds[2];

	REQUIRE_ODIRECT();
	src_open(&s, SRC_SIZE, 4, flags[_i], 22);
	if (pindio_ctx_get_flags(s.ctx) != flags[_i]) {
		unsigned int got = pindio_ctx_get_flags(s.ctx);

		src_close(&s);
		SKIP_TEST("the kernel refused context flags 0x%x",
			  flags[_i] & ~got);
	}
	stream_new(STREAM_SOCKET, fds);
	reader_start(&r, fds, s.data + MiB, 3 * MiB + 1, SIZE_MAX);
	ck_assert_int_eq(pindio_file_splice(s.file, MiB, fds[1],
					    PINDIO_SPLICE_NO_OFFSET,
					    3 * MiB + 1, test_record_done, &d), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		ck_assert_int_ge(pindio_ctx_reap(s.ctx, 0, 0), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (!d.calls && t1.tv_sec - t0.tv_sec < 20);
	ck_assert_msg(d.calls == 1, "flags 0x%x: no completion after 20 s of polling",
		      flags[_i]);
	ck_assert_int_eq(d.res, 3 * MiB + 1);
	close(fds[1]);
	reader_check(&r, s.ctx, "polled");
	src_close(&s);
}
END_TEST

/* A callback that queues the next splice: a chain over one socket. */
struct chain {
	struct pindio_file *file;
	int fd;
	uint64_t off;
	size_t step, total, moved;
	int err;
	bool finished;
};

static void chain_next(void *data, int res)
{
	struct chain *c = data;
	size_t len;
	int ret;

	if (res < 0) {
		c->err = res;
		c->finished = true;
		return;
	}
	c->moved += (size_t)res;
	c->off += (uint64_t)res;
	if (c->moved == c->total) {
		c->finished = true;
		return;
	}
	len = c->total - c->moved < c->step ? c->total - c->moved : c->step;
	ret = pindio_file_splice(c->file, c->off, c->fd,
				 PINDIO_SPLICE_NO_OFFSET, len, chain_next, c);
	if (ret < 0) {
		c->err = ret;
		c->finished = true;
	}
}

START_TEST(test_callback_queues_next_splice)
{
	struct chain c;
	struct reader r;
	struct src s;
	int fds[2];

	REQUIRE_ODIRECT();
	/* Depth 2: the next splice needs the requests the last one held. */
	src_open(&s, SRC_SIZE, 2, PINDIO_CTX_DEFAULT, 23);
	stream_new(STREAM_SOCKET, fds);
	memset(&c, 0, sizeof(c));
	c.file = s.file;
	c.fd = fds[1];
	c.step = PIPE_SIZE / 2 + 512;
	c.total = 6 * MiB;
	reader_start(&r, fds, s.data, c.total, SIZE_MAX);
	ck_assert_int_eq(pindio_file_splice(s.file, 0, fds[1],
					    PINDIO_SPLICE_NO_OFFSET, c.step,
					    chain_next, &c), 0);
	while (!c.finished)
		ck_assert_int_ge(pindio_ctx_reap(s.ctx, 1, -1), 0);
	ck_assert_int_eq(c.err, 0);
	ck_assert_uint_eq(c.moved, c.total);
	close(fds[1]);
	reader_check(&r, s.ctx, "chain");
	src_close(&s);
}
END_TEST

/*
 * The caller drops the file and closes its descriptor while the splice
 * runs (the splice has its own duplicates); the callback drops the
 * context's last reference, which frees it once the reap returns.
 */
struct last_ref {
	struct pindio_ctx *ctx;
	int res;
	int calls;
};

static void drop_ctx(void *data, int res)
{
	struct last_ref *l = data;

	l->res = res;
	l->calls++;
	ck_assert_ptr_null(pindio_ctx_unref(l->ctx));
}

START_TEST(test_callback_drops_last_ctx_ref)
{
	struct last_ref l = { NULL, 0, 0 };
	unsigned int before = count_fds();
	struct pindio_ctx *ctx;
	struct reader r;
	struct src s;
	int fds[2];

	REQUIRE_ODIRECT();
	src_open(&s, SRC_SIZE, 4, PINDIO_CTX_DEFAULT, 24);
	stream_new(STREAM_SOCKET, fds);
	reader_start(&r, fds, s.data + s.align, 5 * MiB, SIZE_MAX);
	ck_assert_int_eq(pindio_file_splice(s.file, s.align, fds[1],
					    PINDIO_SPLICE_NO_OFFSET, 5 * MiB,
					    drop_ctx, &l), 0);
	ck_assert_int_eq(pindio_ctx_submit(s.ctx), 2);
	/* The reader sees its end of file only when the splice lets go. */
	close(fds[1]);
	pindio_file_unref(s.file);
	ctx = l.ctx = s.ctx;
	while (!l.calls)
		ck_assert_int_ge(pindio_ctx_reap(ctx, 1, -1), 0);
	/* ctx is gone now. */
	ck_assert_int_eq(l.calls, 1);
	ck_assert_int_eq(l.res, 5 * MiB);
	reader_check(&r, NULL, "after the file was dropped");
	scratch_remove(s.path);
	free(s.data);
	ck_assert_uint_eq(count_fds(), before);
}
END_TEST

/* The last unref waits for a splice in flight; its callback runs. */
START_TEST(test_last_unref_completes_splice)
{
	struct test_done d = { 0, 0 };
	unsigned char *got;
	struct src s;
	char *tpath;
	int fd;

	REQUIRE_ODIRECT();
	src_open(&s, SRC_SIZE, 4, PINDIO_CTX_DEFAULT, 25);
	tpath = scratch_file("splice-out", 0);
	fd = open(tpath, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	unlink(tpath);
	ck_assert_int_eq(pindio_file_splice(s.file, 0, fd, 4096, 4 * MiB + 1,
					    test_record_done, &d), 0);
	src_close(&s);
	ck_assert_int_eq(d.calls, 1);
	ck_assert_int_eq(d.res, 4 * MiB + 1);
	got = malloc(4 * MiB + 1);
	ck_assert_int_eq(pread(fd, got, 4 * MiB + 1, 4096), 4 * MiB + 1);
	/* src_close() freed the data: compare with a fresh pattern. */
	{
		unsigned char *want = malloc(SRC_SIZE);

		fill_pattern(want, SRC_SIZE, 25);
		ck_assert(memcmp(got, want, 4 * MiB + 1) == 0);
		free(want);
	}
	free(got);
	close(fd);
	scratch_remove(tpath);
}
END_TEST

static char stuck_log[1024];

static void keep_warning(void *data, int priority, const char *file,
			 int line, const char *fn, const char *format,
			 va_list args)
{
	if (priority == LOG_WARNING)
		vsnprintf(stuck_log, sizeof(stuck_log), format, args);
}

/*
 * A splice that cannot end (its reader never reads) when the last
 * reference goes: teardown waits its 10 s, closes the ring, which cancels
 * the steps, and frees the splice with its pipe and descriptors; the
 * callback is not run, and that is logged.
 */
START_TEST(test_teardown_with_stuck_splice)
{
	unsigned int before = count_fds();
	struct test_done d = { 0, 0 };
	struct src s;
	int fds[2];

	REQUIRE_ODIRECT();
	src_open(&s, SRC_SIZE, 4, PINDIO_CTX_DEFAULT, 27);
	pindio_set_log_fn(s.ctx, keep_warning, NULL);
	pindio_set_log_priority(s.ctx, LOG_WARNING);
	stream_new(STREAM_SOCKET, fds);
	ck_assert_int_eq(pindio_file_splice(s.file, 0, fds[1],
					    PINDIO_SPLICE_NO_OFFSET, 8 * MiB,
					    test_record_done, &d), 0);
	/* Until the socket buffer is full. */
	ck_assert_int_ge(pindio_ctx_reap(s.ctx, 1, 300), 0);
	close(fds[1]);
	src_close(&s);
	ck_assert_int_eq(d.calls, 0);
	ck_assert_msg(strstr(stuck_log, "1 splices were still running"),
		      "warning: \"%s\"", stuck_log);
	close(fds[0]);
	ck_assert_uint_eq(count_fds(), before);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("splice");
	TCase *tc = tcase_vmpin("splice");

	/* _i: 0 asynchronous with a callback, 1 the sync helper */
	tcase_add_loop_test(tc, test_socket_byte_exact, 0, 2);
	tcase_add_loop_test(tc, test_pipe_byte_exact, 0, 2);
	tcase_add_test(tc, test_in_offset_nonzero);
	tcase_add_loop_test(tc, test_file_target_at_offset, 0, 2);
	tcase_add_test(tc, test_file_target_no_offset);
	tcase_add_loop_test(tc, test_eof_midway_short_count, 0, 2);
	tcase_add_loop_test(tc, test_at_or_after_eof_returns_0, 0, 2);
	tcase_add_test(tc, test_unaligned_len_leaves_pipe_clean);
	tcase_add_test(tc, test_target_char_device);
	tcase_add_test(tc, test_target_directory_einval);
	tcase_add_test(tc, test_target_anon_inode_einval);
	tcase_add_test(tc, test_offset_for_stream_espipe);
	tcase_add_test(tc, test_closed_descriptor_ebadf);
	tcase_add_test(tc, test_misaligned_in_offset_einval);
	tcase_add_test(tc, test_bad_length_einval);
	tcase_add_test(tc, test_bad_file_target);
	tcase_add_test(tc, test_nonblocking_stream_einval);
	tcase_add_test(tc, test_libaio_eopnotsupp);
	tcase_add_test(tc, test_iopoll_eopnotsupp);
	/* _i: 0 the reader closed before, 1 part way */
	tcase_add_loop_test(tc, test_peer_closed_epipe_then_clean, 0, 2);
	tcase_add_test(tc, test_queue_full_ebusy);
	tcase_add_test(tc, test_depth_1_einval);
	tcase_add_test(tc, test_no_fd_leak);
	tcase_add_test(tc, test_alongside_reads);
	tcase_add_loop_test(tc, test_poll_completes, 0, 4);
	tcase_add_test(tc, test_callback_queues_next_splice);
	tcase_add_test(tc, test_callback_drops_last_ctx_ref);
	tcase_add_test(tc, test_last_unref_completes_splice);
	tcase_add_test(tc, test_teardown_with_stuck_splice);
	suite_add_tcase(s, tc);
	return s;
}
