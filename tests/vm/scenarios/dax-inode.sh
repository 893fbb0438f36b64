# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# lab-about: xfs -o dax=inode: DAX only where FS_XFLAG_DAX is set
# lab-machine: nvdimm
# lab-modules: nfit nd_pmem xfs
# lab-tools: ndctl mkfs.xfs xfs_io
#
# With dax=inode, a file is DAX when its inode has FS_XFLAG_DAX.  New
# files inherit the flag from their directory (a flag set on an existing
# file takes effect only once its inode is evicted), so one directory is
# flagged before its file is created and one is not.  Only the file in the
# flagged directory is filesystem-DAX, and only it must be refused.

lab_namespace fsdax
lab_mkfs xfs "$LAB_DEV"
lab_mount "$LAB_DEV" /mnt/pmem dax=inode
lab_setup mkdir /mnt/pmem/dax /mnt/pmem/plain
lab_setup xfs_io -c 'chattr +x' /mnt/pmem/dax

lab_mkfile /mnt/pmem/dax/data $((2 << 20))
lab_mkfile /mnt/pmem/plain/data $((2 << 20))
for f in /mnt/pmem/dax/data /mnt/pmem/plain/data; do
	lab_log xfs_io -r -c 'lsattr -v' "$f"
	lab_log dio-bench --probe "$f"
done
lab_check_statx_dax dax-statx /mnt/pmem/dax/data yes
lab_check_statx_dax plain-statx /mnt/pmem/plain/data no

lab_run -d 'kind is' dax-probe dax-check probe /mnt/pmem/dax/data \
	--expect-kind fsdax --expect-mode fsdax --expect-longterm no
lab_run -d registration dax-register \
	dax-check register /mnt/pmem/dax/data --len $((2 << 20)) --expect refused
lab_run -d 'kind is' plain-probe \
	dax-check probe /mnt/pmem/plain/data --expect-kind none
