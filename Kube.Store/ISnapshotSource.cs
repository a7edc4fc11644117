namespace Kube.Store;

/// <summary>A store that can write a point-in-time copy of its state (used by etcd's Maintenance.Snapshot).</summary>
internal interface ISnapshotSource
{
    /// <summary>Writes a consistent snapshot of the whole state to <paramref name="destination"/>; returns its revision.</summary>
    ValueTask<long> WriteSnapshotAsync(Stream destination, CancellationToken cancellationToken);
}
