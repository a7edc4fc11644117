using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using V3 = Kube.Store.Etcd.Protocol;

namespace Kube.Store.Etcd;

/// <summary>
/// etcd's Watch service: many watches multiplexed on one bidirectional stream.
/// </summary>
/// <remarks>
/// Each create gets a <c>created</c> reply first (ids are assigned from 0 upwards, as etcd does, unless the client picks one),
/// then its events tagged with the watch id. A start revision of 0 means "after the revision in the created reply", so no
/// event falls between the two. A compacted start (or a watcher that fell behind past a compaction) gets a reply with
/// <c>compact_revision</c> and <c>canceled</c>. Replies go through one bounded queue (256) written by one writer; when
/// the client reads slowly the queue fills, the per-watch pumps wait, and the store's watchers fall back to history.
/// </remarks>
internal sealed class EtcdWatchService(IKeyValueStore store, ILogger<EtcdWatchService> logger) : V3.Watch.WatchBase
{
    private const int OutgoingQueue = 256;

    public override async Task Watch(IAsyncStreamReader<V3.WatchRequest> requestStream, IServerStreamWriter<V3.WatchResponse> responseStream,
        ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var outgoing = Channel.CreateBounded<V3.WatchResponse>(new BoundedChannelOptions(OutgoingQueue) { SingleReader = true });
        var writer = Task.Run(() => WriteAllAsync(outgoing.Reader, responseStream, ct), ct);
        var watches = new Dictionary<long, (CancellationTokenSource Cts, Task Pump)>();
        var converted = new LastConversion();
        long nextId = 0;
        try
        {
            await foreach (var request in requestStream.ReadAllAsync(ct).ConfigureAwait(false))
            {
                switch (request.RequestUnionCase)
                {
                    case V3.WatchRequest.RequestUnionOneofCase.CreateRequest:
                    {
                        var create = request.CreateRequest;
                        var header = await HeaderAsync(ct).ConfigureAwait(false);
                        long id;
                        if (create.WatchId != 0)
                        {
                            id = create.WatchId;
                            if (watches.ContainsKey(id))
                            {
                                await outgoing.Writer.WriteAsync(new V3.WatchResponse
                                {
                                    Header = EtcdMapping.ToPb(header), WatchId = id, Created = true, Canceled = true,
                                    CancelReason = "mvcc: duplicate watch ID provided on the WatchStream",
                                }, ct).ConfigureAwait(false);
                                continue;
                            }
                        }
                        else
                        {
                            while (watches.ContainsKey(nextId))
                            {
                                nextId++;
                            }
                            id = nextId++;
                        }
                        var watch = new WatchRequest(create.Key.ToByteArray())
                        {
                            RangeEnd = create.RangeEnd.IsEmpty ? null : create.RangeEnd.ToByteArray(),
                            StartRevision = create.StartRevision > 0 ? create.StartRevision : header.Revision + 1,
                            PrevKv = create.PrevKv,
                            ProgressNotify = create.ProgressNotify,
                            NoPut = create.Filters.Contains(V3.WatchCreateRequest.Types.FilterType.Noput),
                            NoDelete = create.Filters.Contains(V3.WatchCreateRequest.Types.FilterType.Nodelete),
                        };
                        await outgoing.Writer.WriteAsync(new V3.WatchResponse { Header = EtcdMapping.ToPb(header), WatchId = id, Created = true }, ct)
                            .ConfigureAwait(false);
                        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        watches[id] = (cts, PumpAsync(id, watch, outgoing.Writer, converted, cts.Token));
                        break;
                    }
                    case V3.WatchRequest.RequestUnionOneofCase.CancelRequest:
                    {
                        var id = request.CancelRequest.WatchId;
                        if (watches.Remove(id, out var w))
                        {
                            await w.Cts.CancelAsync().ConfigureAwait(false);
                            await w.Pump.ConfigureAwait(false);
                            w.Cts.Dispose();
                            var header = await HeaderAsync(ct).ConfigureAwait(false);
                            await outgoing.Writer.WriteAsync(new V3.WatchResponse { Header = EtcdMapping.ToPb(header), WatchId = id, Canceled = true }, ct)
                                .ConfigureAwait(false);
                        }
                        break;
                    }
                    case V3.WatchRequest.RequestUnionOneofCase.ProgressRequest:
                    {
                        var header = await HeaderAsync(ct).ConfigureAwait(false);
                        await outgoing.Writer.WriteAsync(new V3.WatchResponse { Header = EtcdMapping.ToPb(header), WatchId = -1 }, ct).ConfigureAwait(false);
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (IOException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var (cts, pump) in watches.Values)
            {
                await cts.CancelAsync().ConfigureAwait(false);
                await pump.ConfigureAwait(false);
                cts.Dispose();
            }
            outgoing.Writer.TryComplete();
            try
            {
                await writer.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
            {
            }
        }
    }

    private async Task<ResponseHeader> HeaderAsync(CancellationToken ct)
    {
        try
        {
            return (await store.StatusAsync(ct).ConfigureAwait(false)).Header;
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
    }

    /// <summary>
    /// Sends the queued replies in order. Replies already queued behind the one being sent are written with
    /// <see cref="WriteFlags.BufferHint"/> and flushed once with the last of them, so a put that fans out to many watches of
    /// a stream costs one flush (HTTP/2 frames and a syscall), not one per watch; each reply stays its own message.
    /// </summary>
    private static async Task WriteAllAsync(ChannelReader<V3.WatchResponse> queue, IServerStreamWriter<V3.WatchResponse> stream, CancellationToken ct)
    {
        var buffered = new WriteOptions(WriteFlags.BufferHint);
        var flushing = new WriteOptions();
        while (await queue.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            while (queue.TryRead(out var response))
            {
                stream.WriteOptions = queue.Count > 0 ? buffered : flushing;
                await stream.WriteAsync(response, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task PumpAsync(long id, WatchRequest request, ChannelWriter<V3.WatchResponse> outgoing, LastConversion converted, CancellationToken ct)
    {
        await Task.Yield();
        try
        {
            await foreach (var response in store.WatchAsync(request, ct).ConfigureAwait(false))
            {
                var pb = new V3.WatchResponse { Header = converted.Header(response.Header), WatchId = id };
                pb.Events.AddRange(converted.Events(response.Events));
                await outgoing.WriteAsync(pb, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (StoreException ex)
        {
            var header = ResponseHeaderOrDefault();
            var end = new V3.WatchResponse { Header = header, WatchId = id, Canceled = true };
            if (ex.Code == StoreErrorCode.Compacted)
            {
                end.CompactRevision = ex.CompactRevision;
            }
            else
            {
                end.CancelReason = ex.Message;
            }
            try
            {
                await outgoing.WriteAsync(end, ct).ConfigureAwait(false);
            }
            catch (Exception writeFailed) when (writeFailed is OperationCanceledException or ChannelClosedException)
            {
            }
        }
        catch (ChannelClosedException)
        {
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Watch {WatchId} failed", id);
        }
    }

    private V3.ResponseHeader ResponseHeaderOrDefault()
    {
        var status = store.StatusAsync(CancellationToken.None);
        return status.IsCompletedSuccessfully ? EtcdMapping.ToPb(status.Result.Header) : new V3.ResponseHeader();
    }

    /// <summary>
    /// The protobuf form of the header and the events last converted on a stream. Every watcher of a revision gets an equal header
    /// and, when they want all of its events as recorded, the same event list from the store, so the watches of a stream share
    /// one conversion per revision instead of converting them once per watch. The shared messages are never modified
    /// after conversion (they are only serialized, by the stream's one writer), and each reply still gets its own message with
    /// its own watch id. Pumps race on the entries harmlessly: a miss converts again.
    /// </summary>
    private sealed class LastConversion
    {
        private Entry<ResponseHeader, V3.ResponseHeader>? _header;
        private Entry<IReadOnlyList<WatchEvent>, V3.Event[]>? _events;

        public V3.ResponseHeader Header(ResponseHeader header)
        {
            var last = Volatile.Read(ref _header);
            if (last is not null && last.Source == header)
            {
                return last.Pb;
            }
            var pb = EtcdMapping.ToPb(header);
            Volatile.Write(ref _header, new(header, pb));
            return pb;
        }

        public V3.Event[] Events(IReadOnlyList<WatchEvent> events)
        {
            var last = Volatile.Read(ref _events);
            if (last is not null && ReferenceEquals(last.Source, events))
            {
                return last.Pb;
            }
            var pb = new V3.Event[events.Count];
            for (var i = 0; i < pb.Length; i++)
            {
                pb[i] = EtcdMapping.ToPb(events[i]);
            }
            Volatile.Write(ref _events, new(events, pb));
            return pb;
        }

        private sealed record Entry<TSource, TPb>(TSource Source, TPb Pb);
    }
}
