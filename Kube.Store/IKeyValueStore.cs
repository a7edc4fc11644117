namespace Kube.Store;

/// <summary>
/// The store contract shared by the embedded Raft store and the client to a real etcd cluster.
/// Its shapes follow etcd's v3 API (range, txn with compares, watch from a revision, compaction),
/// so that the etcd gRPC service and the API server's registry can both sit on top of it.
/// </summary>
/// <remarks>
/// Every mutating call returns only after the change is durable (fsynced, and with Raft, committed
/// by a quorum). Reads are linearizable unless <see cref="RangeRequest.Serializable"/> is set.
/// </remarks>
public interface IKeyValueStore
{
    /// <summary>Reads one key, or the range [key, rangeEnd), at the current or a past revision.</summary>
    /// <exception cref="StoreException">Code <see cref="StoreErrorCode.Compacted"/> when the revision was compacted, <see cref="StoreErrorCode.FutureRevision"/> when it is ahead of the store.</exception>
    ValueTask<RangeResult> RangeAsync(RangeRequest request, CancellationToken cancellationToken = default);

    /// <summary>Writes one key. A convenience over <see cref="TxnAsync"/> with no compares.</summary>
    ValueTask<PutResult> PutAsync(PutRequest request, CancellationToken cancellationToken = default);

    /// <summary>Deletes one key or the range [key, rangeEnd).</summary>
    ValueTask<DeleteRangeResult> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken = default);

    /// <summary>Atomically evaluates the compares, then runs the success or the failure operations, at one new revision.</summary>
    ValueTask<TxnResult> TxnAsync(TxnRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams the changes to a key or range from <see cref="WatchRequest.StartRevision"/> (0 means "from now").
    /// The stream ends when the token is cancelled. A start revision at or below the compacted revision
    /// throws <see cref="StoreException"/> with <see cref="StoreErrorCode.Compacted"/> and the compact revision.
    /// </summary>
    IAsyncEnumerable<WatchResponse> WatchAsync(WatchRequest request, CancellationToken cancellationToken = default);

    /// <summary>Discards the history before <paramref name="revision"/>. Keys' latest values are kept.</summary>
    ValueTask<CompactResult> CompactAsync(long revision, CancellationToken cancellationToken = default);

    /// <summary>Grants a lease with a TTL in seconds. An <paramref name="id"/> of 0 lets the store choose.</summary>
    ValueTask<LeaseGrantResult> LeaseGrantAsync(long ttlSeconds, long id = 0, CancellationToken cancellationToken = default);

    /// <summary>Revokes a lease and deletes every key attached to it.</summary>
    ValueTask<ResponseHeader> LeaseRevokeAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Renews a lease; returns the new TTL, or 0 when the lease is not found.</summary>
    ValueTask<LeaseKeepAliveResult> LeaseKeepAliveAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>The lease's granted and remaining TTL, and optionally its keys. TTL -1 when not found.</summary>
    ValueTask<LeaseTimeToLiveResult> LeaseTimeToLiveAsync(long id, bool keys, CancellationToken cancellationToken = default);

    /// <summary>The current status of this member: revision, compacted revision, raft term/index and leader.</summary>
    ValueTask<StoreStatus> StatusAsync(CancellationToken cancellationToken = default);
}
