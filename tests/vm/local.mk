# tests/vm: the VM lab (tests/vm/README.md).  make check boots Debian
# kernels under QEMU with an emulated NVDIMM and runs the scenarios of
# tests/vm/scenarios inside; each guest test is one TAP result of
# tests/vm/dax-lab.tap.  It skips when QEMU or the kernels cannot be had.

check_PROGRAMS += tests/vm/dax-check
tests_vm_dax_check_SOURCES = tests/vm/dax-check.c
tests_vm_dax_check_CFLAGS = $(AM_CFLAGS) $(LIBURING_CFLAGS)
tests_vm_dax_check_LDADD = src/libpindio.la $(LIBURING_LIBS)
tests_vm_dax_check_LDFLAGS = -no-install

TEST_EXTENSIONS = .tap
TAP_LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) \
	$(top_srcdir)/build-aux/tap-driver.sh
TAP_LOG_COMPILER = $(SHELL)
TESTS += tests/vm/dax-lab.tap

EXTRA_DIST += \
	tests/vm/README.md \
	tests/vm/dax-lab.tap \
	tests/vm/lab.sh \
	tests/vm/lab-kernel.sh \
	tests/vm/lab-initramfs.sh \
	tests/vm/lab-qemu.sh \
	tests/vm/guest/init \
	tests/vm/guest/lib.sh \
	tests/vm/scenarios/dax-inode.sh \
	tests/vm/scenarios/devdax.sh \
	tests/vm/scenarios/fsdax-ext4.sh \
	tests/vm/scenarios/fsdax-xfs.sh \
	tests/vm/scenarios/nodax-baseline.sh \
	tests/vm/scenarios/sector.sh

# The lab's work files: console logs, initramfs parts.  (The downloaded
# kernels are cached outside the build tree: see the README.)
clean-local: clean-local-vm-lab
clean-local-vm-lab:
	-rm -rf tests/vm/lab
.PHONY: clean-local-vm-lab
