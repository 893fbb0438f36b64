// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dio-bench's command line (dio-options.h): pure parsing, no I/O and no
 * exit(), so that fuzz/fuzz-dio-options.c can drive it.  dio-bench's
 * error callback prints the message and exits with status 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dio-options.h"
#include "dio-verify.h"

const char *const rw_names[NR_RW_MODES] = {
	[RW_READ]	= "read",
	[RW_WRITE]	= "write",
	[RW_RANDREAD]	= "randread",
	[RW_RANDWRITE]	= "randwrite",
	[RW_RW]		= "rw",
	[RW_RANDRW]	= "randrw",
};

const char *const engine_names[NR_ENGINES] = {
	[ENGINE_FIXED]	= "uring-fixed",
	[ENGINE_PLAIN]	= "uring",
	[ENGINE_AIO]	= "libaio",
	[ENGINE_PSYNC]	= "psync",
	[ENGINE_SPLICE]	= "splice",
};

const char *const output_format_names[NR_OUTPUT_FORMATS] = {
	[OUTPUT_NORMAL]	= "normal",
	[OUTPUT_JSON]	= "json",
	[OUTPUT_CSV]	= "csv",
};

void options_init(struct options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->rw = RW_RANDREAD;
	opt->bs = DEF_BS;
	opt->iodepth = DEF_IODEPTH;
	opt->iodepth_batch = 1;
	opt->iodepth_batch_complete = 1;
	opt->runtime = DEF_RUNTIME;
	opt->numjobs = 1;
	opt->direct = true;
	opt->rwmixread = DEF_RWMIXREAD;
	opt->seed = DEF_SEED;
	opt->format = OUTPUT_NORMAL;
	opt->verify = VERIFY_NONE;
	opt->engines = DEFAULT_ENGINES;
	opt->order[0] = ENGINE_FIXED;
	opt->order[1] = ENGINE_PLAIN;
	opt->nr_engines = 2;
}

void options_free(struct options *opt)
{
	free(opt->filename_buf);
	opt->filename_buf = NULL;
	memset(opt->filenames, 0, sizeof(opt->filenames));
	opt->nr_files = 0;
}

