using System.Globalization;

namespace Kube.Benchmarks;

/// <summary>
/// Where a process's resident memory is, from <c>/proc/PID/smaps</c>: Rss summed per mapped file (the executable, each
/// library), the native heap (<c>[heap]</c>), thread stacks, and the other anonymous mappings by reservation size (the GC's
/// regions and bookkeeping are large reservations; glibc's per-thread arenas are 64 MiB or 128 MiB ones).
/// </summary>
internal static class PodStartupMemoryMap
{
    /// <summary>One line per part, largest first, e.g. "kube-node 12.3 MiB, anon 256 MiB+ 20.1 MiB, [heap] 3.2 MiB, ...".</summary>
    public static string Describe(int pid, int top = 12)
    {
        var parts = new Dictionary<string, long>(StringComparer.Ordinal);
        string? current = null;
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5 && fields[0].Contains('-', StringComparison.Ordinal) && !fields[0].EndsWith(':'))
            {
                current = NameOf(fields);
            }
            else if (current is not null && fields.Length >= 2 && fields[0] == "Rss:")
            {
                parts[current] = parts.GetValueOrDefault(current) + long.Parse(fields[1], CultureInfo.InvariantCulture);
            }
        }

        return string.Join(", ", parts.Where(p => p.Value > 0).OrderByDescending(p => p.Value).Take(top)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value / 1024.0:F1} MiB")));
    }

    /// <summary>
    /// The largest anonymous mappings one by one, largest resident first: "7f00c0000000 rw-p 64.0 MiB: 12.3 MiB resident, then
    /// ---p 60.0 MiB" (what follows tells a reservation being committed, such as the GC's range or a malloc arena, from a lone mapping).
    /// </summary>
    public static string LargestAnonymous(int pid, int top = 6)
    {
        var maps = new List<(string Start, string Perms, long SizeKib, bool Anonymous, long RssKib)>();
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5 && fields[0].Contains('-', StringComparison.Ordinal) && !fields[0].EndsWith(':'))
            {
                var range = fields[0].Split('-');
                var size = (long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) - long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture)) / 1024;
                maps.Add((range[0], fields[1], size, fields.Length < 6, 0));
            }
            else if (maps.Count > 0 && fields.Length >= 2 && fields[0] == "Rss:")
            {
                maps[^1] = maps[^1] with { RssKib = long.Parse(fields[1], CultureInfo.InvariantCulture) };
            }
        }

        return string.Join("; ", Enumerable.Range(0, maps.Count).Where(i => maps[i].Anonymous).OrderByDescending(i => maps[i].RssKib).Take(top)
            .Select(i => string.Create(CultureInfo.InvariantCulture,
                $"{maps[i].Start} {maps[i].Perms} {maps[i].SizeKib / 1024.0:F1} MiB: {maps[i].RssKib / 1024.0:F1} MiB{(i + 1 < maps.Count ? Next(maps[i + 1].Perms, maps[i + 1].SizeKib) : "")}")));
    }

    private static string Next(string perms, long sizeKib) => string.Create(CultureInfo.InvariantCulture, $", then {perms} {sizeKib / 1024.0:F1} MiB");

    private static string NameOf(string[] fields)
    {
        if (fields.Length >= 6)
        {
            var path = string.Join(' ', fields.Skip(5));
            return path.StartsWith('[') ? (path.StartsWith("[stack", StringComparison.Ordinal) ? "[stack]" : path) : Path.GetFileName(path);
        }

        var range = fields[0].Split('-');
        var size = (long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) - long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture)) / 1024 / 1024;
        // anonymous: bucket by mapping size (powers of two, in MiB)
        var bucket = size < 1 ? "<1" : (1L << (int)Math.Log2(size)).ToString(CultureInfo.InvariantCulture);
        return $"anon {bucket} MiB+";
    }
}
