// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --verify=crc32c (dio-verify.h).  verify_fill() and verify_check() run
 * once per block on the I/O path, at 4k as often as a million times a
 * second per thread: the payload is made eight bytes at a time and the
 * only byte-wise work is what crc32c needs.
 */
#include <endian.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#include "dio-verify.h"

_Static_assert(sizeof(struct verify_hdr) == 48,
	       "the on-disk header has no padding and a fixed size");
_Static_assert(sizeof(struct verify_hdr) < VERIFY_MIN_BS,
	       "the smallest block has room for a payload");

/* Castagnoli, reflected. */
#define CRC32C_POLY	0x82f63b78U

/* Slicing-by-8: table[k][b] is the crc of byte b followed by k zero bytes. */
static uint32_t crc_table[8][256];

static bool have_sse42;

/*
 * Filled before main(), so no thread ever sees a half-made table and the
 * hot path has no once-check.  __builtin_cpu_supports() needs
 * __builtin_cpu_init() when called from a constructor (gcc manual).
 */
__attribute__((constructor)) static void crc32c_init(void)
{
	uint32_t c;
	unsigned int i, j, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ ((c & 1) ? CRC32C_POLY : 0);
		crc_table[0][i] = c;
	}
	for (k = 1; k < 8; k++)
		for (i = 0; i < 256; i++) {
			c = crc_table[k - 1][i];
			crc_table[k][i] = (c >> 8) ^ crc_table[0][c & 0xff];
		}
#if defined(__x86_64__)
	__builtin_cpu_init();
	have_sse42 = __builtin_cpu_supports("sse4.2");
#endif
}

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t w;
	uint32_t lo, hi;

	crc = ~crc;
	/* Bytes up to an 8-byte boundary, so the words below are aligned. */
	while (len && ((uintptr_t)p & 7)) {
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
		len--;
	}
	while (len >= 8) {
		w = load64(p);
		lo = (uint32_t)w ^ crc;
		hi = (uint32_t)(w >> 32);
		crc = crc_table[7][lo & 0xff] ^
		      crc_table[6][(lo >> 8) & 0xff] ^
		      crc_table[5][(lo >> 16) & 0xff] ^
		      crc_table[4][lo >> 24] ^
		      crc_table[3][hi & 0xff] ^
		      crc_table[2][(hi >> 8) & 0xff] ^
		      crc_table[1][(hi >> 16) & 0xff] ^
		      crc_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

#if defined(__x86_64__)
/*
 * The crc32 instruction computes exactly this polynomial, reflected, on
 * 1, 2, 4 or 8 bytes; the target attribute lets it be built without
 * -msse4.2 for the whole program, which must still run on CPUs without.
 */
__attribute__((target("sse4.2")))
static uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t c = ~crc;
	uint64_t w;

	while (len && ((uintptr_t)p & 7)) {
		c = _mm_crc32_u8((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		memcpy(&w, p, sizeof(w));
		c = _mm_crc32_u64(c, w);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return ~(uint32_t)c;
}
#else
static uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	return crc32c_sw(crc, buf, len);
}
#endif

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	if (have_sse42)
		return crc32c_hw(crc, buf, len);
	return crc32c_sw(crc, buf, len);
}

/*
 * The payload generator's state for one block: splitmix64's finaliser
 * over the three inputs, so that neighbouring offsets or sequences give
 * unrelated streams, and never 0 (xorshift would stay at 0).
 */
static uint64_t payload_state(uint64_t seed, uint64_t offset, uint64_t sequence)
{
	uint64_t z = seed ^ (offset * 0x9e3779b97f4a7c15ULL) ^
		     (sequence * 0xc2b2ae3d27d4eb4fULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z ? z : 0x853c49e6748fea9bULL;
}

/* xorshift64*: one multiply and three shifts per eight bytes. */
static void payload_fill(unsigned char *p, size_t len, uint64_t x)
{
	uint64_t v;

	while (len >= 8) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		v = x * 0x2545f4914f6cdd1dULL;
		memcpy(p, &v, sizeof(v));
		p += 8;
		len -= 8;
	}
	if (len) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		v = x * 0x2545f4914f6cdd1dULL;
		memcpy(p, &v, len);
	}
}

