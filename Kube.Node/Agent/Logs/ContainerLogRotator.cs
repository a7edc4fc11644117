using Kube.Node.Runtime;
using Kube.Node.Server;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Agent.Logs;

/// <summary>
/// Rotates running containers' log files by size, as upstream's container log manager does with containerLogMaxSize and
/// containerLogMaxFiles: a file above the size is copied to a timestamped part and truncated in place (the container's
/// process keeps appending to the same file with O_APPEND), and the oldest parts beyond the count are deleted.
/// Only for runtimes whose log files the agent can reach (the process runtime); bytes written between the copy and the
/// truncation are lost, the price of rotating a file its writer holds open.
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

    internal void Rotate(string path)
    {
        var part = $"{path}.{time.GetUtcNow().UtcDateTime:yyyyMMdd-HHmmss.fffffff}";
        File.Copy(path, part, overwrite: false);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
            file.SetLength(0);
        }

        var parts = ContainerLogFiles.Rotated(path);
        for (var i = 0; i < parts.Count - (maxFiles - 1); i++)
        {
            File.Delete(parts[i]);
        }
    }
}
