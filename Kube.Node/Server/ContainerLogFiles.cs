namespace Kube.Node.Server;

/// <summary>
/// A container's log files: the current file (<c>&lt;attempt&gt;.log</c>) and, after rotation by size, older parts next to
/// it named <c>&lt;attempt&gt;.log.&lt;yyyyMMdd-HHmmss.fffffff&gt;</c> (sorting by name sorts them by age).
/// </summary>
internal static class ContainerLogFiles
{
    /// <summary>The rotated parts of <paramref name="logPath"/>, oldest first.</summary>
    public static List<string> Rotated(string logPath)
    {
        var dir = Path.GetDirectoryName(logPath);
        if (dir is null || !Directory.Exists(dir))
        {
            return [];
        }

        var prefix = Path.GetFileName(logPath) + ".";
        return Directory.EnumerateFiles(dir, prefix + "*")
            .Where(f => Path.GetFileName(f) is var n && n.Length > prefix.Length && char.IsAsciiDigit(n[prefix.Length]))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The log's bytes across rotations, oldest first: the current file, preceded by as many rotated parts as needed to
    /// hold <paramref name="tailLines"/> lines (all of them when null).
    /// </summary>
    public static byte[] Read(string logPath, int? tailLines) => WithRotated(logPath, ReadShared(logPath), tailLines);

    /// <summary>As <see cref="Read"/>, with the current file's bytes already read (<paramref name="current"/>).</summary>
    public static byte[] WithRotated(string logPath, byte[] current, int? tailLines)
    {
        var parts = new List<byte[]> { current };
        var rotated = Rotated(logPath);
        for (var i = rotated.Count - 1; i >= 0 && (tailLines is null || Lines(parts) <= tailLines.Value); i--)
        {
            parts.Insert(0, ReadShared(rotated[i]));
        }

        return parts.SelectMany(p => p).ToArray();
    }

    private static int Lines(List<byte[]> parts) => parts.Sum(p => p.Count(b => b == (byte)'\n'));

    private static byte[] ReadShared(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var data = new byte[file.Length];
            var n = file.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
            return n == data.Length ? data : data[..n];
        }
        catch (FileNotFoundException)
        {
            return [];
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }
}
