# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# lab-about: ext4 on an fsdax namespace mounted without -o dax: not DAX
# lab-machine: nvdimm
# lab-modules: nfit nd_pmem ext4
# lab-tools: ndctl mkfs.ext4 xfs_io
# lab-files: /etc/mke2fs.conf
#
# The same device as fsdax-ext4, mounted without the dax option: files
# live in the page cache, so the probe must not call them DAX just
# because the device could do it.  What the kernel says to pinning a
# mapping of such a file is recorded: a writable MAP_SHARED file mapping
# is refused everywhere (from 6.5 by GUP's rule for file pages under
# writeback, EFAULT; before, by io_uring's file-backed check,
# EOPNOTSUPP); a MAP_PRIVATE one, whose written pages are anonymous
# copies, is allowed from 6.5 on and refused before (the same io_uring
# check looks at the mapping, not the pages).

expect_kernel_private=$(lab_pick 6.5=allowed 0=refused)

lab_namespace fsdax
lab_mkfs ext4 "$LAB_DEV"
lab_mount "$LAB_DEV" /mnt/pmem
lab_check_mount_dax mount-not-dax /mnt/pmem none

f=/mnt/pmem/data
lab_mkfile "$f" $((2 << 20))
lab_check_statx_dax statx-dax "$f" no
lab_log dio-bench --probe "$f"
lab_run -d 'kind is' probe dax-check probe "$f" --expect-kind none
# dax-check's "refused" means EOPNOTSUPP: the newer kernels' EFAULT is
# logged, not asserted.
if lab_kver_ge 6.5; then
	lab_note "MAP_SHARED, the kernel's answer (EFAULT expected):"
	lab_log dax-check register "$f" --len $((2 << 20)) --kernel --expect refused
else
	lab_run -d IORING_REGISTER_BUFFERS kernel-shared \
		dax-check register "$f" --len $((2 << 20)) --kernel --expect refused
fi
lab_run -d IORING_REGISTER_BUFFERS kernel-private \
	dax-check register "$f" --len $((2 << 20)) --private --kernel \
	--expect "$expect_kernel_private"
