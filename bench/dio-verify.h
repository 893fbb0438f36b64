/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --verify=crc32c: every written block starts with a header saying where
 * it belongs and who wrote it, and carries a crc32c of the rest of the
 * block; a read checks both.  The payload after the header is
 * pseudo-random from (seed, offset, sequence), so no two blocks are
 * alike and a block landing at the wrong offset is caught by its header.
 */
#ifndef DIO_VERIFY_H
#define DIO_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VERIFY_MAGIC	0x31766f69646e6970ULL	/* "pindiov1" */

struct verify_hdr {
	uint64_t magic;
	uint64_t offset;		/* the block's offset in its file */
	uint64_t seed;			/* --seed of the run that wrote it */
	uint64_t sequence;		/* per job: the n-th block it wrote */
	uint32_t job;			/* the writing job's number */
	uint32_t len;			/* block size */
	uint32_t crc32c;		/* of the bytes after the header */
	uint32_t hdr_crc32c;		/* of this header, this field as 0 */
};

/* Smallest block --verify accepts: the header and some payload. */
#define VERIFY_MIN_BS	512U

/*
 * crc32c (Castagnoli), hardware instruction when the CPU has SSE4.2.
 * @crc is 0 to start, or a previous result to continue it: the ~0 seed
 * and final inversion are inside (crc32c(0, "123456789", 9) is
 * 0xe3069283).
 */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);
/* The table-driven crc32c, whatever the CPU: for the tests to compare. */
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len);

/*
 * Write a complete block of @len bytes at @block for @offset.  @len is at
 * least VERIFY_MIN_BS (dio-bench refuses smaller --bs with --verify);
 * below sizeof(struct verify_hdr) nothing is written.
 */
void verify_fill(void *block, size_t len, uint64_t offset, uint64_t seed,
		 uint32_t job, uint64_t sequence);

struct verify_error {
	const char *what;		/* "magic", "offset", "len", "header crc32c", "crc32c" */
	uint64_t expected;
	uint64_t actual;
	/* from the header, when its own crc32c matched (hdr_ok) */
	bool hdr_ok;
	uint32_t job;
	uint64_t sequence;
};

/*
 * Check the block read at @offset.  Returns 0, or -1 with *@err saying
 * what did not match first (in the order magic, header crc32c, offset,
 * len, crc32c).
 */
int verify_check(const void *block, size_t len, uint64_t offset,
		 struct verify_error *err);

/*
 * One line for @err found at @offset, e.g. "offset 4096: crc32c expected
 * 0x..., actual 0x... (block written by job 1 as its block 17)".
 * Returns what snprintf() returns.
 */
int verify_describe(const struct verify_error *err, uint64_t offset,
		    char *buf, size_t size);

#endif
