namespace Kube.Node.Runtime;

/// <summary>
/// A container runtime shaped after CRI v1's RuntimeService: pod sandboxes (one per pod, holding its IP and
/// working directory) and containers inside them. Implementations: the process runtime (a container is a host
/// process), and later CRI (containerd over gRPC) and a simulated one.
/// </summary>
/// <remarks>
/// Calls are idempotent where CRI's are: stopping or removing something already stopped or gone succeeds.
/// Unknown ids throw <see cref="KeyNotFoundException"/> for operations that need the object.
/// </remarks>
public interface IContainerRuntime
{
    /// <summary>The runtime's name as reported in the node's containerRuntimeVersion, e.g. "process".</summary>
    string RuntimeName { get; }

    /// <summary>The runtime's version, e.g. "0.1".</summary>
    string RuntimeVersion { get; }

    /// <summary>Loads persisted state (after a restart of the agent) and starts background work (reaping). Call once before other calls.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Creates a ready sandbox for a pod and returns its id; the sandbox gets an IP and a working directory.</summary>
    Task<string> RunPodSandboxAsync(PodSandboxConfig config, CancellationToken cancellationToken);

    /// <summary>Stops every container of the sandbox (SIGTERM, then SIGKILL after <paramref name="gracePeriod"/>) and marks it not ready.</summary>
    Task StopPodSandboxAsync(string sandboxId, TimeSpan gracePeriod, CancellationToken cancellationToken);

    /// <summary>Stops and removes the sandbox, its containers and its state, and releases its IP.</summary>
    Task RemovePodSandboxAsync(string sandboxId, CancellationToken cancellationToken);

    /// <summary>The sandbox's status, or null when it does not exist.</summary>
    Task<PodSandboxStatus?> PodSandboxStatusAsync(string sandboxId, CancellationToken cancellationToken);

    /// <summary>All sandboxes known to the runtime.</summary>
    Task<IReadOnlyList<PodSandboxStatus>> ListPodSandboxesAsync(CancellationToken cancellationToken);

    /// <summary>Creates (but does not start) a container in a sandbox; returns its id.</summary>
    Task<string> CreateContainerAsync(string sandboxId, ContainerConfig config, CancellationToken cancellationToken);

    /// <summary>
    /// Starts a created container. A container that cannot start (no command, executable not found) ends up
    /// <see cref="ContainerState.Exited"/> with a reason and message rather than throwing.
    /// </summary>
    Task StartContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Stops a container: SIGTERM to its process group, SIGKILL after <paramref name="timeout"/>. Returns once it has exited.</summary>
    Task StopContainerAsync(string containerId, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Stops (at once) and removes a container.</summary>
    Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>The containers of one sandbox, or of all sandboxes when <paramref name="sandboxId"/> is null.</summary>
    Task<IReadOnlyList<ContainerStatus>> ListContainersAsync(string? sandboxId, CancellationToken cancellationToken);

    /// <summary>
    /// Runs a command in a running container's context (its environment and working directory) and waits for it,
    /// killing it after <paramref name="timeout"/>; exec probes use it.
    /// </summary>
    Task<ExecResult> ExecSyncAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>A container's status, or null when it does not exist.</summary>
    Task<ContainerStatus?> ContainerStatusAsync(string containerId, CancellationToken cancellationToken);
}
