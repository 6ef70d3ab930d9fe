#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine (as root) or a developer's checkout:
# installs the RISC-V cross toolchain if it is missing, builds the guest programs, runs every test.
set -euo pipefail
cd "$(dirname "$0")"
# cc builds the rivet launcher (src/Rivet.Cli/Launcher), which the process tests run; gcc builds
# the floating-point reference (tests/fpref/fpref.c) for SoftFloatDifferentialTests.
# The boot tests run qemu-system-riscv64 and Debian's dtc, OpenSBI and U-Boot beside rivet; the
# Linux boot tests (tests/Rivet.Boot.Tests) build the initramfs with cpio and xz, and the disk
# image with mke2fs (read back with debugfs); they fetch the kernel themselves.
# The gdb stub tests drive Debian's gdb-multiarch against rivet and qemu-system-riscv64.
if ! command -v riscv64-unknown-elf-gcc >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1 || ! command -v gcc >/dev/null 2>&1 \
    || ! command -v qemu-system-riscv64 >/dev/null 2>&1 || ! command -v dtc >/dev/null 2>&1 \
    || [ ! -e /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin ] || [ ! -e /usr/lib/u-boot/qemu-riscv64_smode/uboot.elf ] \
    || ! command -v gdb-multiarch >/dev/null 2>&1 || ! command -v cpio >/dev/null 2>&1 || ! command -v xz >/dev/null 2>&1 || ! PATH="$PATH:/usr/sbin:/sbin" command -v debugfs >/dev/null 2>&1; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gcc-riscv64-unknown-elf make gcc libc6-dev \
        qemu-system-misc device-tree-compiler opensbi u-boot-qemu cpio xz-utils e2fsprogs debian-archive-keyring gdb-multiarch
fi
make -s -C guests
# The built-in demo is checked in (so running rivet needs no cross compiler); it must match its source.
if ! cmp -s guests/build/demo/demo.elf src/Rivet.Cli/demo.elf; then
    echo "test.sh: src/Rivet.Cli/demo.elf differs from guests/demo/demo.c's build; copy guests/build/demo/demo.elf over it" >&2
    exit 1
fi
# The plugin API package and the dotnet new template (docs/PLUGINS.md, "Writing a plugin in
# five commands"): build/packages/Rivet.Plugins.Api.2.0.0.nupkg and Rivet.Plugins.Templates.2.0.0.nupkg.
dotnet pack src/Rivet.Plugins.Api -c Release -o build/packages -nologo -v q
dotnet pack templates/Rivet.Plugins.Templates -c Release -o build/packages -nologo -v q
echo "test.sh: packages in build/packages: $(cd build/packages && echo *.nupkg)"
# The whole suite runs twice (issue 16): first with the default engine (the translator), then with
# RIVET_ENGINE=interp exported, which in-process machines read through MachineConfig's default and
# child rivet processes inherit; the interpreter is the reference the translator must match.
# Built once, tested twice (--no-build): a second build between the runs would only race the
# test projects' own builds of src/Rivet.Cli, whose ReadyToRun images the tests check.
dotnet build Rivet.slnx -c Release -nologo -v q
logs=()
status=0
summary() {
    # One plain summary line for CI, summed over the test assemblies of the logs given.
    awk '/^(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Passed:") p += $(i+1); if ($i == "Failed:") f += $(i+1) } }
         END { gsub(",", "", p); printf "tests: %d passed, %d failed\n", p, f }' "$@"
}
for engine in translator interpreter; do
    log=$(mktemp)
    logs+=("$log")
    echo "test.sh: suite with the $engine"
    run=0
    # The status is dotnet test's (with pipefail, the pipeline fails if it does; tee's would be 0).
    if [ "$engine" = interpreter ]; then
        RIVET_ENGINE=interp dotnet test Rivet.slnx -c Release --no-build 2>&1 | tee "$log" || run=$?
    else
        # Whatever the caller's environment says, this run is the translator's.
        env -u RIVET_ENGINE dotnet test Rivet.slnx -c Release --no-build 2>&1 | tee "$log" || run=$?
    fi
    [ "$run" -eq 0 ] || status=$run
    echo "test.sh: with the $engine: $(summary "$log")"
done
summary "${logs[@]}"
rm -f "${logs[@]}"
exit "$status"
