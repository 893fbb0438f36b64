# ---- fuzzing (make fuzz) ----------------------------------------------------
# libFuzzer targets, built with clang only by `make fuzz`: not part of
# `make`, `make check` or the installed files, so the gcc build never
# needs clang.  Each runs FUZZ_SECONDS on a copy of its seed corpus in the
# build tree (fuzz/work/<target>); new inputs and crash artifacts stay
# there.  Override on the command line: make fuzz FUZZ_SECONDS=30
# FUZZ_CC=clang-15.  Replay one input: fuzz/fuzz-vma-line FILE.
# fuzz-api does real O_DIRECT I/O on a small file it makes and unlinks in
# the current directory (the build tree), or in $FUZZ_API_DIR if set.
FUZZ_CC = clang
FUZZ_SECONDS = 60
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_CPPFLAGS = -include $(top_builddir)/config.h -I$(top_srcdir)/include \
	-I$(top_srcdir)/src -I$(top_srcdir)/bench
# Extra libFuzzer flags for every run, e.g. FUZZ_FLAGS=-jobs=2
FUZZ_FLAGS =

FUZZ_TARGETS = fuzz-vma-line fuzz-mountinfo-line fuzz-dio-options
FUZZ_BINS = $(FUZZ_TARGETS:%=fuzz/%)

fuzz_vma_line_deps = $(top_srcdir)/fuzz/fuzz-vma-line.c \
	$(top_srcdir)/src/vma.c $(top_srcdir)/src/mountinfo.c
fuzz_mountinfo_line_deps = $(top_srcdir)/fuzz/fuzz-mountinfo-line.c \
	$(top_srcdir)/src/mountinfo.c
fuzz_dio_options_deps = $(top_srcdir)/fuzz/fuzz-dio-options.c \
	$(top_srcdir)/bench/dio-options.c

fuzz/fuzz-vma-line: $(fuzz_vma_line_deps) $(top_srcdir)/src/vma.h \
		$(top_srcdir)/src/mountinfo.h config.h
	$(AM_V_CC)$(MKDIR_P) fuzz && \
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $(fuzz_vma_line_deps)
fuzz/fuzz-mountinfo-line: $(fuzz_mountinfo_line_deps) \
		$(top_srcdir)/src/mountinfo.h config.h
	$(AM_V_CC)$(MKDIR_P) fuzz && \
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $(fuzz_mountinfo_line_deps)
fuzz/fuzz-dio-options: $(fuzz_dio_options_deps) \
		$(top_srcdir)/bench/dio-options.h config.h
	$(AM_V_CC)$(MKDIR_P) fuzz && \
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $(fuzz_dio_options_deps)

# Exit 77 when clang (with its libFuzzer runtime) is not there.
fuzz-check-cc:
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then \
		echo "SKIP: make fuzz needs clang with libFuzzer: '$(FUZZ_CC)' not found (set FUZZ_CC=...)"; \
		exit 77; \
	fi; \
	$(MKDIR_P) fuzz; \
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
		>fuzz/check-cc.c; \
	if ! $(FUZZ_CC) $(FUZZ_CFLAGS) -o fuzz/check-cc fuzz/check-cc.c >fuzz/check-cc.log 2>&1; then \
		echo "SKIP: '$(FUZZ_CC)' cannot build a libFuzzer target (-fsanitize=fuzzer,address,undefined); see fuzz/check-cc.log"; \
		exit 77; \
	fi

fuzz-build: fuzz-check-cc
	@$(MAKE) $(AM_MAKEFLAGS) $(FUZZ_BINS)

# Run each target in turn; fail if any of them finds a crash.
fuzz: fuzz-build
	@failed=0; \
	for t in $(FUZZ_TARGETS); do \
		work=fuzz/work/$$t; log=fuzz/$$t.log; \
		rm -rf $$work && $(MKDIR_P) $$work fuzz/artifacts || exit 1; \
		cp $(top_srcdir)/fuzz/corpus/$$t/* $$work/ || exit 1; \
		chmod u+w $$work/*; \
		echo "  FUZZ     $$t for $(FUZZ_SECONDS)s"; \
		./fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=fuzz/artifacts/$$t- $(FUZZ_FLAGS) \
			$$work >$$log 2>&1; \
		rc=$$?; \
		execs=`sed -n 's/^stat::number_of_executed_units: *//p' $$log | tail -n 1`; \
		done_line=`grep '^#[0-9]*[[:space:]]*DONE' $$log | tail -n 1`; \
		if [ $$rc -ne 0 ]; then \
			failed=1; \
			echo "FAIL: $$t (exit $$rc) after $${execs:-?} executions; input in fuzz/artifacts/$$t-*:"; \
			grep -A 25 '^==[0-9]*==ERROR\|runtime error\|deadly signal' $$log | head -n 40; \
		else \
			echo "PASS: $$t: $${execs:-?} executions ($$done_line)"; \
		fi; \
	done; \
	exit $$failed

.PHONY: fuzz fuzz-build fuzz-check-cc

clean-local: clean-local-fuzz
clean-local-fuzz:
	-rm -rf fuzz/work fuzz/artifacts
	-rm -f $(FUZZ_BINS) fuzz/*.log fuzz/check-cc fuzz/check-cc.c

EXTRA_DIST += fuzz/local.mk fuzz/fuzz-vma-line.c fuzz/fuzz-mountinfo-line.c \
	fuzz/fuzz-dio-options.c
EXTRA_DIST += fuzz/corpus

# fuzz-api: the whole library compiled in with the sanitizers.
FUZZ_TARGETS += fuzz-api
fuzz_api_deps = $(top_srcdir)/fuzz/fuzz-api.c \
	$(src_libpindio_la_SOURCES:%=$(top_srcdir)/%)
fuzz/fuzz-api: $(fuzz_api_deps) $(top_srcdir)/include/pindio.h config.h
	$(AM_V_CC)$(MKDIR_P) fuzz && \
	srcs=`for f in $(src_libpindio_la_SOURCES); do \
		case $$f in *.c) echo $(top_srcdir)/$$f;; esac; done` && \
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(LIBURING_CFLAGS) $(LIBNDCTL_CFLAGS) \
		$(LIBDAXCTL_CFLAGS) $(LIBAIO_CFLAGS) $(FUZZ_CFLAGS) -pthread \
		-o $@ $(top_srcdir)/fuzz/fuzz-api.c $$srcs $(LIBURING_LIBS) \
		$(LIBNDCTL_LIBS) $(LIBDAXCTL_LIBS) $(LIBAIO_LIBS) -lpthread
EXTRA_DIST += fuzz/fuzz-api.c
