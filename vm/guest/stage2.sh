# Stage 2, pid 1 in the overlay root: the host's filesystem, writable in memory. Mounts what
# BPF programs and Node need, runs the job's command as root in the project directory with
# its stdout and stderr on their own ports, reports the exit status, and powers off.
bb=/.ebpf-vm/busybox
. /.ebpf-vm/env.sh

fail() {
  echo "vm-stage2: $*" >&2
  echo "boot-failed $*" > /dev/vm-status
  $bb poweroff -f
}

$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mkdir -p /dev/pts /dev/shm
$bb mount -t devpts devpts /dev/pts
$bb mount -t tmpfs tmpfs /dev/shm
$bb mount -t tmpfs -o mode=0755 tmpfs /run
# /tmp stays the host's, seen through the overlay: writes land in guest memory, and tsx
# finds the transforms the host already cached there (a fresh /tmp made every TypeScript
# file go through esbuild again, which under TCG costs seconds per process).
$bb mount -t tracefs tracefs /sys/kernel/tracing || fail "cannot mount tracefs"
$bb mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
$bb mount -t bpf bpf /sys/fs/bpf || fail "cannot mount bpffs"
$bb mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null

# modprobe (the host's kmod) looks for this kernel's modules under /lib/modules/$(uname -r).
$bb mkdir -p "/lib/modules/$VM_RELEASE"
$bb mount --bind "$VM_MODULES_DIR" "/lib/modules/$VM_RELEASE" || fail "cannot bind the kernel modules"

$bb mkdir -p "$VM_PROJECT_DIR"
$bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose project "$VM_PROJECT_DIR" ||
  fail "cannot mount the project directory over 9p"

$bb hostname ebpf-vm
$bb ip link set lo up

cd "$VM_CWD" || fail "no such directory in the guest: $VM_CWD"
echo started > /dev/vm-status
# The host's env and sh, not busybox's: busybox sh would run its own applets (date, sh,
# false...) in place of the host's programs the command names.
/usr/bin/env -i /bin/sh /.ebpf-vm/command.sh < /dev/null > /dev/vm-stdout 2> /dev/vm-stderr
echo "exit $?" > /dev/vm-status
$bb sync
$bb poweroff -f
