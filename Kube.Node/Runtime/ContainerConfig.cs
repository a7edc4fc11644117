namespace Kube.Node.Runtime;

/// <summary>What a container is created from: the pod spec's container, resolved by the agent.</summary>
public sealed record ContainerConfig
{
    public required string Name { get; init; }
    public string Image { get; init; } = "";
    /// <summary>The entrypoint; when empty, <see cref="Args"/> is the whole command line.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];
    public IReadOnlyList<string> Args { get; init; } = [];
    /// <summary>Environment variables, overriding the sandbox's.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    /// <summary>A working directory; null uses the pod's.</summary>
    public string? WorkingDir { get; init; }
    /// <summary>The restart count this container is created for (0 for the first run).</summary>
    public int Attempt { get; init; }
    /// <summary>The memory limit in bytes (resources.limits.memory); null for none.</summary>
    public long? MemoryLimitBytes { get; init; }
    /// <summary>The CPU limit in millicores (resources.limits.cpu); null for none.</summary>
    public long? CpuLimitMillicores { get; init; }
    /// <summary>Volumes to mount into the container. Default none (the process runtime then starts the command directly).</summary>
    public IReadOnlyList<ContainerMount> Mounts { get; init; } = [];
    /// <summary>Keep the container's standard input open for attaching (the container's <c>stdin</c>). Default false: it reads end-of-file at once.</summary>
    public bool Stdin { get; init; }
    /// <summary>Close the standard input when the first attach session that wrote to it ends (<c>stdinOnce</c>). Default false.</summary>
    public bool StdinOnce { get; init; }
    /// <summary>Run the container on a terminal (<c>tty</c>): its standard streams are the terminal's, its output all one stream. Default false.</summary>
    public bool Tty { get; init; }
}
