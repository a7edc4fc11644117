using System.Globalization;

namespace Kube.Node.Runtime.Process;

/// <summary>
/// CPU and memory of process-runtime containers read from /proc: a container's main process leads its own session
/// (posix_spawn with POSIX_SPAWN_SETSID), so every process whose session id is that pid belongs to the container. One
/// pass over /proc serves all containers.
/// </summary>
internal static class ProcessTreeUsage
{
    /// <summary>Linux's USER_HZ, the unit of /proc's CPU times; 100 on every mainstream architecture.</summary>
    internal const long ClockTicksPerSecond = 100;

    private const ulong NanosPerTick = 1_000_000_000UL / ClockTicksPerSecond;

    /// <summary>Sums per session leader in <paramref name="sessionLeaders"/>: CPU (own and reaped children's) in ns, RSS in bytes, page faults and process count.</summary>
    public static Dictionary<int, Totals> Read(IReadOnlyCollection<int> sessionLeaders, string procRoot = "/proc")
    {
        var result = sessionLeaders.Distinct().ToDictionary(p => p, _ => new Totals());
        if (result.Count == 0)
        {
            return result;
        }

        var pageSize = (ulong)Environment.SystemPageSize;
        foreach (var dir in Directory.EnumerateDirectories(procRoot))
        {
            var name = Path.GetFileName(dir);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]))
            {
                continue;
            }

            string text;
            try
            {
                text = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (Parse(text) is not { } stat || !result.TryGetValue(stat.Session, out var totals))
            {
                continue;
            }

            totals.CpuNanoseconds += stat.CpuTicks * NanosPerTick;
            totals.RssBytes += stat.RssPages * pageSize;
            totals.MinorFaults += stat.MinorFaults;
            totals.MajorFaults += stat.MajorFaults;
            totals.Processes++;
        }

        return result;
    }

    /// <summary>Fields of one /proc/&lt;pid&gt;/stat line: session (6), minflt (10), majflt (12), utime+stime+cutime+cstime (14-17), rss (24).</summary>
    internal static (int Session, ulong CpuTicks, ulong RssPages, ulong MinorFaults, ulong MajorFaults)? Parse(string text)
    {
        var close = text.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        // fields[0] is field 3 (state), so field n is fields[n - 3].
        var f = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length < 22 || f[0] is "Z" or "X")
        {
            return null;
        }

        return int.TryParse(f[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var session)
            ? (session, U(f[11]) + U(f[12]) + U(f[13]) + U(f[14]), U(f[21]), U(f[7]), U(f[9]))
            : null;
    }

    private static ulong U(string s) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0 ? (ulong)v : 0;

    /// <summary>Sums for one container.</summary>
    internal sealed class Totals
    {
        public ulong CpuNanoseconds { get; set; }
        public ulong RssBytes { get; set; }
        public ulong MinorFaults { get; set; }
        public ulong MajorFaults { get; set; }
        public ulong Processes { get; set; }
    }
}
