namespace Kube.Store.Etcd.Snapshot;

/// <summary>What <see cref="SnapshotRestore.RestoreAsync"/> rebuilt.</summary>
/// <param name="DataDir">The member's data directory (absolute).</param>
/// <param name="Revision">The store revision the restored member starts at.</param>
/// <param name="CompactRevision">The compacted revision carried over from the snapshot.</param>
/// <param name="Keys">Live keys in the restored state.</param>
public sealed record SnapshotRestoreResult(string DataDir, long Revision, long CompactRevision, long Keys);
