namespace Kube.Store.Etcd.Snapshot;

/// <summary>
/// How <see cref="SnapshotRestore"/> rebuilds a member: <c>etcdctl snapshot restore</c>'s flags, with its defaults. When
/// <see cref="InitialCluster"/> names more than one member, the data directory is a member of a new replicated cluster (start
/// each restored member with the same <c>--initial-cluster</c> and token); otherwise it is a single-member store.
/// </summary>
public sealed record SnapshotRestoreOptions
{
    /// <summary>The restored member's name (<c>--name</c>). Default <c>default</c>.</summary>
    public string Name { get; init; } = "default";

    /// <summary>The new cluster's members, <c>name=peerURL,...</c> (<c>--initial-cluster</c>). Default <c>NAME=http://localhost:2380</c>.</summary>
    public string? InitialCluster { get; init; }

    /// <summary>The new cluster's token (<c>--initial-cluster-token</c>); member and cluster ids derive from it. Default <c>etcd-cluster</c>.</summary>
    public string InitialClusterToken { get; init; } = "etcd-cluster";

    /// <summary>This member's peer URLs (<c>--initial-advertise-peer-urls</c>); must equal its entry in <see cref="InitialCluster"/>. Default <c>http://localhost:2380</c>.</summary>
    public string InitialAdvertisePeerUrls { get; init; } = "http://localhost:2380";

    /// <summary>Do not verify the SHA-256 trailer (<c>--skip-hash-check</c>); a file without one is then read whole. Default false.</summary>
    public bool SkipHashCheck { get; init; }
}
