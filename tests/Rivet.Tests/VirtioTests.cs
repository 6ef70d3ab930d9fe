using System.Buffers.Binary;
using System.Text;
using Rivet.Board;
using Rivet.Devices;
using Rivet.Memory;

namespace Rivet.Tests;

/// <summary>
/// virtio-mmio, virtio-blk and virtio-rng: the guest driver of guests/devices/virtio.c against
/// the output QEMU 7.2 gives for it (recorded in guests/devices/*.expected), QEMU's image locks,
/// and broken rings from the guest, which must end in NEEDS_RESET and never in a host exception.
/// </summary>
public sealed class VirtioTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rivet-virtio").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A 1 MiB image whose sectors 0 and 1 start with RIVET-DISK-0 and RIVET-DISK-1, as the guest expects.</summary>
    private string Image(string name = "disk.img")
    {
        byte[] d = new byte[1 << 20];
        Encoding.ASCII.GetBytes("RIVET-DISK-0").CopyTo(d, 0);
        Encoding.ASCII.GetBytes("RIVET-DISK-1").CopyTo(d, 512);
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, d);
        return path;
    }

    [Fact]
    public void GuestDriverSeesWhatItSeesOnQemu()
    {
        string img = Image();
        // QEMU: -drive file=D,format=raw,if=none,id=d -device virtio-blk-device,drive=d,serial=rivet-serial -device virtio-rng-device
        GuestRun run = GuestRun.Of(Repo.Guest("build/devices/virtio.elf"), 1, c => c with
        {
            VirtioDevices = [new VirtioBlkSpec("-device blk", "-drive d", img, false, "rivet-serial"), new VirtioRngSpec("-device rng", null)],
        });
        Assert.True(run.ExitCode == 0, run.Output + run.Diagnostics);
        Assert.Equal(File.ReadAllText(Path.Combine(Repo.Guests, "devices/virtio.expected")), run.Output);
        // The write reached the file (the machine closed the drive at exit).
        byte[] bytes = File.ReadAllBytes(img);
        Assert.Equal("WRITTEN-BY-GUEST", Encoding.ASCII.GetString(bytes, 1024, 16));
        Assert.Equal(1 << 20, bytes.Length);
    }

    [Fact]
    public void ReadOnlyDriveRefusesWritesAsOnQemu()
    {
        string img = Image();
        byte[] before = File.ReadAllBytes(img);
        GuestRun run = GuestRun.Of(Repo.Guest("build/devices/virtio.elf"), 1, c => c with
        {
            VirtioDevices = [new VirtioRngSpec("-device rng", null), new VirtioBlkSpec("-device blk", "-drive d", img, true, null)],
        });
        Assert.True(run.ExitCode == 0, run.Output + run.Diagnostics);
        Assert.Equal(File.ReadAllText(Path.Combine(Repo.Guests, "devices/virtio_ro.expected")), run.Output);
        Assert.Equal(before, File.ReadAllBytes(img));
    }

    [Fact]
    public void ImageLocksFollowQemu()
    {
        string img = Image();
        using (DriveImage.Open(img, readOnly: false))
        {
            Assert.StartsWith("Failed to get \"write\" lock", Assert.Throws<DriveException>(() => DriveImage.Open(img, readOnly: false)).Message);
            Assert.StartsWith("Failed to get shared \"write\" lock", Assert.Throws<DriveException>(() => DriveImage.Open(img, readOnly: true)).Message);
        }
        using (DriveImage.Open(img, readOnly: true))
        {
            using DriveImage second = DriveImage.Open(img, readOnly: true); // readers share
            Assert.Contains($"[{img}]", Assert.Throws<DriveException>(() => DriveImage.Open(img, readOnly: false)).Message);
        }
        using DriveImage again = DriveImage.Open(img, readOnly: false); // closing released the locks
    }

    [Fact]
    public void MissingImageIsOneLineNamingTheDriveOption()
    {
        string missing = Path.Combine(_dir, "none.img");
        var config = new MachineConfig
        {
            KernelImage = File.ReadAllBytes(Repo.Guest("build/devices/virtio.elf")),
            VirtioDevices = [new VirtioBlkSpec("-device virtio-blk-device,drive=d", $"-drive file={missing},if=none,id=d", missing, false, null)],
        };
        var ex = Assert.Throws<ImageException>(() => new Machine.Machine(config, Stream.Null, TextWriter.Null));
        Assert.Equal($"-drive file={missing},if=none,id=d: Could not open '{missing}': No such file or directory", ex.Message);
    }

    [Fact]
    public void EmptySlotsAnswerAsQemus()
    {
        var slot = new VirtioMmio(VirtioMmio.DefaultBase, null);
        Assert.True(slot.Read(0, 4, out ulong magic));
        Assert.Equal(0x74726976UL, magic);
        Assert.True(slot.Read(4, 4, out ulong version));
        Assert.Equal(2UL, version);
        Assert.True(slot.Read(8, 4, out ulong id));
        Assert.Equal(0UL, id);
        Assert.True(slot.Read(0xc, 4, out ulong vendor));
        Assert.Equal(0x554D4551UL, vendor);
        Assert.True(slot.Write(0x70, 4, 0xf)); // ignored
        Assert.True(slot.Read(0x70, 4, out ulong status));
        Assert.Equal(0UL, status);
    }

    /// <summary>A register-level driver over one slot, with its queue in the test's RAM.</summary>
    private sealed class Driver : IDisposable
    {
        public const ulong Ram = 0x80000000, Desc = Ram, Avail = Ram + 0x1000, Used = Ram + 0x2000, Buffers = Ram + 0x3000;
        public readonly PhysicalMemory Memory = new(Ram, 1 << 20, []);
        public readonly VirtioMmio Slot;
        public readonly List<bool> Irq = [];
        private ushort _avail;

        public Driver(IVirtioDevice device)
        {
            Slot = new VirtioMmio(VirtioMmio.DefaultBase, device);
            Slot.Attach(Memory);
            Slot.Irq = Irq.Add;
        }

        public uint Reg(ulong offset)
        {
            Assert.True(Slot.Read(offset, 4, out ulong v));
            return (uint)v;
        }

        public void Set(ulong offset, uint value) => Assert.True(Slot.Write(offset, 4, value));

        public void Start(uint size = 8, bool version1 = true)
        {
            Set(0x70, 0);
            _avail = 0;
            Assert.True(Memory.WriteRam(Avail, new byte[0x2000])); // fresh rings, as a driver that starts again
            Set(0x70, 3);
            Set(0x24, 1);
            Set(0x20, version1 ? 1u : 0u);
            Set(0x70, 3 | 8);
            Set(0x30, 0);
            Set(0x38, size);
            Set(0x80, (uint)Desc);
            Set(0x90, (uint)Avail);
            Set(0xa0, (uint)Used);
            Set(0x44, 1);
            Set(0x70, 3 | 4 | 8);
        }

        public void Descriptor(int i, ulong addr, uint len, ushort flags, ushort next)
        {
            Span<byte> d = stackalloc byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(d, addr);
            BinaryPrimitives.WriteUInt32LittleEndian(d[8..], len);
            BinaryPrimitives.WriteUInt16LittleEndian(d[12..], flags);
            BinaryPrimitives.WriteUInt16LittleEndian(d[14..], next);
            Assert.True(Memory.WriteRam(Desc + 16 * (ulong)i, d));
        }

        /// <summary>Makes the chain at <paramref name="head"/> available (or moves avail.idx by <paramref name="step"/>) and notifies.</summary>
        public void Offer(ushort head, ushort step = 1)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(b, head);
            Assert.True(Memory.WriteRam(Avail + 4 + 2 * (ulong)(_avail % 8), b));
            _avail += step;
            BinaryPrimitives.WriteUInt16LittleEndian(b, _avail);
            Assert.True(Memory.WriteRam(Avail + 2, b));
            Set(0x50, 0);
        }

        public ushort UsedIndex
        {
            get
            {
                Span<byte> b = stackalloc byte[2];
                Assert.True(Memory.ReadRam(Used + 2, b));
                return BinaryPrimitives.ReadUInt16LittleEndian(b);
            }
        }

        public bool NeedsReset => (Reg(0x70) & 0x40) != 0;

        public void Dispose()
        {
            Slot.Dispose();
            Memory.Dispose();
        }
    }

    private const ushort Next = 1, Write = 2, Indirect = 4;

    [Fact]
    public void RngFillsAWritableBufferAndInterrupts()
    {
        using var d = new Driver(new VirtioRng(null));
        d.Start();
        Assert.Equal(4u, d.Reg(8));
        Assert.Equal(8u, d.Reg(0x34)); // QEMU's queue of 8
        Assert.Equal(0xfu, d.Reg(0x70) & 0xf);
        d.Descriptor(0, Driver.Buffers, 256, Write, 0);
        d.Offer(0);
        Assert.Equal(1, d.UsedIndex);
        byte[] got = new byte[256];
        d.Memory.ReadRam(Driver.Buffers, got);
        Assert.True(got.Count(b => b == 0) < 32);
        Assert.Equal(1u, d.Reg(0x60));
        Assert.True(d.Irq[^1]);
        d.Set(0x64, 1);
        Assert.Equal(0u, d.Reg(0x60));
        Assert.False(d.Irq[^1]);
    }

    [Fact]
    public void DriverWithoutVersion1IsRefusedFeaturesOk()
    {
        using var d = new Driver(new VirtioRng(null));
        d.Start(version1: false);
        Assert.Equal(0u, d.Reg(0x70) & 8);
    }

    private static readonly Dictionary<string, Action<Driver>> Breakers = new()
    {
        { "head out of range", d => d.Offer(9) },
        { "next out of range", d => { d.Descriptor(0, Driver.Buffers, 16, Write | Next, 200); d.Offer(0); } },
        { "descriptor loop", d => { d.Descriptor(0, Driver.Buffers, 16, Write | Next, 1); d.Descriptor(1, Driver.Buffers, 16, Write | Next, 0); d.Offer(0); } },
        { "buffer outside RAM", d => { d.Descriptor(0, 0x1000, 16, Write, 0); d.Offer(0); } },
        { "buffer past the end of RAM", d => { d.Descriptor(0, Driver.Ram + (1 << 20) - 8, 16, Write, 0); d.Offer(0); } },
        { "huge length", d => { d.Descriptor(0, Driver.Buffers, uint.MaxValue, Write, 0); d.Offer(0); } },
        { "avail index jumps", d => { d.Descriptor(0, Driver.Buffers, 16, Write, 0); d.Offer(0, step: 100); } },
        { "indirect table of bad size", d => { d.Descriptor(0, Driver.Buffers, 15, Indirect, 0); d.Offer(0); } },
        { "indirect table outside RAM", d => { d.Descriptor(0, 0x10, 64, Indirect, 0); d.Offer(0); } },
        { "indirect in indirect", d =>
            {
                d.Descriptor(0, Driver.Buffers, 16, Indirect, 0);
                byte[] inner = new byte[16];
                BinaryPrimitives.WriteUInt64LittleEndian(inner, Driver.Buffers);
                BinaryPrimitives.WriteUInt32LittleEndian(inner.AsSpan(8), 16);
                BinaryPrimitives.WriteUInt16LittleEndian(inner.AsSpan(12), Indirect);
                d.Memory.WriteRam(Driver.Buffers, inner);
                d.Offer(0);
            }
        },
        { "readable after writable", d => { d.Descriptor(0, Driver.Buffers, 16, Write | Next, 1); d.Descriptor(1, Driver.Buffers, 16, 0, 0); d.Offer(0); } },
    };

    public static TheoryData<string> BrokenRings() => [.. Breakers.Keys];

    [Theory]
    [MemberData(nameof(BrokenRings))]
    public void BrokenRingSetsNeedsResetWithoutAHostException(string what)
    {
        using var d = new Driver(new VirtioRng(null));
        d.Start();
        Breakers[what](d);
        Assert.True(d.NeedsReset, what);
        Assert.Equal(2u, d.Reg(0x60) & 2); // configuration-change interrupt
        Assert.True(d.Irq[^1]);
        d.Set(0x50, 0); // ignored while broken
        // A reset makes it usable again.
        d.Start();
        Assert.False(d.NeedsReset);
        d.Descriptor(0, Driver.Buffers, 16, Write, 0);
        d.Offer(0);
        Assert.Equal(1, d.UsedIndex);
    }

    [Fact]
    public void QueueOutsideRamIsBrokenAtReady()
    {
        using var d = new Driver(new VirtioRng(null));
        d.Set(0x70, 3);
        d.Set(0x24, 1);
        d.Set(0x20, 1);
        d.Set(0x70, 11);
        d.Set(0x38, 8);
        d.Set(0x80, 0x1000); // not RAM
        d.Set(0x44, 1);
        Assert.True(d.NeedsReset);
        Assert.Equal(0u, d.Reg(0x44));
    }

    [Fact]
    public void BlockRequestWithoutHeaderIsBrokenAndBadSectorsAreIoErrors()
    {
        string img = Image();
        using var d = new Driver(new VirtioBlk(DriveImage.Open(img, readOnly: false), null));
        d.Start();
        Assert.Equal(256u, d.Reg(0x34));
        Assert.True(d.Slot.Read(0x100, 8, out ulong capacity));
        Assert.Equal(2048UL, capacity);
        // A read of a sector past the end: IOERR in the status byte, not a broken device.
        byte[] hdr = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(hdr.AsSpan(8), 2048);
        d.Memory.WriteRam(Driver.Buffers, hdr);
        d.Descriptor(0, Driver.Buffers, 16, Next, 1);
        d.Descriptor(1, Driver.Buffers + 0x100, 512, Write | Next, 2);
        d.Descriptor(2, Driver.Buffers + 0x400, 1, Write, 0);
        d.Offer(0);
        Span<byte> status = stackalloc byte[1];
        d.Memory.ReadRam(Driver.Buffers + 0x400, status);
        Assert.Equal(1, status[0]);
        Assert.False(d.NeedsReset);
        // A header of 8 bytes: virtio-blk missing headers.
        d.Descriptor(0, Driver.Buffers, 8, Next, 2);
        d.Offer(0);
        Assert.True(d.NeedsReset);
    }
}
