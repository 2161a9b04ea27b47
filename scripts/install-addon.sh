#!/bin/sh
# npm's install step: builds the native addon where it can work (Linux with libbpf). On a
# laptop that grades in the course VM (macOS, Windows, Linux without libbpf-dev) there is
# nothing to build here, and `npm ci` must still succeed so `npm run grade` can forward.
if [ "$(uname -s)" != Linux ]; then
  echo "install: not Linux, skipping the BPF addon (grading runs in the course VM)"
  exit 0
fi
if ! pkg-config --exists libbpf 2>/dev/null; then
  echo "install: libbpf-dev is missing, skipping the BPF addon (run: sudo bash scripts/provision.sh)"
  exit 0
fi
exec node-gyp rebuild --silent
