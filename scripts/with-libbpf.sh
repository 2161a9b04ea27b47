#!/usr/bin/env bash
# Makes a copy of the course whose addon is linked against another libbpf release than the
# system's, built from Debian's source tarball: Debian 12 (this machine, CI) has libbpf 1.1,
# the students' Ubuntu 24.04 VMs have 1.3, so the addon must build and behave the same on
# newer releases. libbpf is linked statically, so the copy never loads the system's libbpf.so.
#
#   usage: scripts/with-libbpf.sh <version> <dest-dir>      (then run tests inside <dest-dir>)
#
# The build of libbpf is cached in $EBPF_COURSE_CACHE (default /var/cache/ebpf-course as root,
# else ~/.cache/ebpf-course). <dest-dir> is replaced.
set -euo pipefail

version=${1:-}
dest=${2:-}
if [ -z "$version" ] || [ -z "$dest" ]; then
  echo "usage: $0 <libbpf version> <dest-dir>" >&2
  exit 2
fi

# Debian's pool keeps only the releases some Debian suite ships; each one is pinned here.
declare -A sha256=(
  [1.5.0]=53492aff6dd47e4da04ef5e672d753b9743848bdb38e9d90eafbe190b7983c44
)
if [ -z "${sha256[$version]:-}" ]; then
  echo "with-libbpf: no pinned checksum for libbpf $version (known: ${!sha256[*]})" >&2
  exit 2
fi

repo=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -eq 0 ]; then default_cache=/var/cache/ebpf-course; else default_cache=$HOME/.cache/ebpf-course; fi
prefix=${EBPF_COURSE_CACHE:-$default_cache}/libbpf-$version

# .complete marks a finished build: an interrupted one is redone.
if [ ! -f "$prefix/.complete" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  tarball=libbpf_$version.orig.tar.gz
  # The Debian mirror and proxy apt is set up with (the way the kernel matrix downloads).
  mirror=$(apt-get indextargets --format '$(REPO_URI)' 2>/dev/null | grep -m1 '/debian/$' || echo http://deb.debian.org/debian/)
  eval "$(apt-config shell apt_proxy Acquire::http::Proxy 2>/dev/null || true)"
  curl -fsSL --retry 3 ${apt_proxy:+--proxy "$apt_proxy"} -o "$work/$tarball" "${mirror}pool/main/libb/libbpf/$tarball"
  echo "${sha256[$version]}  $work/$tarball" | sha256sum --check --quiet
  tar -xzf "$work/$tarball" -C "$work"
  # Static only, position-independent: it ends up inside the addon's shared object.
  # (libbpf.pc records the prefix, so the build goes straight to where it stays.)
  rm -rf "$prefix"
  make -C "$work/libbpf-$version/src" -j"$(nproc)" BUILD_STATIC_ONLY=1 EXTRA_CFLAGS=-fPIC \
    OBJDIR="$work/obj" PREFIX="$prefix" LIBDIR="$prefix/lib" install >/dev/null
  touch "$prefix/.complete"
fi

# The course's own files (tracked, and new ones not ignored), without build output.
rm -rf "$dest"
mkdir -p "$dest"
(cd "$repo" && git ls-files --cached --others --exclude-standard -z | tar --null -T - -cf -) | tar -xf - -C "$dest"
ln -s "$repo/node_modules" "$dest/node_modules"

# pkg-config finds this libbpf first; only libbpf.a is in its lib/, so -lbpf links it in.
cd "$dest"
PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" npx --no-install node-gyp rebuild --silent >/dev/null
npx --no-install tsx bpf/build.ts >/dev/null
echo "with-libbpf: $dest has the addon linked against libbpf $version"
