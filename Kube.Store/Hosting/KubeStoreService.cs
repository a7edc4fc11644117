using System.Runtime.CompilerServices;
using Kube.Store.Cluster;
using Kube.Store.Raft.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kube.Store.Hosting;

/// <summary>
/// The DI-registered <see cref="IKeyValueStore"/>: opens the <see cref="EmbeddedStore"/> on first use or at host start,
/// whichever comes first (so another hosted service may use the store from its own StartAsync), and disposes it on stop.
/// </summary>
/// <remarks>A replicated member (<see cref="StoreOptions.IsReplicated"/>), and a single member named in <see cref="StoreOptions.InitialCluster"/>
/// (which can grow into one), use the registered <see cref="GrpcRaftTransport"/>.</remarks>
internal sealed class KubeStoreService(IOptions<StoreOptions> options, TimeProvider time, ILoggerFactory loggers, IServiceProvider services)
    : IKeyValueStore, IHostedService, IAsyncDisposable, ISnapshotSource
{
    private readonly Lock _gate = new();
    private Task<EmbeddedStore>? _opening;
    private bool _stopped;

    private ValueTask<EmbeddedStore> StoreAsync(CancellationToken cancellationToken)
    {
        var opening = _opening;
        if (opening is { IsCompletedSuccessfully: true })
        {
            return ValueTask.FromResult(opening.Result);
        }
        lock (_gate)
        {
            if (_stopped)
            {
                return ValueTask.FromException<EmbeddedStore>(new StoreException(StoreErrorCode.Stopped));
            }
            if (_opening is null || _opening.IsFaulted || _opening.IsCanceled)
            {
                // A single member named in --initial-cluster serves its peer URLs: it gets the transport to grow with (and a data
                // dir that already is a replicated member's opens as one).
                var transport = options.Value.IsReplicated || options.Value.InitialCluster.Length > 0
                    ? (GrpcRaftTransport)services.GetService(typeof(GrpcRaftTransport))!
                    : null;
                _opening = options.Value.IsReplicated
                    ? EmbeddedStore.OpenReplicatedAsync(options.Value, transport!, time, loggers, CancellationToken.None)
                    : EmbeddedStore.OpenAsync(options.Value, raftFactory: null, time, loggers, CancellationToken.None, transport);
            }
            opening = _opening;
        }
        return new ValueTask<EmbeddedStore>(opening.WaitAsync(cancellationToken));
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        if (services.GetService(typeof(IHostApplicationLifetime)) is IHostApplicationLifetime lifetime)
        {
            _ = StopWhenRemovedAsync(store, lifetime);
        }
    }

    /// <summary>A member removed from its cluster stops serving and its host exits, as etcd's member does.</summary>
    private async Task StopWhenRemovedAsync(EmbeddedStore store, IHostApplicationLifetime lifetime)
    {
        await store.RemovedFromCluster.ConfigureAwait(false);
        loggers.CreateLogger<KubeStoreService>().LogCritical("the member has been permanently removed from the cluster; stopping");
        lifetime.StopApplication();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task<EmbeddedStore>? opening;
        lock (_gate)
        {
            _stopped = true;
            opening = _opening;
        }
        if (opening is { IsCompletedSuccessfully: true })
        {
            await opening.Result.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    public async ValueTask<RangeResult> RangeAsync(RangeRequest request, CancellationToken cancellationToken = default) =>
        await (await StoreAsync(cancellationToken).ConfigureAwait(false)).RangeAsync(request, cancellationToken).ConfigureAwait(false);

    public async ValueTask<PutResult> PutAsync(PutRequest request, CancellationToken cancellationToken = default) =>
        await (await StoreAsync(cancellationToken).ConfigureAwait(false)).PutAsync(request, cancellationToken).ConfigureAwait(false);

    public async ValueTask<DeleteRangeResult> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken = default) =>
        await (await StoreAsync(cancellationToken).ConfigureAwait(false)).DeleteRangeAsync(request, cancellationToken).ConfigureAwait(false);

    public async ValueTask<TxnResult> TxnAsync(TxnRequest request, CancellationToken cancellationToken = default) =>
        await (await StoreAsync(cancellationToken).ConfigureAwait(false)).TxnAsync(request, cancellationToken).ConfigureAwait(false);

    public async IAsyncEnumerable<WatchResponse> WatchAsync(WatchRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var response in store.WatchAsync(request, cancellationToken).ConfigureAwait(false))
        {
            yield return response;
        }
    }

    public async ValueTask<CompactResult> CompactAsync(long revision, CancellationToken cancellationToken = default) =>
        await (await StoreAsync(cancellationToken).ConfigureAwait(false)).CompactAsync(revision, cancellationToken).ConfigureAwait(false);

    public async ValueTask<LeaseGrantResult> LeaseGrantAsync(long ttlSeconds, long id = 0, CancellationToken cancellationToken = default) =>
        await (await StoreAsync(cancellationToken).ConfigureAwait(false)).LeaseGrantAsync(ttlSeconds, id, cancellationToken).ConfigureAwait(false);

    public async ValueTask<ResponseHeader> LeaseRevokeAsync(long id, CancellationToken cancellationToken = default) =>
        await (await StoreAsync(cancellationToken).ConfigureAwait(false)).LeaseRevokeAsync(id, cancellationToken).ConfigureAwait(false);

    public async ValueTask<LeaseKeepAliveResult> LeaseKeepAliveAsync(long id, CancellationToken cancellationToken = default) =>
        await (await StoreAsync(cancellationToken).ConfigureAwait(false)).LeaseKeepAliveAsync(id, cancellationToken).ConfigureAwait(false);

    public async ValueTask<LeaseTimeToLiveResult> LeaseTimeToLiveAsync(long id, bool keys, CancellationToken cancellationToken = default) =>
        await (await StoreAsync(cancellationToken).ConfigureAwait(false)).LeaseTimeToLiveAsync(id, keys, cancellationToken).ConfigureAwait(false);

    public async ValueTask<long> WriteSnapshotAsync(Stream destination, CancellationToken cancellationToken) =>
        await ((ISnapshotSource)await StoreAsync(cancellationToken).ConfigureAwait(false)).WriteSnapshotAsync(destination, cancellationToken).ConfigureAwait(false);

    /// <summary>The opened store's membership operations.</summary>
    public async ValueTask<IStoreCluster> ClusterAsync(CancellationToken cancellationToken) => await StoreAsync(cancellationToken).ConfigureAwait(false);

    public async ValueTask<StoreStatus> StatusAsync(CancellationToken cancellationToken = default) =>
        await (await StoreAsync(cancellationToken).ConfigureAwait(false)).StatusAsync(cancellationToken).ConfigureAwait(false);
}
