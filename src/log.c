// SPDX-License-Identifier: LGPL-2.1-or-later
/* Per-context logging and last-error text (after libkmod and libndctl). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

void log_stderr(void *data, int priority, const char *file, int line,
		const char *fn, const char *format, va_list args)
{
	fprintf(stderr, "libpindio: %s: ", fn);
	vfprintf(stderr, format, args);
}

void ctx_log(struct pindio_ctx *ctx, int priority, const char *file,
	     int line, const char *fn, const char *format, ...)
{
	va_list args;

	if (!ctx->log_fn)
		return;
	va_start(args, format);
	ctx->log_fn(ctx->log_data, priority, file, line, fn, format, args);
	va_end(args);
}

/* PINDIO_LOG: a syslog priority as a number (0-7) or a name. */
static int log_priority(const char *s)
{
	static const struct {
		const char *name;
		int prio;
	} names[] = {
		{ "emerg", LOG_EMERG }, { "alert", LOG_ALERT },
		{ "crit", LOG_CRIT }, { "err", LOG_ERR }, { "error", LOG_ERR },
		{ "warning", LOG_WARNING }, { "warn", LOG_WARNING },
		{ "notice", LOG_NOTICE }, { "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};
	char *end;
	long v;
	size_t i;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end != s && *end == '\0' && errno == 0 && v >= 0 && v <= LOG_DEBUG)
		return (int)v;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].prio;
	return -1;
}

void log_init(struct pindio_ctx *ctx)
{
	const char *env = secure_getenv("PINDIO_LOG");
	int prio;

	ctx->log_fn = log_stderr;
	ctx->log_data = NULL;
	ctx->log_priority = LOG_ERR;
	if (!env)
		return;
	prio = log_priority(env);
	if (prio < 0) {
		err(ctx, "ignoring PINDIO_LOG=%s: use 0-7 or a syslog priority name (err, warning, info, debug)\n",
		    env);
		return;
	}
	ctx->log_priority = prio;
}

int ctx_fail(struct pindio_ctx *ctx, int priority, int errnum,
	     const char *file, int line, const char *func,
	     const char *format, ...)
{
	va_list args;

	va_start(args, format);
	vsnprintf(ctx->last_error, sizeof(ctx->last_error), format, args);
	va_end(args);
	if (ctx->log_priority >= priority)
		ctx_log(ctx, priority, file, line, func, "%s\n",
			ctx->last_error);
	return errnum;
}

PINDIO_EXPORT
void pindio_set_log_fn(struct pindio_ctx *ctx, pindio_log_fn fn, void *data)
{
	if (!ctx)
		return;
	ctx->log_fn = fn ? fn : log_stderr;
	ctx->log_data = fn ? data : NULL;
}

PINDIO_EXPORT
void pindio_set_log_priority(struct pindio_ctx *ctx, int priority)
{
	if (!ctx)
		return;
	ctx->log_priority = priority;
}

PINDIO_EXPORT
int pindio_get_log_priority(struct pindio_ctx *ctx)
{
	return ctx ? ctx->log_priority : -EINVAL;
}

PINDIO_EXPORT
const char *pindio_ctx_last_error(struct pindio_ctx *ctx)
{
	return ctx ? ctx->last_error : "no context (NULL)";
}
