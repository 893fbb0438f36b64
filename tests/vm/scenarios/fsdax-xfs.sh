# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# lab-about: xfs -o dax on an fsdax namespace: its pages are refused
# lab-machine: nvdimm
# lab-modules: nfit nd_pmem xfs
# lab-tools: ndctl mkfs.xfs xfs_io
#
# Filesystem-DAX maps the file's blocks on the NVDIMM straight into the
# process: no page cache.  A long-term pin of such a page would keep the
# filesystem from ever moving or freeing the block, so the kernel refuses
# it (mm/gup.c, EOPNOTSUPP), and pindio must refuse to register the
# memory before the kernel is asked, saying which file it is.

lab_namespace fsdax
# Without reflink, which DAX does not support on older kernels.
lab_mkfs xfs "$LAB_DEV"
lab_mount "$LAB_DEV" /mnt/pmem dax
lab_check_mount_dax mount-dax /mnt/pmem always

f=/mnt/pmem/data
lab_mkfile "$f" $((2 << 20))
lab_check_statx_dax statx-dax "$f" yes
lab_log dio-bench --probe "$f"

lab_run -d 'kind is' probe dax-check probe "$f" \
	--expect-kind fsdax --expect-mode fsdax --expect-longterm no
lab_run -d registration register-shared-4k \
	dax-check register "$f" --len 4096 --expect refused
lab_run -d registration register-shared-2m \
	dax-check register "$f" --len $((2 << 20)) --expect refused
lab_run -d registration register-private \
	dax-check register "$f" --len $((2 << 20)) --private --expect refused
# The kernel's own answer, without pindio's checks.
lab_run -d IORING_REGISTER_BUFFERS kernel-shared \
	dax-check register "$f" --len $((2 << 20)) --kernel --expect refused
