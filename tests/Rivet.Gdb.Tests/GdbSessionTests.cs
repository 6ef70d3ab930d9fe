using System.Text;
using Rivet.Plugins.Hosting;

namespace Rivet.Gdb.Tests;

/// <summary>The session's packets with a fake target; the replies are QEMU 7.2's (captured live with a raw client).</summary>
public sealed class GdbSessionTests
{
    private static string Hex(string text) => Convert.ToHexStringLower(Encoding.ASCII.GetBytes(text));

    private static string Le(ulong v) => Convert.ToHexStringLower(BitConverter.GetBytes(v));

    [Fact]
    public void QSupportedAdvertisesQemusFeaturesAndNoAck()
    {
        using var h = new SessionHarness();
        Assert.Equal("PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+;QStartNoAckMode+", h.Client.Ask("qSupported:multiprocess+;swbreak+"));
        Assert.Equal("", h.Client.Ask("vMustReplyEmpty"));
    }

    [Fact]
    public void ThreadIdsAreMultiprocessOnlyWhenGdbOffersIt()
    {
        using (var h = new SessionHarness().Handshake(multiprocess: true))
        {
            Assert.Equal("T05thread:p01.01;", h.Client.Ask("?"));
            Assert.Equal("mp01.01", h.Client.Ask("qfThreadInfo"));
            Assert.Equal("mp01.02", h.Client.Ask("qsThreadInfo"));
            Assert.Equal("l", h.Client.Ask("qsThreadInfo"));
            Assert.Equal("QCp01.01", h.Client.Ask("qC"));
        }
        using (var h = new SessionHarness().Handshake(multiprocess: false))
        {
            Assert.Equal("T05thread:01;", h.Client.Ask("?"));
            Assert.Equal("m01", h.Client.Ask("qfThreadInfo"));
            Assert.Equal("m02", h.Client.Ask("qsThreadInfo"));
            Assert.Equal("l", h.Client.Ask("qsThreadInfo"));
        }
    }

    [Fact]
    public void QueriesAnswerAsQemu()
    {
        var target = new FakeTarget(3);
        target.Halted.Add(2);
        using var h = new SessionHarness(target).Handshake();
        Assert.Equal("1", h.Client.Ask("qAttached"));
        Assert.Equal("1", h.Client.Ask("qAttached:1"));
        Assert.Equal("", h.Client.Ask("qOffsets"));
        Assert.Equal("", h.Client.Ask("qSymbol::"));
        Assert.Equal("", h.Client.Ask("qTStatus"));
        Assert.Equal(Hex("CPU#0 [running]"), h.Client.Ask("qThreadExtraInfo,p1.1"));
        Assert.Equal(Hex("CPU#2 [halted ]"), h.Client.Ask("qThreadExtraInfo,p1.3"));
        Assert.Equal("E22", h.Client.Ask("qThreadExtraInfo,p1.9"));
        Assert.Equal("vCont;c;C;s;S", h.Client.Ask("vCont?"));
        Assert.Equal("sstepbits;sstep;PhyMemMode", h.Client.Ask("qqemu.Supported"));
        Assert.Equal("ENABLE=1,NOIRQ=2,NOTIMER=4", h.Client.Ask("qqemu.sstepbits"));
        Assert.Equal("", h.Client.Ask("vFoo"));
        Assert.Equal("", h.Client.Ask("!"));
    }

    [Fact]
    public void ThreadSelectionAndAliveness()
    {
        using var h = new SessionHarness().Handshake();
        Assert.Equal("OK", h.Client.Ask("Hgp1.2"));
        Assert.Equal(Le(FakeTarget.RamBase + 0x10), h.Client.Ask("p20"));
        Assert.Equal("OK", h.Client.Ask("Hg0"));      // any: the selection stays
        Assert.Equal("OK", h.Client.Ask("Hc-1"));
        Assert.Equal("OK", h.Client.Ask("Hgp0.0"));
        Assert.Equal(Le(FakeTarget.RamBase + 0x10), h.Client.Ask("p20"));
        Assert.Equal("OK", h.Client.Ask("Hg1"));
        Assert.Equal(Le(FakeTarget.RamBase), h.Client.Ask("p20"));
        Assert.Equal("E22", h.Client.Ask("Hgp1.5"));
        Assert.Equal("E22", h.Client.Ask("Hx1"));
        Assert.Equal("E22", h.Client.Ask("H"));
        Assert.Equal("OK", h.Client.Ask("Tp1.2"));
        Assert.Equal("E22", h.Client.Ask("Tp1.5"));
        Assert.Equal("E22", h.Client.Ask("T-1"));
    }

