using System.Globalization;
using System.Runtime.InteropServices;

namespace Kube.Node.Stats;

/// <summary>The machine's CPU, memory and filesystem figures from /proc and statvfs(3), as the Summary API and eviction need them.</summary>
internal static partial class NodeResources
{
    /// <summary>Cumulative busy CPU time of all cores (the "cpu" line of /proc/stat without idle and iowait), in ns.</summary>
    public static ulong CpuNanoseconds()
    {
        foreach (var line in File.ReadLines("/proc/stat"))
        {
            if (!line.StartsWith("cpu ", StringComparison.Ordinal))
            {
                continue;
            }

            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            ulong busy = 0;
            // user nice system idle iowait irq softirq steal (guest time is already in user).
            foreach (var i in new[] { 1, 2, 3, 6, 7, 8 })
            {
                if (i < f.Length && ulong.TryParse(f[i], NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                {
                    busy += v;
                }
            }

            return busy * (1_000_000_000UL / (ulong)Runtime.Process.ProcessTreeUsage.ClockTicksPerSecond);
        }

        return 0;
    }

    /// <summary>When the machine booted, from /proc/uptime.</summary>
    public static DateTimeOffset BootTime(DateTimeOffset now)
    {
        try
        {
            var first = File.ReadAllText("/proc/uptime").Split(' ')[0];
            return now - TimeSpan.FromSeconds(double.Parse(first, CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or FormatException)
        {
            return now;
        }
    }

    /// <summary>/proc/meminfo in bytes (MemTotal, MemFree, MemAvailable, Inactive(file), AnonPages, ...).</summary>
    public static Dictionary<string, ulong> MemInfo()
    {
        var result = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            var parts = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0 && ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            {
                result[line[..colon]] = parts.Length > 1 && parts[1] == "kB" ? v * 1024 : v;
            }
        }

        return result;
    }

    /// <summary>pgfault and pgmajfault from /proc/vmstat.</summary>
    public static (ulong? Faults, ulong? MajorFaults) PageFaults()
    {
        ulong? faults = null, major = null;
        try
        {
            foreach (var line in File.ReadLines("/proc/vmstat"))
            {
                if (line.StartsWith("pgfault ", StringComparison.Ordinal))
                {
                    faults = ulong.Parse(line[8..], CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("pgmajfault ", StringComparison.Ordinal))
                {
                    major = ulong.Parse(line[11..], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or FormatException)
        {
        }

        return (faults, major);
    }

    /// <summary>The filesystem holding <paramref name="path"/>: (capacity, available, free inodes, inodes) or null when statvfs fails.</summary>
    public static (ulong Capacity, ulong Available, ulong InodesFree, ulong Inodes)? Filesystem(string path)
    {
        if (StatVfs(path, out var s) != 0)
        {
            return null;
        }

        var unit = s.FragmentSize != 0 ? s.FragmentSize : s.BlockSize;
        return (s.Blocks * unit, s.BlocksAvailable * unit, s.FilesFree, s.Files);
    }

    [LibraryImport("libc", EntryPoint = "statvfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatVfs(string path, out StatVfsBuffer buffer);

    /// <summary>glibc's struct statvfs on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct StatVfsBuffer
    {
        public ulong BlockSize;
        public ulong FragmentSize;
        public ulong Blocks;
        public ulong BlocksFree;
        public ulong BlocksAvailable;
        public ulong Files;
        public ulong FilesFree;
        public ulong FilesAvailable;
        public ulong FsId;
        public ulong Flags;
        public ulong NameMax;
        public unsafe fixed int Spare[6];
    }
}
