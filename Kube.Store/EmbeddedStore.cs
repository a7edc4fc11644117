using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Kube.Store.Cluster;
using Kube.Store.Mvcc;
using Kube.Store.Raft;
using Kube.Store.Raft.Core;
using Kube.Store.Raft.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Store;

/// <summary>
/// The embedded store: an etcd-like MVCC key-value store on a write-ahead log, a single member or one member of a
/// replicated cluster (<see cref="StoreOptions.IsReplicated"/>; Raft over gRPC between members, see <c>EmbeddedStore.Replication.cs</c>).
/// Writes go through the <c>Raft/</c> seam either way.
/// </summary>
/// <remarks>
/// <para>Every write is encoded as a command, proposed to the log, appended to the WAL and fsynced (many concurrent
/// writes share one fsync), then applied to the MVCC state in log order; the call completes with the apply result.
/// Acknowledged writes survive a crash. Reads are served from memory and never wait for an fsync.</para>
/// <para>Lease expiry is checked every <see cref="StoreOptions.LeaseCheckInterval"/> on the injected
/// <see cref="TimeProvider"/>; an expired lease is revoked through the same write path, deleting its keys.</para>
/// <para>Metrics are published on a <see cref="System.Diagnostics.Metrics.Meter"/> named <c>Kube.Store</c>: WAL fsync duration
/// and batch size, snapshot duration, applied entries, revision, compact revision, db size and open watches.</para>
/// </remarks>
public sealed partial class EmbeddedStore : IKeyValueStore, IAsyncDisposable, ISnapshotSource
{
    private readonly StoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<EmbeddedStore> _logger;
    private readonly MvccState _state;
    private readonly ILoggerFactory _loggers;
    private volatile IRaftNode _raft;
    private readonly StoreMetrics _metrics;
    private readonly ITimer _leaseTimer;
    private readonly ConcurrentDictionary<long, byte> _revoking = new();
    private int _checkingLeases;
    private int _disposed;

    private EmbeddedStore(StoreOptions options, TimeProvider time, ILoggerFactory loggers, MvccState state, IRaftNode raft, StoreMetrics metrics,
        ClusterMembership? membership = null)
    {
        _membership = membership;
        _metrics = metrics;
        _options = options;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<EmbeddedStore>();
        _state = state;
        _raft = raft;
        _leaseTimer = time.CreateTimer(_ => CheckLeases(), null, options.LeaseCheckInterval, options.LeaseCheckInterval);
        if (membership is not null)
        {
            _publishing = PublishAttributesAsync(_stopping.Token);
        }
    }

    /// <summary>
    /// Opens (or creates) the store in <see cref="StoreOptions.DataDir"/>: loads the latest snapshot, replays the WAL after it
    /// (truncating a torn tail; refusing to start on mid-log corruption), and starts accepting requests.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid (the message lists each problem).</exception>
    /// <exception cref="InvalidDataException">The WAL or snapshot is corrupt beyond a torn tail.</exception>
    public static Task<EmbeddedStore> OpenAsync(StoreOptions options, TimeProvider? time = null, ILoggerFactory? loggers = null,
        CancellationToken cancellationToken = default) =>
        OpenAsync(options, raftFactory: null, time, loggers, cancellationToken);

