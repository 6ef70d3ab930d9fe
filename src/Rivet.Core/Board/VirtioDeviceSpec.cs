namespace Rivet.Board;

/// <summary>
/// A -device on the virtio-mmio bus. The board fills the slots in command-line order from the
/// highest (0x10008000) down, as QEMU 7.2's virt does. <see cref="Origin"/> is the option as
/// given, for error messages.
/// </summary>
public abstract record VirtioDeviceSpec(string Origin);

/// <summary>virtio-blk-device on a raw image (-drive file=F,format=raw[,readonly=on]); <paramref name="DriveOrigin"/> is the -drive option.</summary>
public sealed record VirtioBlkSpec(string Origin, string DriveOrigin, string File, bool ReadOnly, string? Serial) : VirtioDeviceSpec(Origin);

/// <summary>virtio-rng-device; <paramref name="Filename"/> is rng-random's file, or null for the host's generator.</summary>
public sealed record VirtioRngSpec(string Origin, string? Filename) : VirtioDeviceSpec(Origin);
