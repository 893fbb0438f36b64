// SPDX-License-Identifier: GPL-2.0-or-later
/* src/vma.c: parsing maps lines, what backs a range, THP discovery. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "helpers.h"
#include "../src/vma.h"

#define HUGE_2M		(2UL << 20)

static size_t pgsz(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* vma_parse_line() on a mutable copy; the copy outlives the result. */
static char line_buf[8192];

static int parse(const char *s, struct vma_line *l)
{
	snprintf(line_buf, sizeof(line_buf), "%s", s);
	return vma_parse_line(line_buf, l);
}

START_TEST(test_parse_good_lines)
{
	struct vma_line l;

	ck_assert_int_eq(parse("7fd0adb97000-7fd0adbee000 r--p 00000000 fe:00 320475                     /usr/lib/locale/C.utf8/LC_CTYPE\n", &l), 0);
	ck_assert_uint_eq(l.start, 0x7fd0adb97000UL);
	ck_assert_uint_eq(l.end, 0x7fd0adbee000UL);
	ck_assert(l.readable && !l.writable && !l.executable && !l.shared);
	ck_assert_uint_eq(l.offset, 0);
	ck_assert_uint_eq(l.dev_major, 0xfe);
	ck_assert_uint_eq(l.dev_minor, 0);
	ck_assert_uint_eq(l.inode, 320475);
	ck_assert_str_eq(l.path, "/usr/lib/locale/C.utf8/LC_CTYPE");

	/* No path: the kernel ends the line with "inode ". */
	ck_assert_int_eq(parse("7fd0adad3000-7fd0adb97000 rw-p 00000000 00:00 0 \n", &l), 0);
	ck_assert(l.readable && l.writable && !l.shared);
	ck_assert_str_eq(l.path, "");
	ck_assert_int_eq(parse("00400000-00452000 r-xp 00000000 08:02 173521", &l), 0);
	ck_assert_uint_eq(l.start, 0x400000);
	ck_assert(l.executable);
	ck_assert_uint_eq(l.dev_major, 8);
	ck_assert_uint_eq(l.dev_minor, 2);
	ck_assert_str_eq(l.path, "");

	/* Spaces inside the path, and the " (deleted)" suffix, are the path. */
	ck_assert_int_eq(parse("7fa030c61000-7fa030c63000 rw-s 00001000 00:01 2041                       /memfd:hello  world (deleted)\n", &l), 0);
	ck_assert(l.shared);
	ck_assert_uint_eq(l.offset, 0x1000);
	ck_assert_uint_eq(l.inode, 2041);
	ck_assert_str_eq(l.path, "/memfd:hello  world (deleted)");
	ck_assert_int_eq(parse("7f0000000000-7f0000001000 rw-p 00000000 00:00 0                          [anon:foo bar]\n", &l), 0);
	ck_assert_str_eq(l.path, "[anon:foo bar]");

	/* 64-bit addresses and offsets, wide device numbers, huge inodes. */
	ck_assert_int_eq(parse("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]", &l), 0);
	ck_assert_uint_eq(l.start, 0xffffffffff600000UL);
	ck_assert_uint_eq(l.end, 0xffffffffff601000UL);
	ck_assert(!l.readable && !l.writable && l.executable);
	ck_assert_str_eq(l.path, "[vsyscall]");
	ck_assert_int_eq(parse("0-ffffffffffffffff r--s ffffffffffff0000 fff:fffff 18446744073709551615 /x", &l), 0);
	ck_assert_uint_eq(l.start, 0);
	ck_assert_uint_eq(l.end, UINTPTR_MAX);
	ck_assert_uint_eq(l.offset, 0xffffffffffff0000ULL);
	ck_assert_uint_eq(l.dev_major, 0xfff);
	ck_assert_uint_eq(l.dev_minor, 0xfffff);
	ck_assert_uint_eq(l.inode, UINT64_MAX);
	ck_assert_str_eq(l.path, "/x");

	/* Only the first line counts; the newline ends it. */
	ck_assert_int_eq(parse("1000-2000 rw-p 00000000 00:00 0 [heap]\n3000-4000 junk", &l), 0);
	ck_assert_str_eq(l.path, "[heap]");
}
END_TEST

