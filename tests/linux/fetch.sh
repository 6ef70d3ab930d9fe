#!/usr/bin/env bash
# Fetches Debian trixie's riscv64 Linux kernel (linux-image-riscv64 and the versioned
# linux-image-6.12.*-riscv64 it depends on) and busybox-static with `apt-get download`, through a
# private apt configuration under DEST (own sources, state and cache; architecture riscv64, suite
# trixie, the same archive this machine's apt uses), then unpacks them with dpkg-deb -x into
# DEST/root. Idempotent: does nothing when DEST/root already holds both (DEST/.fetched).
# Usage: tests/linux/fetch.sh DEST
set -euo pipefail
if [ $# -ne 1 ]; then
    echo "usage: $0 DEST" >&2
    exit 2
fi
mkdir -p "$1"
dest=$(cd "$1" && pwd)
root="$dest/root"
if [ -f "$dest/.fetched" ] && [ -d "$root" ]; then
    echo "fetch.sh: already fetched: $(cat "$dest/.fetched")"
    exit 0
fi
for tool in apt-get dpkg-deb; do
    command -v "$tool" >/dev/null || { echo "fetch.sh: $tool not found (this needs a Debian host)" >&2; exit 1; }
done

# The archive: the first http(s) Debian mirror this machine's apt uses (deb822 .sources or
# one-line .list); deb.debian.org if none is found.
mirror=
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    m=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) { print $i; exit } }' "$f")
    if [ -n "$m" ]; then mirror=$m; break; fi
done
if [ -z "$mirror" ]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        m=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) { print $i; exit } }' "$f")
        if [ -n "$m" ]; then mirror=$m; break; fi
    done
fi
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [ ! -f "$keyring" ]; then
    echo "fetch.sh: $keyring missing (apt-get install debian-archive-keyring)" >&2
    exit 1
fi

apt="$dest/apt"
mkdir -p "$apt/etc/apt.conf.d" "$apt/etc/preferences.d" "$apt/etc/sources.list.d" \
    "$apt/state/lists/partial" "$apt/cache/archives/partial" "$dest/debs"
touch "$apt/state/status"
cat > "$apt/etc/sources.list" <<SOURCES
deb [arch=riscv64 signed-by=$keyring] $mirror trixie main
SOURCES
# The whole configuration is ours (APT_CONFIG is read before any other file, and it moves
# Dir::Etc away from /etc/apt), so nothing of the host's apt setup leaks in.
cat > "$apt/apt.conf" <<CONF
Dir::Etc "$apt/etc";
Dir::Etc::sourcelist "$apt/etc/sources.list";
Dir::Etc::sourceparts "$apt/etc/sources.list.d";
Dir::Etc::parts "$apt/etc/apt.conf.d";
Dir::Etc::preferencesparts "$apt/etc/preferences.d";
Dir::State "$apt/state";
Dir::State::status "$apt/state/status";
Dir::Cache "$apt/cache";
APT::Architecture "riscv64";
APT::Architectures { "riscv64"; };
Acquire::Languages "none";
Debug::NoLocking "true";
APT::Sandbox::User "$(id -un)";
CONF
export APT_CONFIG="$apt/apt.conf"
echo "fetch.sh: apt-get update (trixie riscv64 from $mirror)"
apt-get -q update

# linux-image-riscv64 is a metapackage: its Depends names the versioned image.
image=$(apt-cache depends linux-image-riscv64 | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
if [ -z "$image" ]; then
    echo "fetch.sh: linux-image-riscv64 names no versioned linux-image-* package" >&2
    exit 1
fi
echo "fetch.sh: downloading $image busybox-static"
(cd "$dest/debs" && apt-get -q download "$image" busybox-static)

rm -rf "$root.tmp"
mkdir -p "$root.tmp"
for deb in "$dest"/debs/*.deb; do
    echo "fetch.sh: unpacking $(basename "$deb")"
    dpkg-deb -x "$deb" "$root.tmp"
done
rm -rf "$root"
mv "$root.tmp" "$root"
kernel=$(cd "$root/boot" && ls vmlinu[xz]-* | head -n 1)
echo "$image ($kernel)" > "$dest/.fetched"
echo "fetch.sh: done: $root/boot/$kernel"