    [Fact]
    public void RegistersByNumberAndTheCoreBlock()
    {
        using var h = new SessionHarness().Handshake();
        string g = h.Client.Ask("g");
        Assert.Equal(33 * 16, g.Length); // only the core registers, as QEMU
        for (int i = 0; i < 32; i++) Assert.Equal(Le((ulong)i), g.Substring(i * 16, 16));
        Assert.Equal(Le(FakeTarget.RamBase), g.Substring(32 * 16, 16));
        Assert.Equal(Le(3), h.Client.Ask("p41"));                     // priv
        Assert.Equal(Le(0x3ff0_0000_0000_0000 + 33), h.Client.Ask("p21")); // ft0
        Assert.Equal(Le(0xC000 + 67), h.Client.Ask("p43"));           // fflags, CSR 1
        Assert.Equal(Le(0xC000 + 66 + 0x300), h.Client.Ask($"p{66 + 0x300:x}")); // mstatus
        Assert.Equal("E14", h.Client.Ask("p42"));   // CSR 0 does not exist
        Assert.Equal("E14", h.Client.Ask("p1000"));
        Assert.Equal("E14", h.Client.Ask($"p{66 + 0x7a4:x}")); // tinfo: the target cannot read it
        Assert.Equal("", h.Client.Ask("pzz"));
        Assert.Equal("OK", h.Client.Ask("P20=0001008000000000"));
        Assert.Contains("Write 0 pc=80000100", h.Target.Calls);
        Assert.Equal(Le(0x80000100), h.Client.Ask("p20"));
        Assert.Equal("OK", h.Client.Ask("P1000=00"));  // QEMU: OK even for nothing written
        Assert.Equal("E22", h.Client.Ask("P1000"));
        string all = string.Concat(Enumerable.Range(0, 33).Select(i => Le((ulong)(0x1000 + i))));
        Assert.Equal("OK", h.Client.Ask("G" + all));
        Assert.Contains("Write 0 a0=100a", h.Target.Calls);
        Assert.Equal(Le(0x100a), h.Client.Ask("pa"));
    }

    [Fact]
    public void RegistersBeforeTheTargetDescriptionAreNotAnswered()
    {
        using var h = new SessionHarness();
        Assert.Equal("", h.Client.Ask("p20"));
        Assert.Equal("", h.Client.Ask("P20=00"));
    }

    [Fact]
    public void TargetDescriptionIsReadInChunks()
    {
        using var h = new SessionHarness();
        var xml = new StringBuilder();
        string chunk;
        do
        {
            chunk = h.Client.Ask($"qXfer:features:read:riscv-csr.xml:{xml.Length:x},100");
            Assert.True(chunk.Length <= 0x101);
            xml.Append(chunk[1..]);
        }
        while (chunk[0] == 'm');
        Assert.Equal(GdbTargetDescription.Annex("riscv-csr.xml"), xml.ToString());
        Assert.Equal("E00", h.Client.Ask("qXfer:features:read:nofile.xml:0,10"));
        Assert.Equal("E00", h.Client.Ask("qXfer:features:read:target.xml:100000,10"));
        Assert.Equal("l", h.Client.Ask($"qXfer:features:read:target.xml:{GdbTargetDescription.Annex("target.xml")!.Length:x},10"));
        // A request larger than a packet holds is cut to (PacketSize - 5) / 2, as QEMU.
        Assert.Equal(1 + 2045, h.Client.Ask("qXfer:features:read:riscv-csr.xml:0,ffff").Length);
    }

