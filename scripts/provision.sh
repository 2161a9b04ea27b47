#!/usr/bin/env bash
# Provision a Debian/Ubuntu machine for the course: system packages, Node, kernel mounts.
# Used by .ci/run and by the Vagrantfile, so what CI tests is what students get.
# Idempotent: when everything is already there it only checks and returns.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "provision.sh: run as root (sudo bash scripts/provision.sh)" >&2
  exit 1
fi

packages=(clang llvm libbpf-dev libelf-dev zlib1g-dev pkg-config iproute2 make g++ python3 curl)
# bpftool is its own package on Debian 12 and lives in linux-tools on Ubuntu.
if apt-cache show bpftool >/dev/null 2>&1 || ! command -v apt-cache >/dev/null; then
  packages+=(bpftool)
else
  packages+=("linux-tools-$(uname -r)" linux-tools-common)
fi

bash "$(dirname "$0")/apt-install.sh" "${packages[@]}"

# Node 20+ is needed (node-addon-api, vitest 4). Ubuntu 24.04 ships Node 18, so the
# distribution's node only bootstraps npm, which then installs Node 22 from the npm registry.
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 20 ]; then
  echo "provision: Node.js >= 20 is required; installing it"
  command -v npm >/dev/null || bash "$(dirname "$0")/apt-install.sh" nodejs npm
  npm install -g --no-audit --no-fund --loglevel=error node@22
  hash -r
  [ "$(node_major)" -ge 20 ] || { echo "provision: could not install Node.js >= 20" >&2; exit 1; }
fi

# Kernel filesystems the labs need.
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

echo "provision: ok (clang $(clang -dumpversion), libbpf $(pkg-config --modversion libbpf), node $(node --version))"
