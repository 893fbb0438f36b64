// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench/dio-options.c: dio-bench's command line.  Every bad value must be
 * refused with a message naming the option and what it allows (dio-bench
 * prints it and exits 2); every good one must land in struct options.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "../bench/dio-options.h"
#include "../bench/dio-verify.h"

#define MAX_ARGS	8

struct errors {
	unsigned int calls;
	char msg[1024];
};

static void on_error(void *data, const char *fmt, va_list ap)
{
	struct errors *e = data;

	e->calls++;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

/* argv[1..] from a NULL-terminated list; argv[0] is "dio-bench". */
static int parse(const char *const *args, struct options *opt,
		 struct errors *err)
{
	char *argv[MAX_ARGS + 2];
	int argc = 1;

	argv[0] = (char *)"dio-bench";
	while (args[argc - 1]) {
		ck_assert_int_lt(argc, MAX_ARGS + 1);
		argv[argc] = (char *)args[argc - 1];
		argc++;
	}
	argv[argc] = NULL;
	options_init(opt);
	memset(err, 0, sizeof(*err));
	return parse_options(argc, argv, opt, on_error, err);
}

struct bad_case {
	const char *args[MAX_ARGS];
	/* each must appear in the message */
	const char *expect[3];
};

static const struct bad_case bad_cases[] = {
	/* the generic loop */
	{ { "randread" }, { "unexpected argument 'randread'", "--name=value" } },
	{ { "--" }, { "unexpected argument '--'" } },
	{ { "--bogus=1" }, { "unknown option '--bogus'" } },
	{ { "--bs" }, { "'--bs' needs a value" } },
	{ { "--bs", "--iodepth=8" }, { "'--bs' needs a value" } },
	{ { "--pins=yes" }, { "'--pins' takes no value" } },
	{ { "--help=1" }, { "'--help' takes no value" } },
	{ { "--sqpoll", "1" }, { "'1' after '--sqpoll'", "--sqpoll=1" } },
	/* --filename */
	{ { "--filename=" }, { "--filename=''", "commas" } },
	{ { "--filename=a,,b" }, { "--filename=a,,b", "path 2", "empty" } },
	{ { "--filename=,a" }, { "path 1", "empty" } },
	{ { "--filename=a," }, { "path 2", "empty" } },
	/* --rw, --rwmixread */
	{ { "--rw=readwrite" }, { "--rw=readwrite", "read, write, randread, randwrite, rw or randrw" } },
	{ { "--rw=" }, { "--rw=:", "randrw" } },
	{ { "--rwmixread=101", "--rw=rw" }, { "--rwmixread=101", "from 0 to 100" } },
	{ { "--rwmixread=-1", "--rw=rw" }, { "--rwmixread=-1", "from 0 to 100" } },
	{ { "--rwmixread=5x", "--rw=rw" }, { "--rwmixread=5x", "from 0 to 100" } },
	/* --bs */
	{ { "--bs=0" }, { "--bs=0", "from 1 to 1g" } },
	{ { "--bs=2g" }, { "--bs=2g", "from 1 to 1g" } },
	{ { "--bs=4t" }, { "--bs=4t", "suffix k, m or g" } },
	{ { "--bs= 4k" }, { "--bs= 4k", "from 1 to 1g" } },
	/* --iodepth, --iodepth_batch */
	{ { "--iodepth=0" }, { "--iodepth=0", "from 1 to 4096" } },
	{ { "--iodepth=4097" }, { "--iodepth=4097", "from 1 to 4096" } },
	{ { "--iodepth=-1" }, { "--iodepth=-1", "from 1 to 4096" } },
	{ { "--iodepth_batch=0" }, { "--iodepth_batch=0", "from 1 to 4096" } },
	{ { "--iodepth_batch=4097" }, { "--iodepth_batch=4097", "from 1 to 4096" } },
	{ { "--iodepth_batch_complete_min=0" }, { "--iodepth_batch_complete_min=0", "from 1 to 4096" } },
	/* sizes */
	{ { "--size=0" }, { "--size=0", "at least 1" } },
	{ { "--size=17179869184g" }, { "--size=17179869184g", "below 16 EiB" } },
	{ { "--size=1x" }, { "--size=1x", "suffix k, m or g" } },
	{ { "--offset=-1" }, { "--offset=-1", "from 0 to below 16 EiB" } },
	{ { "--offset=1p" }, { "--offset=1p", "suffix k, m or g" } },
	{ { "--io_size=0" }, { "--io_size=0", "at least 1" } },
	{ { "--io_size=99999999999999999999" }, { "--io_size=", "below 16 EiB" } },
	/* times and counts */
	{ { "--runtime=0" }, { "--runtime=0", "seconds from 1 to 86400" } },
	{ { "--runtime=86401" }, { "--runtime=86401", "seconds from 1 to 86400" } },
	{ { "--ramp_time=3601" }, { "--ramp_time=3601", "seconds from 0 to 3600" } },
	{ { "--ramp_time=1s" }, { "--ramp_time=1s", "from 0 to 3600" } },
	{ { "--numjobs=0" }, { "--numjobs=0", "from 1 to 256" } },
	{ { "--numjobs=257" }, { "--numjobs=257", "from 1 to 256" } },
	/* booleans */
	{ { "--direct=2" }, { "--direct=2", "0 or 1" } },
	{ { "--direct=" }, { "--direct=", "0 or 1" } },
	{ { "--sqpoll=yes" }, { "--sqpoll=yes", "0 or 1" } },
	{ { "--hipri=true" }, { "--hipri=true", "0 or 1" } },
	{ { "--registerfiles=01" }, { "--registerfiles=01", "0 or 1" } },
	{ { "--hugepages=-1" }, { "--hugepages=-1", "0 or 1" } },
	/* --verify, --seed */
	{ { "--verify=md5" }, { "--verify=md5", "crc32c or none" } },
	{ { "--verify=" }, { "--verify=", "crc32c or none" } },
	{ { "--seed=-1" }, { "--seed=-1", "from 0 to 18446744073709551615" } },
	{ { "--seed=18446744073709551616" }, { "--seed=", "18446744073709551615" } },
	{ { "--seed=" }, { "--seed=", "from 0 to" } },
	/* output */
	{ { "--output-format=xml" }, { "--output-format=xml", "normal, json, or csv" } },
	{ { "--output-format=JSON" }, { "--output-format=JSON", "normal, json" } },
	{ { "--output=" }, { "--output=''" } },
	/* --engine, --probe */
	{ { "--engine=io_uring" }, { "--engine=io_uring", "unknown engine 'io_uring'", "psync" } },
	{ { "--engine=uring,,libaio" }, { "unknown engine ''" } },
	{ { "--engine=uring,uring" }, { "uring is listed twice" } },
	{ { "--engine=" }, { "unknown engine ''", "or all" } },
	{ { "--probe=" }, { "--probe=''" } },
	/* rules between options */
	{ { "--iodepth=4", "--iodepth_batch=8" }, { "--iodepth_batch=8 --iodepth=4", "from 1 to --iodepth" } },
	{ { "--iodepth_batch=33" }, { "--iodepth_batch=33 --iodepth=32" } },
	{ { "--iodepth=8", "--iodepth_batch_complete_min=9" }, { "--iodepth_batch_complete_min=9 --iodepth=8", "from 1 to --iodepth" } },
	{ { "--direct=0" }, { "--direct=0", "psync", "default engine list" } },
	{ { "--direct=0", "--engine=psync,libaio" }, { "--direct=0", "psync", "--engine list" } },
	{ { "--engine=splice", "--rw=write" }, { "--engine=splice --rw=write", "read or randread" } },
	{ { "--engine=all", "--rw=randrw" }, { "--engine=splice --rw=randrw" } },
	{ { "--engine=uring,splice", "--rw=rw" }, { "--engine=splice --rw=rw" } },
	{ { "--verify", "--bs=256" }, { "--verify --bs=256", "at least 512" } },
	{ { "--verify=crc32c", "--bs=511" }, { "--verify --bs=511", "at least 512" } },
	{ { "--verify", "--engine=uring,splice" }, { "--verify --engine=splice" } },
	{ { "--rwmixread=70" }, { "--rwmixread=70 --rw=randread", "rw or randrw" } },
	{ { "--rwmixread=70", "--rw=write" }, { "--rwmixread=70 --rw=write" } },
	{ { "--sqpoll", "--engine=libaio,psync" }, { "--sqpoll", "uring-fixed, uring and splice" } },
	{ { "--registerfiles", "--engine=psync" }, { "--registerfiles", "uring-fixed, uring and splice" } },
	{ { "--hipri", "--engine=libaio" }, { "--hipri", "uring-fixed and uring" } },
	{ { "--hipri", "--engine=splice" }, { "--hipri --engine=splice", "IOPOLL" } },
	{ { "--hugepages", "--engine=splice" }, { "--hugepages", "splice has none" } },
	{ { "--probe=/tmp", "--bs=4k" }, { "--probe=/tmp", "takes no other option" } },
	{ { "--pins", "--probe", "/tmp" }, { "--probe=/tmp", "takes no other option" } },
	{ { "--probe=/a", "--probe=/b" }, { "--probe=/b", "takes no other option" } },
	{ { "--offset=16g", "--size=18446744073709551615" }, { "--offset=", "--size=", "16 EiB" } },
};

START_TEST(test_bad_values)
{
	const struct bad_case *c = &bad_cases[_i];
	struct options opt;
	struct errors err;
	unsigned int j;

	ck_assert_int_eq(parse(c->args, &opt, &err), -1);
	ck_assert_uint_eq(err.calls, 1);
	for (j = 0; j < 3 && c->expect[j]; j++)
		ck_assert_msg(strstr(err.msg, c->expect[j]),
			      "%s ...: message \"%s\" lacks \"%s\"", c->args[0],
			      err.msg, c->expect[j]);
	options_free(&opt);
}
END_TEST

START_TEST(test_defaults)
{
	const char *none[] = { NULL };
	const char *one[] = { "--pins", NULL };
	struct options opt;
	struct errors err;
	unsigned int i;

	ck_assert_int_eq(parse(none, &opt, &err), 0);
	ck_assert(opt.default_comparison);
	ck_assert_int_eq(opt.rw, RW_RANDREAD);
	ck_assert_uint_eq(opt.bs, 4096);
	ck_assert_uint_eq(opt.iodepth, 32);
	ck_assert_uint_eq(opt.iodepth_batch, 1);
	ck_assert_uint_eq(opt.runtime, 5);
	ck_assert(!opt.runtime_set);
	ck_assert_uint_eq(opt.numjobs, 1);
	ck_assert(opt.direct);
	ck_assert(!opt.sqpoll && !opt.hipri && !opt.registerfiles &&
		  !opt.hugepages && !opt.pins);
	ck_assert_uint_eq(opt.rwmixread, 50);
	ck_assert_uint_eq(opt.seed, DEF_SEED);
	ck_assert(!opt.seed_set);
	ck_assert_int_eq(opt.verify, VERIFY_NONE);
	ck_assert_int_eq(opt.format, OUTPUT_NORMAL);
	ck_assert_ptr_null(opt.output);
	ck_assert_ptr_null(opt.probe);
	ck_assert_uint_eq(opt.nr_files, 0);
	for (i = 0; i < MAX_FILES; i++)
		ck_assert_ptr_null(opt.filenames[i]);
	ck_assert_uint_eq(opt.size, 0);
	ck_assert_uint_eq(opt.offset, 0);
	ck_assert_uint_eq(opt.io_size, 0);
	ck_assert_uint_eq(opt.ramp_time, 0);
	ck_assert_uint_eq(opt.engines, DEFAULT_ENGINES);
	ck_assert_uint_eq(opt.nr_engines, 2);
	ck_assert_int_eq(opt.order[0], ENGINE_FIXED);
	ck_assert_int_eq(opt.order[1], ENGINE_PLAIN);
	ck_assert(!opt.engines_set);
	options_free(&opt);

	/* any option at all, even one that changes nothing else */
	ck_assert_int_eq(parse(one, &opt, &err), 0);
	ck_assert(!opt.default_comparison);
	options_free(&opt);
}
END_TEST

START_TEST(test_good_values)
{
	const char *args[] = {
		"--rw=randrw", "--rwmixread", "70", "--bs=128k",
		"--iodepth", "64", "--iodepth_batch=16", "--size=1g", NULL,
	};
	const char *args2[] = {
		"--offset", "2m", "--runtime=60", "--io_size=10g",
		"--ramp_time=0", "--numjobs=256", "--seed=18446744073709551615",
		"--output-format=json", NULL,
	};
	const char *args3[] = {
		"--output", "/tmp/out.json", "--engine=psync,uring-fixed",
		"--verify=crc32c", "--bs=512", "--rwmixread=0", "--rw=rw",
		NULL,
	};
	struct options opt;
	struct errors err;

	ck_assert_int_eq(parse(args, &opt, &err), 0);
	ck_assert_uint_eq(err.calls, 0);
	ck_assert(!opt.default_comparison);
	ck_assert_int_eq(opt.rw, RW_RANDRW);
	ck_assert_uint_eq(opt.rwmixread, 70);
	ck_assert_uint_eq(opt.bs, 128 * 1024);
	ck_assert_uint_eq(opt.iodepth, 64);
	ck_assert_uint_eq(opt.iodepth_batch, 16);
	ck_assert_uint_eq(opt.size, 1ULL << 30);
	options_free(&opt);

	ck_assert_int_eq(parse(args2, &opt, &err), 0);
	ck_assert_uint_eq(opt.offset, 2 << 20);
	ck_assert_uint_eq(opt.runtime, 60);
	ck_assert(opt.runtime_set);
	ck_assert_uint_eq(opt.io_size, 10ULL << 30);
	ck_assert_uint_eq(opt.ramp_time, 0);
	ck_assert_uint_eq(opt.numjobs, 256);
	ck_assert_uint_eq(opt.seed, UINT64_MAX);
	ck_assert(opt.seed_set);
	ck_assert_int_eq(opt.format, OUTPUT_JSON);
	options_free(&opt);

	ck_assert_int_eq(parse(args3, &opt, &err), 0);
	ck_assert_str_eq(opt.output, "/tmp/out.json");
	ck_assert_uint_eq(opt.nr_engines, 2);
	ck_assert_int_eq(opt.order[0], ENGINE_PSYNC);
	ck_assert_int_eq(opt.order[1], ENGINE_FIXED);
	ck_assert_uint_eq(opt.engines,
			  (1U << ENGINE_PSYNC) | (1U << ENGINE_FIXED));
	ck_assert(opt.engines_set);
	ck_assert_int_eq(opt.verify, VERIFY_CRC32C);
	ck_assert_uint_eq(opt.bs, VERIFY_MIN_BS);
	ck_assert_uint_eq(opt.rwmixread, 0);
	options_free(&opt);
}
END_TEST

START_TEST(test_names)
{
	static const char *const rws[] = {
		"read", "write", "randread", "randwrite", "rw", "randrw",
	};
	static const char *const engines[] = {
		"uring-fixed", "uring", "libaio", "psync", "splice",
	};
	static const char *const formats[] = { "normal", "json", "csv" };
	struct options opt;
	struct errors err;
	char arg[64];
	unsigned int i;

	ck_assert_uint_eq(sizeof(rws) / sizeof(rws[0]), NR_RW_MODES);
	for (i = 0; i < NR_RW_MODES; i++) {
		const char *args[] = { arg, NULL };

		ck_assert_str_eq(rw_names[i], rws[i]);
		snprintf(arg, sizeof(arg), "--rw=%s", rws[i]);
		ck_assert_int_eq(parse(args, &opt, &err), 0);
		ck_assert_int_eq(opt.rw, (int)i);
		options_free(&opt);
	}
	for (i = 0; i < NR_ENGINES; i++)
		ck_assert_str_eq(engine_names[i], engines[i]);
	for (i = 0; i < NR_OUTPUT_FORMATS; i++) {
		const char *args[] = { arg, NULL };

		ck_assert_str_eq(output_format_names[i], formats[i]);
		snprintf(arg, sizeof(arg), "--output-format=%s", formats[i]);
		ck_assert_int_eq(parse(args, &opt, &err), 0);
		ck_assert_int_eq(opt.format, (int)i);
		options_free(&opt);
	}
	{
		const char *args[] = { "--output-format", "terse", NULL };

		ck_assert_int_eq(parse(args, &opt, &err), 0);
		ck_assert_int_eq(opt.format, OUTPUT_CSV);
		options_free(&opt);
	}
	{
		/* all, in the enum's order; splice allows reads only */
		const char *args[] = { "--engine=all", NULL };

		ck_assert_int_eq(parse(args, &opt, &err), 0);
		ck_assert_uint_eq(opt.nr_engines, NR_ENGINES);
		for (i = 0; i < NR_ENGINES; i++)
			ck_assert_int_eq(opt.order[i], (int)i);
		options_free(&opt);
	}
}
END_TEST

START_TEST(test_booleans)
{
	const char *bare[] = {
		"--sqpoll", "--hipri", "--registerfiles", "--hugepages",
		"--direct", "--verify", "--pins", NULL,
	};
	const char *ones[] = {
		"--sqpoll=1", "--hipri=1", "--registerfiles=1",
		"--hugepages=1", "--direct=1", "--verify=crc32c", NULL,
	};
	const char *zeros[] = {
		"--sqpoll", "--sqpoll=0", "--hipri=0", "--registerfiles=0",
		"--hugepages=0", "--verify", "--verify=none", NULL,
	};
	/* a bare flag does not take the next argument as its value */
	const char *next[] = { "--sqpoll", "--bs", "8k", NULL };
	const char *direct0[] = { "--engine=psync", "--direct=0", NULL };
	struct options opt;
	struct errors err;

	ck_assert_int_eq(parse(bare, &opt, &err), 0);
	ck_assert(opt.sqpoll && opt.hipri && opt.registerfiles &&
		  opt.hugepages && opt.direct && opt.pins);
	ck_assert_int_eq(opt.verify, VERIFY_CRC32C);
	options_free(&opt);

	ck_assert_int_eq(parse(ones, &opt, &err), 0);
	ck_assert(opt.sqpoll && opt.hipri && opt.registerfiles &&
		  opt.hugepages && opt.direct);
	ck_assert_int_eq(opt.verify, VERIFY_CRC32C);
	options_free(&opt);

	/* the last one given wins */
	ck_assert_int_eq(parse(zeros, &opt, &err), 0);
	ck_assert(!opt.sqpoll && !opt.hipri && !opt.registerfiles &&
		  !opt.hugepages);
	ck_assert_int_eq(opt.verify, VERIFY_NONE);
	options_free(&opt);

	ck_assert_int_eq(parse(next, &opt, &err), 0);
	ck_assert(opt.sqpoll);
	ck_assert_uint_eq(opt.bs, 8192);
	options_free(&opt);

	ck_assert_int_eq(parse(direct0, &opt, &err), 0);
	ck_assert(!opt.direct);
	options_free(&opt);
}
END_TEST

/* Options that apply to some of the engines listed are accepted. */
START_TEST(test_cross_accepted)
{
	const char *sqpoll[] = {
		"--sqpoll", "--registerfiles", "--engine=libaio,uring", NULL,
	};
	const char *hipri[] = { "--hipri", "--engine=psync,uring-fixed", NULL };
	const char *huge[] = { "--hugepages", "--engine=all", NULL };
	/* plain buffers go on transparent huge pages: no uring-fixed needed */
	const char *huge_plain[] = { "--hugepages", "--engine=uring,libaio,psync", NULL };
	const char *batch[] = { "--iodepth=8", "--iodepth_batch=8", NULL };
	const char *splice[] = { "--engine=splice", "--rw=read", "--sqpoll", NULL };
	const char *verify_read[] = { "--verify", "--rw=read", NULL };
	const char *help[] = { "--probe=/x", "--bs=4k", "--help", NULL };
	const char *help_first[] = { "--help", "--bogus", NULL };
	const char *probe[] = { "--probe", "/dev/dax0.0", NULL };
	struct options opt;
	struct errors err;

	ck_assert_int_eq(parse(sqpoll, &opt, &err), 0);
	options_free(&opt);
	ck_assert_int_eq(parse(hipri, &opt, &err), 0);
	options_free(&opt);
	ck_assert_int_eq(parse(huge, &opt, &err), 0);
	options_free(&opt);
	ck_assert_int_eq(parse(huge_plain, &opt, &err), 0);
	ck_assert(opt.hugepages);
	options_free(&opt);
	ck_assert_int_eq(parse(batch, &opt, &err), 0);
	options_free(&opt);
	ck_assert_int_eq(parse(splice, &opt, &err), 0);
	options_free(&opt);
	ck_assert_int_eq(parse(verify_read, &opt, &err), 0);
	options_free(&opt);
	/* --help wins, as soon as it is seen */
	ck_assert_int_eq(parse(help, &opt, &err), OPTIONS_HELP);
	ck_assert_uint_eq(err.calls, 0);
	options_free(&opt);
	ck_assert_int_eq(parse(help_first, &opt, &err), OPTIONS_HELP);
	options_free(&opt);
	ck_assert_int_eq(parse(probe, &opt, &err), 0);
	ck_assert_str_eq(opt.probe, "/dev/dax0.0");
	options_free(&opt);
}
END_TEST

START_TEST(test_filenames)
{
	char list[MAX_FILES * 8 + 16], *p;
	const char *one[] = { "--filename", "/dev/nvme0n1", NULL };
	const char *three[] = { "--filename=a,/b/c,d e", NULL };
	const char *twice[] = { "--filename=x,y", "--filename=z", NULL };
	const char *args[] = { list, NULL };
	struct options opt;
	struct errors err;
	unsigned int i;

	ck_assert_int_eq(parse(one, &opt, &err), 0);
	ck_assert_uint_eq(opt.nr_files, 1);
	ck_assert_str_eq(opt.filenames[0], "/dev/nvme0n1");
	ck_assert_ptr_null(opt.filenames[1]);
	/* a copy: argv is left as it was */
	ck_assert_ptr_ne(opt.filenames[0], one[1]);
	options_free(&opt);
	ck_assert_ptr_null(opt.filename_buf);
	ck_assert_uint_eq(opt.nr_files, 0);
	/* twice is harmless */
	options_free(&opt);

	ck_assert_int_eq(parse(three, &opt, &err), 0);
	ck_assert_uint_eq(opt.nr_files, 3);
	ck_assert_str_eq(opt.filenames[0], "a");
	ck_assert_str_eq(opt.filenames[1], "/b/c");
	ck_assert_str_eq(opt.filenames[2], "d e");
	ck_assert_str_eq(three[0], "--filename=a,/b/c,d e");
	options_free(&opt);

	/* the second replaces the first, without a leak */
	ck_assert_int_eq(parse(twice, &opt, &err), 0);
	ck_assert_uint_eq(opt.nr_files, 1);
	ck_assert_str_eq(opt.filenames[0], "z");
	ck_assert_ptr_null(opt.filenames[1]);
	options_free(&opt);

	/* MAX_FILES paths, then one more */
	p = list + sprintf(list, "--filename=");
	for (i = 0; i < MAX_FILES; i++)
		p += sprintf(p, "%sf%u", i ? "," : "", i);
	ck_assert_int_eq(parse(args, &opt, &err), 0);
	ck_assert_uint_eq(opt.nr_files, MAX_FILES);
	ck_assert_str_eq(opt.filenames[MAX_FILES - 1], "f63");
	options_free(&opt);
	sprintf(p, ",last");
	ck_assert_int_eq(parse(args, &opt, &err), -1);
	ck_assert_uint_eq(err.calls, 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "more than 64 paths"));
	ck_assert_ptr_nonnull(strstr(err.msg, "1 to 64"));
	/* the copy made before the error is freed too */
	options_free(&opt);
	ck_assert_ptr_null(opt.filename_buf);
}
END_TEST

