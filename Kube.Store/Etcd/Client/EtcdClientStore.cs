using System.Runtime.CompilerServices;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using V3 = Kube.Store.Etcd.Protocol;

namespace Kube.Store.Etcd.Client;

/// <summary>
/// <see cref="IKeyValueStore"/> over a real etcd cluster (etcd's v3 gRPC API, cleartext HTTP/2), for users who already run etcd.
/// </summary>
/// <remarks>
/// <para><b>Endpoints.</b> Calls go to one endpoint at a time. When it is <c>Unavailable</c>, the call moves to the next
/// endpoint (round-robin) and later calls stay there. Reads move on any <c>Unavailable</c>; writes move only when they
/// cannot have been applied (the connection was never made, or etcd answered "no leader"), so a write is never applied twice.</para>
/// <para><b>Errors.</b> etcd's errors are matched by etcd's exact message text and surface as <see cref="StoreException"/>
/// with the same <see cref="StoreErrorCode"/> as the embedded store. A unary call past <see cref="EtcdClientOptions.RequestTimeout"/>
/// fails with <see cref="StoreErrorCode.Timeout"/>, and so does a write whose connection broke after it was sent (its outcome
/// is unknown, as with etcd's "request timed out"); a cluster with no reachable endpoint fails with <see cref="StoreErrorCode.Stopped"/>.
/// etcd does not report the compacted revision on a range, so a <see cref="StoreErrorCode.Compacted"/> from
/// <see cref="RangeAsync"/> carries <see cref="StoreException.CompactRevision"/> 0; a watch carries the revision etcd sends.</para>
/// <para><b>Watch.</b> Each <see cref="WatchAsync"/> is one bidirectional Watch stream: the created reply, then events.
/// A <c>compact_revision</c> reply ends the stream with <see cref="StoreErrorCode.Compacted"/> and that revision. When the
/// stream breaks (endpoint down), the watch re-creates itself on the next endpoint from the revision after the last one
/// delivered, so no event is lost or repeated; after two failed rounds over every endpoint it ends with
/// <see cref="StoreErrorCode.Stopped"/>. With <see cref="WatchRequest.ProgressNotify"/>, a watch idle for
/// <see cref="WatchRequest.ProgressInterval"/> asks etcd for a progress notification (an empty response at the current revision).</para>
/// <para><b>Leases.</b> Keepalives share one LeaseKeepAlive stream, one request and its response at a time.</para>
/// <para><b>Status.</b> etcd does not report its compacted revision, so <see cref="StatusAsync"/> finds it with reads: one
/// range at the last known compacted revision, and a binary search (about log2(revision) ranges) only when another client
/// compacted since.</para>
/// </remarks>
public sealed class EtcdClientStore : IKeyValueStore, IAsyncDisposable
{
    private readonly EtcdClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<EtcdClientStore> _logger;
    private readonly Uri[] _endpoints;
    private readonly GrpcChannel[] _channels;
    private readonly Clients[] _clients;
    private readonly CancellationTokenSource _disposing = new();
    private readonly SemaphoreSlim _keepAliveGate = new(1, 1);
    private AsyncDuplexStreamingCall<V3.LeaseKeepAliveRequest, V3.LeaseKeepAliveResponse>? _keepAlive;
    private int _current;
    private long _compactRevision;
    private int _disposed;