START_TEST(test_parse_malformed_lines)
{
	static const char *const bad[] = {
		"",
		"\n",
		"garbage",
		"7f-",
		"1000-2000",
		"1000-2000 ",
		"1000-2000 rw-p",
		"1000-2000 rw-p 0",
		"1000-2000 rw-p 0 00:00",
		"1000-2000 rw-p 0 00:00 ",
		"1000-2000 rw- 0 00:00 0",
		"1000-2000 rwxq 0 00:00 0",
		"1000-2000 Rw-p 0 00:00 0",
		"2000-1000 rw-p 0 00:00 0 /x",
		"1000-1000 rw-p 0 00:00 0",
		"1000-2000 rw-p 0 0000 0",
		"1000-2000 rw-p 0 00: 0",
		"1000-2000 rw-p 0 :00 0",
		"1000-2000 rw-p 0 00:00 x",
		"1000-2000 rw-p 0 00:00 0x",
		"1000-2000 rw-p 0 00:00 12/x",
		"1000-2000 rw-p 0 00:00 -1",
		"1000-2000  rw-p 0 00:00 0",
		" 1000-2000 rw-p 0 00:00 0",
		"-1000-2000 rw-p 0 00:00 0",
		"+1000-2000 rw-p 0 00:00 0",
		"0x1000-0x2000 rw-p 0 00:00 0",
		"1000 2000 rw-p 0 00:00 0",
		"1000-2000-3000 rw-p 0 00:00 0",
		"1000-2000\trw-p 0 00:00 0",
		/* Overlong numbers: 17 digits, overflow, a 9-digit major. */
		"10000000000000000-20000000000000000 rw-p 0 00:00 0",
		"00000000000000001000-2000 rw-p 0 00:00 0",
		"1000-2000 rw-p 10000000000000000 00:00 0",
		"1000-2000 rw-p 0 100000000:00 0",
		"1000-2000 rw-p 0 00:100000000 0",
		"1000-2000 rw-p 0 00:00 18446744073709551616",
		"1000-2000 rw-p 0 00:00 999999999999999999999",
	};
	struct vma_line l;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], &l) == -EINVAL,
			      "\"%s\" parsed", bad[i]);
	ck_assert_int_eq(vma_parse_line(NULL, &l), -EINVAL);
	ck_assert_int_eq(parse("1000-2000 rw-p 0 00:00 0", NULL), -EINVAL);
}
END_TEST

static void check_parsed(const char *buf, size_t size, int ret,
			 const struct vma_line *l)
{
	ck_assert(ret == 0 || ret == -EINVAL);
	if (ret)
		return;
	ck_assert(l->start < l->end);
	ck_assert(l->path >= buf && l->path < buf + size);
	ck_assert_ptr_null(strchr(l->path, '\n'));
}

/* Whatever the bytes, a result or -EINVAL, never a crash. */
START_TEST(test_parse_fuzz)
{
	static const char good[] = "7fa030c61000-7fa030c63000 rw-s 00001000 00:01 2041        /memfd:x (deleted)\n";
	static const char alphabet[] = "0123456789abcdefABCDEF-: rwxsp\n\t/[]()\0\xff";
	unsigned char rnd[4096];
	struct vma_line l;
	char buf[256];
	size_t i, j, n;

	/* Every one-character substitution and every truncation. */
	for (i = 0; i < sizeof(good) - 1; i++) {
		for (j = 0; j < sizeof(alphabet) - 1; j++) {
			memcpy(buf, good, sizeof(good));
			buf[i] = alphabet[j];
			check_parsed(buf, sizeof(buf),
				     vma_parse_line(buf, &l), &l);
		}
		memcpy(buf, good, sizeof(good));
		buf[i] = '\0';
		check_parsed(buf, sizeof(buf), vma_parse_line(buf, &l), &l);
	}
	/* Random lines of random length, from the maps alphabet and not. */
	for (i = 0; i < 20000; i++) {
		fill_pattern(rnd, sizeof(rnd), i);
		n = rnd[0] % (sizeof(buf) - 1);
		for (j = 0; j < n; j++)
			buf[j] = i & 1 ? alphabet[rnd[j + 1] % (sizeof(alphabet) - 1)] :
					 (char)rnd[j + 1];
		buf[n] = '\0';
		check_parsed(buf, sizeof(buf), vma_parse_line(buf, &l), &l);
	}
}
END_TEST

