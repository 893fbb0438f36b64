# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# lab-about: a devdax namespace, /dev/dax0.0: what each kernel lets io_uring pin
# lab-machine: nvdimm
# lab-modules: nfit nd_pmem dax_pmem device_dax
# lab-tools: ndctl
#
# Device-DAX has no filesystem behind it: the kernel may pin its pages
# long-term, and pindio's probe says so.  Whether io_uring takes them
# depends on the kernel: before 6.5 io_uring refused every file-backed
# mapping that is neither shmem nor hugetlbfs (io_pin_pages(): "don't
# support file backed memory", EOPNOTSUPP), device-DAX included; from 6.5
# on it leaves the decision to GUP, which allows it.

# Expected answers, by kernel version (lab_pick: the value of the first
# VERSION the running kernel is at least; 0 is any kernel).
# The kernel's own answer (dax-check --kernel, raw liburing):
expect_kernel=$(lab_pick 6.5=allowed 0=refused)
# pindio's answer, and before 6.5 its explanation of the kernel's refusal:
expect_pindio=$(lab_pick 6.5=allowed 0=refused)

lab_namespace devdax
align=$(lab_dax_align "$LAB_DEV")
lab_note "$LAB_DEV alignment: $align bytes; expecting the kernel to say" \
	"$expect_kernel, pindio $expect_pindio"
lab_log ndctl list -N -X
lab_log dio-bench --probe "$LAB_DEV"

lab_run -d 'kind is' probe dax-check probe "$LAB_DEV" \
	--expect-kind devdax --expect-mode devdax --expect-longterm yes
lab_run -d registration register \
	dax-check register "$LAB_DEV" --len "$align" --expect "$expect_pindio" \
	--expect-message "before Linux 6.5"
# Device-DAX pages are compound pages of the device's alignment, charged
# whole as huge pages are: 4 KiB registered costs $align of VmPin, and
# pindio's account must say so and agree with VmPin.
if [ "$expect_pindio" = allowed ]; then
	lab_run -d charged register-4k-charge \
		dax-check register "$LAB_DEV" --len "$align" --reg-len 4096 \
		--expect allowed --expect-charge "$align"
fi
lab_run -d IORING_REGISTER_BUFFERS kernel \
	dax-check register "$LAB_DEV" --len "$align" --kernel \
	--expect "$expect_kernel"
