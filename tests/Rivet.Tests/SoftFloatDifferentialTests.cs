using Rivet.Cpu.Fpu;
using Rivet.FpRef;
using Xunit.Abstractions;

namespace Rivet.Tests;

/// <summary>
/// SoftFloat against the host C library (tests/fpref/fpref.c, built with gcc): a fast subset of the
/// differential test, every operation in both widths and every rounding mode; and the hardfloat
/// entry points (<see cref="HardFloat"/>, what the hart calls) with NX already accrued. The full
/// run (10,000,000 cases per operation) is the bench's --section fpdiff.
/// </summary>
public sealed class SoftFloatDifferentialTests(ITestOutputHelper output)
{
    private const long CasesPerOp = 50_000, HardCasesPerOp = 100_000;

    public static TheoryData<int, bool> Ops()
    {
        var data = new TheoryData<int, bool>();
        for (int op = 0; op < FpDiff.Ops; op++)
        {
            data.Add(op, false);
            data.Add(op, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void MatchesTheHostReference(int op, bool dbl)
    {
        using FpDiff diff = FpDiff.Start();
        FpOpResult r = diff.Run((FpOp)op, dbl, CasesPerOp, seed: 20261205);
        output.WriteLine(FpDiff.Table([r]));
        foreach (FpMismatch m in r.First) output.WriteLine(m.ToString());
        Assert.Equal(CasesPerOp, r.Cases);
        if (FpDiff.Rounds((FpOp)op, dbl)) Assert.All(r.CasesPerMode, n => Assert.True(n > 0));
        Assert.True(r.Mismatches == 0, $"{r.Mismatches} mismatches, first: {string.Join("; ", r.First.Take(3))}");
    }

    public static TheoryData<int, bool> HardOps()
    {
        var data = new TheoryData<int, bool>();
        for (int op = 0; op < FpDiff.Ops; op++)
        {
            if (!FpDiff.HasHardPath((FpOp)op)) continue;
            data.Add(op, false);
            data.Add(op, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(HardOps))]
    public void HardfloatWithNxAccruedMatchesTheReferenceAndTheSoftwarePath(int op, bool dbl)
    {
        using FpDiff diff = FpDiff.Start();
        FpOpResult r = diff.Run((FpOp)op, dbl, HardCasesPerOp, seed: 20261206, hard: true);
        output.WriteLine(FpDiff.HardTable([r]));
        foreach (FpMismatch m in r.First) output.WriteLine(m.ToString());
        Assert.Equal(HardCasesPerOp, r.Cases);
        // The run reaches the host path for most cases and still leaves it a share of edge cases.
        Assert.InRange(r.HostCases, HardCasesPerOp / 3, HardCasesPerOp * 19 / 20);
        Assert.True(r.Mismatches == 0, $"{r.Mismatches} mismatches, first: {string.Join("; ", r.First.Take(3))}");
    }

    [Theory]
    [MemberData(nameof(HardOps))]
    public void HardfloatIsTheSoftwarePathUnlessRneWithNxAccrued(int op, bool dbl)
    {
        var gen = new FpCaseGenerator(77 + (ulong)op, hard: true);
        for (int i = 0; i < 20_000; i++)
        {
            gen.Next((FpOp)op, dbl, out ulong a, out ulong b, out ulong c);
            var rm = (RoundingMode)(i % 5);
            // NX clear in every mode, or NX set in a mode other than RNE: exactly the software path's bits and flags.
            uint fflags = rm == RoundingMode.Rne ? (uint)(FpFlags.UF | FpFlags.OF | FpFlags.DZ | FpFlags.NV) : (uint)FpFlags.NX;
            FpFlags soft = FpFlags.None, hard = FpFlags.None;
            ulong expected = FpDiff.Compute((FpOp)op, dbl, a, b, c, rm, ref soft);
            ulong got = FpDiff.ComputeHard((FpOp)op, dbl, a, b, c, rm, fflags, ref hard);
            Assert.True(expected == got && soft == hard, $"{FpDiff.OpName((FpOp)op, dbl)} rm={rm} fflags={fflags:x} a={a:x} b={b:x} c={c:x}: software {expected:x} [{soft}], entry {got:x} [{hard}]");
        }
    }
}