START_TEST(test_kind_names)
{
	ck_assert_str_eq(vma_kind_name(VMA_HOLE), "hole");
	ck_assert_str_eq(vma_kind_name(VMA_ANON), "anonymous");
	ck_assert_str_eq(vma_kind_name(VMA_HUGETLB), "hugetlb");
	ck_assert_str_eq(vma_kind_name(VMA_SHMEM), "shmem");
	ck_assert_str_eq(vma_kind_name(VMA_FILE_PRIVATE), "file (private)");
	ck_assert_str_eq(vma_kind_name(VMA_FILE_SHARED), "file (shared)");
	ck_assert_str_eq(vma_kind_name(VMA_DEVICE), "device");
	ck_assert_str_eq(vma_kind_name(VMA_SPECIAL), "special");
	ck_assert_str_eq(vma_kind_name((enum vma_kind)100), "unknown");
}
END_TEST

/* The parts cover [start, start + len) exactly, in order, each inside its mapping. */
static void assert_covers(const struct vma_part *parts, unsigned int nr,
			  uintptr_t start, size_t len)
{
	unsigned int i;

	ck_assert_uint_ge(nr, 1);
	ck_assert_uint_eq(parts[0].start, start);
	ck_assert_uint_eq(parts[nr - 1].end, start + len);
	for (i = 0; i < nr; i++) {
		ck_assert_uint_lt(parts[i].start, parts[i].end);
		ck_assert_uint_le(parts[i].map_start, parts[i].start);
		ck_assert_uint_ge(parts[i].map_end, parts[i].end);
		ck_assert_uint_ne(parts[i].page_size, 0);
		if (i)
			ck_assert_uint_eq(parts[i].start, parts[i - 1].end);
		if (i && parts[i].kind == VMA_HOLE)
			ck_assert_int_ne(parts[i - 1].kind, VMA_HOLE);
	}
}

static struct vma_part *describe(const void *addr, size_t len,
				 unsigned int *nr)
{
	struct vma_part *parts = NULL;
	int ret;

	ret = vma_describe((uintptr_t)addr, len, &parts, nr);
	ck_assert_msg(ret == 0, "vma_describe(%p, %zu): %s", addr, len,
		      strerror(-ret));
	assert_covers(parts, *nr, (uintptr_t)addr, len);
	return parts;
}

/* The one part that holds all of [addr, addr + len). */
static struct vma_part describe_one(const void *addr, size_t len)
{
	struct vma_part *parts, part;
	unsigned int nr;

	parts = describe(addr, len, &nr);
	ck_assert_msg(nr == 1, "%u parts, expected 1 (first: %s)", nr,
		      vma_kind_name(parts[0].kind));
	part = parts[0];
	free(parts);
	return part;
}

static void *map_anon(size_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);

	ck_assert_msg(p != MAP_FAILED, "mmap: %s", strerror(errno));
	return p;
}