    [Fact]
    public void MemoryReadsAndWritesWithQemusErrors()
    {
        using var h = new SessionHarness().Handshake();
        Assert.Equal("00010203", h.Client.Ask("m80000000,4"));
        Assert.Equal("E14", h.Client.Ask("m0,4"));
        Assert.Equal("E22", h.Client.Ask("m80000000,801")); // more than half a packet
        Assert.Equal(0x800 * 2, h.Client.Ask("m80000000,800").Length);
        Assert.Equal("", h.Client.Ask("mzz"));
        Assert.Equal("OK", h.Client.Ask("M80000100,4:deadbeef"));
        Assert.Equal("deadbeef", h.Client.Ask("m80000100,4"));
        Assert.Equal("E22", h.Client.Ask("M80000100,4:010203"));
        Assert.Equal("E14", h.Client.Ask("M0,2:0102"));
        // X: binary, with '#', '$', '}' and '*' escaped.
        Assert.Equal("OK", h.Client.Ask("X80000200,0:"));
        h.Client.SendRaw(GdbPacketDecoder.Frame([.. "X80000200,5:"u8, (byte)'}', 0x03, (byte)'}', 0x04, (byte)'}', 0x5d, (byte)'}', 0x0a, 0x00], binary: false));
        Assert.Equal("OK", h.Client.ReadPacket().Payload);
        Assert.Equal("23247d2a00", h.Client.Ask("m80000200,5"));
        Assert.Equal("E22", h.Client.Ask("X80000200,2:a"));
        Assert.Contains("WriteMemory 0 80000200 23247d2a00 physical=False", h.Target.Calls);
    }

    [Fact]
    public void PhyMemModeSelectsPhysicalAccess()
    {
        using var h = new SessionHarness().Handshake();
        Assert.Equal("0", h.Client.Ask("qqemu.PhyMemMode"));
        Assert.Equal("OK", h.Client.Ask("Qqemu.PhyMemMode:1"));
        Assert.Equal("1", h.Client.Ask("qqemu.PhyMemMode"));
        h.Client.Ask("m80000000,4");
        Assert.Contains("ReadMemory 0 80000000 4 physical=True", h.Target.Calls);
        Assert.Equal("OK", h.Client.Ask("Qqemu.PhyMemMode:0"));
        Assert.Equal("0", h.Client.Ask("qqemu.PhyMemMode"));
    }

    [Fact]
    public void SingleStepFlagsAsQemu()
    {
        using var h = new SessionHarness().Handshake();
        Assert.Equal("0x7", h.Client.Ask("qqemu.sstep"));
        Assert.Equal("OK", h.Client.Ask("Qqemu.sstep=5"));
        Assert.Equal("0x5", h.Client.Ask("qqemu.sstep"));
        Assert.Equal("E22", h.Client.Ask("Qqemu.sstep=8"));
        Assert.Equal("0x5", h.Client.Ask("qqemu.sstep"));
    }

    [Fact]
    public void BreakAndWatchPointsGoToTheTarget()
    {
        using var h = new SessionHarness().Handshake();
        Assert.Equal("OK", h.Client.Ask("Z0,80000010,2"));
        Assert.Equal("OK", h.Client.Ask("Z1,80000020,4"));
        Assert.Equal("OK", h.Client.Ask("Z2,80001000,8"));
        Assert.Equal("OK", h.Client.Ask("Z3,80001008,4"));
        Assert.Equal("OK", h.Client.Ask("Z4,80001010,1"));
        Assert.Equal("OK", h.Client.Ask("z4,80001010,1"));
        Assert.Equal("OK", h.Client.Ask("z1,80000020,4"));
        Assert.Equal("E22", h.Client.Ask("Z0,0,2")); // the fake refuses address 0
        Assert.Equal("", h.Client.Ask("Z5,0,0"));
        Assert.Equal("", h.Client.Ask("Z0,zz"));
        string[] expected =
        [
            "InsertBreakpoint 80000010", "InsertBreakpoint 80000020", "InsertWatchpoint 80001000 8 Write",
            "InsertWatchpoint 80001008 4 Read", "InsertWatchpoint 80001010 1 Access", "RemoveWatchpoint 80001010 1 Access",
            "RemoveBreakpoint 80000020", "InsertBreakpoint 0",
        ];
        Assert.Equal(expected, h.Target.Calls.Where(c => c.Contains("point", StringComparison.Ordinal)));
        // '?' (gdb connecting again) removes what is left, as QEMU's gdb_breakpoint_remove_all.
        h.Client.Ask("?");
        Assert.Contains("RemoveBreakpoint 80000010", h.Target.Calls);
        Assert.Contains("RemoveWatchpoint 80001000 8 Write", h.Target.Calls);
        Assert.Contains("RemoveWatchpoint 80001008 4 Read", h.Target.Calls);
    }

