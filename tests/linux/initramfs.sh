#!/usr/bin/env bash
# Builds the test initramfs from what fetch.sh unpacked: busybox-static, the kernel's own modules
# for what Debian builds as modules (virtio-mmio, virtio-blk, virtio-rng, ext4 and its
# dependencies; decompressed here, since busybox's insmod takes plain .ko files) and an /init that
# prints one marker line of facts the tests check, then powers off (rivet.test=1), reboots
# (rivet.test=reboot) or starts a shell on the console (no rivet.test).
# Usage: tests/linux/initramfs.sh ROOT OUT   (ROOT: fetch.sh's DEST/root; OUT: the cpio file)
set -euo pipefail
if [ $# -ne 2 ]; then
    echo "usage: $0 ROOT OUT" >&2
    exit 2
fi
root=$(cd "$1" && pwd)
out=$2
for tool in cpio xz; do
    command -v "$tool" >/dev/null || { echo "initramfs.sh: $tool not found (apt-get install cpio xz-utils)" >&2; exit 1; }
done
moddir=$(ls -d "$root"/usr/lib/modules/*/ 2>/dev/null | head -n 1)
moddir=${moddir%/}
[ -n "$moddir" ] || { echo "initramfs.sh: no usr/lib/modules/VERSION under $root (run fetch.sh)" >&2; exit 1; }
[ -x "$root/usr/bin/busybox" ] || { echo "initramfs.sh: no usr/bin/busybox under $root (run fetch.sh)" >&2; exit 1; }
release=$(basename "$moddir")
config="$root/boot/config-$release"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tree="$work/tree"
mkdir -p "$tree"/{bin,sbin,dev,proc,sys,mnt,tmp,lib/modules,usr/bin,usr/sbin}
cp "$root/usr/bin/busybox" "$tree/bin/busybox"

# Modules: the wanted ones that the config builds as modules (=m), each after what it depends on
# (the "depends=" field of its .modinfo), in three groups /init loads as needed: the virtio-mmio
# transport always, virtio-rng when there is an entropy device, virtio-blk and ext4 when there is
# a block device (loading ext4 and jbd2, 8 MB, is most of /init's time on a slow emulator).
# crc32c_generic is what ext4's crc32c transform loads at mount time through request_module,
# which has no modprobe here.
declare -A groups=([transport]="virtio_mmio" [rng]="virtio-rng" [blk]="virtio_blk crc32c_generic ext4")
declare -A seen=()
order=()
find_module() { find "$moddir/kernel" \( -name "$1.ko" -o -name "$1.ko.xz" -o -name "${1//_/-}.ko.xz" -o -name "${1//-/_}.ko.xz" \) | head -n 1; }
modinfo_depends() {
    case "$1" in
        *.xz) xz -dc "$1" ;;
        *) cat "$1" ;;
    esac | tr '\0' '\n' | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '
}
add_module() {
    local name=$1 file dep
    [ -z "${seen[$name]:-}" ] || return 0
    seen[$name]=1
    file=$(find_module "$name")
    if [ -z "$file" ]; then
        echo "initramfs.sh: module $name not found under $moddir (built in?)" >&2
        return 1
    fi
    for dep in $(modinfo_depends "$file"); do add_module "$dep"; done
    order+=("$file")
}
for group in transport rng blk; do
    order=()
    for m in ${groups[$group]}; do
        # Built into the kernel: nothing to load.
        sym=$(echo "$m" | tr 'a-z-' 'A-Z_')
        case "$m" in
            virtio-rng) sym=HW_RANDOM_VIRTIO ;;
            crc32c_generic) sym=CRYPTO_CRC32C ;;
            ext4) sym=EXT4_FS ;;
        esac
        if [ -f "$config" ] && grep -q "^CONFIG_$sym=y" "$config"; then
            echo "initramfs.sh: $m is built in"
            continue
        fi
        add_module "$m"
    done
    : > "$tree/lib/modules/$group"
    for file in "${order[@]}"; do
        base=$(basename "$file")
        base=${base%.xz}
        case "$file" in
            *.xz) xz -dc "$file" > "$tree/lib/modules/$base" ;;
            *) cp "$file" "$tree/lib/modules/$base" ;;
        esac
        echo "$base" >> "$tree/lib/modules/$group"
    done
    echo "initramfs.sh: modules ($group): $(tr '\n' ' ' < "$tree/lib/modules/$group")"
done

cat > "$tree/init" <<'INIT'
#!/bin/busybox sh
# The Rivet test /init: facts on one line (RIVET-INIT ...), then poweroff, reboot or a shell.
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Each step in the kernel log: its timestamps show where a slow boot spends its time.
step() { echo "rivet-init: $*" > /dev/kmsg; }
load() {
    for m in $(cat /lib/modules/$1); do
        step "insmod $m"
        insmod /lib/modules/$m || echo "RIVET-INIT-ERROR insmod $m failed"
    done
}
# virtio device ids (virtio spec 5): 2 block, 4 entropy.
has_virtio() { grep -qx "$1" /sys/bus/virtio/devices/*/device 2>/dev/null; }
load transport
if has_virtio 0x0004; then load rng; fi
if has_virtio 0x0002; then load blk; fi
step "modules loaded"
mode=shell
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        rivet.test=1) mode=poweroff ;;
        rivet.test=reboot) mode=reboot ;;
    esac
done
online=$(cat /sys/devices/system/cpu/online)
ncpu=$(grep -c '^processor' /proc/cpuinfo)
rtc=none
if [ -r /sys/class/rtc/rtc0/since_epoch ]; then rtc=$(cat /sys/class/rtc/rtc0/since_epoch); fi
rng=none
step "reading /dev/hwrng"
if [ -c /dev/hwrng ]; then
    rng=$(timeout 10 dd if=/dev/hwrng bs=16 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n')
    [ -n "$rng" ] || rng=unreadable
    rng="$(cat /sys/class/misc/hw_random/rng_current):$rng"
fi
# A virtio block device (virtio device id 2) may show as /dev/vda a little after its probe.
if has_virtio 0x0002; then
    n=0
    while [ ! -b /dev/vda ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
fi
step "disk"
vda=no
diskin=none
diskout=no
if [ -b /dev/vda ]; then
    vda="$(cat /sys/block/vda/size)s"
    if mount -t ext4 /dev/vda /mnt; then
        [ -f /mnt/hello.txt ] && read -r diskin < /mnt/hello.txt
        echo "written by $(uname -r) on $ncpu harts" > /mnt/guest.txt && sync && diskout=yes
        umount /mnt || diskout=umount-failed
    else
        diskin=mount-failed
    fi
fi
echo "RIVET-INIT online=$online ncpu=$ncpu release=$(uname -r) rtc=$rtc hwrng=$rng vda=$vda disk-in=$diskin disk-out=$diskout"
case "$mode" in
    poweroff) poweroff -f ;;
    reboot) reboot -f ;;
esac
echo "RIVET-SHELL"
setsid cttyhack sh
poweroff -f
INIT
chmod +x "$tree/init"

mkdir -p "$(dirname "$out")"
(cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) > "$out.tmp"
mv "$out.tmp" "$out"
echo "initramfs.sh: wrote $out ($(stat -c %s "$out") bytes)"