START_TEST(test_describe_anon)
{
	size_t len = 4 * pgsz();
	char *p = map_anon(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	struct vma_part part;

	part = describe_one(p + 100, len - 200);
	ck_assert_int_eq(part.kind, VMA_ANON);
	ck_assert(part.readable && part.writable && !part.shared);
	ck_assert_uint_eq(part.inode, 0);
	ck_assert_uint_eq(part.page_size, pgsz());
	ck_assert_str_eq(part.path, "");
	ck_assert_str_eq(part.fstype, "");
	munmap(p, len);
}
END_TEST

START_TEST(test_describe_heap)
{
	char *heap = malloc(64);
	struct vma_part part;

	ck_assert_ptr_nonnull(heap);
	part = describe_one(heap, 64);
	ck_assert_int_eq(part.kind, VMA_ANON);
	free(heap);
}
END_TEST

START_TEST(test_describe_stack)
{
	struct vma_part part;
	int local = 0;

	/*
	 * valgrind runs the program on a stack of its own making, an
	 * anonymous mapping that the kernel does not name [stack].
	 */
	if (test_under_valgrind())
		SKIP_TEST("under valgrind the thread's stack is valgrind's own mapping, not the kernel's [stack]");
	part = describe_one(&local, sizeof(local));
	ck_assert_int_eq(part.kind, VMA_ANON);
	ck_assert_str_eq(part.path, "[stack]");
}
END_TEST

/* anon | memfd | anon, the memfd page mapped over the middle one. */
START_TEST(test_describe_three_parts)
{
	size_t pg = pgsz();
	char *p = map_anon(3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	struct vma_part *parts;
	unsigned int nr;
	int fd;

	fd = memfd_create("vma-test", 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)pg), 0);
	ck_assert(mmap(p + pg, pg, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, fd, 0) == p + pg);

	parts = describe(p, 3 * pg, &nr);
	ck_assert_uint_eq(nr, 3);
	ck_assert_int_eq(parts[0].kind, VMA_ANON);
	ck_assert_uint_eq(parts[0].end, (uintptr_t)p + pg);
	ck_assert_uint_eq(parts[0].map_end, (uintptr_t)p + pg);
	ck_assert_int_eq(parts[1].kind, VMA_SHMEM);
	ck_assert_uint_eq(parts[1].start, (uintptr_t)p + pg);
	ck_assert_uint_eq(parts[1].end, (uintptr_t)p + 2 * pg);
	ck_assert_uint_eq(parts[1].map_start, (uintptr_t)p + pg);
	ck_assert_uint_eq(parts[1].map_end, (uintptr_t)p + 2 * pg);
	ck_assert(parts[1].shared);
	ck_assert_ptr_nonnull(strstr(parts[1].path, "/memfd:vma-test"));
	ck_assert_int_eq(parts[2].kind, VMA_ANON);
	ck_assert_uint_eq(parts[2].start, (uintptr_t)p + 2 * pg);
	ck_assert_uint_eq(parts[2].map_start, (uintptr_t)p + 2 * pg);
	free(parts);

	/* Starting inside the memfd page: two parts. */
	parts = describe(p + pg + 8, 2 * pg - 16, &nr);
	ck_assert_uint_eq(nr, 2);
	ck_assert_int_eq(parts[0].kind, VMA_SHMEM);
	ck_assert_int_eq(parts[1].kind, VMA_ANON);
	free(parts);
	munmap(p, 3 * pg);
	close(fd);
}
END_TEST

START_TEST(test_describe_hole)
{
	size_t pg = pgsz();
	char *p = map_anon(3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	struct vma_part *parts, part;
	unsigned int nr;

	ck_assert_int_eq(munmap(p + pg, pg), 0);
	parts = describe(p, 3 * pg, &nr);
	ck_assert_uint_eq(nr, 3);
	ck_assert_int_eq(parts[0].kind, VMA_ANON);
	ck_assert_int_eq(parts[1].kind, VMA_HOLE);
	ck_assert_uint_eq(parts[1].start, (uintptr_t)p + pg);
	ck_assert_uint_eq(parts[1].end, (uintptr_t)p + 2 * pg);
	ck_assert_uint_eq(parts[1].map_start, (uintptr_t)p + pg);
	ck_assert_uint_eq(parts[1].map_end, (uintptr_t)p + 2 * pg);
	ck_assert_str_eq(parts[1].path, "");
	ck_assert_int_eq(parts[2].kind, VMA_ANON);
	free(parts);

	/* A range inside the hole; and page 0, never mapped. */
	part = describe_one(p + pg + 1, 10);
	ck_assert_int_eq(part.kind, VMA_HOLE);
	part = describe_one(NULL, pg);
	ck_assert_int_eq(part.kind, VMA_HOLE);
	ck_assert_uint_eq(part.map_start, 0);
	munmap(p, 3 * pg);
}
END_TEST

START_TEST(test_describe_readonly)
{
	char *p = map_anon(pgsz(), PROT_READ, MAP_PRIVATE);
	struct vma_part part;

	part = describe_one(p, pgsz());
	ck_assert_int_eq(part.kind, VMA_ANON);
	ck_assert(part.readable && !part.writable);
	munmap(p, pgsz());
}
END_TEST

/* The whole address space: every byte in exactly one part. */
START_TEST(test_describe_everything)
{
	struct vma_part *parts;
	unsigned int nr, i, specials = 0;

	parts = describe((void *)0, UINTPTR_MAX, &nr);
	ck_assert_uint_gt(nr, 3);
	ck_assert_int_eq(parts[0].kind, VMA_HOLE);
	for (i = 0; i < nr; i++) {
		if (parts[i].kind == VMA_HOLE)
			continue;
		/* Every mapping whole: the range holds them all. */
		ck_assert_uint_eq(parts[i].start, parts[i].map_start);
		ck_assert_uint_eq(parts[i].end, parts[i].map_end);
		if (parts[i].kind == VMA_SPECIAL)
			specials++;
	}
	ck_assert_uint_ge(specials, 1);
	free(parts);
}
END_TEST

static bool on_tmpfs(const char *dir)
{
	struct statfs sfs;

	return statfs(dir, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC;
}

static void check_file_mapping(int flags, enum vma_kind expect)
{
	size_t pg = pgsz();
	char *path = scratch_file("vma", 2 * pg), real[PATH_MAX];
	struct vma_part part;
	char *p;
	int fd;

	ck_assert_ptr_nonnull(realpath(path, real));
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, flags, fd, (off_t)pg);
	ck_assert_msg(p != MAP_FAILED, "mmap: %s", strerror(errno));

	part = describe_one(p, pg);
	if (on_tmpfs(test_dir())) {
		ck_assert_int_eq(part.kind, VMA_SHMEM);
		ck_assert_str_eq(part.fstype, "tmpfs");
	} else {
		ck_assert_msg(part.kind == expect, "%s, expected %s",
			      vma_kind_name(part.kind), vma_kind_name(expect));
		ck_assert_str_ne(part.fstype, "");
		ck_assert_str_ne(part.fstype, "tmpfs");
	}
	ck_assert_str_eq(part.path, real);
	ck_assert_uint_eq(part.offset, pg);
	ck_assert_uint_eq(part.page_size, pg);
	ck_assert_uint_ne(part.inode, 0);
	munmap(p, pg);
	close(fd);
	scratch_remove(path);
}

START_TEST(test_describe_file_shared)
{
	check_file_mapping(MAP_SHARED, VMA_FILE_SHARED);
}
END_TEST

START_TEST(test_describe_file_private)
{
	check_file_mapping(MAP_PRIVATE, VMA_FILE_PRIVATE);
}
END_TEST

START_TEST(test_describe_tmpfs_file)
{
	char path[] = "/dev/shm/pindio-vma.XXXXXX";
	struct vma_part part;
	char *p;
	int fd;

	if (!on_tmpfs("/dev/shm"))
		SKIP_TEST("/dev/shm is not a tmpfs here");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)pgsz()), 0);
	p = mmap(NULL, pgsz(), PROT_READ, MAP_SHARED, fd, 0);
	ck_assert(p != MAP_FAILED);
	part = describe_one(p, pgsz());
	unlink(path);
	ck_assert_int_eq(part.kind, VMA_SHMEM);
	ck_assert_str_eq(part.fstype, "tmpfs");
	ck_assert_str_eq(part.path, path);
	munmap(p, pgsz());
	close(fd);
}
END_TEST

