using System.Diagnostics;
using System.Globalization;

namespace Kube.Benchmarks;

/// <summary>
/// CPU time of the store processes under test, from <c>/proc/PID/stat</c> (utime + stime): a per-request figure that, unlike
/// ops/s, hardly moves with the load other work puts on the machine.
/// </summary>
internal static class ProcessCpu
{
    /// <summary>Clock ticks per second of <c>/proc/PID/stat</c> (USER_HZ, 100 on Linux).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>
    /// utime + stime of each process, the one at <paramref name="first"/> first, then the same for each process's tiered-compilation
    /// (JIT) thread, which shows whether a window still ran unoptimized code; empty off Linux.
    /// </summary>
    public static long[] Read(IReadOnlyList<Process> processes, int first)
    {
        if (!OperatingSystem.IsLinux() || processes.Count == 0)
        {
            return [];
        }
        var order = processes.Select((p, i) => (p, i)).OrderBy(x => x.i == first ? -1 : x.i).Select(x => x.p).ToArray();
        try
        {
            return [.. order.Select(p => Ticks($"/proc/{p.Id}/stat")), .. order.Select(p => JitTicks(p.Id))];
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>utime + stime of this (the benchmark client's) process, then of its JIT thread; empty off Linux.</summary>
    public static long[] Self()
    {
        if (!OperatingSystem.IsLinux())
        {
            return [];
        }
        try
        {
            return [Ticks("/proc/self/stat"), JitTicks(Environment.ProcessId)];
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>utime + stime of the given processes together (those that ended count 0); empty off Linux.</summary>
    public static long[] Sum(IEnumerable<Process> processes)
    {
        if (!OperatingSystem.IsLinux())
        {
            return [];
        }
        long ticks = 0;
        foreach (var p in processes)
        {
            try
            {
                ticks += Ticks($"/proc/{p.Id}/stat");
            }
            catch (IOException)
            {
                // it ended
            }
        }
        return [ticks];
    }

    /// <summary>The thread count of each process (the one at <paramref name="first"/> first), then of this one; empty off Linux.</summary>
    public static int[] Threads(IReadOnlyList<Process> processes, int first)
    {
        if (!OperatingSystem.IsLinux())
        {
            return [];
        }
        try
        {
            var order = processes.Select((p, i) => (p, i)).OrderBy(x => x.i == first ? -1 : x.i).Select(x => $"/proc/{x.p.Id}/status");
            return [.. order.Append("/proc/self/status").Select(path =>
                int.Parse(File.ReadLines(path).First(l => l.StartsWith("Threads:", StringComparison.Ordinal))["Threads:".Length..].Trim(), CultureInfo.InvariantCulture))];
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static long JitTicks(int pid)
    {
        long ticks = 0;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith(".NET Tiered", StringComparison.Ordinal))
                {
                    ticks += Ticks(Path.Combine(task, "stat"));
                }
            }
            catch (IOException)
            {
                // the thread ended
            }
        }
        return ticks;
    }

    /// <summary>µs of CPU per operation of each process (then of each one's JIT thread) between two readings.</summary>
    public static double[] PerOp(long[] before, long[] after, long operations) =>
        before.Length == 0 || before.Length != after.Length || operations == 0 ? []
            : [.. before.Zip(after, (b, a) => (a - b) / TicksPerSecond * 1e6 / operations)];

    private static long Ticks(string path)
    {
        var stat = File.ReadAllText(path);
        // Fields after the command name (which may hold spaces), which ends at the last ')': state is field 3, utime 14, stime 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
