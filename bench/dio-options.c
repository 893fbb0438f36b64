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

const char *const rw_names[NR_RW_MODES] = {
	[RW_READ]	= "read",
	[RW_WRITE]	= "write",
	[RW_RANDREAD]	= "randread",
	[RW_RANDWRITE]	= "randwrite",
};

const char *const engine_names[NR_ENGINES] = {
	[ENGINE_FIXED]	= "uring-fixed",
	[ENGINE_PLAIN]	= "uring",
	[ENGINE_AIO]	= "libaio",
	[ENGINE_SPLICE]	= "splice",
};

void options_init(struct options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->rw = RW_RANDREAD;
	opt->bs = DEF_BS;
	opt->iodepth = DEF_IODEPTH;
	opt->runtime = DEF_RUNTIME;
	opt->engines = DEFAULT_ENGINES;
	opt->order[0] = ENGINE_FIXED;
	opt->order[1] = ENGINE_PLAIN;
	opt->nr_engines = 2;
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
	OPT_BS,
	OPT_IODEPTH,
	OPT_SIZE,
	OPT_RUNTIME,
	OPT_ENGINE,
	OPT_PINS,
	OPT_PROBE,
	OPT_HELP,
};

struct opt_def {
	const char *name;
	enum opt_id id;
	bool has_arg;
};

static const struct opt_def opt_defs[] = {
	{ "filename",	OPT_FILENAME,	true },
	{ "rw",		OPT_RW,		true },
	{ "bs",		OPT_BS,		true },
	{ "iodepth",	OPT_IODEPTH,	true },
	{ "size",	OPT_SIZE,	true },
	{ "runtime",	OPT_RUNTIME,	true },
	{ "engine",	OPT_ENGINE,	true },
	{ "pins",	OPT_PINS,	false },
	{ "probe",	OPT_PROBE,	true },
	{ "help",	OPT_HELP,	false },
};

/* Where errors go: the caller's callback. */
struct parser {
	options_error_fn *error;
	void *data;
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
			return bad_option(ps, "--engine=%s: unknown engine '%.*s'; use uring-fixed, uring, libaio, splice, a comma-separated list of them, or all",
					  val, (int)len, p);
		if (add_engine(ps, opt, i, val) < 0)
			return -1;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

static int set_option(const struct parser *ps, struct options *opt,
		      enum opt_id id, const char *val)
{
	uint64_t v;
	unsigned int i;

	switch (id) {
	case OPT_FILENAME:
		if (!*val)
			return bad_option(ps, "--filename='': give the path of an existing file or block device");
		opt->filename = val;
		return 0;
	case OPT_RW:
		for (i = 0; i < NR_RW_MODES; i++) {
			if (strcmp(val, rw_names[i]) == 0) {
				opt->rw = i;
				return 0;
			}
		}
		return bad_option(ps, "--rw=%s: unknown mode; use read, write, randread or randwrite",
				  val);
	case OPT_BS:
		if (!parse_size(val, &v) || v == 0 || v > MAX_BS)
			return bad_option(ps, "--bs=%s: must be a whole number with an optional suffix k, m or g (1024-based), from 1 to 1g, and a multiple of the O_DIRECT offset alignment",
					  val);
		opt->bs = v;
		return 0;
	case OPT_IODEPTH:
		if (!parse_uint(val, &v) || v < 1 || v > MAX_IODEPTH)
			return bad_option(ps, "--iodepth=%s: must be a whole number from 1 to %u",
					  val, MAX_IODEPTH);
		opt->iodepth = (unsigned int)v;
		return 0;
	case OPT_SIZE:
		if (!parse_size(val, &v) || v == 0)
			return bad_option(ps, "--size=%s: must be a whole number with an optional suffix k, m or g (1024-based), at least 1 and below 16 EiB, e.g. 64m",
					  val);
		opt->size = v;
		return 0;
	case OPT_RUNTIME:
		if (!parse_uint(val, &v) || v < 1 || v > MAX_RUNTIME)
			return bad_option(ps, "--runtime=%s: must be a whole number of seconds from 1 to %u",
					  val, MAX_RUNTIME);
		opt->runtime = (unsigned int)v;
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

int parse_options(int argc, char **argv, struct options *opt,
		  options_error_fn *error, void *data)
{
	const struct parser ps = { .error = error, .data = data };
	int i, ret;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *name, *eq, *val;
		const struct opt_def *def = NULL;
		size_t len, j;

		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
			return bad_option(&ps, "unexpected argument '%s'; options look like --name=value",
					  arg);
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
		if (!def->has_arg) {
			if (eq)
				return bad_option(&ps, "option '--%s' takes no value",
						  def->name);
			ret = set_option(&ps, opt, def->id, NULL);
			if (ret)
				return ret;
			continue;
		}
		if (eq) {
			val = eq + 1;
		} else {
			/*
			 * "--bs --iodepth=8" is a forgotten value, not a block
			 * size of "--iodepth=8"; a value that really starts
			 * with "--" can still be given as --opt=value.
			 */
			if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)
				return bad_option(&ps, "option '--%s' needs a value",
						  def->name);
			val = argv[++i];
		}
		ret = set_option(&ps, opt, def->id, val);
		if (ret)
			return ret;
	}
	return 0;
}
