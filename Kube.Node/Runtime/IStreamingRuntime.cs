namespace Kube.Node.Runtime;

/// <summary>
/// A runtime that can start an interactive command in a container (CRI's streaming Exec), used by the kubelet server's
/// <c>/exec</c>. Optional: a runtime without it gets exec refused with a clear error.
/// </summary>
public interface IStreamingRuntime
{
    /// <summary>Starts <paramref name="command"/> in the running container's context with piped stdin, stdout and stderr.</summary>
    /// <exception cref="KeyNotFoundException">The container does not exist.</exception>
    /// <exception cref="InvalidOperationException">The container is not running, or the command cannot start.</exception>
    Task<ExecProcess> StartExecAsync(string containerId, IReadOnlyList<string> command, CancellationToken cancellationToken);
}
