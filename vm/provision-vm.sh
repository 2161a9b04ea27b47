#!/usr/bin/env bash
# What the VM runner (vm/) needs on the host: QEMU, a static busybox for the initramfs, kmod
# (depmod on the host, modprobe in the guest, which runs the host's userland), and the
# decompressors for Debian's kernels and modules (xz for 6.1, zstd for 6.12). Idempotent.
# Kernels themselves are not installed: vm/kernels.ts fetches them with apt-get download.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "provision-vm.sh: run as root (sudo bash vm/provision-vm.sh)" >&2
  exit 1
fi

case "$(uname -m)" in
  x86_64) qemu=qemu-system-x86 ;;
  *) echo "provision-vm.sh: the VM runner supports x86_64 hosts only (this is $(uname -m))" >&2; exit 1 ;;
esac

packages=("$qemu" busybox-static kmod xz-utils zstd)
bash "$(dirname "$0")/../scripts/apt-install.sh" "${packages[@]}"

echo "provision-vm: ok ($(qemu-system-x86_64 --version | head -1))"
