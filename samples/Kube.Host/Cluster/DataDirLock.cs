using Microsoft.Extensions.Logging;

namespace Kube.Host.Cluster;

/// <summary>
/// An exclusive lock on a data directory (an advisory flock on <c>DIR/kube-host.lock</c>), held for the life of
/// the process. Two kube-host processes on one data dir would corrupt the store's WAL; a restart that begins
/// while the previous process is still draining its pods waits for it instead.
/// </summary>
internal sealed class DataDirLock : IDisposable
{
    private readonly FileStream _file;

    private DataDirLock(FileStream file) => _file = file;

    public static async Task<DataDirLock> AcquireAsync(string dataDir, TimeSpan wait, ILogger logger, CancellationToken ct)
    {
        var path = Path.Combine(dataDir, "kube-host.lock");
        var deadline = TimeProvider.System.GetUtcNow() + wait;
        var logged = false;
        while (true)
        {
            try
            {
                // On Unix, FileShare.None takes flock(LOCK_EX | LOCK_NB); the kernel drops it when the process dies.
                var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                file.SetLength(0);
                var pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId + "\n");
                file.Write(pid);
                file.Flush();
                return new DataDirLock(file);
            }
            catch (IOException) when (TimeProvider.System.GetUtcNow() < deadline)
            {
                if (!logged)
                {
                    logger.LogWarning("Data directory {DataDir} is in use by another kube-host; waiting up to {Wait} for it to stop", dataDir, wait);
                    logged = true;
                }
                await Task.Delay(250, ct);
            }
            catch (IOException e)
            {
                throw new InvalidOperationException($"data directory {dataDir} is in use by another kube-host process (lock {path}); stop it first", e);
            }
        }
    }

    public void Dispose() => _file.Dispose();
}
