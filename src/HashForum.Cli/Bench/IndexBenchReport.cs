using System.Globalization;
using System.Text;

namespace HashForum.Cli.Bench;

/// <summary>What <c>hashforum bench index</c> measured.</summary>
internal sealed class IndexBenchReport
{
    public int Count { get; init; }

    public int Queries { get; init; }

    public int Radius { get; init; }

    public bool Dihedral { get; init; }

    public double BuildSeconds { get; init; }

    /// <summary>Summed lengths of the index's arrays, per stored hash.</summary>
    public double BytesPerHash { get; init; }

    /// <summary>Managed heap growth over the build (GC.GetTotalMemory after full collections), per stored hash.</summary>
    public double GcBytesPerHash { get; init; }

    public double P50Micros { get; set; }

    public double P99Micros { get; set; }

    public double QueriesPerSecond { get; set; }

    /// <summary>Median thread CPU time of an index search (NaN where it cannot be read).</summary>
    public double CpuP50Micros { get; set; }

    /// <summary>99th percentile of the same (NaN where it cannot be read).</summary>
    public double CpuP99Micros { get; set; }

    public double LinearP50Micros { get; set; }

    public double LinearP99Micros { get; set; }

    public double LinearQueriesPerSecond { get; set; }

    public double Recall { get; set; }

    public long FalsePositives { get; set; }

    public long Matches { get; set; }

    public double Speedup => LinearP50Micros / P50Micros;

    public void WriteText(TextWriter writer)
    {
        var c = CultureInfo.InvariantCulture;
        writer.WriteLine(string.Format(c, "index bench: {0:N0} hashes, {1:N0} queries, radius {2}{3}", Count, Queries, Radius, Dihedral ? ", 8 query hashes each (dihedral)" : string.Empty));
        writer.WriteLine(string.Format(c, "  build            {0,10:F2} s", BuildSeconds));
        writer.WriteLine(string.Format(c, "  bytes per hash   {0,10:F1}    (summed array lengths; GC heap growth: {1:F1})", BytesPerHash, GcBytesPerHash));
        writer.WriteLine(string.Format(c, "  index    p50 {0,10:F1} us  p99 {1,10:F1} us  {2,10:F0} queries/s", P50Micros, P99Micros, QueriesPerSecond));
        writer.WriteLine(string.Format(c, "  index    p50 {0,10:F1} us  p99 {1,10:F1} us of thread CPU time (wall time above includes time descheduled)", CpuP50Micros, CpuP99Micros));
        writer.WriteLine(string.Format(c, "  linear   p50 {0,10:F1} us  p99 {1,10:F1} us  {2,10:F0} queries/s", LinearP50Micros, LinearP99Micros, LinearQueriesPerSecond));
        writer.WriteLine(string.Format(c, "  speed-up (p50)   {0,10:F1}x", Speedup));
        writer.WriteLine(string.Format(c, "  recall {0:F4}, false positives {1}, matches {2:N0}", Recall, FalsePositives, Matches));
    }

    public string ToJson()
    {
        var c = CultureInfo.InvariantCulture;
        var json = new StringBuilder();
        json.Append('{');
        json.Append(c, $"\"count\":{Count},\"build_s\":{BuildSeconds:F3},\"bytes_per_hash\":{BytesPerHash:F1},");
        json.Append(c, $"\"p50_us\":{P50Micros:F1},\"p99_us\":{P99Micros:F1},\"qps\":{QueriesPerSecond:F0},");
        json.Append(c, $"\"linear_p50_us\":{LinearP50Micros:F1},\"speedup\":{Speedup:F1},\"recall\":{Recall:F4},\"false_positives\":{FalsePositives},");
        json.Append(c, $"\"queries\":{Queries},\"radius\":{Radius},\"dihedral\":{(Dihedral ? "true" : "false")},\"bytes_method\":\"summed array lengths\",");
        json.Append(c, $"\"gc_bytes_per_hash\":{GcBytesPerHash:F1},\"cpu_p50_us\":{(double.IsNaN(CpuP50Micros) ? "null" : CpuP50Micros.ToString("F1", c))},\"cpu_p99_us\":{(double.IsNaN(CpuP99Micros) ? "null" : CpuP99Micros.ToString("F1", c))},\"linear_p99_us\":{LinearP99Micros:F1},\"linear_qps\":{LinearQueriesPerSecond:F0},\"matches\":{Matches}");
        json.Append('}');
        return json.ToString();
    }
}