    /// <summary>Creates the client. Connections are made on first use; nothing is contacted here.</summary>
    /// <exception cref="ArgumentException">The options are invalid (the message lists each problem).</exception>
    public EtcdClientStore(EtcdClientOptions options, TimeProvider? time = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid etcd client options: " + string.Join(" ", errors), nameof(options));
        }
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger<EtcdClientStore>();
        _endpoints = options.ParsedEndpoints().ToArray();
        _channels = _endpoints.Select(e => GrpcChannel.ForAddress(e, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectTimeout = options.DialTimeout,
                EnableMultipleHttp2Connections = true,
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            },
            MaxReceiveMessageSize = null, // etcd's clients accept any size; a large range must not fail here
            MaxSendMessageSize = null,
            DisposeHttpClient = true,
        })).ToArray();
        _clients = _channels.Select(c => new Clients(new V3.KV.KVClient(c), new V3.Watch.WatchClient(c), new V3.Lease.LeaseClient(c),
            new V3.Maintenance.MaintenanceClient(c))).ToArray();
    }

    /// <summary>The endpoints in use, in order.</summary>
    public IReadOnlyList<Uri> Endpoints => _endpoints;

    /// <inheritdoc />
    public async ValueTask<RangeResult> RangeAsync(RangeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pb = EtcdClientMapping.ToPb(request);
        var r = await CallAsync((c, o) => c.Kv.RangeAsync(pb, o), idempotent: true, cancellationToken).ConfigureAwait(false);
        return EtcdClientMapping.FromPb(r);
    }

    /// <inheritdoc />
    public async ValueTask<PutResult> PutAsync(PutRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pb = EtcdClientMapping.ToPb(request);
        var r = await CallAsync((c, o) => c.Kv.PutAsync(pb, o), idempotent: false, cancellationToken).ConfigureAwait(false);
        return EtcdClientMapping.FromPb(r);
    }

    /// <inheritdoc />
    public async ValueTask<DeleteRangeResult> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pb = EtcdClientMapping.ToPb(request);
        var r = await CallAsync((c, o) => c.Kv.DeleteRangeAsync(pb, o), idempotent: false, cancellationToken).ConfigureAwait(false);
        return EtcdClientMapping.FromPb(r);
    }

    /// <inheritdoc />
    public async ValueTask<TxnResult> TxnAsync(TxnRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pb = EtcdClientMapping.ToPb(request);
        var readOnly = request.Success.All(o => o.Range is not null) && request.Failure.All(o => o.Range is not null);
        var r = await CallAsync((c, o) => c.Kv.TxnAsync(pb, o), idempotent: readOnly, cancellationToken).ConfigureAwait(false);
        return EtcdClientMapping.FromPb(r);
    }

    /// <inheritdoc />
    public async ValueTask<CompactResult> CompactAsync(long revision, CancellationToken cancellationToken = default)
    {
        var pb = new V3.CompactionRequest { Revision = revision };
        var r = await CallAsync((c, o) => c.Kv.CompactAsync(pb, o), idempotent: true, cancellationToken).ConfigureAwait(false);
        NoteCompacted(revision);
        return new CompactResult(EtcdClientMapping.FromPb(r.Header));
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">The TTL is above etcd's maximum of 9,000,000,000 s.</exception>
    public async ValueTask<LeaseGrantResult> LeaseGrantAsync(long ttlSeconds, long id = 0, CancellationToken cancellationToken = default)
    {
        if (ttlSeconds > 9_000_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(ttlSeconds), ttlSeconds, "etcdserver: too large lease TTL");
        }
        var pb = new V3.LeaseGrantRequest { TTL = ttlSeconds, ID = id };
        var r = await CallAsync((c, o) => c.Lease.LeaseGrantAsync(pb, o), idempotent: false, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(r.Error))
        {
            throw EtcdClientErrors.TryCode(r.Error, out var code) ? new StoreException(code) : new InvalidOperationException(r.Error);
        }
        return new LeaseGrantResult(EtcdClientMapping.FromPb(r.Header), r.ID, r.TTL);
    }

    /// <inheritdoc />
    public async ValueTask<ResponseHeader> LeaseRevokeAsync(long id, CancellationToken cancellationToken = default)
    {
        var pb = new V3.LeaseRevokeRequest { ID = id };
        var r = await CallAsync((c, o) => c.Lease.LeaseRevokeAsync(pb, o), idempotent: false, cancellationToken).ConfigureAwait(false);
        return EtcdClientMapping.FromPb(r.Header);
    }

    /// <inheritdoc />
    public async ValueTask<LeaseTimeToLiveResult> LeaseTimeToLiveAsync(long id, bool keys, CancellationToken cancellationToken = default)
    {
        var pb = new V3.LeaseTimeToLiveRequest { ID = id, Keys = keys };
        var r = await CallAsync((c, o) => c.Lease.LeaseTimeToLiveAsync(pb, o), idempotent: true, cancellationToken).ConfigureAwait(false);
        return new LeaseTimeToLiveResult(EtcdClientMapping.FromPb(r.Header), r.ID, r.TTL, r.GrantedTTL, r.Keys.Select(k => k.ToByteArray()).ToArray());
    }

    /// <inheritdoc />
    /// <remarks>Sent on the shared LeaseKeepAlive stream; a broken stream is re-opened (on the next endpoint when it is unavailable).</remarks>
    public async ValueTask<LeaseKeepAliveResult> LeaseKeepAliveAsync(long id, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await _keepAliveGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
                timeout.CancelAfter(_options.RequestTimeout);
                var endpoint = Volatile.Read(ref _current);
                try
                {
                    var call = _keepAlive ??= _clients[endpoint].Lease.LeaseKeepAlive(cancellationToken: _disposing.Token);
                    await call.RequestStream.WriteAsync(new V3.LeaseKeepAliveRequest { ID = id }, timeout.Token).ConfigureAwait(false);
                    if (!await call.ResponseStream.MoveNext(timeout.Token).ConfigureAwait(false))
                    {
                        throw new RpcException(new Status(StatusCode.Unavailable, "the lease keepalive stream ended"));
                    }
                    var r = call.ResponseStream.Current;
                    return new LeaseKeepAliveResult(EtcdClientMapping.FromPb(r.Header), r.ID, r.TTL);
                }
                catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException or OperationCanceledException)
                {
                    // Whatever happened, the next response on this stream may belong to this request: start a new stream.
                    DropKeepAlive();
                    cancellationToken.ThrowIfCancellationRequested();
                    ThrowIfDisposed();
                    if (ex is OperationCanceledException)
                    {
                        throw new StoreException(StoreErrorCode.Timeout);
                    }
                    if (ex is RpcException rpc && !EtcdClientErrors.ShouldFailOver(rpc, idempotent: true))
                    {
                        throw EtcdClientErrors.Map(rpc, cancellationToken);
                    }
                    if (attempt + 1 >= _clients.Length)
                    {
                        throw ex is RpcException last ? EtcdClientErrors.Map(last, cancellationToken) : new StoreException(StoreErrorCode.Stopped);
                    }
                    FailOver(endpoint, ex);
                }
            }
        }
        finally
        {
            _keepAliveGate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<StoreStatus> StatusAsync(CancellationToken cancellationToken = default)
    {
        var r = await CallAsync((c, o) => c.Maintenance.StatusAsync(new V3.StatusRequest(), o), idempotent: true, cancellationToken).ConfigureAwait(false);
        var compacted = await CompactRevisionAsync(r.Header.Revision, cancellationToken).ConfigureAwait(false);
        return new StoreStatus(EtcdClientMapping.FromPb(r.Header), compacted, r.Leader, r.RaftIndex, r.RaftAppliedIndex, r.DbSize, r.IsLearner);
    }

    /// <summary>
    /// etcd reports its compacted revision nowhere but in a watch, so find it with reads: a range at revision R fails with
    /// "compacted" exactly when R is below it. The last known value is checked with one read; only when someone else
    /// compacted since is the new value found by binary search between it and <paramref name="current"/> (about log2 reads).
    /// </summary>
    private async ValueTask<long> CompactRevisionAsync(long current, CancellationToken cancellationToken)
    {
        var known = Volatile.Read(ref _compactRevision);
        var low = Math.Max(known, 1);
        if (current <= low || await ReadableAsync(low, cancellationToken).ConfigureAwait(false))
        {
            return known;
        }
        // The smallest readable revision in (low, current] is the compacted revision; current is always readable.
        long lo = low + 1, hi = current;
        while (lo < hi)
        {
            var mid = lo + (hi - lo) / 2;
            if (await ReadableAsync(mid, cancellationToken).ConfigureAwait(false))
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }
        NoteCompacted(lo);
        return Volatile.Read(ref _compactRevision);
    }

    private async ValueTask<bool> ReadableAsync(long revision, CancellationToken cancellationToken)
    {
        var probe = new V3.RangeRequest { Key = Google.Protobuf.ByteString.CopyFrom(0), Revision = revision, CountOnly = true };
        try
        {
            await CallAsync((c, o) => c.Kv.RangeAsync(probe, o), idempotent: true, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (StoreException ex) when (ex.Code == StoreErrorCode.Compacted)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<WatchResponse> WatchAsync(WatchRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ThrowIfDisposed();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        var token = linked.Token;
        var next = request.StartRevision > 0 ? request.StartRevision : 0;
        var failures = 0;
        while (true)
        {
            var endpoint = Volatile.Read(ref _current);
            Exception? broken = null;
            using (var connection = CancellationTokenSource.CreateLinkedTokenSource(token))
            using (var call = _clients[endpoint].Watch.Watch(cancellationToken: connection.Token))
            {
                var activity = new WatchActivity(_time);
                Task? pinger = null;
                try
                {
                    await call.RequestStream.WriteAsync(new V3.WatchRequest { CreateRequest = EtcdClientMapping.ToPb(request, next) }, token)
                        .ConfigureAwait(false);
                    if (request.ProgressNotify)
                    {
                        pinger = RequestProgressWhenIdleAsync(call.RequestStream, activity, request.ProgressInterval, connection.Token);
                    }
                }
                catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException or OperationCanceledException)
                {
                    broken = ex;
                }
                while (broken is null)
                {
                    V3.WatchResponse response;
                    try
                    {
                        if (!await call.ResponseStream.MoveNext(token).ConfigureAwait(false))
                        {
                            broken = new IOException("The watch stream ended.");
                            break;
                        }
                        response = call.ResponseStream.Current;
                    }
                    catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException or OperationCanceledException)
                    {
                        broken = ex;
                        break;
                    }
                    activity.Touch();
                    failures = 0;
                    if (response.CompactRevision != 0)
                    {
                        NoteCompacted(response.CompactRevision);
                        throw new StoreException(StoreErrorCode.Compacted, response.CompactRevision);
                    }
                    if (response.Canceled)
                    {
                        _logger.LogWarning("etcd cancelled a watch: {Reason}", response.CancelReason);
                        throw EtcdClientErrors.TryCode(response.CancelReason, out var code) ? new StoreException(code) : new StoreException(StoreErrorCode.Stopped);
                    }
                    var header = EtcdClientMapping.FromPb(response.Header);
                    if (response.Created)
                    {
                        if (next == 0)
                        {
                            next = header.Revision + 1;
                        }
                        continue;
                    }
                    if (response.Events.Count == 0)
                    {
                        // A progress notification: every change up to this revision has been delivered.
                        if (request.ProgressNotify && header.Revision >= next - 1)
                        {
                            next = header.Revision + 1;
                            yield return new WatchResponse(header, []);
                        }
                        continue;
                    }
                    var events = new WatchEvent[response.Events.Count];
                    for (var e = 0; e < events.Length; e++)
                    {
                        events[e] = EtcdClientMapping.FromPb(response.Events[e]);
                    }
                    next = events[^1].Kv.ModRevision + 1;
                    yield return new WatchResponse(header, events);
                }
                await connection.CancelAsync().ConfigureAwait(false);
                if (pinger is not null)
                {
                    await pinger.ConfigureAwait(false);
                }
            }

            if (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }
            ThrowIfDisposed();
            if (broken is RpcException rpc && rpc.StatusCode != StatusCode.Unavailable && rpc.StatusCode != StatusCode.Internal
                && rpc.StatusCode != StatusCode.Cancelled)
            {
                throw EtcdClientErrors.Map(rpc, cancellationToken);
            }
            failures++;
            if (failures > 2 * _clients.Length)
            {
                _logger.LogWarning(broken, "Watch gave up after {Failures} failed attempts over {Endpoints} endpoints", failures - 1, _clients.Length);
                throw new StoreException(StoreErrorCode.Stopped);
            }
            FailOver(endpoint, broken);
            try
            {
                // A short pause so a down cluster is not hammered: 0 ms, then 100 ms, 200 ms, ... up to 1 s.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 100 * (failures - 1))), _time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            if (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }
            ThrowIfDisposed();
        }
    }

    private async Task RequestProgressWhenIdleAsync(IClientStreamWriter<V3.WatchRequest> requests, WatchActivity activity, TimeSpan interval,
        CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var wait = activity.IdleUntil(interval);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                await requests.WriteAsync(new V3.WatchRequest { ProgressRequest = new V3.WatchProgressRequest() }, cancellationToken).ConfigureAwait(false);
                activity.Touch();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException or IOException or InvalidOperationException)
        {
            // The stream is going away; the reader sees why.
        }
    }

    private async ValueTask<T> CallAsync<T>(Func<Clients, CallOptions, AsyncUnaryCall<T>> call, bool idempotent, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var start = Volatile.Read(ref _current);
        for (var attempt = 0; ; attempt++)
        {
            var endpoint = (start + attempt) % _clients.Length;
            var options = new CallOptions(deadline: _time.GetUtcNow().UtcDateTime + _options.RequestTimeout, cancellationToken: cancellationToken);
            try
            {
                return await call(_clients[endpoint], options).ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException ex) when (attempt + 1 < _clients.Length && EtcdClientErrors.ShouldFailOver(ex, idempotent))
            {
                FailOver(endpoint, ex);
            }
            catch (RpcException ex)
            {
                ThrowIfDisposed(); // a call cut short by DisposeAsync ends as Stopped, like every later call
                throw EtcdClientErrors.Map(ex, cancellationToken);
            }
            catch (ObjectDisposedException) when (Volatile.Read(ref _disposed) != 0)
            {
                throw new StoreException(StoreErrorCode.Stopped);
            }
        }
    }

    /// <summary>Moves later calls off <paramref name="failed"/> (unless another call already did).</summary>
    private void FailOver(int failed, Exception? why)
    {
        var next = (failed + 1) % _clients.Length;
        if (Interlocked.CompareExchange(ref _current, next, failed) == failed && _clients.Length > 1)
        {
            _logger.LogWarning("etcd endpoint {Failed} is unavailable ({Reason}); using {Next}", _endpoints[failed], why?.Message, _endpoints[next]);
        }
    }

    private void NoteCompacted(long revision)
    {
        long seen;
        while ((seen = Volatile.Read(ref _compactRevision)) < revision && Interlocked.CompareExchange(ref _compactRevision, revision, seen) != seen)
        {
        }
    }

    private void DropKeepAlive()
    {
        _keepAlive?.Dispose();
        _keepAlive = null;
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new StoreException(StoreErrorCode.Stopped);
        }
    }

    /// <summary>Ends every watch with <see cref="StoreErrorCode.Stopped"/>, closes the keepalive stream and the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _disposing.CancelAsync().ConfigureAwait(false);
        await _keepAliveGate.WaitAsync().ConfigureAwait(false);
        DropKeepAlive();
        _keepAliveGate.Release();
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
        _disposing.Dispose();
    }

    private sealed record Clients(V3.KV.KVClient Kv, V3.Watch.WatchClient Watch, V3.Lease.LeaseClient Lease, V3.Maintenance.MaintenanceClient Maintenance);

    /// <summary>When the watch stream last saw traffic (on the store's clock).</summary>
    private sealed class WatchActivity(TimeProvider time)
    {
        private long _last = time.GetTimestamp();

        public void Touch() => Volatile.Write(ref _last, time.GetTimestamp());

        public TimeSpan IdleUntil(TimeSpan interval) => interval - time.GetElapsedTime(Volatile.Read(ref _last));
    }
}
