using Kube.Node.Runtime;
using Kube.Node.Server;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Agent.Logs;

/// <summary>
/// Rotates running containers' log files by size, as upstream's container log manager does with containerLogMaxSize and
/// containerLogMaxFiles: a file above the size moves to a timestamped part, and the oldest parts beyond the count are
/// deleted. Only for runtimes whose log files the agent can reach (the process runtime), whose container processes hold
/// the file open with O_APPEND, so it cannot be renamed away from them. Where the filesystem can (ext4, xfs), the part
/// gets the file's whole 4 KiB blocks and those are cut from the file's head with fallocate(FALLOC_FL_COLLAPSE_RANGE):
/// what the container appends meanwhile stays in the file, nothing is lost. Elsewhere the file is copied and truncated
/// in place, and bytes written between the copy and the truncation are lost.
/// </summary>
internal sealed class ContainerLogRotator(IContainerRuntime runtime, long maxSize, int maxFiles, TimeProvider time, ILogger logger)
{
    public async Task RotateAsync(CancellationToken cancellationToken)
    {
        foreach (var c in await runtime.ListContainersAsync(null, cancellationToken).ConfigureAwait(false))
        {
            if (c.LogPath is not { } path || c.State != ContainerState.Running)
            {
                continue;
            }

            try
            {
                var info = new FileInfo(path);
                if (info.Exists && info.Length > maxSize)
                {
                    Rotate(path);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("Rotating the log {Path} of container {Container} failed: {Message}", path, c.Name, ex.Message);
            }
        }
    }

    /// <summary>The unit of the collapse: a multiple of every common filesystem block size up to 4 KiB.</summary>
    private const int CollapseUnit = 4096;

    /// <summary>Rotates <paramref name="path"/>; true when no byte can have been lost (the collapse worked).</summary>
    internal bool Rotate(string path)
    {
        var part = $"{path}.{time.GetUtcNow().UtcDateTime:yyyyMMdd-HHmmss.fffffff}";
        var lossless = false;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
        {
            // The collapsed range must end before the end of the file.
            var head = (file.Length - 1) / CollapseUnit * CollapseUnit;
            if (head > 0)
            {
                using (var output = new FileStream(part, FileMode.CreateNew, FileAccess.Write))
                {
                    CopyHead(file, output, head);
                }

                lossless = Kube.Node.Runtime.Process.LibC.Fallocate(file.SafeFileHandle, Kube.Node.Runtime.Process.LibC.FALLOC_FL_COLLAPSE_RANGE, 0, head) == 0;
                if (!lossless)
                {
                    File.Delete(part);
                }
            }

            if (!lossless)
            {
                File.Copy(path, part, overwrite: false);
                file.SetLength(0);
            }
        }

        var parts = ContainerLogFiles.Rotated(path);
        for (var i = 0; i < parts.Count - (maxFiles - 1); i++)
        {
            File.Delete(parts[i]);
        }

        return lossless;
    }

    private static void CopyHead(FileStream source, FileStream destination, long count)
    {
        var buffer = new byte[64 * 1024];
        source.Position = 0;
        while (count > 0)
        {
            var n = source.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
            if (n == 0)
            {
                throw new IOException("the log file shrank while it was rotated");
            }

            destination.Write(buffer, 0, n);
            count -= n;
        }
    }
}
