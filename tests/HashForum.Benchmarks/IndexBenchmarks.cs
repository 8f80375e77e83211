using BenchmarkDotNet.Attributes;
using HashForum.Hashing.Pdq;
using HashForum.Index;

namespace HashForum.Benchmarks;

/// <summary>
/// Micro-benchmarks of one index search against the linear scan over the same data (the baseline).
/// Whole scenarios, with build time, memory and exactness checks, are in <c>hashforum bench index</c>.
/// </summary>
[MemoryDiagnoser]
public class IndexBenchmarks
{
    private readonly List<IndexMatch> _results = [];
    private PdqIndex _index = null!;
    private Hash256[] _queries = [];
    private int _next;

    [Params(100_000, 1_000_000)]
    public int Count { get; set; }

    [Params(31)]
    public int Radius { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var ids = new long[Count];
        var hashes = new Hash256[Count];
        for (var i = 0; i < Count; i++)
        {
            ids[i] = i;
            hashes[i] = SyntheticHashes.Realistic(random);
        }

        _index = PdqIndex.Build(ids, hashes);
        _queries = new Hash256[1024];
        for (var q = 0; q < _queries.Length; q++)
        {
            _queries[q] = q % 2 == 0
                ? SyntheticHashes.FlipBits(hashes[random.Next(Count)], random.Next(Radius + 1), random)
                : SyntheticHashes.Realistic(random);
        }
    }

    [Benchmark]
    public int Search()
    {
        _index.Search(NextQuery(), Radius, _results);
        return _results.Count;
    }

    [Benchmark(Baseline = true)]
    public int SearchLinear()
    {
        _index.SearchLinear(NextQuery(), Radius, _results);
        return _results.Count;
    }

    [Benchmark]
    public int SearchManyEightQueries()
    {
        var start = (_next = (_next + 8) & (_queries.Length - 1)) & ~7;
        _index.SearchMany(_queries.AsSpan(start, 8), Radius, _results);
        return _results.Count;
    }

    private Hash256 NextQuery() => _queries[_next = (_next + 1) & (_queries.Length - 1)];
}