    [Fact]
    public void ContinueAndStepReportTheStopAndSelectItsHart()
    {
        var target = new FakeTarget(2) { NextStop = _ => new GdbStop(GdbStopReason.Trap, 1) };
        using var h = new SessionHarness(target).Handshake();
        Assert.Equal("T05thread:p01.02;", h.Client.Ask("c"));
        Assert.Contains("Resume step=[] others=True", target.Calls);
        Assert.Equal(Le(FakeTarget.RamBase + 0x10), h.Client.Ask("p20")); // the stopped hart is the g thread now
        target.NextStop = step => new GdbStop(GdbStopReason.Trap, step.First());
        Assert.Equal("T05thread:p01.02;", h.Client.Ask("s")); // and the c thread
        Assert.Contains("Resume step=[1] others=True", target.Calls);
        target.NextStop = _ => new GdbStop(GdbStopReason.Trap, 1);
        Assert.Equal("T05thread:p01.02;", h.Client.Ask("c80000100"));
        Assert.Contains("Write 1 pc=80000100", target.Calls);
    }

    [Theory]
    [InlineData("vCont;c", "Resume step=[] others=True")]
    [InlineData("vCont;s:p1.2;c", "Resume step=[1] others=True")]
    [InlineData("vCont;s:p1.2", "Resume step=[1] others=False")]
    [InlineData("vCont;S05:p1.1;c", "Resume step=[0] others=True")]
    [InlineData("vCont;C05", "Resume step=[] others=True")]
    [InlineData("vCont;s:2;c:-1", "Resume step=[1] others=True")]
    [InlineData("vCont;c:p1.-1", "Resume step=[] others=True")]                 // gdb 13's continue and stepi
    [InlineData("vCont;c:p1.1", "ResumeHarts step=[] run=[0]")]                 // gdb stepping over a breakpoint: hart 1 stays
    [InlineData("vCont;s:p1.1;c:p1.2", "Resume step=[0] others=True")]
    public void VContMapsToResume(string packet, string call)
    {
        var target = new FakeTarget(2) { NextStop = step => new GdbStop(GdbStopReason.Trap, step.Count > 0 ? step.First() : 0) };
        using var h = new SessionHarness(target).Handshake();
        string reply = h.Client.Ask(packet);
        Assert.StartsWith("T05thread:p01.0", reply);
        Assert.Equal(call, target.Calls.Single(c => c.StartsWith("Resume", StringComparison.Ordinal)));
    }

