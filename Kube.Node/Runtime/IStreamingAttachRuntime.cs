namespace Kube.Node.Runtime;

/// <summary>
/// A runtime that serves attach itself, as CRI's streaming Attach does: the running container's standard input, its stdout and
/// stderr (apart, without a terminal) and its terminal's size go through the runtime's own streaming server, which the kubelet
/// server relays to. Optional: without it the kubelet server follows the container's log for output and needs
/// <see cref="IAttachRuntime"/> for input.
/// </summary>
public interface IStreamingAttachRuntime
{
    /// <summary>
    /// Attaches to the running container. The returned process's exit is the end of the attach (the container stopped, 0);
    /// killing it only detaches. <paramref name="tty"/> must match the container's own setting; with it there is no stderr.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The container does not exist.</exception>
    /// <exception cref="InvalidOperationException">The container is not running, or the runtime refused or failed the attach.</exception>
    Task<ExecProcess> AttachAsync(string containerId, bool stdin, bool stdout, bool stderr, bool tty, CancellationToken cancellationToken);
}
