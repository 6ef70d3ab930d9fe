namespace Rivet.Bench;

/// <summary>Percentiles of a set of samples.</summary>
internal sealed class Stats
{
    private readonly double[] _sorted;

    public Stats(IEnumerable<double> samples)
    {
        _sorted = [.. samples];
        Array.Sort(_sorted);
    }

    public int Count => _sorted.Length;
    public double P50 => Percentile(50);
    public double P95 => Percentile(95);
    public double P99 => Percentile(99);
    public double Max => _sorted[^1];

    /// <summary>The nearest-rank percentile: the smallest sample with at least p % of the samples at or below it.</summary>
    public double Percentile(double p)
    {
        if (_sorted.Length == 0) throw new InvalidOperationException("no samples");
        int rank = (int)Math.Ceiling(p / 100 * _sorted.Length);
        return _sorted[Math.Clamp(rank, 1, _sorted.Length) - 1];
    }
}
