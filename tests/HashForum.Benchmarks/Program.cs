using BenchmarkDotNet.Running;

namespace HashForum.Benchmarks;

/// <summary>Entry point: <c>dotnet run -c Release --project tests/HashForum.Benchmarks -- --filter '*'</c>.</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
