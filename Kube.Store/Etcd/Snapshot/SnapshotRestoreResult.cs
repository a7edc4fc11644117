namespace Kube.Store.Etcd.Snapshot;

/// <summary>What <see cref="SnapshotRestore.RestoreAsync"/> rebuilt.</summary>
/// <param name="DataDir">The member's data directory (absolute).</param>
/// <param name="Revision">The store revision the restored member starts at.</param>
/// <param name="CompactRevision">The compacted revision carried over from the snapshot.</param>
/// <param name="Keys">Live keys in the restored state.</param>
public sealed record SnapshotRestoreResult(string DataDir, long Revision, long CompactRevision, long Keys)
{
    /// <summary>The restored member's id in its new cluster; 0 for a single-member restore.</summary>
    public ulong MemberId { get; init; }

    /// <summary>The new cluster's id; 0 for a single-member restore.</summary>
    public ulong ClusterId { get; init; }
}
