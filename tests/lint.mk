# `make lint`: static analysis of the library, dio-bench and (when it is
# built) fio engine sources with
# clang-tidy (configuration: .clang-tidy, bench/.clang-tidy) and cppcheck.
# Any finding fails the target; tests/lint/README.md says why each check
# left out is left out.  Included by the top-level Makefile.am; not part
# of `make check`.

CLANG_TIDY = clang-tidy
CPPCHECK = cppcheck

# The .c files among these are checked (the headers, through them).
LINT_FILES = $(src_libpindio_la_SOURCES) $(bench_dio_bench_SOURCES)

# What the compiler gets for these files (config.h is force-included by
# AM_CPPFLAGS), less the warning and code generation options.
LINT_CPPFLAGS = $(DEFS) $(DEFAULT_INCLUDES) $(INCLUDES) $(AM_CPPFLAGS) \
	$(CPPFLAGS) $(LIBURING_CFLAGS) $(LIBNDCTL_CFLAGS) $(LIBDAXCTL_CFLAGS) \
	$(LIBAIO_CFLAGS) -pthread

# cppcheck options:
#   --library=tests/lint/pindio.cfg  the libndctl/libdaxctl *_foreach
#       macros, which cppcheck cannot see (no system include path);
#   -D...  the numeric macros of config.h (HAVE_*, _GNU_SOURCE...), which
#       also restrict cppcheck to the one configuration built; the string
#       ones come with --include=config.h;
#   --suppress=variableScope  kernel style declares locals at the top of a
#       function (DESIGN.md conventions, 9); the suggestion to move each
#       into its innermost block is not a defect.
LINT_CPPCHECK_FLAGS = --enable=warning,style,performance,portability \
	--error-exitcode=1 --inline-suppr --std=c11 --quiet \
	--library=$(top_srcdir)/tests/lint/pindio.cfg \
	--suppress=variableScope \
	-I $(top_srcdir)/include --include=$(top_builddir)/config.h

# The fio engine (fio/local.mk), when configure was given a fio tree: its
# own compile flags, fio's headers with -isystem (clang-tidy reports only
# the file it checks and the project headers HeaderFilterRegex names).
# cppcheck reads fio's headers with -I for the types, but everything it
# finds inside fio's tree is suppressed: that is fio's code, not ours
# (tests/lint/README.md).  -D__linux__ -D__x86_64__: fio's os/os.h and
# arch/arch.h pick their platform by those, which cppcheck leaves
# undefined.
if HAVE_FIO_SRC
LINT_FIO_FILES = $(fio_fio_pindio_la_SOURCES)
LINT_FIO_CPPFLAGS = $(DEFS) $(DEFAULT_INCLUDES) $(INCLUDES) \
	$(fio_fio_pindio_la_CPPFLAGS) $(CPPFLAGS) -std=gnu99
LINT_FIO_CPPCHECK_FLAGS = -I $(FIO_SRC) --include=$(FIO_SRC)/config-host.h \
	--suppress='*:$(FIO_SRC)/*' -D__linux__ -D__x86_64__ \
	-D_FILE_OFFSET_BITS=64 -DFIO_INTERNAL
endif

lint: lint-clang-tidy lint-cppcheck

lint-clang-tidy: $(top_builddir)/config.h
	@command -v $(CLANG_TIDY) >/dev/null 2>&1 || \
		{ echo "lint: $(CLANG_TIDY) not found (Debian package clang-tidy)"; exit 1; }
	@failed=; \
	for f in $(LINT_FILES); do \
		case $$f in *.c) ;; *) continue ;; esac; \
		echo "  CLANG-TIDY $$f"; \
		out=`$(CLANG_TIDY) --quiet $(srcdir)/$$f -- $(LINT_CPPFLAGS) 2>&1` || \
			failed="$$failed $$f"; \
		test -z "$$out" || printf '%s\n' "$$out" | \
			grep -v '^[0-9]* warnings\{0,1\} generated\.$$' || :; \
	done; \
	for f in $(LINT_FIO_FILES); do \
		echo "  CLANG-TIDY $$f"; \
		out=`$(CLANG_TIDY) --quiet $(srcdir)/$$f -- $(LINT_FIO_CPPFLAGS) 2>&1` || \
			failed="$$failed $$f"; \
		test -z "$$out" || printf '%s\n' "$$out" | \
			grep -v '^[0-9]* warnings\{0,1\} generated\.$$' || :; \
	done; \
	if test -n "$$failed"; then \
		echo "lint: clang-tidy findings in:$$failed"; exit 1; \
	fi

lint-cppcheck: $(top_builddir)/config.h
	@command -v $(CPPCHECK) >/dev/null 2>&1 || \
		{ echo "lint: $(CPPCHECK) not found (Debian package cppcheck)"; exit 1; }
	@echo "  CPPCHECK src bench"
	@$(CPPCHECK) $(LINT_CPPCHECK_FLAGS) \
		`sed -n 's/^#[[:blank:]]*define[[:blank:]]\{1,\}\([A-Za-z_][A-Za-z0-9_]*\)[[:blank:]]\{1,\}\([0-9]\{1,\}\)[[:blank:]]*$$/-D\1=\2/p' $(top_builddir)/config.h` \
		$(srcdir)/src $(srcdir)/bench
	@if test -n "$(LINT_FIO_FILES)"; then \
		echo "  CPPCHECK fio"; \
		$(CPPCHECK) $(LINT_CPPCHECK_FLAGS) $(LINT_FIO_CPPCHECK_FLAGS) \
			`sed -n 's/^#[[:blank:]]*define[[:blank:]]\{1,\}\([A-Za-z_][A-Za-z0-9_]*\)[[:blank:]]\{1,\}\([0-9]\{1,\}\)[[:blank:]]*$$/-D\1=\2/p' $(top_builddir)/config.h` \
			$(srcdir)/fio; \
	fi

.PHONY: lint lint-clang-tidy lint-cppcheck

EXTRA_DIST += .clang-tidy bench/.clang-tidy \
	tests/lint/README.md tests/lint/pindio.cfg
