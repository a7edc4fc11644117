using System.Text.Json.Serialization;

namespace Kube.Node.Stats;

/// <summary>The Summary API's FsStats (stats/v1alpha1): a filesystem's bytes and inodes.</summary>
public sealed record FsStats
{
    /// <summary>When the figures were sampled.</summary>
    [JsonPropertyName("time")]
    public DateTimeOffset Time { get; init; }

    /// <summary>Bytes available to unprivileged users.</summary>
    [JsonPropertyName("availableBytes")]
    public ulong? AvailableBytes { get; init; }

    /// <summary>The filesystem's size in bytes.</summary>
    [JsonPropertyName("capacityBytes")]
    public ulong? CapacityBytes { get; init; }

    /// <summary>Bytes used (for a container or pod: by its files only).</summary>
    [JsonPropertyName("usedBytes")]
    public ulong? UsedBytes { get; init; }

    /// <summary>Free inodes.</summary>
    [JsonPropertyName("inodesFree")]
    public ulong? InodesFree { get; init; }

    /// <summary>All inodes.</summary>
    [JsonPropertyName("inodes")]
    public ulong? Inodes { get; init; }

    /// <summary>Inodes used.</summary>
    [JsonPropertyName("inodesUsed")]
    public ulong? InodesUsed { get; init; }
}
