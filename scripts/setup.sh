#!/usr/bin/env bash
# Makes the checkout ready to grade or test: system packages (as root), npm packages, the
# addon and the BPF objects. Runs before `npm run grade`, `npm test` and `npm run bench`;
# quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Where BPF cannot run (macOS, Windows, a kernel without BTF) the grader forwards to the
# course VM: only the npm packages are needed here, not the toolchain or the addon.
local_bpf=yes
if [ "$(uname -s)" != Linux ] || [ ! -e /sys/kernel/btf/vmlinux ]; then
  local_bpf=no
elif [ "$(id -u)" -eq 0 ]; then
  bash scripts/provision.sh >/dev/null
elif ! command -v clang >/dev/null || ! command -v bpftool >/dev/null; then
  echo "setup: clang/bpftool missing; run once as root: sudo bash scripts/provision.sh" >&2
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

[ "$local_bpf" = yes ] || exit 0

# The addon is rebuilt when a native source is newer than it.
# Under a lock: two setups at once (a test run and a grade) must not rebuild it together.
addon=build/Release/bpf_addon.node
(
  flock 9
  # configure + build, not rebuild: rebuild deletes build/ first, and a test or grade running
  # meanwhile would find no addon at all. make then recompiles only what changed.
  if [ ! -f build/Makefile ] || [ binding.gyp -nt build/Makefile ]; then
    npx --no-install node-gyp configure --silent >/dev/null
  fi
  if [ ! -f "$addon" ] || [ -n "$(find native/src binding.gyp -newer "$addon" 2>/dev/null | head -1)" ]; then
    npx --no-install node-gyp build --silent >/dev/null
  fi
) 9>"${TMPDIR:-/tmp}/ebpf-course-addon-$(id -u).lock"  # not in build/: rebuild deletes it

# BPF objects: only changed sources recompile. A student's compile error must not stop the
# grader (it reports it per lab), so failures here are not fatal.
npx --no-install tsx bpf/build.ts >/dev/null 2>&1 || true
