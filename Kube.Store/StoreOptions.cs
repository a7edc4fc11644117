namespace Kube.Store;

/// <summary>Settings of an <see cref="EmbeddedStore"/> member.</summary>
public sealed class StoreOptions
{
    /// <summary>2 GiB: etcd's default <c>--quota-backend-bytes</c>.</summary>
    public const long DefaultQuotaBackendBytes = 2L * 1024 * 1024 * 1024;

    /// <summary>1.5 MiB: etcd's default <c>--max-request-bytes</c>.</summary>
    public const int DefaultMaxRequestBytes = 1536 * 1024;

    /// <summary>The data directory; the WAL goes to <c>DataDir/wal</c> and snapshots to <c>DataDir/snap</c>. Required; no default.</summary>
    public string DataDir { get; set; } = "";

    /// <summary>This member's name; the member and cluster ids are derived from it. Default <c>"default"</c> (as etcd).</summary>
    public string MemberName { get; set; } = "default";

    /// <summary>Applied entries between snapshots; after each snapshot the WAL segments it covers are deleted. Default 10,000. 0 disables snapshots.</summary>
    public long SnapshotCount { get; set; } = 10_000;

    /// <summary>The space quota in bytes (approximate stored size of all retained versions). Writes that add data beyond it
    /// fail with <see cref="StoreErrorCode.NoSpace"/>; deletes and compaction still work. Default 2 GiB.</summary>
    public long QuotaBackendBytes { get; set; } = DefaultQuotaBackendBytes;

    /// <summary>The largest encoded write request; larger ones fail with <see cref="StoreErrorCode.RequestTooLarge"/>. Default 1.5 MiB.</summary>
    public int MaxRequestBytes { get; set; } = DefaultMaxRequestBytes;

    /// <summary>WAL segment size; a new segment starts once the current one passes it. Default 64 MiB.</summary>
    public long WalSegmentBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Watch responses buffered per watcher. A watcher whose buffer is full never blocks writers: it stops receiving
    /// live events and catches up from the store's revision history when its reader drains the buffer. If that history
    /// is compacted before it catches up, its stream ends with <see cref="StoreErrorCode.Compacted"/> and the client
    /// must re-watch (or relist). Default 1,024.
    /// </summary>
    public int WatchBufferSize { get; set; } = 1024;

    /// <summary>Write proposals queued for the log; when the queue is full, writers wait. Default 16,384.</summary>
    public int ProposalQueueLength { get; set; } = 16_384;

    /// <summary>How often lease expiry is checked (using the store's <see cref="TimeProvider"/>). Default 500 ms.</summary>
    public TimeSpan LeaseCheckInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// etcd's <c>--initial-cluster</c>: <c>name=peerURL,...</c>. Empty or one member: a single-member store (the default).
    /// Two or more: a replicated member (needs a peer transport, as <see cref="Etcd.EtcdServer"/> sets up). Default empty.
    /// </summary>
    public string InitialCluster { get; set; } = "";

    /// <summary>etcd's <c>--initial-cluster-state</c>: <c>new</c> founds the cluster; <c>existing</c> joins one after <c>member add</c>. Default <c>new</c>.</summary>
    public string InitialClusterState { get; set; } = "new";

    /// <summary>etcd's <c>--initial-cluster-token</c>: mixed into member and cluster ids. Default <c>etcd-cluster</c>.</summary>
    public string InitialClusterToken { get; set; } = "etcd-cluster";

    /// <summary>etcd's <c>--advertise-client-urls</c>, comma-separated: published to the other members for <c>member list</c>. Default empty.</summary>
    public string AdvertiseClientUrls { get; set; } = "";

    /// <summary>
    /// Entries a replicated member keeps in its log behind a snapshot, so a slightly lagging member catches up without a snapshot
    /// (etcd's <c>--experimental-snapshot-catchup-entries</c>). Default 5,000.
    /// </summary>
    public long SnapshotCatchUpEntries { get; set; } = 5_000;

    /// <summary>Raft tick of a replicated member (etcd's <c>--heartbeat-interval</c>). Default 100 ms; the election timeout is 10 ticks (1 s).</summary>
    public TimeSpan RaftTickInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>True when <see cref="InitialCluster"/> names two or more members or <see cref="InitialClusterState"/> is <c>existing</c>.</summary>
    public bool IsReplicated =>
        InitialClusterState == "existing" || InitialCluster.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')[0].Trim()).Distinct().Count() > 1;

    /// <summary>The problems with these settings, each naming the setting and the rule; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDir))
        {
            errors.Add($"{nameof(DataDir)} is required.");
        }
        if (string.IsNullOrWhiteSpace(MemberName))
        {
            errors.Add($"{nameof(MemberName)} must not be empty.");
        }
        if (SnapshotCount < 0)
        {
            errors.Add($"{nameof(SnapshotCount)} must be 0 (disabled) or positive.");
        }
        if (QuotaBackendBytes <= 0)
        {
            errors.Add($"{nameof(QuotaBackendBytes)} must be positive.");
        }
        if (MaxRequestBytes <= 0)
        {
            errors.Add($"{nameof(MaxRequestBytes)} must be positive.");
        }
        if (WalSegmentBytes < 4096)
        {
            errors.Add($"{nameof(WalSegmentBytes)} must be at least 4096.");
        }
        if (WatchBufferSize <= 0)
        {
            errors.Add($"{nameof(WatchBufferSize)} must be positive.");
        }
        if (ProposalQueueLength <= 0)
        {
            errors.Add($"{nameof(ProposalQueueLength)} must be positive.");
        }
        if (LeaseCheckInterval <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(LeaseCheckInterval)} must be positive.");
        }
        if (InitialClusterState is not ("new" or "existing"))
        {
            errors.Add($"{nameof(InitialClusterState)} must be 'new' or 'existing'.");
        }
        if (SnapshotCatchUpEntries < 0)
        {
            errors.Add($"{nameof(SnapshotCatchUpEntries)} must not be negative.");
        }
        if (RaftTickInterval <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(RaftTickInterval)} must be positive.");
        }
        return errors;
    }
}
