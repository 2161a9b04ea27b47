#!/usr/bin/env bash
# Installs the Debian packages named as arguments that are not installed yet; quiet and quick
# when all are. Shared by provision.sh, vm/provision-vm.sh and .ci/run. Waits for another
# apt/dpkg run to finish instead of failing on its lock.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

echo "installing ${missing[*]}"
apt-get -o DPkg::Lock::Timeout=300 update -qq
# --no-install-recommends: recommends pull in desktops (QEMU), kernels (vagrant) and more.
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
