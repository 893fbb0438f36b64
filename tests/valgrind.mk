# tests/valgrind.mk: make check-valgrind runs every Check suite under
# valgrind's memcheck.  Any memcheck error, or a definite leak, makes the
# suite's run exit non-zero and the target fail.
#
# Check forks each test (CK_FORK is left alone): memcheck follows fork()
# without --trace-children (that option is for exec), so every test runs
# under memcheck in its own child, which exits with --error-exitcode when
# it saw an error, and Check counts that test failed ("Early exit with
# return value 1").  The suites also rely on that isolation (rlimits,
# VmPin fixtures), which CK_FORK=no would lose.
#
# The suites run one after the other; each one's output is in
# tests/<suite>.valgrind.log.  Exit 77 from a suite (nothing could run
# here) is a SKIP, as in make check.  PINDIO_UNDER_VALGRIND=1 tells the
# tests that memcheck runs them, for builds without valgrind/valgrind.h.

# make check-valgrind VALGRIND_SUITES=tests/test-io runs only that one.
VALGRIND_SUITES = $(TEST_SUITES)
VALGRIND_SUPPRESSIONS = $(top_srcdir)/tests/valgrind.supp
VALGRIND_FLAGS = --tool=memcheck --error-exitcode=1 --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite \
	--num-callers=30 --suppressions=$(VALGRIND_SUPPRESSIONS)
EXTRA_DIST += tests/valgrind.mk tests/valgrind.supp

check-valgrind: $(check_LTLIBRARIES) $(check_PROGRAMS)
	@if test -z "$(VALGRIND)"; then \
		echo "check-valgrind: valgrind not found when configure ran (Debian package valgrind)"; \
		exit 1; \
	fi; \
	if test -n "$(SANITIZER_CFLAGS)"; then \
		echo "check-valgrind: this build is configured with --enable-sanitizers; valgrind cannot run AddressSanitizer programs: use a build without it"; \
		exit 1; \
	fi; \
	failed=0; passed=0; skipped=0; \
	for t in $(VALGRIND_SUITES); do \
		log=$$t.valgrind.log; \
		$(TESTS_ENVIRONMENT) PINDIO_UNDER_VALGRIND=1 \
			$(LIBTOOL) --mode=execute $(VALGRIND) $(VALGRIND_FLAGS) \
			--log-fd=1 ./$$t >$$log 2>&1; \
		rc=$$?; \
		case $$rc in \
		0) echo "PASS: $$t"; passed=$$((passed + 1)) ;; \
		77) echo "SKIP: $$t"; skipped=$$((skipped + 1)) ;; \
		*) echo "FAIL: $$t (exit $$rc, see $$log)"; failed=$$((failed + 1)) ;; \
		esac; \
	done; \
	echo "check-valgrind: $$passed passed, $$failed failed, $$skipped skipped"; \
	test $$failed -eq 0

clean-local: clean-local-valgrind
clean-local-valgrind:
	-rm -f $(TEST_SUITES:=.valgrind.log)
.PHONY: check-valgrind clean-local-valgrind