    /// <summary>
    /// Opens the store with the log built by <paramref name="raftFactory"/> (given this member's id and the MVCC state machine,
    /// which it must recover into) instead of the single-member WAL; null means <see cref="SingleMemberRaft"/>.
    /// </summary>
    /// <param name="transport">For a single member whose peer URLs are served (<see cref="StoreOptions.InitialCluster"/> names it):
    /// the peer transport it uses once a membership change turns it into a one-voter Raft member (see <c>EmbeddedStore.Grow.cs</c>),
    /// and with which a data dir that already is a replicated member's opens as one. Without it such a data dir is refused.</param>
    internal static async Task<EmbeddedStore> OpenAsync(StoreOptions options, Func<ulong, IStateMachine, IRaftNode>? raftFactory,
        TimeProvider? time = null, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default, GrpcRaftTransport? transport = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid store options: " + string.Join(" ", errors), nameof(options));
        }
        time ??= TimeProvider.System;
        loggers ??= NullLoggerFactory.Instance;
        var memberId = StableId("member:" + options.MemberName);
        var clusterId = StableId("cluster:" + options.MemberName);
        var state = new MvccState(time, clusterId, memberId, options.WatchBufferSize);
        var dataDir = Path.GetFullPath(options.DataDir);
        Directory.CreateDirectory(dataDir);
        if (raftFactory is null && OpensAsReplicated(dataDir))
        {
            if (transport is not null)
            {
                return await OpenReplicatedAsync(options, transport, time, loggers, cancellationToken).ConfigureAwait(false);
            }
            throw new InvalidOperationException($"The data dir {dataDir} belongs to a member of a replicated store (it has member/cluster, " +
                "written when the member joined or grew a cluster): open it with its peer URLs served, e.g. kube-host store --data-dir " +
                dataDir + " --listen-peer-urls URL --initial-advertise-peer-urls URL.");
        }
        var metrics = new StoreMetrics(state, options.MemberName);
        IRaftNode raft;
        try
        {
            // Recovery is synchronous file I/O; run it off the caller's thread.
            raft = raftFactory is not null
                ? await Task.Run(() => raftFactory(memberId, state), cancellationToken).ConfigureAwait(false)
                : await Task.Run(() => SingleMemberRaft.Open(dataDir, memberId, state, options.SnapshotCount, options.WalSegmentBytes,
                options.ProposalQueueLength, loggers, metrics), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            metrics.Dispose();
            throw;
        }
        var store = new EmbeddedStore(options, time, loggers, state, raft, metrics);
        if (transport is not null && raftFactory is null)
        {
            store.AllowGrowth(transport);
        }
        store._logger.LogInformation("Store {Member} open in {DataDir} at revision {Revision}", options.MemberName, dataDir, state.Revision);
        return store;
    }

    /// <summary>This member's id (also <see cref="ResponseHeader.MemberId"/>).</summary>
    public ulong MemberId => _state.MemberId;

    /// <summary>The cluster id (also <see cref="ResponseHeader.ClusterId"/>).</summary>
    public ulong ClusterId => _state.ClusterId;

    /// <summary>The current revision.</summary>
    public long Revision => _state.Revision;