    [Fact]
    public void VContWithAnUnknownThreadIsRefused()
    {
        using var h = new SessionHarness().Handshake();
        Assert.Equal("E22", h.Client.Ask("vCont;c:p1.5"));
        Assert.Equal("", h.Client.Ask("vCont;t"));
        Assert.DoesNotContain(h.Target.Calls, c => c.StartsWith("Resume", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Interrupt", "Write", "T02thread:p01.02;")]
    [InlineData("Shutdown", "Write", "T03thread:p01.02;")]
    [InlineData("Watchpoint", "Write", "T05thread:p01.02;watch:0000000080001000;")]
    [InlineData("Watchpoint", "Read", "T05thread:p01.02;rwatch:0000000080001000;")]
    [InlineData("Watchpoint", "Access", "T05thread:p01.02;awatch:0000000080001000;")]
    public void StopRepliesAreFormattedAsQemu(string reason, string kind, string expected)
    {
        var stop = new GdbStop(Enum.Parse<GdbStopReason>(reason), 1, 0x80001000, Enum.Parse<GdbWatchKind>(kind));
        var target = new FakeTarget(2) { NextStop = _ => stop };
        using var h = new SessionHarness(target).Handshake();
        Assert.Equal(expected, h.Client.Ask("c"));
    }

    [Fact]
    public void CtrlCInterruptsARunningTarget()
    {
        var target = new FakeTarget(2) { NextStop = null };
        using var h = new SessionHarness(target).Handshake();
        h.Client.Send("c");
        Assert.Equal('+', h.Client.ReadByte());
        target.WaitForCall(c => c.StartsWith("Resume", StringComparison.Ordinal));
        h.Client.SendRaw([0x03]);
        Assert.Equal("T02thread:p01.01;", h.Client.ReadPacket().Payload);
        Assert.Single(target.Calls, c => c == "Interrupt");
        // Ctrl-C while stopped does nothing.
        h.Client.SendRaw([0x03]);
        Assert.Equal("00010203", h.Client.Ask("m80000000,4"));
        Assert.Single(target.Calls, c => c == "Interrupt");
    }

    [Fact]
    public void APacketWhileRunningStopsTheMachineFirstAsQemu()
    {
        var target = new FakeTarget(2) { NextStop = null };
        using var h = new SessionHarness(target).Handshake();
        h.Client.Send("c");
        Assert.Equal('+', h.Client.ReadByte());
        target.WaitForCall(c => c.StartsWith("Resume", StringComparison.Ordinal));
        h.Client.Send("m80000000,4");
        h.Client.Send("qC");
        // QEMU 7.2 (live): the stop reply first, unasked, then the packets' acknowledgements and replies.
        Assert.Equal(("T02thread:p01.01;", ""), h.Client.ReadPacket());
        Assert.Equal(("00010203", "+"), h.Client.ReadPacket());
        Assert.Equal(("QCp01.01", "+"), h.Client.ReadPacket());
        Assert.Single(target.Calls, c => c == "Interrupt");
        // A deferred packet that resumes leaves the rest for the next stop.
        h.Client.Send("c");
        Assert.Equal('+', h.Client.ReadByte());
        target.WaitForCall(c => c == "Interrupt" && target.Calls.Count(x => x.StartsWith("Resume", StringComparison.Ordinal)) == 2);
        h.Client.Send("qC");
        h.Client.Send("c");
        h.Client.Send("qfThreadInfo");
        Assert.Equal(("T02thread:p01.01;", ""), h.Client.ReadPacket());
        Assert.Equal(("QCp01.01", "+"), h.Client.ReadPacket());
        Assert.Equal('+', h.Client.ReadByte()); // c: running again, its reply is the next stop
        Assert.Equal(("T02thread:p01.01;", ""), h.Client.ReadPacket());
        Assert.Equal(("mp01.01", "+"), h.Client.ReadPacket());
        Assert.Equal(3, target.Calls.Count(c => c == "Interrupt"));
        Assert.Equal(3, target.Calls.Count(c => c.StartsWith("Resume", StringComparison.Ordinal)));
    }

    [Fact]
    public void MonitorCommandOutputComesAsConsolePackets()
    {
        var target = new FakeTarget { MonitorOutput = "line one\nline two\n" };
        using var h = new SessionHarness(target).Handshake();
        h.Client.Send("qRcmd," + Hex("info foo"));
        Assert.Equal("O" + Hex("line one\r\nline two\r\n"), h.Client.ReadPacket().Payload);
        Assert.Equal("OK", h.Client.ReadPacket().Payload);
        Assert.Contains("Monitor 0 info foo", target.Calls);
        // Long output is split so every packet fits.
        target.MonitorOutput = new string('x', 5000);
        h.Client.Send("qRcmd," + Hex("x"));
        var text = new StringBuilder();
        string p;
        while ((p = h.Client.ReadPacket().Payload) != "OK")
        {
            Assert.StartsWith("O", p);
            Assert.True(p.Length <= GdbPacketDecoder.MaxPacketLength);
            text.Append(Encoding.ASCII.GetString(Convert.FromHexString(p[1..])));
        }
        Assert.Equal(target.MonitorOutput, text.ToString());
        Assert.Equal("E22", h.Client.Ask("qRcmd,zz"));
        Assert.Equal("OK", h.Client.Ask("qRcmd,"));
    }

    [Fact]
    public void DetachRepliesOkResumesAndCloses()
    {
        using var h = new SessionHarness().Handshake();
        Assert.Equal("E22", h.Client.Ask("D")); // multiprocess: D names the process, as QEMU
        Assert.Equal("OK", h.Client.Ask("D;1"));
        Assert.Equal(GdbSessionEnd.Detached, h.WaitForEnd());
        Assert.Equal("", h.Client.ReadToEnd());
        Assert.Single(h.Target.Calls, c => c == "Detach");
    }

    [Fact]
    public void ClosedConnectionDetaches()
    {
        using var h = new SessionHarness().Handshake();
        h.Client.Dispose();
        Assert.Equal(GdbSessionEnd.Disconnected, h.WaitForEnd());
        Assert.Single(h.Target.Calls, c => c == "Detach");
    }

    [Fact]
    public void KillExitsTheMachineAndReportsW00()
    {
        using var h = new SessionHarness().Handshake();
        h.Client.Send("k");
        Assert.Equal('+', h.Client.ReadByte());
        h.Client.NoAck = true; // the stub closes after W: no acknowledgement to send into a closed socket
        Assert.Equal("W00", h.Client.ReadPacket().Payload);
        Assert.Equal(GdbSessionEnd.Exited, h.WaitForEnd());
        Assert.Contains("Kill", h.Target.Calls);
        Assert.DoesNotContain("Detach", h.Target.Calls);
    }

    [Fact]
    public void VKillRepliesOkThenW00()
    {
        using var h = new SessionHarness().Handshake();
        Assert.Equal("OK", h.Client.Ask("vKill;1"));
        h.Client.NoAck = true;
        Assert.Equal("W00", h.Client.ReadPacket().Payload);
        Assert.Equal(GdbSessionEnd.Exited, h.WaitForEnd());
    }

    [Fact]
    public void MachineExitWhileRunningReportsItsExitCode()
    {
        var target = new FakeTarget { NextStop = _ => new GdbStop(GdbStopReason.Exited, 0, ExitCode: 3) };
        using var h = new SessionHarness(target).Handshake();
        h.Client.Send("c");
        Assert.Equal('+', h.Client.ReadByte());
        h.Client.NoAck = true;
        Assert.Equal("W03", h.Client.ReadPacket().Payload);
        Assert.Equal(GdbSessionEnd.Exited, h.WaitForEnd());
    }

    [Fact]
    public void AttachFailureEndsTheSession()
    {
        using var h = new SessionHarness(new FakeTarget { AttachResult = false });
        Assert.Equal(GdbSessionEnd.Exited, h.WaitForEnd());
        Assert.Equal("", h.Client.ReadToEnd());
    }

    [Fact]
    public void NakRetransmitsAndBadChecksumIsNakked()
    {
        using var h = new SessionHarness().Handshake();
        h.Client.Send("qC");
        h.Client.NoAck = true; // read the reply without acknowledging it: gdb found it damaged
        Assert.Equal("QCp01.01", h.Client.ReadPacket().Payload);
        h.Client.NoAck = false;
        h.Client.SendRaw("-");
        Assert.Equal("QCp01.01", h.Client.ReadPacket().Payload);
        h.Client.SendRaw("$qC#00");
        Assert.Equal('-', h.Client.ReadByte());
        Assert.Equal("QCp01.01", h.Client.Ask("qC"));
    }

    [Fact]
    public void NoAckModeSendsNoAcknowledgements()
    {
        using var h = new SessionHarness().Handshake();
        Assert.Equal("OK", h.Client.Ask("QStartNoAckMode"));
        h.Client.NoAck = true;
        Assert.Equal("QCp01.01", h.Client.Ask("qC")); // Ask checks nothing came before the reply
        h.Client.SendRaw("$qC#00"); // dropped without a '-'
        Assert.Equal("00010203", h.Client.Ask("m80000000,4"));
    }

    [Fact]
    public void OversizeAndMalformedPacketsGetErrorsAndTheSessionGoesOn()
    {
        using var h = new SessionHarness().Handshake();
        h.Client.SendRaw(GdbClient.Frame("m" + new string('0', 100_000)));
        (string payload, string before) = h.Client.ReadPacket();
        Assert.Equal(("E22", "+"), (payload, before));
        h.Client.SendRaw("$*x#00");
        Assert.Equal('-', h.Client.ReadByte());
        h.Client.SendRaw("noise that is not a packet");
        Assert.Equal("", h.Client.Ask("vX"));
        Assert.Equal("E22", h.Client.Ask("Gzz"));
        Assert.Equal("E22", h.Client.Ask("c zz"));
        Assert.Equal("00010203", h.Client.Ask("m80000000,4"));
    }

    [Fact]
    public void CloseEndsTheSessionWithoutTouchingTheTarget()
    {
        var h = new SessionHarness(new FakeTarget { NextStop = null }).Handshake();
        h.Client.Send("c");
        h.Target.WaitForCall(c => c.StartsWith("Resume", StringComparison.Ordinal));
        h.Session.Close();
        Assert.Equal(GdbSessionEnd.Closed, h.WaitForEnd());
        Assert.DoesNotContain("Detach", h.Target.Calls);
        h.Dispose();
    }
}
