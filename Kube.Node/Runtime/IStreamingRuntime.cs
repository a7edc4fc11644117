namespace Kube.Node.Runtime;

/// <summary>
/// A runtime that can start an interactive command in a container (CRI's streaming Exec), used by the kubelet server's
/// <c>/exec</c>. Optional: a runtime without it gets exec refused with a clear error.
/// </summary>
public interface IStreamingRuntime
{
    /// <summary>
    /// Starts <paramref name="command"/> in the running container's context: with piped stdin, stdout and stderr when
    /// <paramref name="terminal"/> is null, otherwise on a new terminal of that initial size (0 x 0 when unknown) that is
    /// the command's controlling terminal and all three of its standard streams.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The container does not exist.</exception>
    /// <exception cref="InvalidOperationException">The container is not running, the command cannot start, or the runtime cannot give it a terminal.</exception>
    Task<ExecProcess> StartExecAsync(string containerId, IReadOnlyList<string> command, TerminalSize? terminal, CancellationToken cancellationToken);
}
