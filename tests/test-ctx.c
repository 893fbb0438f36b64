// SPDX-License-Identifier: GPL-2.0-or-later
/* src/ctx.c and src/log.c: context lifetime, options, logging, errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "helpers.h"

START_TEST(test_new_defaults)
{
	struct pindio_ctx *ctx = NULL;

	ck_assert_int_eq(pindio_ctx_new(32, PINDIO_CTX_DEFAULT, &ctx), 0);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_uint_eq(pindio_ctx_get_queue_depth(ctx), 32);
	/* Optional flags may be dropped, never added. */
	ck_assert_uint_eq(pindio_ctx_get_flags(ctx) & ~PINDIO_CTX_DEFAULT, 0);
	ck_assert_uint_eq(pindio_ctx_get_inflight(ctx), 0);
	ck_assert_str_eq(pindio_ctx_last_error(ctx), "");
	ck_assert_int_eq(pindio_get_log_priority(ctx), LOG_ERR);
	ck_assert_ptr_null(pindio_ctx_unref(ctx));
}
END_TEST

START_TEST(test_new_bad_depth)
{
	struct pindio_ctx *ctx = (struct pindio_ctx *)0x1;

	ck_assert_int_eq(pindio_ctx_new(0, 0, &ctx), -EINVAL);
	ck_assert_int_eq(pindio_ctx_new(PINDIO_QUEUE_DEPTH_MAX + 1, 0, &ctx),
			 -EINVAL);
	/* *out is written only on success. */
	ck_assert_ptr_eq(ctx, (struct pindio_ctx *)0x1);
}
END_TEST

START_TEST(test_new_bad_flags)
{
	struct pindio_ctx *ctx = (struct pindio_ctx *)0x1;

	ck_assert_int_eq(pindio_ctx_new(8, 1U << 30, &ctx), -EINVAL);
	ck_assert_ptr_eq(ctx, (struct pindio_ctx *)0x1);
	ck_assert_int_eq(pindio_ctx_new(8, PINDIO_CTX_DEFER_TASKRUN, &ctx),
			 -EINVAL);
	ck_assert_ptr_eq(ctx, (struct pindio_ctx *)0x1);
	ck_assert_int_eq(pindio_ctx_new(8, 0, NULL), -EINVAL);
}
END_TEST

START_TEST(test_new_max_depth)
{
	struct pindio_ctx *ctx = test_ctx_new(PINDIO_QUEUE_DEPTH_MAX, 0);

	ck_assert_uint_eq(pindio_ctx_get_queue_depth(ctx),
			  PINDIO_QUEUE_DEPTH_MAX);
	pindio_ctx_unref(ctx);
}
END_TEST

START_TEST(test_refcount)
{
	struct pindio_ctx *ctx = test_ctx_new(4, 0);

	ck_assert_ptr_eq(pindio_ctx_ref(ctx), ctx);
	ck_assert_ptr_eq(pindio_ctx_unref(ctx), ctx);
	ck_assert_ptr_null(pindio_ctx_unref(ctx));
	ck_assert_ptr_null(pindio_ctx_ref(NULL));
	ck_assert_ptr_null(pindio_ctx_unref(NULL));
}
END_TEST

START_TEST(test_sqpoll_iopoll)
{
	struct pindio_ctx *ctx = NULL;
	int ret;

	ret = pindio_ctx_new(8, PINDIO_CTX_SQPOLL, &ctx);
	if (ret == -EPERM)
		SKIP_TEST("SQPOLL needs privileges here: %s", strerror(-ret));
	ck_assert_int_eq(ret, 0);
	ck_assert_uint_eq(pindio_ctx_get_flags(ctx) & PINDIO_CTX_SQPOLL,
			  PINDIO_CTX_SQPOLL);
	pindio_ctx_unref(ctx);

	ck_assert_int_eq(pindio_ctx_new(8, PINDIO_CTX_IOPOLL, &ctx), 0);
	ck_assert_uint_eq(pindio_ctx_get_flags(ctx), PINDIO_CTX_IOPOLL);
	pindio_ctx_unref(ctx);

	/* With SQPOLL the task-run flags go, SINGLE_ISSUER stays. */
	ck_assert_int_eq(pindio_ctx_new(8, PINDIO_CTX_SQPOLL | PINDIO_CTX_DEFAULT,
					&ctx), 0);
	ck_assert_uint_eq(pindio_ctx_get_flags(ctx),
			  PINDIO_CTX_SQPOLL | PINDIO_CTX_SINGLE_ISSUER);
	pindio_ctx_unref(ctx);
}
END_TEST

struct captured {
	int calls;
	int priority;
	char file[64];
	char text[512];
};

