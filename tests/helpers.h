/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by every Check suite: the main, skips with a reason, the VmPin
 * fixture, scratch files and loop devices.
 */
#ifndef PINDIO_TEST_HELPERS_H
#define PINDIO_TEST_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <check.h>

#include "pindio.h"

/* Each suite file defines this; tests/helpers.c has the main. */
Suite *test_suite(void);

/*
 * Skip the running test: the reason is printed and counted, and the
 * suite exits 77 when every test was skipped.
 */
void test_skip(const char *test, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define SKIP_TEST(...) do { test_skip(__func__, __VA_ARGS__); return; } while (0)

/*
 * Bytes this process may still pin: SIZE_MAX with CAP_IPC_LOCK (root) or
 * no RLIMIT_MEMLOCK, else the limit less what is pinned already and less
 * 1 MiB for the rings, whose memory io_uring also charges to the limit
 * (8 KiB at depth 8, 3.2 MiB at depth 32768 on 6.18) but not to VmPin.
 */
size_t test_memlock_room(void);

/* A test case whose tests must leave VmPin as they found it. */
TCase *tcase_vmpin(const char *name);
/* VmPin of this process in KiB (mm->pinned_vm), or -1. */
long vmpin_kb(void);

/*
 * A context for tests: log messages are kept (test_last_log()) rather
 * than printed, unless PINDIO_TEST_VERBOSE is set.
 */
struct pindio_ctx *test_ctx_new(unsigned int depth, unsigned int flags);
const char *test_last_log(void);
void test_log_clear(void);

/*
 * Directory for scratch files: $PINDIO_TEST_DIR, else the current one.
 * test_dir_odirect() skips the calling test when O_DIRECT is not
 * supported there.
 */
const char *test_dir(void);
bool test_dir_odirect(char *reason, size_t size);
#define REQUIRE_ODIRECT() do {						\
	char why_[256];							\
	if (!test_dir_odirect(why_, sizeof(why_)))			\
		SKIP_TEST("%s", why_);					\
} while (0)
#define REQUIRE_ROOT() do {						\
	if (geteuid() != 0)						\
		SKIP_TEST("needs root (euid %u)", (unsigned)geteuid());	\
} while (0)

/*
 * Whether valgrind runs this process: RUNNING_ON_VALGRIND when
 * valgrind/valgrind.h was found, else PINDIO_UNDER_VALGRIND=1 in the
 * environment (make check-valgrind sets it).
 */
bool test_under_valgrind(void);

/* Create a scratch file of @size bytes (sparse), return its path (free it). */
char *scratch_file(const char *tag, uint64_t size);
void scratch_remove(char *path);

/* Attach a loop device over @backing (direct I/O, autoclear); fd or -errno. */
int loop_attach(const char *backing, char *dev, size_t devsize);

/* A completion, as test_record_done() records it: the last result and
 * how many times the callback ran. */
struct test_done {
	int res;
	int calls;
};
/* A pindio_complete_fn for @data = struct test_done *. */
void test_record_done(void *data, int res);

/* Deterministic pseudo-random bytes. */
void fill_pattern(void *buf, size_t len, uint64_t seed);

#endif
