# Man pages; included by the top-level Makefile.am (non-recursive build).
#
# Every symbol in src/libpindio.sym has its own man/<symbol>.3, and
# tests/check-exports.sh fails when one is missing.  Closely related
# functions share a page: the other names are one-line files
# ".so man3/<page>.3", which man(1) resolves once they are installed.
#
# Paths are relative to the top source directory; each page is installed
# as $(mandir)/man<section>/<file name>.

dist_man_MANS = \
	man/dio-bench.1 \
	man/fio-pindio.7 \
	man/pindio.7 \
	man/pindio_ctx_new.3 \
	man/pindio_ctx_ref.3 \
	man/pindio_ctx_unref.3 \
	man/pindio_ctx_get_queue_depth.3 \
	man/pindio_ctx_get_flags.3 \
	man/pindio_ctx_get_inflight.3 \
	man/pindio_ctx_get_backend.3 \
	man/pindio_backend_name.3 \
	man/pindio_ctx_get_fallback_reason.3 \
	man/pindio_ctx_last_error.3 \
	man/pindio_ctx_submit.3 \
	man/pindio_ctx_reap.3 \
	man/pindio_ctx_get_pin_stats.3 \
	man/pindio_process_get_pin_stats.3 \
	man/pindio_ctx_check_pins.3 \
	man/pindio_ctx_dump_pins.3 \
	man/pindio_ctx_clone_bufs.3 \
	man/pindio_set_log_fn.3 \
	man/pindio_set_log_priority.3 \
	man/pindio_get_log_priority.3 \
	man/pindio_file_open.3 \
	man/pindio_file_ref.3 \
	man/pindio_file_unref.3 \
	man/pindio_file_adopt.3 \
	man/pindio_file_get_fd.3 \
	man/pindio_file_get_mem_align.3 \
	man/pindio_file_get_offset_align.3 \
	man/pindio_file_get_size.3 \
	man/pindio_file_get_fixed_index.3 \
	man/pindio_file_read.3 \
	man/pindio_file_write.3 \
	man/pindio_file_pread.3 \
	man/pindio_file_pwrite.3 \
	man/pindio_file_read_fixed.3 \
	man/pindio_file_write_fixed.3 \
	man/pindio_file_readv.3 \
	man/pindio_file_writev.3 \
	man/pindio_file_preadv.3 \
	man/pindio_file_pwritev.3 \
	man/pindio_file_splice.3 \
	man/pindio_file_splice_sync.3 \
	man/pindio_buf_alloc.3 \
	man/pindio_buf_ref.3 \
	man/pindio_buf_unref.3 \
	man/pindio_buf_register.3 \
	man/pindio_buf_release.3 \
	man/pindio_buf_get_addr.3 \
	man/pindio_buf_get_len.3 \
	man/pindio_buf_get_index.3 \
	man/pindio_buf_get_info.3 \
	man/pindio_buf_get_first.3 \
	man/pindio_buf_get_next.3 \
	man/pindio_buf_foreach.3 \
	man/pindio_dax_kind_name.3 \
	man/pindio_dax_probe.3 \
	man/pindio_dax_probe_fd.3 \
	man/pindio_dax_probe_range.3
