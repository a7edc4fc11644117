namespace Kube.Node.Agent.Volumes;

/// <summary>
/// Writes a configMap, secret, downwardAPI or projected volume as upstream's atomic writer does: the files live in a
/// timestamped directory <c>..&lt;stamp&gt;</c>, the symlink <c>..data</c> points at it, and each top-level entry is a
/// symlink through <c>..data</c>. An update writes a new directory and renames a new <c>..data</c> link over the old
/// one, so a reader sees either the old set of files or the new one, never a mix.
/// </summary>
internal static class AtomicVolumeWriter
{
    public const string DataLink = "..data";

    /// <summary>Writes <paramref name="files"/> (relative path → content and mode) into <paramref name="dir"/>; returns false when nothing changed.</summary>
    public static bool Write(string dir, IReadOnlyDictionary<string, (byte[] Content, int Mode)> files, TimeProvider time)
    {
        foreach (var path in files.Keys)
        {
            if (path.Length == 0 || path.StartsWith('/') || path.Split('/').Any(p => p is ".." or "") || path.StartsWith("..", StringComparison.Ordinal))
            {
                throw new VolumeSetupException($"invalid path \"{path}\": it must be relative, without '..' elements, and must not start with '..'");
            }
        }

        Directory.CreateDirectory(dir);
        var link = Path.Combine(dir, DataLink);
        var current = new FileInfo(link).LinkTarget;
        if (current is not null && Same(Path.Combine(dir, current), files))
        {
            return false;
        }

        var stamp = $"..{time.GetUtcNow():yyyy_MM_dd_HH_mm_ss}.{Random.Shared.Next(100_000_000, 999_999_999)}";
        var staged = Path.Combine(dir, stamp);
        Directory.CreateDirectory(staged);
        foreach (var (path, (content, mode)) in files)
        {
            var file = Path.Combine(staged, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, content);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(file, (UnixFileMode)(mode & 0xfff));
            }
        }

        var tmpLink = Path.Combine(dir, "..data_tmp");
        if (new FileInfo(tmpLink).LinkTarget is not null)
        {
            File.Delete(tmpLink);
        }

        File.CreateSymbolicLink(tmpLink, stamp);
        // rename(2) replaces the old link atomically (File.Move would refuse a link to a directory).
        if (Kube.Node.Runtime.Process.LibC.Rename(tmpLink, link) != 0)
        {
            throw new IOException($"renaming {tmpLink} to {link} failed with errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }

        var top = files.Keys.Select(p => p.Split('/')[0]).ToHashSet(StringComparer.Ordinal);
        foreach (var name in top)
        {
            var entry = Path.Combine(dir, name);
            if (new FileInfo(entry).LinkTarget is null)
            {
                File.CreateSymbolicLink(entry, Path.Combine(DataLink, name));
            }
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
        {
            var name = Path.GetFileName(entry);
            if (name.StartsWith("..", StringComparison.Ordinal))
            {
                if (name != DataLink && name != stamp && name.StartsWith("..20", StringComparison.Ordinal))
                {
                    Directory.Delete(entry, recursive: true);
                }

                continue;
            }

            if (!top.Contains(name) && new FileInfo(entry).LinkTarget is not null)
            {
                File.Delete(entry);
            }
        }

        return true;
    }

    private static bool Same(string dir, IReadOnlyDictionary<string, (byte[] Content, int Mode)> files)
    {
        if (!Directory.Exists(dir))
        {
            return false;
        }

        var existing = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir, f)).ToHashSet(StringComparer.Ordinal);
        if (!existing.SetEquals(files.Keys))
        {
            return false;
        }

        foreach (var (path, (content, mode)) in files)
        {
            var file = Path.Combine(dir, path);
            if ((!OperatingSystem.IsWindows() && (int)File.GetUnixFileMode(file) != (mode & 0xfff)) || !File.ReadAllBytes(file).AsSpan().SequenceEqual(content))
            {
                return false;
            }
        }

        return true;
    }
}
