namespace Kube.Node.Runtime;

/// <summary>
/// A host file or directory made visible inside a container at <see cref="ContainerPath"/> (CRI's Mount). The process
/// runtime bind-mounts it inside the container's own mount namespace; the host's tree is never changed.
/// </summary>
public sealed record ContainerMount
{
    /// <summary>The absolute path inside the container (the volumeMount's mountPath).</summary>
    public required string ContainerPath { get; init; }

    /// <summary>The absolute host path to mount there (a file or a directory).</summary>
    public required string HostPath { get; init; }

    /// <summary>Mount read-only. Default false.</summary>
    public bool ReadOnly { get; init; }
}
