namespace Kube.Node.Runtime;

/// <summary>A snapshot of one sandbox.</summary>
public sealed record PodSandboxStatus
{
    public required string Id { get; init; }
    public required string PodUid { get; init; }
    public required string PodName { get; init; }
    public required string PodNamespace { get; init; }
    public required PodSandboxState State { get; init; }
    /// <summary>The pod's IP, or null when the runtime gives none.</summary>
    public string? Ip { get; init; }
    /// <summary>The pod's working directory on the host (process runtime), or null.</summary>
    public string? WorkingDirectory { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public int Attempt { get; init; }
}
