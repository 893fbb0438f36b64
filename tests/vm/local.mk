# tests/vm: the QEMU lab (see tests/vm/README.md once it lands)
