# The fio external ioengine; included by the top-level Makefile.am.
#
# fio-pindio.so is a libtool module compiled against the configured fio
# source tree given to configure --with-fio-src (FIO_SRC), with the flags
# fio compiles its own engines with (fio's Makefile): config-host.h
# force-included and fio's large-file macros.  fio's headers come in with
# -isystem so that our warning flags judge only our code.  libtool leaves
# the module at fio/.libs/fio-pindio.so in the build tree, where the tests
# and bench/compare-peers load it; `make install` puts it in
# $(libdir)/fio.

# Job files users can start from; tests/fio-engine.sh runs each.
FIO_EXAMPLES = \
	fio/examples/pindio-verify.fio \
	fio/examples/pindio-randrw.fio \
	fio/examples/pindio-multi.fio

EXTRA_DIST += fio/fio-pindio.c $(FIO_EXAMPLES) scripts/fio-source.sh

if HAVE_FIO_SRC
fiolibdir = $(libdir)/fio
fiolib_LTLIBRARIES = fio/fio-pindio.la
fio_fio_pindio_la_SOURCES = fio/fio-pindio.c
fio_fio_pindio_la_CPPFLAGS = $(AM_CPPFLAGS) -include $(FIO_SRC)/config-host.h \
	-isystem $(FIO_SRC) -D_LARGEFILE_SOURCE -D_FILE_OFFSET_BITS=64 \
	-DFIO_INTERNAL
fio_fio_pindio_la_CFLAGS = $(AM_CFLAGS) -std=gnu99
fio_fio_pindio_la_LIBADD = src/libpindio.la
# No -no-undefined: fio's own functions (log_err, generic_open_file...)
# are resolved from the fio binary that loads the module.
fio_fio_pindio_la_LDFLAGS = -module -avoid-version -shared

# tests/fio-engine.sh runs fio with the module; without it, it skips.
TESTS_ENVIRONMENT += \
	PINDIO_FIO_ENGINE=$(abs_top_builddir)/fio/.libs/fio-pindio.so

# distcheck builds the engine too when this tree was configured with it.
AM_DISTCHECK_CONFIGURE_FLAGS = --with-fio-src=$(FIO_SRC)
endif
