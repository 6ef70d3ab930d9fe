using System.Buffers.Binary;
using Rivet.Memory;

namespace Rivet.Board;

/// <summary>
/// QEMU virt's mask ROM at 0x1000 (riscv_virt_board.mrom) holding what QEMU 7.2's
/// riscv_setup_rom_reset_vec writes: the reset vector (auipc t0; addi a2, t0, 40; csrr a0,
/// mhartid; ld a1, 32(t0); ld t0, 24(t0); jr t0; the start and device tree addresses) and, right
/// after it at 0x1028, OpenSBI's fw_dynamic_info (magic, version 2, next address, next mode S,
/// options 0, boot hart 0). Harts start at 0x1000 and execute it; reads see those bytes; writes
/// are dropped, as on QEMU's ROM.
/// </summary>
internal sealed class ResetRom : IRomDevice
{
    public const ulong DefaultBase = 0x1000, DefaultSize = 0xF000;
    public const int ResetVectorSize = 40;
    /// <summary>Where a2 points: the fw_dynamic_info right after the reset vector.</summary>
    public const ulong FwDynamicInfo = DefaultBase + ResetVectorSize;
    public const ulong FwDynamicMagic = 0x4942534F, FwDynamicVersion = 2, NextModeS = 1;

    private readonly byte[] _bytes = new byte[DefaultSize];

    private int _generation;

    public string Name => "riscv_virt_board.mrom";
    public ReadOnlySpan<byte> Contents => _bytes;
    public int Generation => Volatile.Read(ref _generation);
    public ulong Base => DefaultBase;
    public ulong Size => DefaultSize;

    /// <summary>Writes the reset vector and fw_dynamic_info for this boot.</summary>
    public void Program(ulong startAddress, ulong fdtAddress, ulong kernelEntry)
    {
        uint[] vector =
        [
            0x00000297, // auipc t0, 0
            0x02828613, // addi  a2, t0, 40 (fw_dyn)
            0xf1402573, // csrr  a0, mhartid
            0x0202b583, // ld    a1, 32(t0) (the device tree)
            0x0182b283, // ld    t0, 24(t0) (the start address)
            0x00028067, // jr    t0
            (uint)startAddress, (uint)(startAddress >> 32),
            (uint)fdtAddress, (uint)(fdtAddress >> 32),
        ];
        Array.Clear(_bytes);
        for (int i = 0; i < vector.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(_bytes.AsSpan(i * 4), vector[i]);
        ulong[] info = [FwDynamicMagic, FwDynamicVersion, kernelEntry, NextModeS, 0, 0];
        for (int i = 0; i < info.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(_bytes.AsSpan(ResetVectorSize + i * 8), info[i]);
        Interlocked.Increment(ref _generation); // harts decode the ROM afresh
    }

    public bool Read(ulong offset, int size, out ulong value)
    {
        value = 0;
        for (int i = size - 1; i >= 0; i--) value = (value << 8) | _bytes[(int)offset + i];
        return true;
    }

    public bool Write(ulong offset, int size, ulong value) => true;

    public void Reset()
    {
    }
}