START_TEST(test_describe_memfd)
{
	struct vma_part part;
	char *p;
	int fd;

	fd = memfd_create("vma memfd", 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)pgsz()), 0);
	p = mmap(NULL, pgsz(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert(p != MAP_FAILED);
	part = describe_one(p, pgsz());
	ck_assert_int_eq(part.kind, VMA_SHMEM);
	ck_assert(part.shared);
	ck_assert_str_eq(part.path, "/memfd:vma memfd (deleted)");
	ck_assert_uint_eq(part.page_size, pgsz());
	munmap(p, pgsz());
	close(fd);
}
END_TEST

START_TEST(test_describe_shared_anon)
{
	char *p = map_anon(pgsz(), PROT_READ | PROT_WRITE, MAP_SHARED);
	struct vma_part part;

	part = describe_one(p, pgsz());
	ck_assert_int_eq(part.kind, VMA_SHMEM);
	ck_assert(part.shared);
	/* mm/shmem.c shmem_zero_setup() names it after /dev/zero. */
	ck_assert_str_eq(part.path, "/dev/zero (deleted)");
	munmap(p, pgsz());
}
END_TEST

/*
 * A private /dev/zero mapping keeps the name but is anonymous memory
 * (drivers/char/mem.c mmap_zero(): vma_set_anonymous()).
 */
START_TEST(test_describe_dev_zero_private)
{
	struct vma_part part;
	char *p;
	int fd;

	fd = open("/dev/zero", O_RDWR);
	if (fd < 0)
		SKIP_TEST("cannot open /dev/zero: %s", strerror(errno));
	p = mmap(NULL, pgsz(), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ck_assert(p != MAP_FAILED);
	part = describe_one(p, pgsz());
	ck_assert_str_eq(part.path, "/dev/zero");
	ck_assert(!part.shared);
	ck_assert_uint_ne(part.inode, 0);
	ck_assert_int_eq(part.kind, VMA_ANON);
	munmap(p, pgsz());

	/* Shared, it is shmem under another name. */
	p = mmap(NULL, pgsz(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert(p != MAP_FAILED);
	part = describe_one(p, pgsz());
	ck_assert_str_eq(part.path, "/dev/zero (deleted)");
	ck_assert_int_eq(part.kind, VMA_SHMEM);
	munmap(p, pgsz());
	close(fd);
}
END_TEST

static long read_long(const char *path)
{
	char buf[64];
	long v = -1;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static bool write_long(const char *path, long v)
{
	FILE *f;
	bool ok;

	f = fopen(path, "we");
	if (!f)
		return false;
	ok = fprintf(f, "%ld\n", v) > 0;
	return fclose(f) == 0 && ok;
}

#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"

/* describe_one() without assertions, for tests with state to restore. */
static int describe_quiet(const void *addr, size_t len, struct vma_part *out)
{
	struct vma_part *parts = NULL;
	unsigned int nr = 0;
	int ret;

	ret = vma_describe((uintptr_t)addr, len, &parts, &nr);
	if (!ret && nr != 1)
		ret = -ERANGE;
	if (!ret)
		*out = parts[0];
	free(parts);
	return ret;
}

/*
 * MAP_HUGETLB ("/anon_hugepage (deleted)") and an MFD_HUGETLB memfd (on
 * the internal hugetlbfs mount: told apart from shmem by smaps).  The
 * machine may have no huge pages reserved: root reserves two for the
 * test and gives them back before asserting anything.
 */
START_TEST(test_describe_hugetlb)
{
	long old = read_long(NR_HUGEPAGES);
	struct vma_part anon = { 0 }, mfd = { 0 };
	int ret_anon = -1, ret_mfd = -1, fd;
	bool raised = false;
	void *a, *m = MAP_FAILED;

	a = mmap(NULL, HUGE_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (a == MAP_FAILED && geteuid() == 0 && old >= 0 &&
	    write_long(NR_HUGEPAGES, old + 2)) {
		raised = true;
		a = mmap(NULL, HUGE_2M, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	}
	if (a == MAP_FAILED) {
		int err = errno;

		if (raised)
			write_long(NR_HUGEPAGES, old);
		SKIP_TEST("MAP_HUGETLB fails (%s): no 2 MiB huge pages reserved (%s is %ld)%s",
			  strerror(err), NR_HUGEPAGES, old,
			  geteuid() ? ", and not root to reserve some" : "");
	}
	fd = memfd_create("vma-huge", MFD_HUGETLB);
	if (fd >= 0 && ftruncate(fd, HUGE_2M) == 0)
		m = mmap(NULL, HUGE_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, 0);
	ret_anon = describe_quiet((char *)a + 4096, 4096, &anon);
	if (m != MAP_FAILED)
		ret_mfd = describe_quiet(m, HUGE_2M, &mfd);
	munmap(a, HUGE_2M);
	if (m != MAP_FAILED)
		munmap(m, HUGE_2M);
	if (fd >= 0)
		close(fd);
	if (raised)
		write_long(NR_HUGEPAGES, old);

	ck_assert_int_eq(ret_anon, 0);
	ck_assert_int_eq(anon.kind, VMA_HUGETLB);
	ck_assert_uint_eq(anon.page_size, HUGE_2M);
	ck_assert_str_eq(anon.path, "/anon_hugepage (deleted)");
	ck_assert_uint_eq(anon.map_start, (uintptr_t)a);
	if (m == MAP_FAILED)
		SKIP_TEST("MAP_HUGETLB works but an MFD_HUGETLB memfd cannot be mapped");
	ck_assert_int_eq(ret_mfd, 0);
	ck_assert_int_eq(mfd.kind, VMA_HUGETLB);
	ck_assert_uint_eq(mfd.page_size, HUGE_2M);
	ck_assert_str_eq(mfd.path, "/memfd:vma-huge (deleted)");
}
END_TEST

START_TEST(test_describe_vdso)
{
	void *vdso = (void *)getauxval(AT_SYSINFO_EHDR);
	struct vma_part part;

	if (!vdso)
		SKIP_TEST("no vDSO in the auxiliary vector");
	part = describe_one(vdso, 1);
	ck_assert_int_eq(part.kind, VMA_SPECIAL);
	ck_assert_str_eq(part.path, "[vdso]");
}
END_TEST

/* A block device node mapped: /dev/loopN over a scratch file. */
START_TEST(test_describe_block_device)
{
	char dev[64], *path;
	struct vma_part part;
	void *p;
	int fd;

	REQUIRE_ROOT();
	path = scratch_file("vma-loop", 1 << 20);
	fd = loop_attach(path, dev, sizeof(dev));
	if (fd < 0) {
		scratch_remove(path);
		SKIP_TEST("cannot attach a loop device: %s", strerror(-fd));
	}
	p = mmap(NULL, pgsz(), PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_msg(p != MAP_FAILED, "mmap %s: %s", dev, strerror(errno));
	part = describe_one(p, pgsz());
	ck_assert_int_eq(part.kind, VMA_DEVICE);
	ck_assert_str_eq(part.path, dev);
	munmap(p, pgsz());
	close(fd);
	scratch_remove(path);
}
END_TEST

START_TEST(test_describe_bad_range)
{
	struct vma_part *parts = (struct vma_part *)0x1;
	unsigned int nr = 7;
	int local;

	ck_assert_int_eq(vma_describe((uintptr_t)&local, 0, &parts, &nr),
			 -EINVAL);
	ck_assert_int_eq(vma_describe(UINTPTR_MAX - 4095, 8192, &parts, &nr),
			 -EINVAL);
	/* Ending exactly at the top wraps to 0 too. */
	ck_assert_int_eq(vma_describe(UINTPTR_MAX - 4095, 4096, &parts, &nr),
			 -EINVAL);
	ck_assert_int_eq(vma_describe((uintptr_t)&local, 4, NULL, &nr),
			 -EINVAL);
	ck_assert_int_eq(vma_describe((uintptr_t)&local, 4, &parts, NULL),
			 -EINVAL);
	/* Outputs untouched on failure. */
	ck_assert_ptr_eq(parts, (struct vma_part *)0x1);
	ck_assert_uint_eq(nr, 7);
}
END_TEST

/* "always [madvise] never" -> "madvise". */
static bool thp_mode(char *mode, size_t size)
{
	char buf[128], *l, *r;
	FILE *f;

	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	if (!f)
		return false;
	l = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!l)
		return false;
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!r)
		return false;
	snprintf(mode, size, "%.*s", (int)(r - l - 1), l + 1);
	return true;
}

/* AnonHugePages of the mapping starting at @addr, in kB, or -1. */
static long smaps_anon_huge_kb(const void *addr, size_t len)
{
	char line[1024];
	bool in = false;
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		struct vma_line l;

		if (vma_parse_line(line, &l) == 0) {
			if (in)
				break;
			in = l.start == (uintptr_t)addr &&
			     l.end == (uintptr_t)addr + len;
		} else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1) {
			break;
		}
	}
	fclose(f);
	return kb;
}

/* @len bytes at an address aligned to @align, nothing else in the mapping. */
static char *map_aligned(size_t len, size_t align)
{
	char *p = map_anon(len + align, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	char *a = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));

	if (a > p)
		munmap(p, (size_t)(a - p));
	if (p + len + align > a + len)
		munmap(a + len, (size_t)(p + len + align - (a + len)));
	return a;
}

struct thp_seen {
	unsigned int nr;
	uintptr_t heads[8];
	size_t size;
};

static void thp_cb(void *data, uintptr_t head, size_t size)
{
	struct thp_seen *s = data;

	if (s->nr < 8)
		s->heads[s->nr] = head;
	s->nr++;
	s->size = size;
}

#define THP_LEN	(4UL << 20)

START_TEST(test_thp_madvise)
{
	struct thp_seen seen = { 0 }, one = { 0 };
	char mode[32];
	unsigned int i;
	long kb;
	char *p;
	int n;

	if (!thp_mode(mode, sizeof(mode)) || !strcmp(mode, "never"))
		SKIP_TEST("transparent huge pages are disabled");
	p = map_aligned(THP_LEN, HUGE_2M);
	ck_assert_int_eq(madvise(p, THP_LEN, MADV_HUGEPAGE), 0);
	memset(p, 0x5a, THP_LEN);

	n = vma_for_each_thp((uintptr_t)p, THP_LEN, thp_cb, &seen);
	if (n == -EOPNOTSUPP)
		SKIP_TEST("the kernel has no PAGEMAP_SCAN ioctl (6.7+)");
	ck_assert_int_ge(n, 0);
	kb = smaps_anon_huge_kb(p, THP_LEN);
	ck_assert_int_ge(kb, 0);
	ck_assert_int_eq(n, kb / 2048);
	ck_assert_uint_eq(seen.nr, (unsigned int)n);
	for (i = 0; i < seen.nr; i++) {
		ck_assert_uint_eq(seen.heads[i] % HUGE_2M, 0);
		ck_assert_uint_ge(seen.heads[i], (uintptr_t)p);
		ck_assert_uint_lt(seen.heads[i], (uintptr_t)p + THP_LEN);
		if (i)
			ck_assert_uint_gt(seen.heads[i], seen.heads[i - 1]);
	}
	if (!n) {
		munmap(p, THP_LEN);
		SKIP_TEST("THP mode \"%s\", but the kernel gave no huge page to a madvised 4 MiB mapping (memory fragmented?)",
			  mode);
	}
	ck_assert_uint_eq(seen.size, HUGE_2M);

	/* One page in the middle of a huge page: that whole huge page. */
	if (seen.heads[0] == (uintptr_t)p) {
		ck_assert_int_eq(vma_for_each_thp((uintptr_t)p + 4096, 4096,
						  thp_cb, &one), 1);
		ck_assert_uint_eq(one.heads[0], (uintptr_t)p);
	}
	munmap(p, THP_LEN);
}
END_TEST

START_TEST(test_thp_nohugepage)
{
	struct thp_seen seen = { 0 };
	char *p;
	int n;

	p = map_aligned(THP_LEN, HUGE_2M);
	ck_assert_int_eq(madvise(p, THP_LEN, MADV_NOHUGEPAGE), 0);
	memset(p, 0x5a, THP_LEN);
	n = vma_for_each_thp((uintptr_t)p, THP_LEN, thp_cb, &seen);
	if (n == -EOPNOTSUPP)
		SKIP_TEST("the kernel has no PAGEMAP_SCAN ioctl (6.7+)");
	ck_assert_int_eq(n, 0);
	ck_assert_uint_eq(seen.nr, 0);
	ck_assert_int_eq(smaps_anon_huge_kb(p, THP_LEN), 0);
	munmap(p, THP_LEN);
}
END_TEST

START_TEST(test_thp_bad_args)
{
	struct thp_seen seen = { 0 };
	int local;

	ck_assert_int_eq(vma_for_each_thp((uintptr_t)&local, 0, thp_cb, &seen),
			 -EINVAL);
	ck_assert_int_eq(vma_for_each_thp(UINTPTR_MAX - 4095, 8192, thp_cb,
					  &seen), -EINVAL);
	ck_assert_int_eq(vma_for_each_thp((uintptr_t)&local, 4, NULL, &seen),
			 -EINVAL);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("vma");
	TCase *parse = tcase_create("parse");
	TCase *desc = tcase_create("describe");
	TCase *thp = tcase_create("thp");

	tcase_add_test(parse, test_parse_good_lines);
	tcase_add_test(parse, test_parse_malformed_lines);
	tcase_add_test(parse, test_parse_fuzz);
	tcase_add_test(parse, test_kind_names);
	suite_add_tcase(s, parse);

	tcase_add_test(desc, test_describe_anon);
	tcase_add_test(desc, test_describe_heap);
	tcase_add_test(desc, test_describe_stack);
	tcase_add_test(desc, test_describe_three_parts);
	tcase_add_test(desc, test_describe_hole);
	tcase_add_test(desc, test_describe_readonly);
	tcase_add_test(desc, test_describe_everything);
	tcase_add_test(desc, test_describe_file_shared);
	tcase_add_test(desc, test_describe_file_private);
	tcase_add_test(desc, test_describe_tmpfs_file);
	tcase_add_test(desc, test_describe_memfd);
	tcase_add_test(desc, test_describe_shared_anon);
	tcase_add_test(desc, test_describe_dev_zero_private);
	tcase_add_test(desc, test_describe_hugetlb);
	tcase_add_test(desc, test_describe_vdso);
	tcase_add_test(desc, test_describe_block_device);
	tcase_add_test(desc, test_describe_bad_range);
	suite_add_tcase(s, desc);

	tcase_add_test(thp, test_thp_madvise);
	tcase_add_test(thp, test_thp_nohugepage);
	tcase_add_test(thp, test_thp_bad_args);
	suite_add_tcase(s, thp);
	return s;
}
