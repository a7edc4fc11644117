namespace Kube.Node.Runtime;

/// <summary>
/// A runtime whose containers can keep their standard input open (<see cref="ContainerConfig.Stdin"/>) for <c>kubectl attach -i</c>
/// and <c>kubectl debug -it</c>. Optional: the kubelet server refuses stdin on attach to runtimes without it. Output comes apart from
/// <see cref="OpenOutput"/> where the runtime carries it so, otherwise from the container's log, which a terminal container's
/// runtime fills from the terminal.
/// </summary>
public interface IAttachRuntime
{
    /// <summary>Opens one attach session's input to a running container; null when the container was not created with stdin.</summary>
    /// <exception cref="KeyNotFoundException">The container does not exist.</exception>
    /// <exception cref="InvalidOperationException">The container is not running, or its input is gone (closed after the first attach with stdinOnce, or lost).</exception>
    ContainerInput? OpenInput(string containerId);

    /// <summary>
    /// Opens one attach session's view of a running container's output with stdout and stderr apart; null when the runtime does not
    /// carry them apart for this container (then the attach follows the container's log, both streams together on stdout).
    /// </summary>
    ContainerOutput? OpenOutput(string containerId) => null;
}
