namespace Kube.Node.Runtime.Process;

/// <summary>
/// Machine-wide claims on pod IPs, so that two runtimes on one machine (two kube-host clusters, tests running in
/// parallel, whatever their pod CIDRs) never hand out the same loopback address. A claim is an exclusive
/// <c>flock</c> on the file <c>&lt;dir&gt;/&lt;ip&gt;</c>, held through an open descriptor for as long as the IP is
/// allocated: the kernel drops it when the holder closes it or dies (even by kill -9), so there is nothing stale to
/// clean up. The files stay (created 0666 less the umask, in a 1777 directory: a claim needs only read access), as deleting
/// a lock file would race with its next claimer.
/// Thread-safe.
/// </summary>
internal sealed class PodIpClaims : IDisposable
{
    private const UnixFileMode SharedDir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.StickyBit;

    private const UnixFileMode SharedFile = UnixFileMode.UserRead | UnixFileMode.UserWrite
        | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    private readonly string _dir;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, FileStream> _held = new(StringComparer.Ordinal);
    private bool _disposed;

    private PodIpClaims(string dir) => _dir = dir;

    /// <summary>The folder every runtime of the machine shares by default: <c>$TMPDIR/kube-pod-ips</c> (<c>/tmp/kube-pod-ips</c>).</summary>
    public static string DefaultDirectory => Path.Combine(Path.GetTempPath(), "kube-pod-ips");

    /// <summary>Claims in <paramref name="dir"/>; null, with the reason, when the folder cannot be made or written.</summary>
    public static PodIpClaims? TryOpen(string dir, out string? unavailableReason)
    {
        try
        {
            if (!Directory.Exists(dir))
            {
                Directory.CreateDirectory(dir);
                TrySetMode(dir, SharedDir);
            }

            using (new FileStream(Path.Combine(dir, ".probe"), Options(FileShare.ReadWrite)))
            {
            }

            unavailableReason = null;
            return new PodIpClaims(dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            unavailableReason = $"pod IP claims folder {dir} is not usable ({ex.Message}): pod IPs are unique within this runtime only";
            return null;
        }
    }

    /// <summary>Claims <paramref name="ip"/> for this runtime; false when another holder (any process, or another runtime here) has it.</summary>
    public bool TryClaim(string ip)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_held.ContainsKey(ip))
            {
                return true;
            }

            try
            {
                // FileShare.None takes flock(LOCK_EX | LOCK_NB) on the descriptor; a held lock fails the open with an IOException.
                var stream = new FileStream(Path.Combine(_dir, ip), Options(FileShare.None));
                _held[ip] = stream;
                return true;
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return false;
            }
        }
    }

    /// <summary>Gives <paramref name="ip"/> back to the machine.</summary>
    public void Release(string ip)
    {
        lock (_lock)
        {
            if (_held.Remove(ip, out var stream))
            {
                stream.Dispose();
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (var stream in _held.Values)
            {
                stream.Dispose();
            }

            _held.Clear();
        }
    }

    private static FileStreamOptions Options(FileShare share)
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.Read, Share = share };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = SharedFile;
        }

        return options;
    }

    private static void TrySetMode(string path, UnixFileMode mode)
    {
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, mode);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Made by another user meanwhile: its mode is theirs to set.
        }
    }
}