static uint32_t hdr_crc(const struct verify_hdr *hdr)
{
	struct verify_hdr h = *hdr;

	h.hdr_crc32c = 0;
	return crc32c(0, &h, sizeof(h));
}

void verify_fill(void *block, size_t len, uint64_t offset, uint64_t seed,
		 uint32_t job, uint64_t sequence)
{
	unsigned char *p = block;
	struct verify_hdr hdr;

	if (len < sizeof(hdr))
		return;
	payload_fill(p + sizeof(hdr), len - sizeof(hdr),
		     payload_state(seed, offset, sequence));
	hdr.magic = VERIFY_MAGIC;
	hdr.offset = offset;
	hdr.seed = seed;
	hdr.sequence = sequence;
	hdr.job = job;
	hdr.len = (uint32_t)len;
	hdr.crc32c = crc32c(0, p + sizeof(hdr), len - sizeof(hdr));
	hdr.hdr_crc32c = 0;
	hdr.hdr_crc32c = hdr_crc(&hdr);
	memcpy(p, &hdr, sizeof(hdr));
}

static int verify_fail(struct verify_error *err, const char *what,
		       uint64_t expected, uint64_t actual)
{
	err->what = what;
	err->expected = expected;
	err->actual = actual;
	return -1;
}

int verify_check(const void *block, size_t len, uint64_t offset,
		 struct verify_error *err)
{
	const unsigned char *p = block;
	struct verify_hdr hdr;
	uint32_t crc;

	memset(err, 0, sizeof(*err));
	if (len < sizeof(hdr))
		return verify_fail(err, "len", sizeof(hdr), len);
	/* A copy: the block need not be aligned for the header's fields. */
	memcpy(&hdr, p, sizeof(hdr));
	if (hdr.magic != VERIFY_MAGIC)
		return verify_fail(err, "magic", VERIFY_MAGIC, hdr.magic);
	crc = hdr_crc(&hdr);
	if (crc != hdr.hdr_crc32c)
		return verify_fail(err, "header crc32c", hdr.hdr_crc32c, crc);
	/* From here on the header is what its writer wrote. */
	err->hdr_ok = true;
	err->job = hdr.job;
	err->sequence = hdr.sequence;
	if (hdr.offset != offset)
		return verify_fail(err, "offset", offset, hdr.offset);
	if (hdr.len != len)
		return verify_fail(err, "len", len, hdr.len);
	crc = crc32c(0, p + sizeof(hdr), len - sizeof(hdr));
	if (crc != hdr.crc32c)
		return verify_fail(err, "crc32c", hdr.crc32c, crc);
	memset(err, 0, sizeof(*err));
	return 0;
}

int verify_describe(const struct verify_error *err, uint64_t offset,
		    char *buf, size_t size)
{
	char who[96] = "";
	const char *what = err->what ? err->what : "?";

	if (!strcmp(what, "magic"))
		return snprintf(buf, size,
				"offset %" PRIu64 ": the block carries no dio-bench verify header "
				"(magic 0x%016" PRIx64 "; never written with --verify?)",
				offset, err->actual);
	if (err->hdr_ok)
		snprintf(who, sizeof(who),
			 " (block written by job %" PRIu32 " as its block %" PRIu64 ")",
			 err->job, err->sequence);
	if (!strcmp(what, "offset"))
		return snprintf(buf, size,
				"offset %" PRIu64 ": the block read there belongs at offset %" PRIu64 "%s",
				offset, err->actual, who);
	/* Checksums read best in hex, sizes in decimal. */
	if (strstr(what, "crc32c"))
		return snprintf(buf, size,
				"offset %" PRIu64 ": %s expected 0x%08" PRIx64
				", actual 0x%08" PRIx64 "%s",
				offset, what, err->expected, err->actual, who);
	return snprintf(buf, size,
			"offset %" PRIu64 ": %s expected %" PRIu64 ", actual %" PRIu64 "%s",
			offset, what, err->expected, err->actual, who);
}