    /// <inheritdoc />
    /// <remarks>On a replicated member a linearizable read first waits for a read index confirmed by a quorum (etcd's ReadIndex);
    /// a serializable read is served from this member's state at once.</remarks>
    public ValueTask<RangeResult> RangeAsync(RangeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            ThrowIfStopped();
            if (request.Key is null || request.Key.Length == 0)
            {
                throw new StoreException(StoreErrorCode.EmptyKey);
            }
            if (_membership is not null && !request.Serializable)
            {
                return LinearizableRangeAsync(request, cancellationToken);
            }
            return ValueTask.FromResult(_state.Range(request));
        }
        catch (StoreException ex)
        {
            return ValueTask.FromException<RangeResult>(ex);
        }
    }

    private async ValueTask<RangeResult> LinearizableRangeAsync(RangeRequest request, CancellationToken cancellationToken)
    {
        await _raft.ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        return _state.Range(request);
    }

    /// <inheritdoc />
    public async ValueTask<PutResult> PutAsync(PutRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Key is null || request.Key.Length == 0)
        {
            throw new StoreException(StoreErrorCode.EmptyKey);
        }
        var txn = new TxnRequest { Success = [new RequestOp { Put = request }] };
        var result = await ProposeAsync<TxnResult>(new TxnCommand(txn), consumesSpace: true, cancellationToken).ConfigureAwait(false);
        return result.Responses[0].Put!;
    }

    /// <inheritdoc />
    public async ValueTask<DeleteRangeResult> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Key is null || request.Key.Length == 0)
        {
            throw new StoreException(StoreErrorCode.EmptyKey);
        }
        var txn = new TxnRequest { Success = [new RequestOp { DeleteRange = request }] };
        var result = await ProposeAsync<TxnResult>(new TxnCommand(txn), consumesSpace: false, cancellationToken).ConfigureAwait(false);
        return result.Responses[0].DeleteRange!;
    }

    /// <inheritdoc />
    public ValueTask<TxnResult> TxnAsync(TxnRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            TxnValidator.Validate(request);
        }
        catch (StoreException ex)
        {
            return ValueTask.FromException<TxnResult>(ex);
        }
        return ProposeAsync<TxnResult>(new TxnCommand(request), TxnValidator.HasPut(request), cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// A start revision below the compacted revision fails with <see cref="StoreErrorCode.Compacted"/> (etcd allows starting
    /// exactly at the compacted revision). A watcher that falls behind by more than <see cref="StoreOptions.WatchBufferSize"/>
    /// responses catches up from history; if that history is compacted first, the stream ends with Compacted.
    /// Disposing the store ends every stream with <see cref="StoreErrorCode.Stopped"/>.
    /// </remarks>
    public IAsyncEnumerable<WatchResponse> WatchAsync(WatchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ThrowIfStopped();
        return _state.WatchAsync(request, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<CompactResult> CompactAsync(long revision, CancellationToken cancellationToken = default) =>
        ProposeAsync<CompactResult>(new CompactCommand(revision), consumesSpace: false, cancellationToken);

    /// <inheritdoc />
    /// <remarks>TTLs below 2 s are raised to 2 s, as etcd does.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The TTL is above etcd's maximum of 9,000,000,000 s.</exception>
    public ValueTask<LeaseGrantResult> LeaseGrantAsync(long ttlSeconds, long id = 0, CancellationToken cancellationToken = default)
    {
        if (ttlSeconds > MvccState.MaxLeaseTtl)
        {
            return ValueTask.FromException<LeaseGrantResult>(new ArgumentOutOfRangeException(nameof(ttlSeconds), ttlSeconds,
                "etcdserver: too large lease TTL"));
        }
        if (id == 0)
        {
            do
            {
                id = Random.Shared.NextInt64(1, long.MaxValue);
            }
            while (_state.LeaseExists(id));
        }
        return ProposeAsync<LeaseGrantResult>(new LeaseGrantCommand(id, ttlSeconds), consumesSpace: true, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<ResponseHeader> LeaseRevokeAsync(long id, CancellationToken cancellationToken = default) =>
        ProposeAsync<ResponseHeader>(new LeaseRevokeCommand(id), consumesSpace: false, cancellationToken);

    /// <inheritdoc />
    /// <remarks>As in etcd, a keepalive is not a log entry: after a restart every lease gets a fresh TTL.</remarks>
    public ValueTask<LeaseKeepAliveResult> LeaseKeepAliveAsync(long id, CancellationToken cancellationToken = default)
    {
        try
        {
            ThrowIfStopped();
        }
        catch (StoreException ex)
        {
            return ValueTask.FromException<LeaseKeepAliveResult>(ex);
        }
        if (_membership is not null)
        {
            return ReplicatedKeepAliveAsync(id, cancellationToken);
        }
        var ttl = _state.LeaseKeepAlive(id);
        return ValueTask.FromResult(new LeaseKeepAliveResult(_state.CurrentHeader(), id, ttl));
    }

    /// <inheritdoc />
    public ValueTask<LeaseTimeToLiveResult> LeaseTimeToLiveAsync(long id, bool keys, CancellationToken cancellationToken = default)
    {
        try
        {
            ThrowIfStopped();
        }
        catch (StoreException ex)
        {
            return ValueTask.FromException<LeaseTimeToLiveResult>(ex);
        }
        return ValueTask.FromResult(_state.LeaseTimeToLive(id, keys));
    }

    /// <inheritdoc />
    public ValueTask<StoreStatus> StatusAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            ThrowIfStopped();
        }
        catch (StoreException ex)
        {
            return ValueTask.FromException<StoreStatus>(ex);
        }
        var header = _membership is null ? _state.CurrentHeader() : _state.CurrentHeader() with { RaftTerm = _raft.Term };
        return ValueTask.FromResult(new StoreStatus(header, _state.CompactRevision, _raft.LeaderId, _raft.CommitIndex,
            _raft.AppliedIndex, _state.DbSize, IsLearner: _membership?.Find(MemberId)?.IsLearner ?? false));
    }

    /// <summary>Writes the whole MVCC state (our own format) as of the current revision.</summary>
    ValueTask<long> ISnapshotSource.WriteSnapshotAsync(Stream destination, CancellationToken cancellationToken)
    {
        ThrowIfStopped();
        var image = _state.Capture();
        image.WriteTo(destination);
        return ValueTask.FromResult(image.Revision);
    }

    private async ValueTask<T> ProposeAsync<T>(StoreCommand command, bool consumesSpace, CancellationToken cancellationToken)
    {
        ThrowIfStopped();
        var data = CommandCodec.Encode(command);
        if (data.Length > _options.MaxRequestBytes)
        {
            throw new StoreException(StoreErrorCode.RequestTooLarge);
        }
        if (consumesSpace && _state.DbSize + data.Length > _options.QuotaBackendBytes)
        {
            throw new StoreException(StoreErrorCode.NoSpace);
        }
        object result;
        try
        {
            result = await _raft.ProposeAsync(data, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreException ex) when (ex.Code == StoreErrorCode.Stopped && _growing is { } growing && Volatile.Read(ref _disposed) == 0)
        {
            // The single-member log stopped taking proposals to hand over to Raft (it finished every proposal it had taken): this
            // one never reached it, so it goes to the new log.
            await growing.ConfigureAwait(false);
            result = await _raft.ProposeAsync(data, cancellationToken).ConfigureAwait(false);
        }
        if (result is StoreException failed)
        {
            // A fresh exception per caller, with this call's stack.
            throw new StoreException(failed.Code, failed.CompactRevision);
        }
        return (T)result;
    }

    private void CheckLeases()
    {
        if (Volatile.Read(ref _disposed) != 0 || Interlocked.Exchange(ref _checkingLeases, 1) == 1)
        {
            return;
        }
        try
        {
            if (!LeadsLeases())
            {
                return;
            }
            foreach (var id in _state.ExpiredLeases(_time.GetUtcNow()))
            {
                if (_revoking.TryAdd(id, 0))
                {
                    _ = RevokeExpiredAsync(id);
                }
            }
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Checking lease expiry failed");
        }
        finally
        {
            Volatile.Write(ref _checkingLeases, 0);
        }
    }

    private async Task RevokeExpiredAsync(long id)
    {
        try
        {
            await ProposeAsync<ResponseHeader>(new LeaseRevokeCommand(id), consumesSpace: false, CancellationToken.None).ConfigureAwait(false);
            _logger.LogDebug("Lease {LeaseId:x} expired and was revoked", id);
        }
        catch (StoreException ex) when (ex.Code is StoreErrorCode.LeaseNotFound or StoreErrorCode.Stopped or StoreErrorCode.LeaderChanged or StoreErrorCode.NoLeader)
        {
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Revoking expired lease {LeaseId:x} failed", id);
        }
        finally
        {
            _revoking.TryRemove(id, out _);
        }
    }

    private void ThrowIfStopped()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new StoreException(StoreErrorCode.Stopped);
        }
    }

    /// <summary>Stops the store: ends watches with <see cref="StoreErrorCode.Stopped"/>, finishes queued writes, closes the WAL.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _leaseTimer.DisposeAsync().ConfigureAwait(false);
        await _growLock.WaitAsync().ConfigureAwait(false); // a hand-over to Raft in progress finishes first
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_publishing is not null)
        {
            await _publishing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        _state.Stop();
        await _raft.DisposeAsync().ConfigureAwait(false);
        _metrics.Dispose();
        _stopping.Dispose();
        _logger.LogInformation("Store {Member} stopped at revision {Revision}", _options.MemberName, _state.Revision);
    }

    /// <summary>The id derived from a name: member ids are <c>StableId("member:" + name)</c>.</summary>
    internal static ulong StableId(string text)
    {
        // FNV-1a, 64-bit: stable across processes and machines.
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        return hash == 0 ? 1 : hash;
    }
}
