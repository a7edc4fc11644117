using System.Text.Json.Serialization;

namespace Kube.Node.Runtime.Process;

/// <summary>The persisted state of one container, inside its sandbox's state file.</summary>
internal sealed class ContainerRecord
{
    public string Id { get; set; } = "";
    public string SandboxId { get; set; } = "";
    public string Name { get; set; } = "";
    public string Image { get; set; } = "";
    public int Attempt { get; set; }
    public List<string> Command { get; set; } = [];
    public List<string> Args { get; set; } = [];
    public Dictionary<string, string> Environment { get; set; } = [];
    public string? WorkingDir { get; set; }
    public ContainerState State { get; set; }
    public int? Pid { get; set; }
    /// <summary>The process's start time in clock ticks since boot (/proc/&lt;pid&gt;/stat field 22): tells our process from a reused pid.</summary>
    public long PidStartTicks { get; set; }
    public int? ExitCode { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Reason { get; set; }
    public string? Message { get; set; }
    public string LogPath { get; set; } = "";
    public List<ContainerMount> Mounts { get; set; } = [];
    public long? MemoryLimitBytes { get; set; }
    public long? CpuLimitMillicores { get; set; }
    public bool Stdin { get; set; }
    public bool StdinOnce { get; set; }
    public bool Tty { get; set; }
    /// <summary>The container's cgroup directories while they exist.</summary>
    public List<string> CgroupPaths { get; set; } = [];

    /// <summary>True when the process was found running after a restart of the runtime rather than started by it.</summary>
    [JsonIgnore]
    public bool Adopted { get; set; }
}
