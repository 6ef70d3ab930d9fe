using Rivet.Cpu.Fpu;
using Rivet.FpRef;
using Xunit.Abstractions;

namespace Rivet.Tests;

/// <summary>
/// SoftFloat against the host C library (tests/fpref/fpref.c, built with gcc): a fast subset of the
/// differential test, every operation in both widths and every rounding mode. The full run
/// (10,000,000 cases per operation) is the bench's --section fpdiff.
/// </summary>
public sealed class SoftFloatDifferentialTests(ITestOutputHelper output)
{
    private const long CasesPerOp = 50_000;

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
}
