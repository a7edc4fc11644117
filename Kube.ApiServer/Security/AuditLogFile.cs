using System.Globalization;
using System.Text;

namespace Kube.ApiServer.Security;

/// <summary>
/// The audit log file with upstream's rotation (kube-apiserver writes through lumberjack): before a line would take the file
/// past <c>maxSize</c> megabytes (0: 100, as upstream), the file is renamed to <c>&lt;name&gt;-&lt;UTC time
/// yyyy-MM-ddTHH-mm-ss.fff&gt;&lt;.ext&gt;</c> beside it and a new one is started; then backups beyond <c>maxBackups</c> (0: all kept)
/// and older than <c>maxAgeDays</c> (0: kept) are deleted, oldest first. Files are created with mode 0600. Not thread-safe:
/// <see cref="AuditLog"/> serializes writes.
/// </summary>
internal sealed class AuditLogFile : IDisposable
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH-mm-ss.fff";
    private readonly string _path;
    private readonly long _maxBytes;
    private readonly int _maxBackups;
    private readonly int _maxAgeDays;
    private readonly TimeProvider _time;
    private FileStream _file;

    public AuditLogFile(string path, int maxSizeMegabytes, int maxBackups, int maxAgeDays, TimeProvider time, long? maxBytesForTests = null)
    {
        _path = path;
        _maxBytes = maxBytesForTests ?? (maxSizeMegabytes > 0 ? maxSizeMegabytes : 100) * 1024L * 1024L;
        _maxBackups = maxBackups;
        _maxAgeDays = maxAgeDays;
        _time = time;
        _file = Open(path);
    }

    private static FileStream Open(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read | FileShare.Delete };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return new FileStream(path, options);
    }

    public void WriteLine(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        if (_file.Length > 0 && _file.Length + bytes.Length > _maxBytes) Rotate();
        _file.Write(bytes);
        _file.Flush();
    }

    private void Rotate()
    {
        _file.Dispose();
        var dir = Path.GetDirectoryName(Path.GetFullPath(_path))!;
        var name = Path.GetFileNameWithoutExtension(_path);
        var ext = Path.GetExtension(_path);
        var now = _time.GetUtcNow().UtcDateTime;
        var backup = Path.Combine(dir, $"{name}-{now.ToString(TimeFormat, CultureInfo.InvariantCulture)}{ext}");
        for (var i = 1; File.Exists(backup) && i < 1000; i++) backup = Path.Combine(dir, $"{name}-{now.ToString(TimeFormat, CultureInfo.InvariantCulture)}.{i}{ext}");
        File.Move(_path, backup);
        _file = Open(_path);
        Prune(dir, name, ext, now);
    }

    private void Prune(string dir, string name, string ext, DateTime now)
    {
        var backups = new List<(string Path, DateTime At)>();
        foreach (var f in Directory.EnumerateFiles(dir, $"{name}-*{ext}"))
        {
            var stamp = Path.GetFileName(f)[(name.Length + 1)..^ext.Length];
            if (stamp.Length >= 23 && DateTime.TryParseExact(stamp[..23], TimeFormat, CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at))
                backups.Add((f, at));
        }
        backups.Sort((a, b) => b.At.CompareTo(a.At)); // newest first
        for (var i = 0; i < backups.Count; i++)
        {
            var tooMany = _maxBackups > 0 && i >= _maxBackups;
            var tooOld = _maxAgeDays > 0 && backups[i].At < now.AddDays(-_maxAgeDays);
            if (!tooMany && !tooOld) continue;
            try
            {
                File.Delete(backups[i].Path);
            }
            catch (IOException)
            {
            }
        }
    }

    public void Dispose() => _file.Dispose();
}