static void capture_log(void *data, int priority, const char *file, int line,
			const char *fn, const char *format, va_list args)
{
	struct captured *c = data;

	c->calls++;
	c->priority = priority;
	snprintf(c->file, sizeof(c->file), "%s", file);
	vsnprintf(c->text, sizeof(c->text), format, args);
}

START_TEST(test_log_fn_and_priority)
{
	struct pindio_ctx *ctx = test_ctx_new(4, 0);
	struct pindio_file *file = NULL;
	struct captured c = { 0 };

	pindio_set_log_fn(ctx, capture_log, &c);
	ck_assert_int_eq(pindio_file_open(ctx, NULL, 0, 0, &file), -EINVAL);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_int_eq(c.priority, LOG_ERR);
	ck_assert_ptr_nonnull(strstr(c.text, "path is NULL"));
	/* The place that failed, not the logging helper. */
	ck_assert_msg(strstr(c.file, "file.c"), "logged from %s", c.file);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(ctx), "path is NULL"));

	/* Below the threshold: the error text is kept, nothing is logged. */
	pindio_set_log_priority(ctx, LOG_CRIT);
	ck_assert_int_eq(pindio_get_log_priority(ctx), LOG_CRIT);
	ck_assert_int_eq(pindio_file_open(ctx, "/nonexistent/pindio", 0, 0,
					  &file), -ENOENT);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_ptr_nonnull(strstr(pindio_ctx_last_error(ctx),
				     "/nonexistent/pindio"));

	/* Debug messages reach the function once the priority allows. */
	pindio_set_log_priority(ctx, LOG_DEBUG);
	pindio_ctx_ref(ctx);
	pindio_ctx_unref(ctx);
	ck_assert_ptr_null(file);
	pindio_set_log_fn(ctx, NULL, NULL);	/* back to stderr */
	pindio_set_log_priority(ctx, LOG_ERR);
	pindio_ctx_unref(ctx);
}
END_TEST

START_TEST(test_log_env)
{
	static const struct {
		const char *value;
		int prio;
	} cases[] = {
		{ "debug", LOG_DEBUG }, { "info", LOG_INFO }, { "3", LOG_ERR },
		{ "7", LOG_DEBUG }, { "WARNING", LOG_WARNING },
		{ "bogus", LOG_ERR }, { "8", LOG_ERR }, { "", LOG_ERR },
	};
	struct pindio_ctx *ctx;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(setenv("PINDIO_LOG", cases[i].value, 1), 0);
		ctx = NULL;
		ck_assert_int_eq(pindio_ctx_new(2, 0, &ctx), 0);
		ck_assert_msg(pindio_get_log_priority(ctx) == cases[i].prio,
			      "PINDIO_LOG=%s gave %d, want %d", cases[i].value,
			      pindio_get_log_priority(ctx), cases[i].prio);
		pindio_ctx_unref(ctx);
	}
	unsetenv("PINDIO_LOG");
}
END_TEST

START_TEST(test_null_ctx)
{
	ck_assert_uint_eq(pindio_ctx_get_queue_depth(NULL), 0);
	ck_assert_uint_eq(pindio_ctx_get_flags(NULL), 0);
	ck_assert_uint_eq(pindio_ctx_get_inflight(NULL), 0);
	ck_assert_int_eq(pindio_ctx_submit(NULL), -EINVAL);
	ck_assert_int_eq(pindio_ctx_reap(NULL, 1, 0), -EINVAL);
	ck_assert_int_eq(pindio_get_log_priority(NULL), -EINVAL);
	ck_assert_ptr_nonnull(pindio_ctx_last_error(NULL));
	pindio_set_log_fn(NULL, NULL, NULL);
	pindio_set_log_priority(NULL, LOG_DEBUG);
}
END_TEST

START_TEST(test_reap_idle)
{
	struct pindio_ctx *ctx = test_ctx_new(4, PINDIO_CTX_DEFAULT);

	/* Nothing in flight: returns at once, whatever is asked. */
	ck_assert_int_eq(pindio_ctx_submit(ctx), 0);
	ck_assert_int_eq(pindio_ctx_reap(ctx, 0, 0), 0);
	ck_assert_int_eq(pindio_ctx_reap(ctx, 3, -1), 0);
	pindio_ctx_unref(ctx);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("ctx");
	TCase *tc = tcase_vmpin("ctx");

	tcase_add_test(tc, test_new_defaults);
	tcase_add_test(tc, test_new_bad_depth);
	tcase_add_test(tc, test_new_bad_flags);
	tcase_add_test(tc, test_new_max_depth);
	tcase_add_test(tc, test_refcount);
	tcase_add_test(tc, test_sqpoll_iopoll);
	tcase_add_test(tc, test_log_fn_and_priority);
	tcase_add_test(tc, test_log_env);
	tcase_add_test(tc, test_null_ctx);
	tcase_add_test(tc, test_reap_idle);
	suite_add_tcase(s, tc);
	return s;
}