START_TEST(test_usage)
{
	static const char *const names[] = {
		"--filename", "--rw", "--rwmixread", "--bs", "--iodepth",
		"--iodepth_batch", "--iodepth_batch_complete_min", "--size", "--offset", "--runtime",
		"--io_size", "--ramp_time", "--numjobs", "--direct",
		"--sqpoll", "--hipri", "--registerfiles", "--hugepages",
		"--verify", "--seed", "--output-format", "--output",
		"--engine", "--pins", "--probe", "--help", "psync", "randrw",
		"terse",
	};
	char *text = NULL, *line;
	size_t len = 0;
	FILE *f;
	unsigned int i;

	f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	options_usage(f);
	ck_assert_int_eq(fclose(f), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_msg(strstr(text, names[i]), "--help lacks %s",
			      names[i]);
	/* fits a terminal of 80 columns */
	for (line = text; *line;) {
		size_t n = strcspn(line, "\n");

		ck_assert_msg(n < 80, "--help line too long: %.*s", (int)n,
			      line);
		line += n + (line[n] == '\n');
	}
	free(text);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("dio-options");
	TCase *bad = tcase_create("bad");
	TCase *good = tcase_create("good");

	tcase_add_loop_test(bad, test_bad_values, 0,
			    sizeof(bad_cases) / sizeof(bad_cases[0]));
	suite_add_tcase(s, bad);

	tcase_add_test(good, test_defaults);
	tcase_add_test(good, test_good_values);
	tcase_add_test(good, test_names);
	tcase_add_test(good, test_booleans);
	tcase_add_test(good, test_cross_accepted);
	tcase_add_test(good, test_filenames);
	tcase_add_test(good, test_usage);
	suite_add_tcase(s, good);
	return s;
}
