# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# lab-about: ext4 on a sector (BTT) namespace, /dev/pmem0s: no DAX possible
# lab-machine: nvdimm
# lab-modules: nfit nd_btt nd_pmem ext4
# lab-tools: ndctl mkfs.ext4 xfs_io
# lab-files: /etc/mke2fs.conf
#
# A sector-mode namespace puts a block translation table in front of the
# NVDIMM for atomic sector writes: a plain block device, which cannot do
# DAX.  Its files go through the page cache; the probe must say so, and
# name the namespace's mode.

lab_namespace sector
lab_mkfs ext4 "$LAB_DEV"
lab_mount "$LAB_DEV" /mnt/pmem
lab_check_mount_dax mount-not-dax /mnt/pmem none

f=/mnt/pmem/data
lab_mkfile "$f" $((2 << 20))
lab_check_statx_dax statx-dax "$f" no
lab_log dio-bench --probe "$f"
lab_run -d 'kind is' probe \
	dax-check probe "$f" --expect-kind none --expect-mode sector
