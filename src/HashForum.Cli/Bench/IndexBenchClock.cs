using System.Runtime.InteropServices;

namespace HashForum.Cli.Bench;

/// <summary>
/// CPU time of the calling thread. On a shared machine a search longer than a scheduler time slice
/// is often descheduled, so its wall time says more about the neighbours than about the index; the
/// bench reports wall time (what a caller waits) and, on Linux, thread CPU time beside it.
/// </summary>
internal static partial class IndexBenchClock
{
    private const int ClockThreadCpuTime = 3;

    /// <summary>Thread CPU time in nanoseconds, or -1 where it cannot be read.</summary>
    public static long ThreadCpuNanoseconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }

        return ClockGetTime(ClockThreadCpuTime, out var time) == 0 ? (time.Seconds * 1_000_000_000L) + time.Nanoseconds : -1;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