/* "4k", "128k", "1m", or plain bytes when no suffix divides evenly. */
const char *human_size(uint64_t v, char *buf, size_t len)
{
	if (v && v % GIB == 0)
		snprintf(buf, len, "%llug", (unsigned long long)(v / GIB));
	else if (v && v % MIB == 0)
		snprintf(buf, len, "%llum", (unsigned long long)(v / MIB));
	else if (v && v % KIB == 0)
		snprintf(buf, len, "%lluk", (unsigned long long)(v / KIB));
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

/*
 * Strict unsigned decimal: strtoull() alone would take leading blanks,
 * a sign ("-1" becomes 2^64-1), and stop silently at junk.  Returns a
 * pointer to the first character after the digits, or NULL.
 */
const char *parse_digits(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return NULL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return NULL;
	*out = v;
	return end;
}

bool parse_uint(const char *s, uint64_t *out)
{
	const char *end = parse_digits(s, out);

	return end && *end == '\0';
}

/* A number with an optional k, m or g suffix (1024-based). */
bool parse_size(const char *s, uint64_t *out)
{
	const char *end;
	uint64_t v, mult = 1;

	end = parse_digits(s, &v);
	if (!end)
		return false;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = KIB;
		end++;
		break;
	case 'm': case 'M':
		mult = MIB;
		end++;
		break;
	case 'g': case 'G':
		mult = GIB;
		end++;
		break;
	default:
		return false;
	}
	if (*end != '\0')
		return false;
	if (v > UINT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

enum opt_id {
	OPT_FILENAME,
	OPT_RW,
	OPT_RWMIXREAD,
	OPT_BS,
	OPT_IODEPTH,
	OPT_IODEPTH_BATCH,
	OPT_IODEPTH_BATCH_COMPLETE,
	OPT_SIZE,
	OPT_OFFSET,
	OPT_RUNTIME,
	OPT_IO_SIZE,
	OPT_RAMP_TIME,
	OPT_NUMJOBS,
	OPT_DIRECT,
	OPT_SQPOLL,
	OPT_HIPRI,
	OPT_REGISTERFILES,
	OPT_HUGEPAGES,
	OPT_VERIFY,
	OPT_SEED,
	OPT_OUTPUT_FORMAT,
	OPT_OUTPUT,
	OPT_ENGINE,
	OPT_PINS,
	OPT_PROBE,
	OPT_HELP,
};

enum arg_kind {
	ARG_NONE,		/* --pins */
	ARG_REQUIRED,		/* --bs=4k or --bs 4k */
	/*
	 * --sqpoll or --sqpoll=1: a value only after '=', so that a bare
	 * flag never takes the next argument as its value.
	 */
	ARG_OPTIONAL,
};

struct opt_def {
	const char *name;
	enum opt_id id;
	enum arg_kind arg;
};

static const struct opt_def opt_defs[] = {
	{ "filename",		OPT_FILENAME,		ARG_REQUIRED },
	{ "rw",			OPT_RW,			ARG_REQUIRED },
	{ "rwmixread",		OPT_RWMIXREAD,		ARG_REQUIRED },
	{ "bs",			OPT_BS,			ARG_REQUIRED },
	{ "iodepth",		OPT_IODEPTH,		ARG_REQUIRED },
	{ "iodepth_batch",	OPT_IODEPTH_BATCH,	ARG_REQUIRED },
	{ "iodepth_batch_complete_min", OPT_IODEPTH_BATCH_COMPLETE, ARG_REQUIRED },
	{ "size",		OPT_SIZE,		ARG_REQUIRED },
	{ "offset",		OPT_OFFSET,		ARG_REQUIRED },
	{ "runtime",		OPT_RUNTIME,		ARG_REQUIRED },
	{ "io_size",		OPT_IO_SIZE,		ARG_REQUIRED },
	{ "ramp_time",		OPT_RAMP_TIME,		ARG_REQUIRED },
	{ "numjobs",		OPT_NUMJOBS,		ARG_REQUIRED },
	{ "direct",		OPT_DIRECT,		ARG_OPTIONAL },
	{ "sqpoll",		OPT_SQPOLL,		ARG_OPTIONAL },
	{ "hipri",		OPT_HIPRI,		ARG_OPTIONAL },
	{ "registerfiles",	OPT_REGISTERFILES,	ARG_OPTIONAL },
	{ "hugepages",		OPT_HUGEPAGES,		ARG_OPTIONAL },
	{ "verify",		OPT_VERIFY,		ARG_OPTIONAL },
	{ "seed",		OPT_SEED,		ARG_REQUIRED },
	{ "output-format",	OPT_OUTPUT_FORMAT,	ARG_REQUIRED },
	{ "output",		OPT_OUTPUT,		ARG_REQUIRED },
	{ "engine",		OPT_ENGINE,		ARG_REQUIRED },
	{ "pins",		OPT_PINS,		ARG_NONE },
	{ "probe",		OPT_PROBE,		ARG_REQUIRED },
	{ "help",		OPT_HELP,		ARG_NONE },
};

/* Where errors go, and what the checks between options need to know. */
struct parser {
	options_error_fn *error;
	void *data;
	unsigned int nr_given;		/* options seen, repeats included */
	bool rwmixread_set;
};

/* Report a bad option; returns -1 for the caller to pass up. */
static int __attribute__((format(printf, 2, 3)))
bad_option(const struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ps->error(ps->data, fmt, ap);
	va_end(ap);
	return -1;
}

static int add_engine(const struct parser *ps, struct options *opt,
		      enum engine_id e, const char *val)
{
	if (opt->engines & (1U << e))
		return bad_option(ps, "--engine=%s: %s is listed twice", val,
				  engine_names[e]);
	opt->engines |= 1U << e;
	opt->order[opt->nr_engines++] = e;
	return 0;
}

/* "all", or names separated by commas: run in the order given. */
static int parse_engines(const struct parser *ps, struct options *opt,
			 const char *val)
{
	const char *p = val;
	unsigned int i;

	opt->engines = 0;
	opt->nr_engines = 0;
	opt->engines_set = true;
	if (strcmp(val, "all") == 0) {
		for (i = 0; i < NR_ENGINES; i++)
			if (add_engine(ps, opt, i, val) < 0)
				return -1;
		return 0;
	}
	for (;;) {
		size_t len = strcspn(p, ",");

		for (i = 0; i < NR_ENGINES; i++)
			if (strlen(engine_names[i]) == len &&
			    strncmp(p, engine_names[i], len) == 0)
				break;
		if (i == NR_ENGINES)
			return bad_option(ps, "--engine=%s: unknown engine '%.*s'; use uring-fixed, uring, libaio, psync, splice, a comma-separated list of them, or all",
					  val, (int)len, p);
		if (add_engine(ps, opt, i, val) < 0)
			return -1;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/*
 * "A,B,C": a copy of the list, cut at the commas, which filenames[] point
 * into.  A second --filename replaces the first.
 */
static int parse_filenames(const struct parser *ps, struct options *opt,
			   const char *val)
{
	unsigned int n = 0;
	char *p;

	options_free(opt);
	/* val is NULL only for options that take none: not this one */
	if (!val || !*val)
		return bad_option(ps, "--filename='': give the path of an existing file or block device, or several separated by commas");
	opt->filename_buf = strdup(val);
	if (!opt->filename_buf)
		return bad_option(ps, "--filename=%s: out of memory copying the list",
				  val);
	for (p = opt->filename_buf;; n++) {
		char *comma = strchr(p, ',');

		if (comma)
			*comma = '\0';
		if (!*p)
			return bad_option(ps, "--filename=%s: path %u of the list is empty; separate paths with one comma, with none at either end",
					  val, n + 1);
		if (n == MAX_FILES)
			return bad_option(ps, "--filename=%s: more than %u paths; give 1 to %u",
					  val, MAX_FILES, MAX_FILES);
		opt->filenames[n] = p;
		if (!comma)
			break;
		p = comma + 1;
	}
	opt->nr_files = n + 1;
	return 0;
}

/* --name (no value: 1), --name=0 or --name=1. */
static int parse_bool(const struct parser *ps, const char *name,
		      const char *val, bool *out)
{
	if (!val || strcmp(val, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(val, "0") == 0) {
		*out = false;
		return 0;
	}
	return bad_option(ps, "--%s=%s: must be 0 or 1 (--%s alone is 1)",
			  name, val, name);
}

/* A whole number from @min to @max into *@out. */
static int parse_range(const struct parser *ps, const char *name,
		       const char *val, const char *unit, unsigned int min,
		       unsigned int max, unsigned int *out)
{
	uint64_t v;

	if (!parse_uint(val, &v) || v < min || v > max)
		return bad_option(ps, "--%s=%s: must be a whole number%s from %u to %u",
				  name, val, unit, min, max);
	*out = (unsigned int)v;
	return 0;
}

static int set_option(struct parser *ps, struct options *opt,
		      const struct opt_def *def, const char *val)
{
	uint64_t v;
	unsigned int i;

	switch (def->id) {
	case OPT_FILENAME:
		return parse_filenames(ps, opt, val);
	case OPT_RW:
		for (i = 0; i < NR_RW_MODES; i++) {
			if (strcmp(val, rw_names[i]) == 0) {
				opt->rw = i;
				return 0;
			}
		}
		return bad_option(ps, "--rw=%s: unknown mode; use read, write, randread, randwrite, rw or randrw",
				  val);
	case OPT_RWMIXREAD:
		ps->rwmixread_set = true;
		return parse_range(ps, def->name, val, " (percent of reads)",
				   0, 100, &opt->rwmixread);
	case OPT_BS:
		if (!parse_size(val, &v) || v == 0 || v > MAX_BS)
			return bad_option(ps, "--bs=%s: must be a whole number with an optional suffix k, m or g (1024-based), from 1 to 1g, and a multiple of the O_DIRECT offset alignment",
					  val);
		opt->bs = v;
		return 0;
	case OPT_IODEPTH:
		return parse_range(ps, def->name, val, "", 1, MAX_IODEPTH,
				   &opt->iodepth);
	case OPT_IODEPTH_BATCH:
		return parse_range(ps, def->name, val, "", 1, MAX_IODEPTH,
				   &opt->iodepth_batch);
	case OPT_IODEPTH_BATCH_COMPLETE:
		return parse_range(ps, def->name, val, "", 1, MAX_IODEPTH,
				   &opt->iodepth_batch_complete);
	case OPT_SIZE:
		if (!parse_size(val, &v) || v == 0)
			return bad_option(ps, "--size=%s: must be a whole number with an optional suffix k, m or g (1024-based), at least 1 and below 16 EiB, e.g. 64m",
					  val);
		opt->size = v;
		return 0;
	case OPT_OFFSET:
		if (!parse_size(val, &v))
			return bad_option(ps, "--offset=%s: must be a whole number with an optional suffix k, m or g (1024-based), from 0 to below 16 EiB, e.g. 1g",
					  val);
		opt->offset = v;
		return 0;
	case OPT_RUNTIME:
		opt->runtime_set = true;
		return parse_range(ps, def->name, val, " of seconds", 1,
				   MAX_RUNTIME, &opt->runtime);
	case OPT_IO_SIZE:
		if (!parse_size(val, &v) || v == 0)
			return bad_option(ps, "--io_size=%s: must be a whole number with an optional suffix k, m or g (1024-based), at least 1 and below 16 EiB, e.g. 1g",
					  val);
		opt->io_size = v;
		return 0;
	case OPT_RAMP_TIME:
		return parse_range(ps, def->name, val, " of seconds", 0,
				   MAX_RAMP_TIME, &opt->ramp_time);
	case OPT_NUMJOBS:
		return parse_range(ps, def->name, val, "", 1, MAX_NUMJOBS,
				   &opt->numjobs);
	case OPT_DIRECT:
		return parse_bool(ps, def->name, val, &opt->direct);
	case OPT_SQPOLL:
		return parse_bool(ps, def->name, val, &opt->sqpoll);
	case OPT_HIPRI:
		return parse_bool(ps, def->name, val, &opt->hipri);
	case OPT_REGISTERFILES:
		return parse_bool(ps, def->name, val, &opt->registerfiles);
	case OPT_HUGEPAGES:
		return parse_bool(ps, def->name, val, &opt->hugepages);
	case OPT_VERIFY:
		if (!val || strcmp(val, "crc32c") == 0) {
			opt->verify = VERIFY_CRC32C;
			return 0;
		}
		if (strcmp(val, "none") == 0) {
			opt->verify = VERIFY_NONE;
			return 0;
		}
		return bad_option(ps, "--verify=%s: unknown method; use crc32c or none (--verify alone is crc32c)",
				  val);
	case OPT_SEED:
		if (!parse_uint(val, &v))
			return bad_option(ps, "--seed=%s: must be a whole number from 0 to %llu",
					  val, (unsigned long long)UINT64_MAX);
		opt->seed = v;
		opt->seed_set = true;
		return 0;
	case OPT_OUTPUT_FORMAT:
		for (i = 0; i < NR_OUTPUT_FORMATS; i++) {
			if (strcmp(val, output_format_names[i]) == 0) {
				opt->format = i;
				return 0;
			}
		}
		/* fio's name for its semicolon-separated format */
		if (strcmp(val, "terse") == 0) {
			opt->format = OUTPUT_CSV;
			return 0;
		}
		return bad_option(ps, "--output-format=%s: unknown format; use normal, json, or csv (also called terse)",
				  val);
	case OPT_OUTPUT:
		if (!*val)
			return bad_option(ps, "--output='': give the path of the file to write the results to, or leave --output out for standard output");
		opt->output = val;
		return 0;
	case OPT_ENGINE:
		return parse_engines(ps, opt, val);
	case OPT_PINS:
		opt->pins = true;
		return 0;
	case OPT_PROBE:
		if (!*val)
			return bad_option(ps, "--probe='': give the path of a file, directory or device-DAX node");
		opt->probe = val;
		return 0;
	case OPT_HELP:
		return OPTIONS_HELP;
	}
	return 0;
}

static bool is_mixed(enum rw_mode rw)
{
	return rw == RW_RW || rw == RW_RANDRW;
}

static bool writes(enum rw_mode rw)
{
	return rw != RW_READ && rw != RW_RANDREAD;
}

#define URING_ENGINES	((1U << ENGINE_FIXED) | (1U << ENGINE_PLAIN) | \
			 (1U << ENGINE_SPLICE))

/*
 * The rules between options that need no target.  An option that would
 * apply to none of the engines listed is refused rather than ignored: a
 * result measured without it would be taken for one measured with it.
 */
static int check_options(const struct parser *ps, const struct options *opt)
{
	const char *order = "the --engine list";
	char h[32];

	if (opt->probe && ps->nr_given > 1)
		return bad_option(ps, "--probe=%s: runs no benchmark and takes no other option; run dio-bench --probe=PATH alone",
				  opt->probe);
	if (opt->iodepth_batch > opt->iodepth)
		return bad_option(ps, "--iodepth_batch=%u --iodepth=%u: a batch cannot be larger than the requests in flight; give --iodepth_batch from 1 to --iodepth",
				  opt->iodepth_batch, opt->iodepth);
	if (opt->iodepth_batch_complete > opt->iodepth)
		return bad_option(ps, "--iodepth_batch_complete_min=%u --iodepth=%u: cannot wait for more completions than requests in flight; give --iodepth_batch_complete_min from 1 to --iodepth",
				  opt->iodepth_batch_complete, opt->iodepth);
	if (ps->rwmixread_set && !is_mixed(opt->rw))
		return bad_option(ps, "--rwmixread=%u --rw=%s: the mix applies to --rw=rw or randrw only; use one of them, or leave --rwmixread out",
				  opt->rwmixread, rw_names[opt->rw]);
	if (!opt->engines_set)
		order = "the default engine list uring-fixed,uring";
	if (!opt->direct && opt->engines != (1U << ENGINE_PSYNC))
		return bad_option(ps, "--direct=0: only the psync engine does buffered I/O (libpindio opens every file O_DIRECT), and %s has others; use --engine=psync, or leave --direct out",
				  order);
	if ((opt->engines & (1U << ENGINE_SPLICE)) && writes(opt->rw))
		return bad_option(ps, "--engine=splice --rw=%s: splice reads the file into /dev/null; use --rw=read or randread, or leave splice out",
				  rw_names[opt->rw]);
	if (opt->verify != VERIFY_NONE && opt->bs < VERIFY_MIN_BS)
		return bad_option(ps, "--verify --bs=%s: a verified block holds a %zu-byte header and a payload; use --bs of at least %u, or leave --verify out",
				  human_size(opt->bs, h, sizeof(h)),
				  sizeof(struct verify_hdr), VERIFY_MIN_BS);
	if (opt->verify != VERIFY_NONE &&
	    (opt->engines & (1U << ENGINE_SPLICE)))
		return bad_option(ps, "--verify --engine=splice: splice moves the data into /dev/null, where no one can check it; leave splice out of --engine, or leave --verify out");
	if (opt->sqpoll && !(opt->engines & URING_ENGINES))
		return bad_option(ps, "--sqpoll: applies to the io_uring engines uring-fixed, uring and splice, and %s has none of them; add one, or leave --sqpoll out",
				  order);
	if (opt->registerfiles && !(opt->engines & URING_ENGINES))
		return bad_option(ps, "--registerfiles: applies to the io_uring engines uring-fixed, uring and splice, and %s has none of them; add one, or leave --registerfiles out",
				  order);
	if (opt->hipri && (opt->engines & (1U << ENGINE_SPLICE)))
		return bad_option(ps, "--hipri --engine=splice: a polled (IOPOLL) ring takes only reads and writes, not splice; leave splice out of --engine, or leave --hipri out");
	if (opt->hipri && !(opt->engines & URING_ENGINES))
		return bad_option(ps, "--hipri: applies to the io_uring engines uring-fixed and uring, and %s has neither; add one, or leave --hipri out",
				  order);
	/* Splice moves the data through pipes: it has no buffer to place. */
	if (opt->hugepages && opt->engines == (1U << ENGINE_SPLICE))
		return bad_option(ps, "--hugepages: applies to the buffers of uring-fixed, uring, libaio and psync, and splice has none; add one of them, or leave --hugepages out");
	if (opt->size && opt->offset > UINT64_MAX - opt->size)
		return bad_option(ps, "--offset=%llu --size=%llu: the region ends beyond 16 EiB; lower one of them",
				  (unsigned long long)opt->offset,
				  (unsigned long long)opt->size);
	return 0;
}

int parse_options(int argc, char **argv, struct options *opt,
		  options_error_fn *error, void *data)
{
	struct parser ps = { .error = error, .data = data };
	const struct opt_def *prev = NULL;
	int i, ret;

	opt->default_comparison = argc <= 1;
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *name, *eq, *val;
		const struct opt_def *def = NULL;
		size_t len, j;

		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			/* "--sqpoll 0" would otherwise read as a stray "0" */
			if (prev && prev->arg == ARG_OPTIONAL &&
			    !strchr(argv[i - 1], '='))
				return bad_option(&ps, "unexpected argument '%s' after '--%s'; give that option's value after '=', as --%s=%s",
						  arg, prev->name, prev->name, arg);
			return bad_option(&ps, "unexpected argument '%s'; options look like --name=value",
					  arg);
		}
		name = arg + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		for (j = 0; j < sizeof(opt_defs) / sizeof(opt_defs[0]); j++) {
			if (strlen(opt_defs[j].name) == len &&
			    strncmp(opt_defs[j].name, name, len) == 0) {
				def = &opt_defs[j];
				break;
			}
		}
		if (!def)
			return bad_option(&ps, "unknown option '%.*s'",
					  (int)(len + 2), arg);
		ps.nr_given++;
		switch (def->arg) {
		case ARG_NONE:
			if (eq)
				return bad_option(&ps, "option '--%s' takes no value",
						  def->name);
			val = NULL;
			break;
		case ARG_OPTIONAL:
			val = eq ? eq + 1 : NULL;
			break;
		case ARG_REQUIRED:
		default:
			if (eq) {
				val = eq + 1;
				break;
			}
			/*
			 * "--bs --iodepth=8" is a forgotten value, not a block
			 * size of "--iodepth=8"; a value that really starts
			 * with "--" can still be given as --opt=value.
			 */
			if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)
				return bad_option(&ps, "option '--%s' needs a value",
						  def->name);
			val = argv[++i];
			break;
		}
		ret = set_option(&ps, opt, def, val);
		if (ret)
			return ret;
		prev = def;
	}
	return check_options(&ps, opt);
}

void options_usage(FILE *f)
{
	fprintf(f,
"Usage: dio-bench [OPTION]...\n"
"Compare O_DIRECT I/O from registered buffers (uring-fixed) with plain\n"
"buffers (uring) through the same io_uring context, and with libaio,\n"
"pread/pwrite (psync) and splice.  Options are named after fio's.\n"
"\n"
"With no option at all: the default comparison on a scratch file,\n"
"uring-fixed, uring, libaio and psync for 4k randread at iodepth 32 and\n"
"128k read at iodepth 8, and the cost of registering the buffers, in one\n"
"table.\n"
"\n"
"What to do:\n"
"  --filename=PATH[,PATH]...\n"
"                    existing files or block devices, at most %u, used\n"
"                    round-robin; default: a scratch file\n"
"                    dio-bench.scratch.XXXXXX in the current directory,\n"
"                    removed at exit\n"
"  --rw=MODE         read, write, randread, randwrite, rw or randrw\n"
"                    (rw: sequential, randrw: random, reads and writes\n"
"                    mixed); default randread\n"
"  --rwmixread=PCT   percent of reads with --rw=rw or randrw, 0-100\n"
"                    (default %u); refused with the other modes\n"
"  --bs=SIZE         block size (default 4k); a multiple of the O_DIRECT\n"
"                    offset alignment, at most 1g\n"
"  --iodepth=N       requests in flight per job, 1-%u (default %u)\n"
"  --iodepth_batch=N submit once N requests are queued, 1 to --iodepth\n"
"                    (default 1)\n"
"  --iodepth_batch_complete_min=N\n"
"                    wait until N requests have completed, 1 to --iodepth\n"
"                    (default 1)\n"
"  --size=SIZE       bytes of each target to use, from --offset; default\n"
"                    256m for the scratch file, the whole file or device\n"
"                    otherwise\n"
"  --offset=SIZE     where the region starts in each target (default 0)\n"
"  --runtime=SECS    seconds measured per engine, 1-%u (default %u)\n"
"  --io_size=SIZE    bytes each job moves, then stops, at least 1;\n"
"                    with --runtime, whichever comes first\n"
"  --ramp_time=SECS  seconds run before measuring, 0-%u (default 0)\n"
"  --numjobs=N       threads, each with its own context, 1-%u (default 1)\n"
"\n"
"How:\n"
"  --engine=LIST     comma-separated engines to run in that order:\n"
"                    uring-fixed, uring, libaio, psync (pread/pwrite,\n"
"                    not through libpindio), splice (reads only: file ->\n"
"                    pipe -> /dev/null), or all; default\n"
"                    uring-fixed,uring.  Ratios compare each to the first\n"
"  --direct[=0|1]    1: O_DIRECT (default).  0: buffered, psync only\n"
"  --sqpoll[=0|1]    a kernel thread polls the submission queue\n"
"                    (IORING_SETUP_SQPOLL); io_uring engines only\n"
"  --hipri[=0|1]     polled completions (IORING_SETUP_IOPOLL);\n"
"                    uring-fixed and uring only\n"
"  --registerfiles[=0|1]\n"
"                    register the files with the ring (fixed files);\n"
"                    io_uring engines only\n"
"  --hugepages[=0|1] buffers on 2 MiB huge pages (registered ones, and\n"
"                    transparent huge pages for the plain ones); not\n"
"                    for splice alone\n"
"  --verify[=crc32c|none]\n"
"                    each written block carries a header (offset, job,\n"
"                    seed, sequence) and a crc32c of its payload, which\n"
"                    reads check; --verify alone is crc32c; needs\n"
"                    --bs of at least %u; not with splice\n"
"  --seed=N          seed of the random offsets and of the data,\n"
"                    0-18446744073709551615 (default %llu)\n"
"\n"
"Output:\n"
"  --output-format=FMT\n"
"                    normal (a table, default), json (fio's shape and a\n"
"                    \"pindio\" object) or csv (also called terse)\n"
"  --output=PATH     write the results to PATH instead of standard output\n"
"  --pins            after the uring-fixed run, print pindio's pin account\n"
"                    (every buffer, plain DMA in flight, the memlock\n"
"                    budget) and whether it agrees with the kernel's VmPin;\n"
"                    on stderr when stdout carries JSON or CSV\n"
"  --probe=PATH      print what storage backs PATH (filesystem-DAX,\n"
"                    device-DAX or neither, the NVDIMM namespace behind\n"
"                    it) and its O_DIRECT alignment, then exit without\n"
"                    benchmarking; takes no other option\n"
"  --help            show this help\n"
"\n"
"SIZE is a number with an optional suffix k, m or g (powers of 1024).\n"
"Options take their value as --opt=value or --opt value, except those\n"
"shown with [=...], which take one only as --opt=value.\n"
"An option that applies to none of the engines run is refused.\n"
"Write workloads overwrite the data in --filename.\n"
"\n"
"Exit status: 0 success, 1 I/O or library error or a --verify mismatch,\n"
"2 bad option.\n",
		MAX_FILES, DEF_RWMIXREAD, MAX_IODEPTH, DEF_IODEPTH, MAX_RUNTIME,
		DEF_RUNTIME, MAX_RAMP_TIME, MAX_NUMJOBS, VERIFY_MIN_BS,
		(unsigned long long)DEF_SEED);
}
