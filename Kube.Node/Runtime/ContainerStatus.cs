namespace Kube.Node.Runtime;

/// <summary>A snapshot of one container.</summary>
public sealed record ContainerStatus
{
    public required string Id { get; init; }
    public required string SandboxId { get; init; }
    public required string Name { get; init; }
    public string Image { get; init; } = "";
    public required ContainerState State { get; init; }
    public int Attempt { get; init; }
    /// <summary>The host pid of the container's main process while it runs (process runtime), else null.</summary>
    public int? Pid { get; init; }
    /// <summary>The exit code once exited: the process's code, or 128 + signal when a signal ended it.</summary>
    public int? ExitCode { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>A short CamelCase reason (Completed, Error, StartError, ...), when known.</summary>
    public string? Reason { get; init; }
    public string? Message { get; init; }
    /// <summary>The file holding the container's stdout and stderr.</summary>
    public string? LogPath { get; init; }
}
